/**
 * The renderer's pure core: one payload in, one RenderedMessage per recipient out, and a `render_failed`
 * event for each recipient that cannot be rendered. A failure never blocks the other recipients, and a
 * template that does not compile fails every recipient with the same reason (compiled once, cached).
 * A payload of a cancelled job renders nothing: each recipient gets one `cancelled` event.
 */
import type { Event, PartsReference, Payload, RenderedMessage, RenderedParts, Template, TemplateVersion }
  from '../../generated/types.js';
import { MailstreamError } from '../../lib/errors.js';
import { makeEvent } from '../../schemas/events.js';
import type { DkimSigner } from '../../render/dkim.js';
import { domainOf } from '../../render/headers.js';
import { renderMessage, type JobContext } from '../../render/message.js';
import { Pieces } from '../../render/pieces.js';
import type { Attachment } from '../../render/mime.js';
import type { IsCancelled } from '../../streams/job-control.js';
import { resolveTemplate, templateKey } from '../../streams/templates.js';
import { returnPath } from '../../render/verp.js';
import { compileTemplate, type CompiledTemplate, type TemplateSource } from '../../render/template.js';

/** What the renderer needs from the outside world. */
export interface RenderDeps {
  /** The materialised templates table (compacted `templates` topic). */
  templates: { get(templateId: string, version?: number | null): Template | TemplateVersion | undefined };
  /** DKIM signer built from config; absent = no signing. */
  dkim?: DkimSigner;
  /** Tracking redirector base URL (e.g. https://t.example.com) and HMAC key. */
  tracking: { baseUrl: string; secret: string };
  /** https (and optional mailto domain) List-Unsubscribe targets. */
  unsubscribe: { baseUrl: string; mailtoDomain?: string };
  /** BOUNCE_DOMAIN: bulk mail without a job return path gets the signed VERP MAIL FROM `b-<token>@<domain>`. */
  bounceDomain?: string;
  /** Largest message accepted (bytes, after signing); larger → render_failed. */
  maxMessageBytes: number;
  /** SparkPost render limits per part (TEMPLATE_*); output bytes come from maxMessageBytes. */
  templateLimits?: { maxLoopIterations: number; maxDepth: number; timeBudgetMs: number };
  /** Clock, ms since the Unix epoch. */
  now(): number;
  /** True once the job was cancelled (job-control table); without it no job is. */
  isCancelled?: IsCancelled;
  /** Bulk messages leave their template's literal texts to a rendered-parts record (RENDER_BY_REFERENCE). */
  byReference?: boolean;
}

/**
 * Messages to send and events to report for one payload; `parts`, when messages refer to it, is the record that must
 * be in Kafka before they are.
 */
export interface RenderResult {
  rendered: RenderedMessage[]; events: Event[]; parts?: { key: string; value: RenderedParts };
}

type Data = Record<string, unknown>;

/** `reason` text for an event: the error code, then the message. */
const reasonOf = (err: unknown): string =>
  err instanceof MailstreamError ? `${err.code}: ${err.message}` : `MS_ERR_TEMPLATE: ${(err as Error)?.message ?? String(err)}`;

function parseObject(json: string, what: string): Data {
  let v: unknown;
  try { v = JSON.parse(json); } catch (err) { throw new MailstreamError('MS_ERR_VALIDATION', `${what} is not valid JSON: ${(err as Error).message}`); }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new MailstreamError('MS_ERR_VALIDATION', `${what} is not a JSON object`);
  return v as Data;
}

/** Attachments (transactional only) carried by the content, once the schema has the field. */
function attachmentsOf(payload: Payload, maxBytes: number): Attachment[] | undefined {
  const list = payload.content.attachments;
  if (!list?.length) return undefined;
  if (payload.kind !== 'transactional') throw new MailstreamError('MS_ERR_VALIDATION', 'attachments are allowed for transactional messages only');
  const encoded = list.reduce((n, a) => n + Math.ceil(a.content.length / 3) * 4 * 78 / 76, 0);
  if (encoded > maxBytes) {
    throw new MailstreamError('MS_ERR_VALIDATION',
      `attachments are ${Math.round(encoded)} bytes encoded, over the message limit of ${maxBytes} bytes`);
  }
  return list;
}

/** One `cancelled` event per recipient of `payload`. */
function cancelled(payload: Payload, now: number): Event[] {
  return payload.recipients.map((r) => makeEvent('cancelled', {
    jobId: payload.jobId, messageId: r.messageId, tenant: payload.tenant, campaignId: payload.campaignId,
    recipient: r.email, domain: domainOf(r.email), rowNumber: r.rowNumber, reason: 'MS_CANCELLED: the job was cancelled before rendering',
  }, now));
}

