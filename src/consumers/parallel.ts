/**
 * The parallel consumer behind `StageSpec.parallel` (the sender's lanes): records are dispatched as they are fetched
 * into per-destination in-memory queues and handled concurrently, so a slow or throttled destination never holds up
 * the others of its partition. Outputs are produced as records finish; offsets are committed per partition up to the
 * lowest record not yet finished (offsets.ts), every `progressMs` or `progressEvery` records.
 *
 * Backpressure: a destination queue holding `maxPerQueue` records, or `maxInFlight` records across all queues, pauses
 * the partition that would add to it (seeked back to that record); it resumes once the queue has drained to half.
 * A not-yet-due record (`dueAt`, the retry lane) pauses its partition until it is due, re-checked at least every 30 s.
 */
import type { Consumer, EachBatchPayload } from 'kafkajs';
import client from 'prom-client';
import type { Logger } from '../lib/logger.js';
import { createOffsetTracker } from './offsets.js';
import type { InputRecord, Output } from './stage.js';

/** How records are queued and bounded. */
export interface ParallelSpec<In> {
  /** The in-memory queue a record belongs to (its destination). */
  queueOf(record: InputRecord<In>): string;
  /** Records held by one queue before its partitions pause. */
  maxPerQueue: number;
  /** Records held across all queues before partitions pause. */
  maxInFlight: number;
}

/** What the runner needs from the stage shell. */
export interface ParallelOptions<In> extends ParallelSpec<In> {
  /** Stage name, the `stage` label of the metrics. */
  name: string;
  topic: string;
  consumer: Consumer;
  log: Logger;
  handle(record: InputRecord<In>): Promise<Output[]>;
  emit(outputs: Output[]): Promise<void>;
  dueAt?(record: InputRecord<In>): number;
  progressEvery: number;
  progressMs: number;
}

const GLOBAL = '\u0000all';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Why a partition is paused. */
type PauseReason = 'queue_full' | 'lane_full' | 'not_due';
const REASONS: PauseReason[] = ['queue_full', 'lane_full', 'not_due'];

// Metrics of every runner in this process, read when /metrics is scraped.
const live = new Map<string, { inFlight(): number; deepest(): number; paused(reason: PauseReason): number }>();
new client.Gauge({
  name: 'mailstream_stage_in_flight', help: 'Records held in memory by a parallel stage, across its destination queues', labelNames: ['stage'],
  collect() { this.reset(); for (const [stage, r] of live) this.set({ stage }, r.inFlight()); },
});
new client.Gauge({
  name: 'mailstream_stage_deepest_queue', help: 'Records held by the fullest destination queue of a parallel stage', labelNames: ['stage'],
  collect() { this.reset(); for (const [stage, r] of live) this.set({ stage }, r.deepest()); },
});
new client.Gauge({
  name: 'mailstream_stage_paused_partitions', help: 'Partitions a parallel stage has paused, by reason', labelNames: ['stage', 'reason'],
  collect() { this.reset(); for (const [stage, r] of live) for (const reason of REASONS) this.set({ stage, reason }, r.paused(reason)); },
});
const pauses = new client.Counter({ name: 'mailstream_stage_pauses_total', help: 'Times a parallel stage paused a partition, by reason', labelNames: ['stage', 'reason'] });

