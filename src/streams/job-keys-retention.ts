/**
 * How long job-keys records live. A data key lives while records sealed under it can still be read (the longest-kept
 * topic holding sealed values, dead-letter, 30 days), unless its job still waits on the schedules topic; an erased
 * marker lives while late events of its job can still arrive (tracking tokens' TTL), so the event sink keeps hashing
 * them. Past that, a tombstone: compaction drops the key, and the topic stops growing with every job ever sent.
 */
import type { Runtime } from '../runtime.js';
import type { JobKey, ScheduledSend } from '../generated/types.js';
import { topic } from '../topics/runtime.js';
import { jobKeyId } from './job-keys.js';
import { createTable } from './table.js';

/** Ages past which job-keys records are dropped (ms). */
export interface KeyRetention { liveMs: number; erasedMs: number }

/** The IDs of `records` past `policy` at `now`; `held` are jobs still waiting on the schedules topic (kept). */
export function expiredJobKeys(records: Iterable<JobKey>, held: ReadonlySet<string>, now: number, policy: KeyRetention): string[] {
  const out: string[] = [];
  for (const r of records) {
    const id = jobKeyId(r.tenant, r.jobId);
    const expired = r.erasedAt != null ? now - r.erasedAt > policy.erasedMs : now - r.createdAt > policy.liveMs && !held.has(id);
    if (expired) out.push(id);
  }
  return out;
}

/** Tombstone every expired job-keys record (none with `dryRun`); resolves with their IDs. */
export async function pruneJobKeys(rt: Pick<Runtime, 'kafka' | 'producer' | 'registry' | 'topicPrefix'>, policy: KeyRetention,
  opts: { dryRun?: boolean; now?: number } = {}): Promise<string[]> {
  const [keys, schedules] = await Promise.all([createTable<JobKey>(rt.kafka, rt.registry, rt.topicPrefix, 'job-keys'),
    createTable<ScheduledSend>(rt.kafka, rt.registry, rt.topicPrefix, 'schedules')]);
  try {
    await Promise.all([keys.ready, schedules.ready]);
    const held = new Set(schedules.entries().map((s) => jobKeyId(s.tenant, s.jobId)));
    const ids = expiredJobKeys(keys.entries(), held, opts.now ?? Date.now(), policy);
    if (ids.length && !opts.dryRun) {
      await rt.producer.send({ topic: topic(rt.topicPrefix, 'job-keys').name, acks: -1,
        messages: ids.map((key) => ({ key, value: null })) });
    }
    return ids;
  } finally { await Promise.all([keys.stop(), schedules.stop()]); }
}
