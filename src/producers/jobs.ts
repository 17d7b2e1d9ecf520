/**
 * The producer API every entry point uses (CLI, REST gateway, SMTP injection): validates a send request,
 * publishes the job (bulk) or a single-recipient payload on the priority lane (transactional), and a
 * `job_accepted` event.
 */
import { randomBytes } from 'node:crypto';
import type { BatchProducer } from '../lib/kafka.js';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { z } from 'zod';
import type { Job, Payload, Event, ScheduledSend } from '../generated/types.js';
import { createEmit } from '../consumers/shell/emit.js';
import type { AudienceRow } from '../consumers/splitter/audience.js';
import { splitJob } from '../consumers/splitter/handler.js';
import type { TopicName } from '../topics/index.js';
import { createCodec, type Codec } from '../lib/codec.js';
import { MailstreamError } from '../lib/errors.js';
import { makeEvent } from '../schemas/events.js';
import { headersOf } from '../ops/tracing.js';
import { topic } from '../topics/runtime.js';
import { validateAddress } from '../consumers/splitter/address.js';
import type { RecordCrypto } from '../streams/job-keys.js';
import { assertEngineAllowed, type ProducerCallOptions } from './trust.js';

const content = z.strictObject({
  templateId: z.string().min(1).nullish(), templateVersion: z.number().int().min(1).nullish(),
  subject: z.string().nullish(), from: z.string().nullish(), replyTo: z.string().nullish(),
  mjml: z.string().nullish(), html: z.string().nullish(), text: z.string().nullish(),
  headers: z.record(z.string(), z.string()).default({}), engine: z.enum(['sparkpost', 'eta']).default('sparkpost'),
  attachments: z.array(z.strictObject({
    filename: z.string().min(1), contentType: z.string().regex(/^[\w.+-]+\/[\w.+-]+$/, 'a MIME type such as application/pdf'),
    content: z.string().describe('base64'), cid: z.string().nullish(),
  })).default([]),
  useDraft: z.boolean().default(false).describe('render the stored template\'s draft (SparkPost\'s use_draft_template)'),
  rfc822: z.string().min(1).nullish().describe('a pre-built RFC 5322 message (SparkPost\'s email_rfc822)'),
  raw: z.instanceof(Buffer).nullish().describe('a message injected over SMTP, sent as received (never a template)'),
}).refine((c) => c.templateId || c.rfc822 || c.raw || ((c.mjml || c.html || c.text) && c.subject && c.from),
  'give templateId, rfc822, or inline subject, from and a body (mjml, html or text)')
  .refine((c) => !c.useDraft || (c.templateId && c.templateVersion == null),
    { message: 'useDraft: with templateId and no templateVersion', path: ['useDraft'] });
const options = z.strictObject({
  openTracking: z.boolean().default(false), clickTracking: z.boolean().default(false),
  strict: z.boolean().default(false), ipPool: z.string().nullish(), sandbox: z.boolean().default(false),
  skipSuppression: z.boolean().default(false), inlineCss: z.boolean().default(false),
  returnPath: z.string().nullish().refine((a) => a == null || validateAddress(a).ok, 'a valid address (local@domain)'),
}).default({ openTracking: false, clickTracking: false, strict: false, sandbox: false, skipSuppression: false, inlineCss: false });
/** A job ID a caller may choose: letters, digits, "_" and "-", at most 64. */
export const JOB_ID_RE = /^[A-Za-z0-9_-]{1,64}$/;
const common = {
  jobId: z.string().regex(JOB_ID_RE).optional(), tenant: z.string().min(1).default('default'),
  campaignId: z.string().nullish(), content, globalData: z.record(z.string(), z.unknown()).default({}),
  metadata: z.record(z.string(), z.unknown()).default({}), options,
};

