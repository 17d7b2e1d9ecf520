/** `/api/v1/templates`: a tenant's stored templates in SparkPost's shape (create, get, update, delete, list). */
import { Router, type Response } from 'express';
import { z } from 'zod';
import type { Template } from '../../../../generated/types.js';
import { renderParts, type JobContext } from '../../../../render/message.js';
import { compileTemplate } from '../../../../render/template.js';
import { templateKey } from '../../../../streams/templates.js';
import { deleteTemplate, publishTemplate, TEMPLATE_ID_RE, type TemplateSource } from '../../../templates.js';
import type { GatewayDeps } from '../../app.js';
import { callerOf, requireScope } from '../../auth.js';
import { ApiError, missingField, parseBody } from '../../errors.js';
import { fromString } from '../../transmission.js';

const from = z.union([z.string().min(1), z.object({ email: z.string().min(1), name: z.string().nullish() })]);
const content = z.object({
  from: from.optional(), subject: z.string().optional(), html: z.string().optional(), text: z.string().optional(),
  reply_to: z.string().optional(), headers: z.record(z.string(), z.string()).optional(),
});
/** The body of template create and update. */
export const templateBody = z.object({
  id: z.string().optional(), name: z.string().max(1024).optional(), description: z.string().max(1024).optional(),
  published: z.boolean().optional(), content: content.optional(),
});


const previewBody = z.object({ substitution_data: z.record(z.string(), z.unknown()).optional() });

function source(c: z.infer<typeof content> | undefined): TemplateSource {
  if (!c) throw missingField('content');
  if (!c.from) throw missingField('content.from');
  if (c.subject == null) throw missingField('content.subject');
  if (c.html == null && c.text == null) throw missingField('content.html or content.text');
  return { subject: c.subject, from: fromString(c.from), replyTo: c.reply_to ?? null, html: c.html ?? null, text: c.text ?? null,
    headers: c.headers ?? {}, engine: 'sparkpost' };
}

/** SparkPost's template view of a stored record. */
function view(t: Template, withContent: boolean): Record<string, unknown> {
  const base = { id: t.templateId, name: t.name || t.templateId, description: t.description, published: true,
    has_published: true, has_draft: false, last_update_time: new Date(t.createdAt).toISOString(), version: t.version };
  if (!withContent) return base;
  return { ...base, content: { from: t.from, subject: t.subject, html: t.html ?? undefined, text: t.text ?? undefined,
    reply_to: t.replyTo ?? undefined, headers: t.headers } };
}

/** The router. */
export function templateRoutes(deps: GatewayDeps): Router {
  const r = Router();
  const found = async (res: Response, id: string): Promise<Template> => {
    await deps.templates.ready;
    const t = deps.templates.latest(templateKey(callerOf(res).tenant, id));
    if (!t) throw new ApiError('MS_ERR_NOT_FOUND', `template ${id} does not exist`);
    return t;
  };
  r.post('/', requireScope('templates:modify'), async (req, res) => {
    const b = parseBody(templateBody, req.body);
    const tenant = callerOf(res).tenant;
    if (!b.name && !b.id) throw missingField('name');
    const id = b.id ?? b.name!.toLowerCase().replace(/[^a-z0-9_.-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 128);
    if (!TEMPLATE_ID_RE.test(id)) throw new ApiError('MS_ERR_VALIDATION', `id "${id}": letters, digits, ".", "_" and "-" only`);
    await deps.templates.ready;
    if (deps.templates.latest(templateKey(tenant, id))) {
      throw new ApiError('MS_ERR_VALIDATION', `template ${id} already exists`, { status: 409, code: '1602', message: 'resource conflict' });
    }
    const version = await publishTemplate(deps.rt, id, source(b.content), { tenant, name: b.name ?? id,
      description: b.description, table: deps.templates });
    await deps.templates.until(templateKey(tenant, id), (t) => (t?.version ?? 0) >= version);
    res.json({ results: { id } });
  });
  r.get('/', requireScope('templates:read'), async (_req, res) => {
    await deps.templates.ready;
    const list = deps.templates.list(callerOf(res).tenant).sort((a, b) => a.templateId.localeCompare(b.templateId));
    res.json({ results: list.map((t) => view(t, false)) });
  });
  r.get('/:id', requireScope('templates:read'), async (req, res) => {
    res.json({ results: view(await found(res, String(req.params.id)), true) });
  });
  r.put('/:id', requireScope('templates:modify'), async (req, res) => {
    const old = await found(res, String(req.params.id));
    const b = parseBody(templateBody, req.body);
    const merged = b.content ? source({ from: old.from, subject: old.subject, html: old.html ?? undefined, text: old.text ?? undefined,
      reply_to: old.replyTo ?? undefined, headers: old.headers, ...b.content }) : null;
    const src = merged ?? { subject: old.subject, from: old.from, replyTo: old.replyTo, html: old.html, text: old.text,
      mjml: old.mjml, headers: old.headers, engine: old.engine };
    const version = await publishTemplate(deps.rt, old.templateId, src, { tenant: old.tenant, name: b.name,
      description: b.description, table: deps.templates });
    await deps.templates.until(templateKey(old.tenant, old.templateId), (t) => (t?.version ?? 0) >= version);
    res.json({ results: { id: old.templateId } });
  });
  r.post('/:id/preview', requireScope('templates:read'), async (req, res) => {
    const t = await found(res, String(req.params.id));
    const b = parseBody(previewBody, req.body);
    const c = deps.cfg;
    const job: JobContext = {
      jobId: 'preview', tenant: t.tenant, campaignId: null, kind: 'transactional', strict: false, openTracking: false,
      clickTracking: false, globalData: b.substitution_data ?? {}, metadata: {}, now: Date.now(), maxMessageBytes: c.maxMessageBytes,
      limits: { maxLoopIterations: c.templateMaxLoopIterations, maxDepth: c.templateMaxDepth, timeBudgetMs: c.templateTimeBudgetMs,
        maxOutputBytes: c.maxMessageBytes },
      tracking: { baseUrl: c.trackingBaseUrl, secret: c.trackingSecret }, unsubscribe: { baseUrl: c.unsubscribeBaseUrl },
    };
    const email = typeof b.substitution_data?.email === 'string' ? b.substitution_data.email : 'preview@example.com';
    const parts = renderParts(await compileTemplate(t), job, { messageId: 'preview.1', email, data: {} });
    res.json({ results: {
      from: { email: parts.from.address, ...(parts.from.name ? { name: parts.from.name } : {}) }, subject: parts.subject,
      ...(parts.replyTo ? { reply_to: parts.replyTo.address } : {}), headers: Object.fromEntries(parts.headers),
      ...(parts.html != null ? { html: parts.html.replace(/\r\n/g, '\n') } : {}),
      ...(parts.text != null ? { text: parts.text.replace(/\r\n/g, '\n') } : {}),
    } });
  });
  r.delete('/:id', requireScope('templates:modify'), async (req, res) => {
    const t = await found(res, String(req.params.id));
    await deleteTemplate(deps.rt, t.tenant, t.templateId);
    await deps.templates.until(templateKey(t.tenant, t.templateId), (v) => !v);
    res.json({ results: {} });
  });
  return r;
}
