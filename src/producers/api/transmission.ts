/**
 * A SparkPost transmission body → the producer API's request (pure). Unknown fields are ignored, as SparkPost
 * does; options this deployment cannot honour yet are refused rather than silently dropped.
 */
import { z } from 'zod';
import { validateAddress } from '../../consumers/splitter/address.js';
import { PRIORITY_MAX_RECIPIENTS } from '../jobs.js';
import { ApiError, missingField, parseBody } from './errors.js';

const obj = z.record(z.string(), z.unknown());
const name = z.string().max(256).regex(/^[^\u0000-\u001f\u007f]*$/, 'no control characters');
const address = z.union([z.string(), z.object({ email: z.string(), name: name.nullish(), header_to: name.max(998).nullish() })]);
/** Most tags one recipient may carry. */
export const MAX_TAGS = 10_000;
/** One SparkPost recipient: address, tags, metadata and substitution data. */
export const recipientShape = z.object({
  address, tags: z.array(z.string().max(256)).max(MAX_TAGS).optional(), metadata: obj.optional(),
  substitution_data: obj.optional(), return_path: z.string().optional(),
});
const file = z.object({ name: z.string().min(1).max(255), type: z.string().min(1), data: z.string() });
const from = z.union([z.string().min(1), z.object({ email: z.string().min(1), name: name.nullish() })]);

/** The body of `POST /api/v1/transmissions`. */
export const transmissionBody = z.object({
  recipients: z.union([z.array(recipientShape), z.object({ list_id: z.string().min(1) }),
    z.object({ audience: z.string().min(1).describe('a named audience the operator registered (mailstream extension)') })]),
  content: z.object({
    from: from.optional(), subject: z.string().optional(), html: z.string().optional(), text: z.string().optional(),
    reply_to: z.string().optional(), headers: z.record(z.string(), z.string()).optional(),
    attachments: z.array(file).optional(), inline_images: z.array(file).optional(),
    template_id: z.string().min(1).optional(), use_draft_template: z.boolean().optional(), email_rfc822: z.string().optional(),
  }),
  campaign_id: z.string().max(64).optional(), description: z.string().max(1024).optional(),
  metadata: obj.optional(), substitution_data: obj.optional(), return_path: z.string().optional(),
  options: z.object({
    open_tracking: z.boolean().optional(), click_tracking: z.boolean().optional(), transactional: z.boolean().optional(),
    start_time: z.string().optional(), sandbox: z.boolean().optional(), skip_suppression: z.boolean().optional(),
    ip_pool: z.string().max(64).optional(), inline_css: z.boolean().optional(),
  }).optional(),
});
/** A parsed transmission body. */
export type TransmissionBody = z.infer<typeof transmissionBody>;

/** Parse a body; the first problem becomes SparkPost's 422 (1400 for a missing field, 1300 for a wrong one). */
export function parseTransmission(body: unknown): TransmissionBody {
  return parseBody(transmissionBody, body);
}

/** One accepted recipient, in the producer API's shape. */
export interface MappedRecipient {
  email: string; name: string | null; data: Record<string, unknown>; metadata: Record<string, unknown>; headerTo?: string | null;
}

/** A recipient refused at the door, with SparkPost's per-recipient code. */
export interface RejectedRecipient { index: number; message: string; description: string; code: string }

/** Split inline recipients into valid and rejected (an address that does not parse). */
export function mapRecipients(list: z.infer<typeof recipientShape>[]): { accepted: MappedRecipient[]; rejected: RejectedRecipient[] } {
  const accepted: MappedRecipient[] = [];
  const rejected: RejectedRecipient[] = [];
  list.forEach((r, index) => {
    const email = typeof r.address === 'string' ? r.address : r.address.email;
    const addr = validateAddress(email);
    if (!addr.ok) {
      rejected.push({ index, message: 'recipient address was invalid', description: `recipient ${index + 1}: ${addr.reason}`, code: '2000' });
      return;
    }
    const nameOf = typeof r.address === 'string' ? null : r.address.name ?? null;
    const headerTo = typeof r.address === 'string' ? null : r.address.header_to ?? null;
    accepted.push({ email: addr.email, name: nameOf, data: r.substitution_data ?? {}, metadata: r.metadata ?? {},
      ...(headerTo ? { headerTo } : {}) });
  });
  return { accepted, rejected };
}