const displayName = z.string().max(256).regex(/^[^\u0000-\u001f\u007f]*$/, 'no control characters').nullish();
/** One listed recipient: address, display name, substitution data and metadata. */
const recipient = z.strictObject({
  email: z.string(), name: displayName,
  headerTo: z.string().max(998).regex(/^[^\u0000-\u001f\u007f]*$/, 'no control characters').nullish(),
  data: z.record(z.string(), z.unknown()).default({}),
  metadata: z.record(z.string(), z.unknown()).default({}),
});
/** Most recipients one priority-lane payload carries; a longer list is split into several payloads. */
export const PRIORITY_PAYLOAD_SIZE = 100;
/** Most recipients one priority-lane request may list. */
export const PRIORITY_MAX_RECIPIENTS = 10_000;

/** A bulk send request. */
export const bulkRequest = z.strictObject({
  ...common,
  audience: z.strictObject({
    format: z.enum(['csv', 'jsonl', 'sql', 'inline', 'recipients']), uri: z.string().nullish(), query: z.string().nullish(),
    inline: z.array(z.record(z.string(), z.unknown())).nullish(), recipients: z.array(recipient).nullish(),
    emailField: z.string().default('email'),
  }),
  payloadSize: z.number().int().min(1).max(10000).default(100),
});
/**
 * A priority-lane send request: one recipient, or up to PRIORITY_MAX_RECIPIENTS, rendered ahead of bulk work.
 * `kind` is the traffic class: transactional (the default) or a small bulk send that should not wait.
 */
export const transactionalRequest = z.strictObject({
  ...common, recipient: recipient.optional(), recipients: z.array(recipient).min(1).max(PRIORITY_MAX_RECIPIENTS).optional(),
  kind: z.enum(['transactional', 'bulk']).default('transactional'),
}).refine((r) => !r.recipient !== !r.recipients, 'give recipient or recipients');

