/**
 * The splitter's pure core: turns one job and its stream of audience rows into payloads of N recipients,
 * an `injected` event per valid recipient, an `invalid_recipient` event per bad row, and a closing
 * `split_completed` (or `job_failed` when the audience cannot be read). Output is flushed as it goes,
 * so memory stays flat whatever the audience size. A cancelled job stops reading rows: its count is what was injected.
 */
import type { Job, Payload, Recipient } from '../../generated/types.js';
import { makeEvent } from '../../schemas/events.js';
import { MailstreamError } from '../../lib/errors.js';
import type { IsCancelled } from '../../streams/job-control.js';
import type { Output } from '../shell/index.js';
import type { AudienceRow } from './audience.js';
import { validateAddress } from './address.js';

/** What the splitter needs from the outside world. */
export interface SplitDeps {
  rows(job: Job): AsyncIterable<AudienceRow>;
  emit(outputs: Output[]): Promise<void>;
  heartbeat?(): Promise<void>;
  now(): number;
  /** True once the job was cancelled (job-control table); without it no job is. */
  isCancelled?: IsCancelled;
}

/** Totals of one split. */
export interface SplitResult {
  recipients: number; invalid: number; payloads: number; failed?: string;
  /** The job was cancelled: rows after the last injected one were not read. */
  cancelled?: boolean;
}

/** Split `job` into payloads, emitting as it goes. */
export async function splitJob(job: Job, deps: SplitDeps): Promise<SplitResult> {
  const size = Math.max(1, job.payloadSize);
  const base = { jobId: job.jobId, tenant: job.tenant, campaignId: job.campaignId };
  const result: SplitResult = { recipients: 0, invalid: 0, payloads: 0 };
  let batch: Recipient[] = [];
  let pending: Output[] = [];

  const closePayload = (): void => {
    if (!batch.length) return;
    const payload: Payload = { ...base, seq: result.payloads++, acceptedAt: job.acceptedAt, kind: job.kind, content: job.content, globalData: job.globalData, metadata: job.metadata, options: job.options, recipients: batch };
    pending.push({ topic: 'payloads', key: `${job.jobId}:${payload.seq}`, value: payload });
    batch = [];
  };
  // ~10 payloads per produce round trip: one acks=all wait per ~1,000 rows, and memory stays bounded
  const flush = async (force = false): Promise<void> => {
    if (!pending.length || (!force && pending.length < 1000)) return;
    await deps.emit(pending);
    pending = [];
    await deps.heartbeat?.();
  };

  try {
    for await (const r of deps.rows(job)) {
      // recipients injected so far are in payloads or `batch`; the renderer and sender end each of them cancelled
      if (deps.isCancelled?.(job.tenant, job.jobId)) { result.cancelled = true; break; }
      if ('error' in r) {
        result.invalid++;
        pending.push(event('invalid_recipient', { ...base, rowNumber: r.rowNumber, reason: `MS_ERR_INVALID_RECIPIENT: row ${r.rowNumber}: ${r.error}`, recipient: r.raw ?? null }, deps));
        await flush();
        continue;
      }
      const given = r.recipient ? r.recipient.email : r.row[job.audience.emailField];
      const addr = validateAddress(given);
      if (!addr.ok) {
        result.invalid++;
        const raw = given;
        pending.push(event('invalid_recipient', { ...base, rowNumber: r.rowNumber, recipient: raw == null ? null : String(raw).slice(0, 320), reason: `MS_ERR_INVALID_RECIPIENT: row ${r.rowNumber}: ${addr.reason}` }, deps));
        await flush();
        continue;
      }
      const messageId = `${job.jobId}.${r.rowNumber}`;
      batch.push({
        messageId, rowNumber: r.rowNumber, email: addr.email, data: JSON.stringify(r.row),
        metadata: JSON.stringify(r.recipient?.metadata ?? {}), name: r.recipient?.name ?? null, headerTo: r.recipient?.headerTo ?? null,
      });
      pending.push(event('injected', { ...base, messageId, rowNumber: r.rowNumber, recipient: addr.email, domain: addr.domain }, deps));
      result.recipients++;
      if (batch.length >= size) { closePayload(); await flush(); }
    }
  } catch (err) {
    if (!(err instanceof MailstreamError) || err.retriable) throw err;
    result.failed = `${err.code}: ${err.message}`;
  }
  closePayload();
  await flush(true);
  const cancelled = result.cancelled ? { cancelled: true } : {};
  const detail = JSON.stringify({ invalid: result.invalid, payloads: result.payloads, ...cancelled });
  const closing = result.failed
    ? event('job_failed', { ...base, reason: result.failed, count: result.recipients, detail }, deps)
    : event('split_completed', { ...base, count: result.recipients, detail }, deps);
  await deps.emit([closing]);
  return result;
}

function event(type: Parameters<typeof makeEvent>[0], fields: Parameters<typeof makeEvent>[1], deps: SplitDeps): Output {
  return { topic: 'events', key: fields.jobId, value: makeEvent(type, fields, deps.now()) };
}