/** Build the stage handler. */
export function createRenderHandler(deps: RenderDeps): (payload: Payload) => Promise<RenderResult> {
  // the pieces of each compiled template (compiled once, cached): one list for every job that uses it
  const piecesOf = new WeakMap<CompiledTemplate, Pieces>();
  return async (payload) => {
    if (deps.isCancelled?.(payload.tenant, payload.jobId)) return { rendered: [], events: cancelled(payload, deps.now()) };
    const c = payload.content;
    let templateVersion = c.templateVersion;
    let compiled: CompiledTemplate | undefined;
    let global: Data = {};
    let metadata: Data = {};
    let attachments: Attachment[] | undefined;
    let failAll: string | null = null;
    try {
      let source: TemplateSource = c;
      if (c.templateId) {
        // a table may hand back the latest record with the pinned version inside it; a draft only when the job asks
        const useDraft = c.useDraft === true;
        const version = useDraft ? null : c.templateVersion;
        const stored = deps.templates.get(templateKey(payload.tenant, c.templateId), version);
        const t = resolveTemplate(stored, version, useDraft);
        if (!t) {
          throw new MailstreamError('MS_ERR_NOT_FOUND', useDraft ? `template ${c.templateId} has no draft`
            : stored && version == null ? `template ${c.templateId} has no published version (only a draft)`
              : `template ${c.templateId} version ${c.templateVersion ?? 'latest'} not found`);
        }
        source = t;
        templateVersion = t.version;
      }
      compiled = await compileTemplate({ ...source, inlineCss: payload.options.inlineCss });
      global = parseObject(payload.globalData, 'globalData');
      metadata = parseObject(payload.metadata, 'metadata');
      attachments = attachmentsOf(payload, deps.maxMessageBytes);
    } catch (err) {
      failAll = reasonOf(err);
    }

    const now = deps.now();
    const job: JobContext = {
      jobId: payload.jobId, tenant: payload.tenant, campaignId: payload.campaignId, kind: payload.kind,
      strict: payload.options.strict, openTracking: payload.options.openTracking, clickTracking: payload.options.clickTracking,
      tracking: deps.tracking, unsubscribe: deps.unsubscribe, dkim: deps.dkim, maxMessageBytes: deps.maxMessageBytes, attachments, now,
      globalData: global, metadata, limits: { ...deps.templateLimits, maxOutputBytes: deps.maxMessageBytes },
    };
    const result: RenderResult = { rendered: [], events: [] };
    // bulk mail's signed VERP return path (BOUNCE_DOMAIN), so asynchronous bounces name their message
    const verp = (messageId: string, email: string) => (deps.bounceDomain && payload.kind === 'bulk'
      ? returnPath({ jobId: payload.jobId, messageId, tenant: payload.tenant }, email, deps.tracking.secret, deps.bounceDomain)
      : null);
    let pieces: Pieces | undefined;
    if (compiled && deps.byReference && payload.kind === 'bulk') {
      pieces = piecesOf.get(compiled);
      if (!pieces) piecesOf.set(compiled, (pieces = new Pieces()));
    }
    const refs: PartsReference[] = [];
    for (const r of payload.recipients) {
      const domain = domainOf(r.email);
      try {
        if (failAll || !compiled) throw failAll;
        const data = parseObject(r.data, `recipient row ${r.rowNumber} data`);
        const meta = parseObject(r.metadata, `recipient row ${r.rowNumber} metadata`);
        const m = renderMessage(compiled, job, { messageId: r.messageId, email: r.email, data, metadata: meta, name: r.name,
          headerTo: r.headerTo }, pieces);
        const parts = m.splices ? { key: '', splices: m.splices } : null;
        if (parts) refs.push(parts);
        result.rendered.push({
          messageId: r.messageId, jobId: payload.jobId, kind: payload.kind, tenant: payload.tenant, campaignId: payload.campaignId,
          rowNumber: r.rowNumber, mailFrom: payload.options.returnPath ?? verp(r.messageId, r.email) ?? m.mailFrom, rcptTo: r.email,
          domain, ipPool: payload.options.ipPool, raw: m.raw,
          acceptedAt: payload.acceptedAt, attempt: 0, notBefore: 0, sandbox: payload.options.sandbox,
          skipSuppression: payload.options.skipSuppression, parts,
        });
      } catch (err) {
        result.events.push(makeEvent('render_failed', {
          jobId: payload.jobId, messageId: r.messageId, tenant: payload.tenant, campaignId: payload.campaignId, recipient: r.email, domain,
          rowNumber: r.rowNumber, templateId: c.templateId, templateVersion, reason: typeof err === 'string' ? err : reasonOf(err),
        }, now));
      }
    }
    if (pieces && refs.length) {
      // the list only grows, so its last digest names a record holding every piece of this payload's messages
      const key = `${payload.tenant}:${payload.jobId}:${pieces.digest()}`;
      for (const ref of refs) ref.key = key;
      result.parts = { key, value: { tenant: payload.tenant, jobId: payload.jobId, campaignId: payload.campaignId,
        pieces: pieces.bytes(), createdAt: now } };
    }
    return result;
  };
}
