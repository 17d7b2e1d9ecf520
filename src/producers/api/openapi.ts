/**
 * The OpenAPI 3.1 document of API v1, served at `/api/v1/openapi.json`. Request schemas are generated from the
 * same zod schemas the routes validate with, so the document cannot drift from what the gateway accepts.
 */
import { z } from 'zod';
import { recipientListBody } from './routes/v1/recipient-lists.js';
import { suppressionBody } from './routes/v1/suppression-list.js';
import { templateBody } from './routes/v1/templates.js';
import { webhookBody } from './routes/v1/webhooks.js';
import { transmissionBody } from './transmission.js';

const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const errors = { description: 'SparkPost-style errors', ...json(ref('Errors')) };
const failures = {
  400: errors, 401: errors, 403: errors, 404: errors, 413: errors, 422: errors, 429: errors, 503: errors,
};
const ok = (description: string) => ({ description, ...json({ type: 'object', properties: { results: {} } }) });
const idParam = (name: string) => [{ name, in: 'path', required: true, schema: { type: 'string' } }];

let cached: object | undefined;

/** The document (built once). */
export function openApiDocument(): object {
  cached ??= {
    openapi: '3.1.0',
    info: { title: 'mailstream API', version: '1.0.0', description: 'SparkPost-compatible REST API v1 of mailstream.' },
    servers: [{ url: '/api/v1' }],
    security: [{ apiKey: [] }, { basic: [] }],
    components: {
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'the raw API key' },
        basic: { type: 'http', scheme: 'basic', description: 'the API key as the user, an empty password' },
      },
      schemas: {
        Transmission: z.toJSONSchema(transmissionBody, { io: 'input', unrepresentable: 'any' }),
        Template: z.toJSONSchema(templateBody, { io: 'input', unrepresentable: 'any' }),
        SuppressionList: z.toJSONSchema(suppressionBody, { io: 'input', unrepresentable: 'any' }),
        RecipientList: z.toJSONSchema(recipientListBody, { io: 'input', unrepresentable: 'any' }),
        Webhook: z.toJSONSchema(webhookBody, { io: 'input', unrepresentable: 'any' }),
        Errors: {
          type: 'object', required: ['errors'],
          properties: { errors: { type: 'array', items: { type: 'object', required: ['message'], properties: {
            message: { type: 'string' }, description: { type: 'string' }, code: { type: 'string' } } } } },
        },
      },
    },
    paths: {
      '/transmissions': {
        post: {
          summary: 'Send a transmission', operationId: 'createTransmission',
          parameters: [{ name: 'num_rcpt_errors', in: 'query', schema: { type: 'integer', minimum: 0 } },
            { name: 'Idempotency-Key', in: 'header', schema: { type: 'string', maxLength: 255 } }],
          requestBody: { required: true, ...json(ref('Transmission')) }, responses: { 200: ok('accepted: durable in Kafka'), ...failures },
        },
        get: { summary: 'List transmissions (newest first)', operationId: 'listTransmissions',
          parameters: [{ name: 'campaign_id', in: 'query', schema: { type: 'string' } }], responses: { 200: ok('transmissions'), ...failures } },
        delete: { summary: 'Cancel every running transmission of a campaign', operationId: 'cancelCampaign',
          parameters: [{ name: 'campaign_id', in: 'query', required: true, schema: { type: 'string' } }],
          responses: { 204: { description: 'cancelled' }, ...failures } },
      },
      '/transmissions/{id}': {
        get: { summary: 'A transmission\'s state and counts', operationId: 'getTransmission', parameters: idParam('id'),
          responses: { 200: ok('the transmission'), ...failures } },
        delete: { summary: 'Cancel a running transmission', operationId: 'cancelTransmission', parameters: idParam('id'),
          responses: { 204: { description: 'cancelled: every recipient not yet sent ends cancelled' }, ...failures } },
      },
      '/templates': {
        get: { summary: 'List templates', operationId: 'listTemplates', responses: { 200: ok('templates'), ...failures } },
        post: { summary: 'Create a template: a draft, or published with published: true', operationId: 'createTemplate',
          requestBody: { required: true, ...json(ref('Template')) }, responses: { 200: ok('created'), 409: errors, ...failures } },
      },
      '/templates/{id}': {
        get: { summary: 'Get a template: its published version (the draft when there is none), or its draft with draft=true',
          operationId: 'getTemplate', parameters: [...idParam('id'), { name: 'draft', in: 'query', schema: { type: 'boolean' } }],
          responses: { 200: ok('the template'), ...failures } },
        put: { summary: 'Update a template\'s draft; with update_published=true its published version (a new version); published: true publishes',
          operationId: 'updateTemplate', parameters: [...idParam('id'), { name: 'update_published', in: 'query', schema: { type: 'boolean' } }],
          requestBody: { required: true, ...json(ref('Template')) }, responses: { 200: ok('updated'), ...failures } },
        delete: { summary: 'Delete a template', operationId: 'deleteTemplate', parameters: idParam('id'),
          responses: { 200: ok('deleted'), ...failures } },
      },
      '/suppression-list': {
        get: { summary: 'Search the suppression list', operationId: 'searchSuppressions',
          parameters: [{ name: 'types', in: 'query', schema: { type: 'string' } }, { name: 'limit', in: 'query', schema: { type: 'integer' } }],
          responses: { 200: ok('entries'), ...failures } },
        put: { summary: 'Add or update entries', operationId: 'putSuppressions', requestBody: { required: true, ...json(ref('SuppressionList')) },
          responses: { 200: ok('updated'), ...failures } },
      },
      '/templates/{id}/preview': {
        post: { summary: 'Render a template (its draft with draft=true) with substitution data', operationId: 'previewTemplate',
          parameters: [...idParam('id'), { name: 'draft', in: 'query', schema: { type: 'boolean' } }],
          requestBody: { ...json({ type: 'object', properties: { substitution_data: { type: 'object' } } }) },
          responses: { 200: ok('the rendered parts'), ...failures } },
      },
      '/recipient-lists': {
        get: { summary: 'List recipient lists', operationId: 'listRecipientLists', responses: { 200: ok('lists'), ...failures } },
        post: { summary: 'Create a recipient list', operationId: 'createRecipientList',
          requestBody: { required: true, ...json(ref('RecipientList')) }, responses: { 200: ok('created'), 409: errors, ...failures } },
      },
      '/recipient-lists/{id}': {
        get: { summary: 'Get a recipient list', operationId: 'getRecipientList',
          parameters: [...idParam('id'), { name: 'show_recipients', in: 'query', schema: { type: 'boolean' } }],
          responses: { 200: ok('the list'), ...failures } },
        put: { summary: 'Replace a recipient list', operationId: 'updateRecipientList', parameters: idParam('id'),
          requestBody: { required: true, ...json(ref('RecipientList')) }, responses: { 200: ok('updated'), ...failures } },
        delete: { summary: 'Delete a recipient list', operationId: 'deleteRecipientList', parameters: idParam('id'),
          responses: { 200: ok('deleted'), ...failures } },
      },
      '/events/message': {
        get: { summary: 'Search message events (cursor paging)', operationId: 'searchMessageEvents',
          parameters: ['events', 'recipients', 'campaigns', 'transmissions', 'templates', 'bounce_classes', 'from', 'to',
            'per_page', 'cursor'].map((name) => ({ name, in: 'query', schema: { type: 'string' } })),
          responses: { 200: ok('events'), ...failures } },
      },
      ...Object.fromEntries(['', '/domain', '/campaign', '/template', '/time-series'].map((g) => [`/metrics/deliverability${g}`, {
        get: { summary: `Deliverability counters${g ? ` by ${g.slice(1)}` : ''}`, operationId: `deliverability${g.replace(/\W/g, '')}`,
          parameters: ['from', 'to', 'metrics', 'campaigns', 'domains', 'templates', 'precision', 'limit']
            .map((name) => ({ name, in: 'query', required: name === 'from' || name === 'metrics', schema: { type: 'string' } })),
          responses: { 200: ok('counters'), ...failures } },
      }])),
      '/webhooks': {
        get: { summary: 'List webhooks', operationId: 'listWebhooks', responses: { 200: ok('webhooks'), ...failures } },
        post: { summary: 'Create a webhook: a signed sample batch is POSTed first and must be answered 2xx', operationId: 'createWebhook',
          requestBody: { required: true, ...json(ref('Webhook')) }, responses: { 200: ok('created, with its signing_secret'), ...failures } },
      },
      '/webhooks/{id}': {
        get: { summary: 'Get a webhook', operationId: 'getWebhook', parameters: idParam('id'), responses: { 200: ok('the webhook'), ...failures } },
        put: { summary: 'Update a webhook (any subset; active: true re-enables it)', operationId: 'updateWebhook', parameters: idParam('id'),
          requestBody: { required: true, ...json(ref('Webhook')) }, responses: { 200: ok('updated'), ...failures } },
        delete: { summary: 'Delete a webhook', operationId: 'deleteWebhook', parameters: idParam('id'),
          responses: { 204: { description: 'deleted' }, ...failures } },
      },
      '/webhooks/{id}/validate': {
        post: { summary: 'POST a message (or a sample batch) to the target and return its answer', operationId: 'validateWebhook',
          parameters: idParam('id'), requestBody: { ...json({ type: 'object', properties: { message: { type: 'object' } } }) },
          responses: { 200: ok('the target\'s status, headers and body'), ...failures } },
      },
      '/webhooks/{id}/batch-status': {
        get: { summary: 'Recent delivery attempts, newest first', operationId: 'webhookBatchStatus',
          parameters: [...idParam('id'), { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 10000 } }],
          responses: { 200: ok('attempts'), ...failures } },
      },
      '/webhooks/events/documentation': {
        get: { summary: 'Event classes, types and fields', operationId: 'webhookEventDocumentation', responses: { 200: ok('documentation'), ...failures } },
      },
      '/webhooks/events/samples': {
        get: { summary: 'One sample event per type', operationId: 'webhookEventSamples',
          parameters: [{ name: 'events', in: 'query', schema: { type: 'string' } }], responses: { 200: ok('a sample batch'), ...failures } },
      },
      '/suppression-list/{recipient}': {
        get: { summary: 'One address\'s entries', operationId: 'getSuppression', parameters: idParam('recipient'),
          responses: { 200: ok('entries'), ...failures } },
        delete: { summary: 'Lift a suppression', operationId: 'deleteSuppression', parameters: idParam('recipient'),
          responses: { 204: { description: 'lifted' }, ...failures } },
      },
    },
  };
  return cached;
}
