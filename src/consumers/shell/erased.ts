/** The final events of a record whose job was erased: built from its clear metadata, as its recipients are unreadable. */
import { makeEvent } from '../../schemas/events.js';
import type { JobErasedError } from '../../streams/job-keys.js';
import type { Output } from './types.js';

const REASON = 'MS_ERR_JOB_ERASED: the job was erased before this was sent';

/** One `cancelled` event per recipient row (no address: it was erased), or `job_failed` for a job record. */
export function erasedOutputs(err: JobErasedError, now: number): Output[] {
  const { j: jobId, t: tenant, c: campaignId, s, r } = err.meta;
  if (s === 'job') {
    return [{ topic: 'events', key: jobId, value: makeEvent('job_failed', { jobId, tenant, campaignId, reason: REASON, count: 0 }, now) }];
  }
  return r.map((row) => ({
    topic: 'events' as const, key: jobId,
    value: makeEvent('cancelled', { jobId, tenant, campaignId, messageId: `${jobId}.${row}`, rowNumber: row, reason: REASON }, now),
  }));
}
