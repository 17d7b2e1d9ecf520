/**
 * `/api/v1/webhooks`: a tenant's webhooks in SparkPost's paths and shapes, plus a signing secret and a campaign
 * filter. Create sends a signed sample batch first and refuses the webhook unless the target answers 2xx.
 */
import { randomUUID } from 'node:crypto';
import { Router, type Response } from 'express';
import { z } from 'zod';
import type { Webhook } from '../../../../generated/types.js';
import { batchStatus, lastAttempts } from '../../../../clickhouse/webhook-batches.js';
import { webhookKey } from '../../../../consumers/webhooks/handler.js';
import { CLASS_OF } from '../../../../consumers/webhooks/sparkpost.js';
import { documentation, sampleBatch } from '../../../../consumers/webhooks/samples.js';
import { checkTarget, findWebhook, newSecret, sendTest, writeWebhook } from '../../../webhooks.js';
import type { GatewayDeps } from '../../app.js';
import { callerOf, requireScope } from '../../auth.js';
import { ApiError, invalidParam, parseBody } from '../../errors.js';

const eventName = z.string().refine((e) => e in CLASS_OF, { message: `an event of ${Object.keys(CLASS_OF).join(', ')}` });
/** The body of create (update takes any subset). */
export const webhookBody = z.object({
  name: z.string().min(1).max(1024), target: z.string().max(2048),
  events: z.array(eventName).default([]), active: z.boolean().default(true),
  custom_headers: z.record(z.string(), z.string()).default({}),
  auth_type: z.enum(['none', 'basic', 'oauth2']).default('none'),
  auth_credentials: z.object({ username: z.string().optional(), password: z.string().optional() }).loose().optional(),
  auth_request_details: z.object({ url: z.string(), body: z.record(z.string(), z.string()).optional() }).optional(),
  campaigns: z.array(z.string().max(256)).default([]),
});
const updateBody = webhookBody.partial();

const links = (id: string) => [
  { href: `/api/v1/webhooks/${id}`, rel: 'urn.msys.webhooks.webhook', method: ['GET', 'PUT', 'DELETE'] },
  { href: `/api/v1/webhooks/${id}/validate`, rel: 'urn.msys.webhooks.validate', method: ['POST'] },
  { href: `/api/v1/webhooks/${id}/batch-status`, rel: 'urn.msys.webhooks.batches', method: ['GET'] }];

/** SparkPost's view of a webhook (credentials never shown; the signing secret is, to its tenant). */
const view = (w: Webhook) => ({
  id: w.id, name: w.name, target: w.target, events: w.events, active: w.active, auth_type: w.authType,
  custom_headers: w.customHeaders, campaigns: w.campaigns, signing_secret: w.secret,
  ...(w.disabledAt != null ? { disabled_at: new Date(w.disabledAt).toISOString(), disabled_reason: w.disabledReason } : {}),
  links: links(w.id),
});

type Body = z.infer<typeof updateBody>;

/** The stored record of `b` over `old` (or a new one for `tenant`). */
function recordOf(tenant: string, b: Body, old?: Webhook): Webhook {
  const now = Date.now();
  const authType = b.auth_type ?? old?.authType ?? 'none';
  if (authType === 'oauth2' && !b.auth_request_details && !old?.authRequestDetails.includes('url')) {
    throw new ApiError('MS_ERR_VALIDATION', 'auth_request_details.url is required with auth_type oauth2', { code: '1400' });
  }
  const active = b.active ?? old?.active ?? true;
  return {
    id: old?.id ?? randomUUID(), tenant, name: b.name ?? old!.name, target: b.target ?? old!.target,
    events: b.events ?? old?.events ?? [], campaigns: b.campaigns ?? old?.campaigns ?? [], active,
    customHeaders: b.custom_headers ?? old?.customHeaders ?? {}, authType,
    authCredentials: b.auth_credentials ? JSON.stringify(b.auth_credentials) : old?.authCredentials ?? '{}',
    authRequestDetails: b.auth_request_details ? JSON.stringify(b.auth_request_details) : old?.authRequestDetails ?? '{}',
    secret: old?.secret ?? newSecret(), createdAt: old?.createdAt ?? now, updatedAt: Math.max(now, (old?.updatedAt ?? 0) + 1),
    // turning it on again (after delivery disabled it) clears why it was off
    disabledAt: active ? null : old?.disabledAt ?? null, disabledReason: active ? null : old?.disabledReason ?? null,
  };
}

