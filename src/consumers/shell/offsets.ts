/**
 * Offset tracking for a parallel consumer, pure: records of a partition are dispatched in offset order but finish
 * in any order, and the committable offset of a partition is the lowest offset still unfinished (or, with nothing
 * in flight, the one after the last dispatched). A crash therefore never skips a record; it can only repeat the
 * finished records above the lowest unfinished one.
 */

interface PartitionState {
  /** Dispatched offsets in order, each with whether it finished. */
  window: Array<{ offset: bigint; done: boolean }>;
  /** Index of the first entry of `window` still in use (entries before it are finished and dropped lazily). */
  head: number;
  /** Offset after the last dispatched record. */
  next: bigint;
  /** The offset last committed (the next record to consume after a restart). */
  committed: bigint | null;
}

/** Tracks dispatched and finished offsets per partition. */
export interface OffsetTracker {
  /** Record that `offset` was dispatched; false when it (or a later one) already was (a re-fetch after a rebalance). */
  start(partition: number, offset: string): boolean;
  /** Record that `offset` finished; unknown offsets (a partition forgotten meanwhile) are ignored. */
  finish(partition: number, offset: string): void;
  /** Everything up to `offset` was dispatched or skipped (a batch's tombstones and dead letters): move `next` past it. */
  advance(partition: number, offset: string): void;
  /** Offsets to commit now: per partition, the lowest unfinished offset (Kafka's "next to consume"), when it moved. */
  committable(): Array<{ partition: number; offset: string }>;
  /** Note that `offset` was committed for `partition`. */
  committed(partition: number, offset: string): void;
  /** Records dispatched and not finished, across partitions. */
  inFlight(): number;
  /** Drop every partition not in `keep` (after a rebalance took them away). */
  retain(keep: Iterable<number>): void;
  /** True while `partition` is tracked (assigned here). */
  owns(partition: number): boolean;
  /** Partitions tracked. */
  partitions(): number[];
}

/** A new tracker. */
export function createOffsetTracker(): OffsetTracker {
  const parts = new Map<number, PartitionState>();
  const index = new Map<string, { offset: bigint; done: boolean }>();
  let inFlight = 0;
  const id = (p: number, o: bigint | string) => `${p}:${o}`;

  const lowestUnfinished = (s: PartitionState): bigint => {
    while (s.head < s.window.length && s.window[s.head]!.done) s.head++;
    if (s.head > 1024 && s.head * 2 > s.window.length) { s.window = s.window.slice(s.head); s.head = 0; }
    return s.head < s.window.length ? s.window[s.head]!.offset : s.next;
  };

  return {
    start(partition, offsetStr) {
      const offset = BigInt(offsetStr);
      let s = parts.get(partition);
      if (!s) { s = { window: [], head: 0, next: offset, committed: null }; parts.set(partition, s); }
      if (offset < s.next) return false;
      const entry = { offset, done: false };
      s.window.push(entry);
      s.next = offset + 1n;
      index.set(id(partition, offset), entry);
      inFlight++;
      return true;
    },
    finish(partition, offsetStr) {
      const entry = index.get(id(partition, offsetStr));
      if (!entry || entry.done) return;
      entry.done = true;
      index.delete(id(partition, offsetStr));
      inFlight--;
    },
    advance(partition, offsetStr) {
      const after = BigInt(offsetStr) + 1n;
      const s = parts.get(partition);
      if (!s) parts.set(partition, { window: [], head: 0, next: after, committed: null });
      else if (after > s.next) s.next = after;
    },
    committable() {
      const out: Array<{ partition: number; offset: string }> = [];
      for (const [partition, s] of parts) {
        const target = lowestUnfinished(s);
        if (s.committed === null || target > s.committed) out.push({ partition, offset: target.toString() });
      }
      return out;
    },
    committed(partition, offset) {
      const s = parts.get(partition);
      if (s && (s.committed === null || BigInt(offset) > s.committed)) s.committed = BigInt(offset);
    },
    inFlight: () => inFlight,
    retain(keep) {
      const k = new Set(keep);
      for (const [p, s] of parts) {
        if (k.has(p)) continue;
        for (let i = s.head; i < s.window.length; i++) {
          const e = s.window[i]!;
          if (!e.done) { index.delete(id(p, e.offset)); inFlight--; }
        }
        parts.delete(p);
      }
    },
    owns: (partition) => parts.has(partition),
    partitions: () => [...parts.keys()],
  };
}
