/**
 * `/api/v1/templates`: a tenant's stored templates in SparkPost's shape (create, get, update, preview, delete, list), with
 * SparkPost's drafts: a template has a published version, a draft, or both; transmissions send the published one.
 */
import { Router, type Response } from 'express';
import { z } from 'zod';
import type { Template, TemplateVersion } from '../../../../generated/types.js';
import { renderParts, type JobContext } from '../../../../render/message.js';
import { compileTemplate } from '../../../../render/template.js';
import { draftOf, isPublished, templateKey } from '../../../../streams/templates.js';
import { deleteTemplate, holds, storeTemplate, TEMPLATE_ID_RE, type PublishOptions, type TemplateSource } from '../../../templates.js';
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
  published: z.boolean().optional().describe('publish (create: default false, a draft; update: publish the draft merged with this body)'),
  content: content.optional(),
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

type Which = 'published' | 'draft';

/** The published version or the draft of a stored record, if it has that one. */
function versionIn(t: Template, which: Which): TemplateVersion | undefined {
  return which === 'draft' ? draftOf(t) : isPublished(t) ? t : undefined;
}

/**
 * `?draft=`: true the draft, false the published version, absent the published version or, when there is none, the
 * draft (SparkPost's rule).
 */
function pick(t: Template, draft: unknown): Which | undefined {
  const want = draft === 'true' ? 'draft' : draft === 'false' ? 'published' : undefined;
  if (want) return versionIn(t, want) ? want : undefined;
  return isPublished(t) ? 'published' : draftOf(t) ? 'draft' : undefined;
}

/** SparkPost's template view of a stored record: its published version or its draft. */
function view(t: Template, which: Which, withContent: boolean): Record<string, unknown> {
  const v = versionIn(t, which)!;
  const base = { id: t.templateId, name: t.name || t.templateId, description: t.description, published: which === 'published',
    has_published: isPublished(t), has_draft: !!draftOf(t), last_update_time: new Date(t.createdAt).toISOString(), version: v.version };
  if (!withContent) return base;
  return { ...base, content: { from: v.from, subject: v.subject, html: v.html ?? undefined, text: v.text ?? undefined,
    reply_to: v.replyTo ?? undefined, headers: v.headers } };
}

/** A stored version as a TemplateSource, `over` (the body's content) merged in. */
function merged(v: TemplateVersion, over: z.infer<typeof content> | undefined): TemplateSource {
  if (!over) return { subject: v.subject, from: v.from, replyTo: v.replyTo, html: v.html, text: v.text, mjml: v.mjml, headers: v.headers,
    engine: v.engine };
  return source({ from: v.from, subject: v.subject, html: v.html ?? undefined, text: v.text ?? undefined,
    reply_to: v.replyTo ?? undefined, headers: v.headers, ...over });
}

/** A `true`/`false` query flag. */
const flag = (v: unknown): boolean => v === 'true' || v === true;

/** The router. */
export function templateRoutes(deps: GatewayDeps): Router {
  const r = Router();
  const found = async (res: Response, id: string): Promise<Template> => {
    await deps.templates.ready;
    const t = deps.templates.latest(templateKey(callerOf(res).tenant, id));
    if (!t) throw new ApiError('MS_ERR_NOT_FOUND', `template ${id} does not exist`);
    return t;
  };
  const which = (t: Template, draft: unknown): Which => {
    const w = pick(t, draft);
    if (!w) throw new ApiError('MS_ERR_NOT_FOUND', `template ${t.templateId} has no ${draft === 'true' ? 'draft' : 'published version'}`);
    return w;
  };
  /** Store, then wait until this gateway's table holds the record (so a read after the answer sees it). */
  const store = async (id: string, src: TemplateSource, opts: PublishOptions & { tenant: string }) => {
    const record = await storeTemplate(deps.rt, id, src, { ...opts, table: deps.templates });
    await deps.templates.until(templateKey(opts.tenant, id), holds(record));
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
    // SparkPost's default: a new template is a draft until published
    await store(id, source(b.content), { tenant, name: b.name ?? id, description: b.description, as: b.published ? 'publish' : 'draft' });
    res.json({ results: { id } });
  });
  r.get('/', requireScope('templates:read'), async (_req, res) => {
    await deps.templates.ready;
    const list = deps.templates.list(callerOf(res).tenant).sort((a, b) => a.templateId.localeCompare(b.templateId));
    res.json({ results: list.map((t) => view(t, pick(t, undefined) ?? 'published', false)) });
  });
  r.get('/:id', requireScope('templates:read'), async (req, res) => {
    const t = await found(res, String(req.params.id));
    res.json({ results: view(t, which(t, req.query.draft), true) });
  });
  r.put('/:id', requireScope('templates:modify'), async (req, res) => {
    const old = await found(res, String(req.params.id));
    const b = parseBody(templateBody, req.body);
    const direct = flag(req.query.update_published);
    // ?update_published=true changes the published version (the draft stays); otherwise the draft, started from the
    // published content when there is none; `published: true` publishes the result and drops the draft
    const base = (direct ? versionIn(old, 'published') ?? draftOf(old) : draftOf(old) ?? versionIn(old, 'published'))!;
    const src = merged(base, b.content);
    const as = b.published || direct ? 'publish' : 'draft';
    await store(old.templateId, src, { tenant: old.tenant, name: b.name, description: b.description, as, clearDraft: !!b.published });
    res.json({ results: { id: old.templateId } });
  });
  r.post('/:id/preview', requireScope('templates:read'), async (req, res) => {
    const stored = await found(res, String(req.params.id));
    const t = versionIn(stored, which(stored, req.query.draft))!;
    const b = parseBody(previewBody, req.body);
    const c = deps.cfg;
    const job: JobContext = {
      jobId: 'preview', tenant: stored.tenant, campaignId: null, kind: 'transactional', strict: false, openTracking: false,
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