/** The router. */
export function webhookRoutes(deps: GatewayDeps): Router {
  const r = Router();
  const allow = deps.cfg.webhooksAllowPrivateTargets;
  const mine = (res: Response, id: string) => findWebhook(deps.webhooks, callerOf(res).tenant, id);
  const refused = (err: unknown) => new ApiError('MS_ERR_WEBHOOK_TARGET', (err as Error).message,
    { status: 400, code: '1300', message: 'invalid target' });

  r.get('/events/documentation', requireScope('webhooks:read'), (_req, res) => { res.json({ results: documentation() }); });
  r.get('/events/samples', requireScope('webhooks:read'), (req, res) => {
    const types = typeof req.query.events === 'string' ? req.query.events.split(',').map((s) => s.trim()).filter(Boolean) : [];
    const unknown = types.filter((t) => !(t in CLASS_OF));
    if (unknown.length) throw invalidParam(`events: unknown ${unknown.join(', ')}`);
    res.json({ results: sampleBatch(types) });
  });
  r.post('/', requireScope('webhooks:modify'), async (req, res) => {
    const b = parseBody(webhookBody, req.body);
    const w = recordOf(callerOf(res).tenant, b);
    try { await checkTarget(w.target, allow); } catch (err) { throw refused(err); }
    let answer;
    try { answer = await sendTest(deps.cfg, w); } catch (err) { throw refused(err); }
    if (answer.status < 200 || answer.status > 299) {
      throw refused(new Error(`the target answered ${answer.status} to the test batch; a webhook needs a 2xx`));
    }
    // it exists, and receives events, from the moment it is written
    const created = { ...w, createdAt: Date.now(), updatedAt: Date.now() };
    await writeWebhook(deps.rt, deps.webhooks, webhookKey(w.tenant, w.id), created);
    res.json({ results: { id: w.id, name: w.name, signing_secret: w.secret, links: links(w.id) } });
  });
  r.get('/', requireScope('webhooks:read'), async (_req, res) => {
    await deps.webhooks.ready;
    const tenant = callerOf(res).tenant;
    const list = deps.webhooks.entries().filter((w) => w.tenant === tenant).sort((a, b) => a.createdAt - b.createdAt);
    const last = list.length ? await lastAttempts(deps.clickhouse, tenant) : new Map();
    res.json({ results: list.map((w) => ({ ...view(w), ...last.get(w.id) })) });
  });
  r.get('/:id', requireScope('webhooks:read'), async (req, res) => {
    const w = await mine(res, String(req.params.id));
    res.json({ results: { ...view(w), ...(await lastAttempts(deps.clickhouse, w.tenant)).get(w.id) } });
  });
  r.put('/:id', requireScope('webhooks:modify'), async (req, res) => {
    const old = await mine(res, String(req.params.id));
    const w = recordOf(old.tenant, parseBody(updateBody, req.body), old);
    if (w.target !== old.target) { try { await checkTarget(w.target, allow); } catch (err) { throw refused(err); } }
    await writeWebhook(deps.rt, deps.webhooks, webhookKey(w.tenant, w.id), w);
    res.json({ results: { id: w.id, links: links(w.id) } });
  });
  r.delete('/:id', requireScope('webhooks:modify'), async (req, res) => {
    const w = await mine(res, String(req.params.id));
    await writeWebhook(deps.rt, deps.webhooks, webhookKey(w.tenant, w.id), null);
    res.status(204).end();
  });
  r.post('/:id/validate', requireScope('webhooks:modify'), async (req, res) => {
    const w = await mine(res, String(req.params.id));
    const message = (req.body as { message?: unknown } | undefined)?.message;
    const body = JSON.stringify(message === undefined ? sampleBatch() : [message]);
    let a;
    try { a = await sendTest(deps.cfg, w, body); } catch (err) { throw refused(err); }
    const ok = a.status >= 200 && a.status <= 299;
    res.json({ results: { msg: ok ? 'Test POST to endpoint succeeded' : 'Test POST to endpoint failed',
      response: { status: a.status, headers: a.headers, body: a.body } } });
  });
  r.get('/:id/batch-status', requireScope('webhooks:read'), async (req, res) => {
    const w = await mine(res, String(req.params.id));
    const limit = req.query.limit === undefined ? 1000 : Number(req.query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10000) throw invalidParam('limit: a whole number from 1 to 10000');
    res.json({ results: await batchStatus(deps.clickhouse, w.tenant, w.id, limit) });
  });
  return r;
}
