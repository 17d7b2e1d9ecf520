/**
 * Retention without TTL (18.16 has none): `mailstream db prune --older-than <days>` drops whole monthly partitions
 * whose every row is older than the cutoff, from the raw table and every rollup.
 */
import type { ClickHouseClient } from '@clickhouse/client';

/** Tables partitioned by month (toYYYYMM): the raw events, the rollups and the SLO tables. */
export const PARTITIONED = ['events', '.inner.events_per_minute', 'rollup_minute', 'latency_slo', 'delivery_launch'];

/** Partitions (YYYYMM) whose month ended at or before `cutoff` (ms since the epoch). */
export function expiredMonths(partitions: string[], cutoff: number): string[] {
  return partitions.filter((p) => {
    const [y, m] = [Number(p.slice(0, 4)), Number(p.slice(4, 6))];
    return /^\d{6}$/.test(p) && Date.UTC(y, m, 1) <= cutoff;
  });
}

/** Drop what is older than `days`; returns `table partition` of each partition dropped (none with `dryRun`). */
export async function prune(ch: ClickHouseClient, days: number, opts: { now?: number; dryRun?: boolean } = {}): Promise<string[]> {
  const cutoff = (opts.now ?? Date.now()) - days * 86_400_000;
  const rs = await ch.query({
    query: `SELECT DISTINCT table AS t, partition AS p FROM system.parts WHERE database = currentDatabase() AND active`
      + ` AND table IN (${PARTITIONED.map((t) => `'${t}'`).join(', ')}) ORDER BY t, p`,
    format: 'JSONEachRow',
  });
  const rows = await rs.json<{ t: string; p: string }>();
  const dropped: string[] = [];
  for (const table of PARTITIONED) {
    for (const p of expiredMonths(rows.filter((r) => r.t === table).map((r) => r.p.replace(/'/g, '')), cutoff)) {
      if (!opts.dryRun) await ch.command({ query: `ALTER TABLE \`${table}\` DROP PARTITION ${p}` });
      dropped.push(`${table} ${p}`);
    }
  }
  return dropped;
}
