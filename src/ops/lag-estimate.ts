/**
 * Time lag from offsets, as kafka-lag-exporter does it: each partition keeps a table of (time, high watermark)
 * samples, and the age of the oldest unconsumed record is read off it by interpolation. Pure; the clock is passed in.
 */

/** One observation of a partition's high watermark. */
export interface Sample { at: number; high: number }

/** Samples kept per partition (at 5 s a sample, plateaus collapsed, hours of history). */
const KEEP = 1000;

/** Add a sample; a plateau keeps only its first and last observation, so interpolation spans only growth. */
export function addSample(table: Sample[], s: Sample): void {
  const n = table.length;
  if (n >= 2 && table[n - 1]!.high === s.high && table[n - 2]!.high === s.high) table[n - 1] = s;
  else table.push(s);
  if (table.length > KEEP) table.shift();
}

/**
 * When the record at `offset` (the group's next to consume) was produced, estimated from `table` (oldest first);
 * undefined when nothing is unconsumed. Older than the table: the first sample's time (a lower bound on the lag).
 */
export function producedAt(table: readonly Sample[], offset: number): number | undefined {
  const last = table.at(-1);
  if (!last || offset >= last.high) return undefined;
  // the record at `offset` arrived between the last sample with high <= offset and the first with high > offset
  const i = table.findIndex((s) => s.high > offset);
  if (i <= 0) return table[0]!.at;
  const a = table[i - 1]!;
  const b = table[i]!;
  return a.at + ((offset - a.high + 1) / (b.high - a.high)) * (b.at - a.at);
}

/** Lag of one partition: records behind, and seconds since the oldest unconsumed record was produced. */
export function lagOf(table: readonly Sample[], committed: number, now: number): { records: number; seconds: number } {
  const high = table.at(-1)?.high ?? 0;
  const at = producedAt(table, committed);
  return { records: Math.max(0, high - committed), seconds: at === undefined ? 0 : Math.max(0, (now - at) / 1000) };
}
