/**
 * Each job's launch: its first injected recipient (a bulk job), else its job_accepted event (transactional). Read from
 * ClickHouse once per job and kept for the most recent jobs; a job's events share a partition, so its injected events
 * are inserted before any of its deliveries arrive.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { quote } from '../../clickhouse/queries.js';

const KEEP = 10_000;

/** A launch-time cache over `ch`. */
export function createLaunches(ch: ClickHouseClient) {
  const known = new Map<string, number>();
  return {
    /** Load the launches of `jobIds` not yet known. */
    async load(jobIds: Iterable<string>): Promise<void> {
      const missing = [...new Set(jobIds)].filter((j) => !known.has(j));
      if (!missing.length) return;
      const rs = await ch.query({
        query: `SELECT job_id, countIf(type = 'injected') AS n, minIf(ts_ms, type = 'injected') AS injected,`
          + ` minIf(ts_ms, type = 'job_accepted') AS accepted FROM events WHERE job_id IN (${missing.map(quote).join(', ')})`
          + " AND type IN ('injected', 'job_accepted') GROUP BY job_id",
        format: 'JSONEachRow',
      });
      for (const r of await rs.json<{ job_id: string; n: string; injected: string; accepted: string }>()) {
        known.set(r.job_id, Number(r.n) > 0 ? Number(r.injected) : Number(r.accepted));
        if (known.size > KEEP) known.delete(known.keys().next().value!);
      }
    },
    /** The launch of `jobId` (ms since the epoch), when loaded. */
    of: (jobId: string): number | undefined => known.get(jobId),
  };
}