/** SparkPost's From (a string or `{ email, name }`) as a mailbox string the renderer parses. */
export function fromString(f: z.infer<typeof from>): string {
  if (typeof f === 'string') return f;
  return f.name ? `"${f.name.replace(/["\\]/g, '\\$&')}" <${f.email}>` : f.email;
}

/** Longest a transmission may be scheduled ahead. */
export const MAX_SCHEDULE_MS = 31 * 86_400_000;

/** `options.start_time` in ms, or undefined for now; refuses a time that does not parse or is too far ahead. */
export function startTimeOf(t: TransmissionBody, now = Date.now()): number | undefined {
  const s = t.options?.start_time;
  if (!s || s === 'now') return undefined;
  const at = Date.parse(s);
  if (Number.isNaN(at)) throw new ApiError('MS_ERR_VALIDATION', `options.start_time: "${s}" is not an ISO 8601 time`);
  if (at > now + MAX_SCHEDULE_MS) throw new ApiError('MS_ERR_VALIDATION', 'options.start_time: at most 31 days ahead');
  return at > now ? at : undefined;
}

/** Where a transmission goes: the priority lane (transactional, or one recipient) or a bulk job. */
export function laneOf(t: TransmissionBody, recipients: number): 'priority' | 'bulk' {
  if (t.options?.transactional || recipients === 1) {
    if (recipients > PRIORITY_MAX_RECIPIENTS) {
      throw new ApiError('MS_ERR_VALIDATION', `a transactional transmission lists at most ${PRIORITY_MAX_RECIPIENTS} recipients`);
    }
    return 'priority';
  }
  return 'bulk';
}

/** A named audience's location, as the operator registered it. */
export interface AudienceSource { format: 'csv' | 'jsonl' | 'sql' | 'inline' | 'recipients'; uri: string; query: string | null; emailField: string }

/**
 * The producer API request for a parsed, checked transmission: its accepted recipients, or the named audience the
 * splitter reads (always a bulk job: its size is known only when it is read).
 */
export function toProducerRequest(t: TransmissionBody, tenant: string, jobId: string, accepted: MappedRecipient[],
  audience?: AudienceSource, bulk = false): { lane: 'priority' | 'bulk'; request: Record<string, unknown> } {
  const c = t.content;
  if (audience && t.options?.transactional) {
    throw new ApiError('MS_ERR_VALIDATION', 'recipients.audience: a named audience is sent as a bulk job, not transactional');
  }
  const files = [...(c.attachments ?? []).map((a) => ({ filename: a.name, contentType: a.type, content: a.data })),
    ...(c.inline_images ?? []).map((a) => ({ filename: a.name, contentType: a.type, content: a.data, cid: a.name }))];
  const lane = audience || bulk ? 'bulk' : laneOf(t, accepted.length);
  if (files.length && !t.options?.transactional) {
    throw new ApiError('MS_ERR_VALIDATION', 'content.attachments: set options.transactional (attachments go on the transactional lane)');
  }
  if (!c.template_id && !c.email_rfc822) {
    if (!c.from) throw missingField('content.from');
    if (c.subject == null) throw missingField('content.subject');
    if (c.html == null && c.text == null) throw missingField('content.html or content.text');
  }
  const content = c.template_id ? { templateId: c.template_id, useDraft: c.use_draft_template ?? false }
    : c.email_rfc822 ? { rfc822: c.email_rfc822 } : {
    from: fromString(c.from!), subject: c.subject, html: c.html ?? null, text: c.text ?? null, replyTo: c.reply_to ?? null,
    headers: c.headers ?? {}, attachments: files,
  };
  const o = t.options ?? {};
  const common = {
    jobId, tenant, campaignId: t.campaign_id ?? null, content, globalData: t.substitution_data ?? {}, metadata: t.metadata ?? {},
    options: { openTracking: o.open_tracking ?? true, clickTracking: o.click_tracking ?? true, ipPool: o.ip_pool ?? null,
      sandbox: o.sandbox ?? false, skipSuppression: o.skip_suppression ?? false, returnPath: t.return_path ?? null,
      inlineCss: o.inline_css ?? false },
  };
  if (lane === 'priority') {
    return { lane, request: { ...common, recipients: accepted, kind: o.transactional ? 'transactional' : 'bulk' } };
  }
  if (audience) {
    const { format, uri, query, emailField } = audience;
    return { lane, request: { ...common, audience: { format, uri, query, emailField } } };
  }
  return { lane, request: { ...common, audience: { format: 'recipients', recipients: accepted } } };
}
