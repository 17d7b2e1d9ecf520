/**
 * Job control (cancel): published on the compacted job-control topic, so every stage instance stops the job within a
 * second; each recipient not yet sent then ends with one `cancelled` event.
 */
import type { JobControl } from '../generated/types.js';
import { createCodec } from '../lib/codec.js';
import { MailstreamError } from '../lib/errors.js';
import { jobControlKey } from '../streams/job-control.js';
import { topic } from '../topics/runtime.js';
import type { Runtime } from '../runtime.js';
import { JOB_ID_RE } from './jobs.js';

/** Cancel `jobId` of `tenant` in one acknowledged produce; resolves with the published record. Idempotent. */
export async function cancelJob(rt: Runtime, tenant: string, jobId: string, now = Date.now()): Promise<JobControl> {
  if (!JOB_ID_RE.test(jobId)) {
    throw new MailstreamError('MS_ERR_VALIDATION', `job id "${jobId}": letters, digits, "_" and "-", at most 64`);
  }
  if (!tenant) throw new MailstreamError('MS_ERR_VALIDATION', 'tenant: required');
  const t = topic(rt.topicPrefix, 'job-control');
  const codec = await createCodec<JobControl>(rt.registry, t);
  const record: JobControl = { jobId, tenant, action: 'cancel', requestedAt: now };
  const message = { key: jobControlKey(tenant, jobId), value: codec.encode(record) };
  await rt.producer.send({ topic: t.name, acks: -1, messages: [message] });
  return record;
}