/** Parse a request, or throw MS_ERR_VALIDATION listing every problem with its field path. */
export function parseRequest<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const res = schema.safeParse(input);
  if (res.success) return res.data;
  throw new MailstreamError('MS_ERR_VALIDATION', res.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}${'keys' in i ? ` ${(i.keys as string[]).join(', ')}` : ''}`).join('; '));
}

/** A new time-ordered job ID. */
export function newJobId(now = Date.now()): string {
  return `${now.toString(36).padStart(9, '0')}${randomBytes(5).toString('hex')}`;
}

const toContent = (c: z.infer<typeof content>): Job['content'] => ({
  templateId: c.templateId ?? null, templateVersion: c.templateVersion ?? null, subject: c.subject ?? null, from: c.from ?? null,
  replyTo: c.replyTo ?? null, mjml: c.mjml ?? null, html: c.html ?? null, text: c.text ?? null, headers: c.headers, engine: c.engine,
  attachments: c.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, content: Buffer.from(a.content, 'base64'), cid: a.cid ?? null })),
  useDraft: c.useDraft, rfc822: c.rfc822 ?? null, raw: c.raw ?? null,
});
const toOptions = (o: z.infer<typeof options>): Job['options'] => ({ ...o, ipPool: o.ipPool ?? null, returnPath: o.returnPath ?? null });

/** Publishes jobs. `opts.trust` is the caller's (default external: `engine: eta` refused, see trust.ts). */
export interface JobProducer {
  sendBulk(input: unknown, opts?: SendOptions): Promise<{ jobId: string }>;
  /** Priority lane; `messageId` is the first recipient's. Every address must be valid (the caller filters first). */
  sendTransactional(input: unknown, opts?: SendOptions): Promise<{ jobId: string; messageId: string }>;
  /**
   * A bulk job whose recipients the caller streams (a large inline transmission): split here, as the splitter would,
   * every payload and event acknowledged before it resolves. No start time: the payloads would have to wait whole.
   */
  sendPresplit(input: unknown, rows: AsyncIterable<AudienceRow>, opts?: SendOptions): Promise<{ jobId: string; recipients: number }>;
}

/** A send call's options: the caller's trust, and a start time (ms) before which nothing is sent. */
export interface SendOptions extends ProducerCallOptions { startAt?: number }

/** A start time this close to now is no schedule: the job goes straight in. */
const SCHEDULE_MIN_MS = 1000;

/** A job producer over a connected kafkajs producer; `crypto` seals jobs and payloads (see src/streams/job-keys.ts). */
export async function createJobProducer(producer: BatchProducer, registry: SchemaRegistry, prefix: string, crypto?: RecordCrypto):
  Promise<JobProducer> {
  const [jobs, tx, events, schedules] = [topic(prefix, 'jobs'), topic(prefix, 'transactional'), topic(prefix, 'events'),
    topic(prefix, 'schedules')];
  const codecs = {
    job: await createCodec<Job>(registry, jobs), payload: await createCodec<Payload>(registry, tx), event: await createCodec<Event>(registry, events),
    schedule: await createCodec<ScheduledSend>(registry, schedules),
  };
  // a record of a sealed topic, with the headers that say how (the value itself says the same)
  const sealed = async (logical: 'jobs' | 'transactional', key: string, value: Job | Payload, encoded: Buffer) => {
    const s = crypto ? await crypto.seal(logical, value, encoded) : null;
    return s ? { key, value: s.value, headers: s.headers } : { key, value: encoded };
  };
  // the records go to their topic now, or wait on the schedules topic for the scheduler stage until `startAt`
  const route = (logical: 'jobs' | 'transactional', messages: Array<{ key: string; value: Buffer; headers?: Record<string, string> }>,
    tenant: string,
    jobId: string, now: number, startAt: number | undefined) => {
    // the caller's trace (CLI, gateway request) continues in the job's stages through the record headers
    const headers = headersOf();
    if (startAt === undefined || startAt <= now + SCHEDULE_MIN_MS) {
      const traced = Object.keys(headers).length ? messages.map((m) => ({ ...m, headers: { ...headers, ...m.headers } })) : messages;
      return { topic: topic(prefix, logical).name, messages: traced };
    }
    const records = messages.map(({ key, value }) => ({ key, value }));
    const held: ScheduledSend = { jobId, tenant, dueAt: startAt, topic: logical, records, createdAt: now };
    return { topic: schedules.name, messages: [{ key: `${tenant}:${jobId}`, value: codecs.schedule.encode(held) }] };
  };
  // a scheduled job's clock (max age, latency) starts when it may first be sent
  const startOf = (now: number, opts?: SendOptions) => Math.max(now, opts?.startAt ?? now);
  // a transactional job knows its size (one) when accepted; a bulk job's is known when splitting completes
  // job_accepted names the stored template, so metrics can be grouped by template without joining job records
  const accepted = (codec: Codec<Event>, job: Pick<Job, 'jobId' | 'tenant' | 'campaignId' | 'content'>, now: number,
    count: number | null = null) => {
    const { jobId, tenant, campaignId } = job;
    const event = makeEvent('job_accepted', { jobId, tenant, campaignId, count, templateId: job.content.templateId }, now);
    return { topic: events.name, messages: [{ key: jobId, value: codec.encode(event) }] };
  };
  // a job split at the door writes what the splitter would: payloads and events, acknowledged before it resolves
  const splitEmit = createEmit('gateway', producer, prefix, new Map<TopicName, Codec<unknown>>([
    ['payloads', await createCodec<Payload>(registry, topic(prefix, 'payloads')) as Codec<unknown>],
    ['events', codecs.event as Codec<unknown>],
  ]), crypto);
  const api: Pick<JobProducer, 'sendBulk' | 'sendPresplit'> = {
    async sendBulk(input, opts) {
      const { job, now } = bulkJob(input, opts);
      await producer.sendBatch({ acks: -1, topicMessages: [
        route('jobs', [await sealed('jobs', job.jobId, job, codecs.job.encode(job))], job.tenant, job.jobId, now, opts?.startAt),
        accepted(codecs.event, job, now),
      ] });
      return { jobId: job.jobId };
    },
    async sendPresplit(input, rows, opts) {
      if (opts?.startAt !== undefined && opts.startAt > Date.now() + SCHEDULE_MIN_MS) {
        throw new MailstreamError('MS_ERR_UNSUPPORTED', 'a start time for a job split at the door: use a recipient list or a named audience');
      }
      const { job, now } = bulkJob(input, opts);
      await producer.sendBatch({ acks: -1, topicMessages: [accepted(codecs.event, job, now)] });
      const res = await splitJob(job, { rows: () => rows, emit: splitEmit, now: Date.now });
      return { jobId: job.jobId, recipients: res.recipients };
    },
  };
  /** Validate a bulk request and build its job record. */
  function bulkJob(input: unknown, opts?: SendOptions): { job: Job; now: number } {
    const r = parseRequest(bulkRequest, input);
    assertEngineAllowed(r.content.engine, opts);
    const a = r.audience;
    const invalid = (why: string) => { throw new MailstreamError('MS_ERR_VALIDATION', why); };
    if ((a.format === 'csv' || a.format === 'jsonl') && !a.uri) invalid('audience.uri: required for csv and jsonl');
    if (a.format === 'sql' && (!a.uri || !a.query)) invalid('audience: sql needs uri and query');
    if (a.format === 'recipients' && !a.recipients) invalid('audience.recipients: required for format recipients');
    if (r.content.attachments.length) invalid('content.attachments: allowed for transactional messages only');
    const now = Date.now();
    const inline = a.recipients ?? a.inline;
    const job: Job = {
      jobId: r.jobId ?? newJobId(now), acceptedAt: startOf(now, opts), kind: 'bulk', tenant: r.tenant, campaignId: r.campaignId ?? null,
      content: toContent(r.content), globalData: JSON.stringify(r.globalData), metadata: JSON.stringify(r.metadata),
      payloadSize: r.payloadSize, options: toOptions(r.options),
      audience: { format: a.format, uri: a.uri ?? null, query: a.query ?? null, inline: inline ? JSON.stringify(inline) : null,
        emailField: a.emailField },
    };
    return { job, now };
  }
  return {
    ...api,
    async sendTransactional(input, opts) {
      const r = parseRequest(transactionalRequest, input);
      assertEngineAllowed(r.content.engine, opts);
      const list = r.recipients ?? [r.recipient!];
      const now = Date.now();
      const jobId = r.jobId ?? newJobId(now);
      const recipients = list.map((rc, i) => {
        const addr = validateAddress(rc.email);
        if (!addr.ok) throw new MailstreamError('MS_ERR_INVALID_RECIPIENT', `recipient ${i + 1}: ${addr.reason}`);
        return { messageId: `${jobId}.${i + 1}`, rowNumber: i + 1, email: addr.email, name: rc.name ?? null, headerTo: rc.headerTo ?? null,
          data: JSON.stringify({ email: addr.email, ...rc.data }), metadata: JSON.stringify(rc.metadata) };
      });
      const base = {
        jobId, acceptedAt: startOf(now, opts), kind: r.kind, tenant: r.tenant, campaignId: r.campaignId ?? null, content: toContent(r.content),
        globalData: JSON.stringify(r.globalData), metadata: JSON.stringify(r.metadata), options: toOptions(r.options),
      };
      const messages = [];
      for (let seq = 0; seq * PRIORITY_PAYLOAD_SIZE < recipients.length; seq++) {
        const chunk = recipients.slice(seq * PRIORITY_PAYLOAD_SIZE, (seq + 1) * PRIORITY_PAYLOAD_SIZE);
        const payload = { ...base, seq, recipients: chunk } satisfies Payload;
        messages.push(await sealed('transactional', chunk[0]!.messageId, payload, codecs.payload.encode(payload)));
      }
      const messageId = recipients[0]!.messageId;
      await producer.sendBatch({ acks: -1, topicMessages: [
        route('transactional', messages, r.tenant, jobId, now, opts?.startAt),
        accepted(codecs.event, { ...base, tenant: r.tenant }, now, recipients.length),
      ] });
      return { jobId, messageId };
    },
  };
}