/** A parallel runner: `dispatch` each fetched batch, `drain` before leaving the group. */
export function createParallelRunner<In>(opts: ParallelOptions<In>) {
  const { consumer, topic, log } = opts;
  const tracker = createOffsetTracker();
  const queued = new Map<string, number>();
  let total = 0;
  /** Paused partitions and why: a queue name (or GLOBAL) they wait on, or a timer until their next record is due. */
  const paused = new Map<number, { queue?: string; timer?: NodeJS.Timeout }>();
  const reasonOf = (why: { queue?: string }): PauseReason => (why.queue === undefined ? 'not_due' : why.queue === GLOBAL ? 'lane_full' : 'queue_full');
  live.set(opts.name, {
    inFlight: () => total,
    deepest: () => Math.max(0, ...queued.values()),
    paused: (reason) => [...paused.values()].filter((w) => reasonOf(w) === reason).length,
  });
  let finished: Output[][] = [];
  let since = 0;
  let stopping = false;
  let flushing: Promise<void> = Promise.resolve();
  let ticker: NodeJS.Timeout | undefined;

  const pause = (partition: number, offset: string, why: { queue?: string; timer?: NodeJS.Timeout }) => {
    consumer.pause([{ topic, partitions: [partition] }]);
    consumer.seek({ topic, partition, offset });
    paused.set(partition, why);
    pauses.inc({ stage: opts.name, reason: reasonOf(why) });
  };
  const resume = (partition: number) => {
    const why = paused.get(partition);
    if (!why) return;
    if (why.timer) clearTimeout(why.timer);
    paused.delete(partition);
    if (!stopping) consumer.resume([{ topic, partitions: [partition] }]);
  };
  // a queue (or the whole lane) drained to half: its waiting partitions may fetch again
  const drained = (queue: string) => {
    const globalOk = total <= opts.maxInFlight / 2;
    const queueOk = (queued.get(queue) ?? 0) <= opts.maxPerQueue / 2;
    if (!globalOk && !queueOk) return;
    for (const [p, why] of paused) {
      if ((why.queue === GLOBAL && globalOk) || (why.queue === queue && queueOk)) resume(p);
    }
  };

  const flush = (): Promise<void> => (flushing = flushing.then(async () => {
    // snapshot both at once: every record below a commit target has its outputs in `outs` or already produced
    const targets = tracker.committable();
    const outs = finished.flat();
    finished = [];
    if (outs.length) {
      try { await opts.emit(outs); }
      catch (err) { finished.unshift(outs); log.warn({ err: (err as Error).message }, 'producing outputs failed; retrying'); return; }
    }
    if (!targets.length) return;
    try {
      await consumer.commitOffsets(targets.map((t) => ({ topic, partition: t.partition, offset: t.offset })));
      for (const t of targets) tracker.committed(t.partition, t.offset);
    } catch (err) {
      // a rebalance in progress: the next flush commits against the new generation (or the new owner repeats a little)
      log.warn({ err: (err as Error).message }, 'offset commit failed; retrying');
    }
  }));

  const run = async (record: InputRecord<In>, queue: string): Promise<void> => {
    let outs: Output[] | undefined;
    for (let delay = 200; outs === undefined; delay = Math.min(delay * 2, 10_000)) {
      try { outs = await opts.handle(record); }
      catch (err) {
        log.warn({ partition: record.partition, offset: record.offset, err: (err as Error).message, retryInMs: delay }, 'record failed, retrying');
        await sleep(delay);
      }
    }
    finished.push(outs);
    tracker.finish(record.partition, record.offset);
    total--;
    const left = (queued.get(queue) ?? 1) - 1;
    if (left) queued.set(queue, left); else queued.delete(queue);
    drained(queue);
    if (++since >= opts.progressEvery) { since = 0; void flush(); }
  };

  return {
    /** Hand a decoded batch to the queues; returns at once (records finish in the background). */
    dispatch(payload: EachBatchPayload, records: InputRecord<In>[]): void {
      const { partition } = payload.batch;
      if (stopping || paused.has(partition)) return;
      const now = Date.now();
      for (const r of records) {
        if (stopping) return;
        if (opts.dueAt) {
          const due = opts.dueAt(r);
          if (due > now) {
            const timer = setTimeout(() => resume(partition), Math.min(30_000, due - now));
            timer.unref();
            pause(partition, r.offset, { timer });
            return;
          }
        }
        const queue = opts.queueOf(r);
        const full = total >= opts.maxInFlight ? GLOBAL : (queued.get(queue) ?? 0) >= opts.maxPerQueue ? queue : null;
        if (full !== null) { pause(partition, r.offset, { queue: full }); return; }
        payload.resolveOffset(r.offset);
        if (!tracker.start(partition, r.offset)) continue; // already dispatched before a rebalance kept this partition here
        total++;
        queued.set(queue, (queued.get(queue) ?? 0) + 1);
        void run(r, queue);
      }
      const last = payload.batch.messages[payload.batch.messages.length - 1];
      if (last) { payload.resolveOffset(last.offset); tracker.advance(partition, last.offset); }
    },
    /** Start the periodic flush and follow rebalances. */
    start(): void {
      ticker = setInterval(() => { void flush(); }, opts.progressMs);
      consumer.on(consumer.events.GROUP_JOIN, (e) => {
        const mine = new Set((e.payload.memberAssignment[topic] ?? []) as number[]);
        tracker.retain(mine);
        for (const p of [...paused.keys()]) if (!mine.has(p)) resume(p);
      });
    },
    /** Stop dispatching, wait for what is in flight (up to `timeoutMs`), produce it and commit. */
    async drain(timeoutMs = 30_000): Promise<void> {
      stopping = true;
      for (const why of paused.values()) if (why.timer) clearTimeout(why.timer);
      consumer.pause([{ topic }]);
      const until = Date.now() + timeoutMs;
      while (total > 0 && Date.now() < until) await sleep(50);
      if (total > 0) log.warn({ inFlight: total }, 'stopping with records still in flight; they will be repeated');
      if (ticker) clearInterval(ticker);
      await flush();
    },
  };
}
