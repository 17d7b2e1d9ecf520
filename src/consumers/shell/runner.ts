/**
 * The one execution model of every stage. A fetched record is dispatched (or paused at, when it is not due or its
 * queue is full), settled under the failure policy into outputs or a dead-letter, and marked finished; one flush
 * produces the finished outputs and commits each partition up to its lowest unfinished record (offsets.ts). The
 * strategies differ only in the unit of work (a record or the whole batch), whether `dispatch` waits for its units,
 * and the queues of the parallel strategy.
 */
import type { Consumer } from 'kafkajs';
import type { Logger } from '../../lib/logger.js';
import { mapLimit } from '../../lib/pool.js';
import { headersOf, inSpan, tracingOn } from '../../ops/tracing.js';
import { JobErasedError } from '../../streams/job-keys.js';
import { deadLetterOf, reasonOf, type RawRecord } from './dead-letter.js';
import { erasedOutputs } from './erased.js';
import { deadLettered, live } from './metrics.js';
import { createOffsetTracker } from './offsets.js';
import { createPauser, LANE } from './pauser.js';
import { attempt, backoff, type RetryPolicy } from './policy.js';
import { codeOf, MailstreamError, type ErrorCode } from '../../lib/errors.js';
import type { InputRecord, Output, StageContext, StageSpec } from './types.js';

/** A fetched record: raw, and decoded or with the error that kept it from decoding. */
export type Fetched<In> = RawRecord & { record?: InputRecord<In>; error?: unknown };

/** What the runner uses of a kafkajs batch payload. */
export interface BatchHandle {
  batch: { topic: string; partition: number; messages: Array<{ offset: string }> };
  resolveOffset(offset: string): void;
  heartbeat(): Promise<void>;
  isRunning(): boolean;
}

/** What the runner needs. */
export interface RunnerOptions<In> {
  spec: Pick<StageSpec<In>, 'name' | 'strategy' | 'failed' | 'dueAt'>;
  topic: string;
  consumer: Pick<Consumer, 'pause' | 'resume' | 'seek' | 'commitOffsets'>;
  log: Logger;
  policy: RetryPolicy;
  emit(outputs: Output[]): Promise<void>;
  now?(): number;
  /** Test-only fault injection (STAGE_FAULTS): a record with one of these keys fails with that error code. */
  faults?: Readonly<Record<string, string>>;
  /** Flush period (ms, default 200). */
  progressMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A runner: `dispatch` each fetched batch, `assigned` after each rebalance, `drain` before leaving the group. */
export function createRunner<In>(opts: RunnerOptions<In>) {
  const { spec, consumer, topic, log, policy } = opts;
  const { strategy } = spec;
  const now = opts.now ?? Date.now;
  const tracker = createOffsetTracker();
  const pauser = createPauser(consumer, topic, spec.name);
  const queued = new Map<string, number>();
  const progressEvery = strategy.kind === 'each' ? strategy.progressEvery ?? 32 : strategy.kind === 'parallel' ? 32 : 1;
  let finished: Output[][] = [];
  let since = 0;
  /** The one in-flight count: units dispatched and not yet settled or abandoned. */
  let running = 0;
  let stopping = false;
  let flushing: Promise<boolean> = Promise.resolve(true);
  let ticker: NodeJS.Timeout | undefined;
  live.set(spec.name, {
    inFlight: () => running, deepest: () => Math.max(0, ...queued.values()), paused: (r) => pauser.count(r),
  });

  // Produces what finished, then commits; false when either failed (the next flush tries again).
  const flush = (): Promise<boolean> => (flushing = flushing.then(async () => {
    // snapshot both at once: every record below a commit target has its outputs in `outs` or already produced
    const targets = tracker.committable();
    const outs = finished.flat();
    finished = [];
    if (outs.length) {
      try { await opts.emit(outs); }
      catch (err) {
        finished.unshift(outs);
        log.warn({ err: (err as Error).message }, 'producing outputs failed; retrying');
        return false;
      }
    }
    if (!targets.length) return true;
    try {
      await consumer.commitOffsets(targets.map((t) => ({ topic, partition: t.partition, offset: t.offset })));
      for (const t of targets) tracker.committed(t.partition, t.offset);
      return true;
    } catch (err) {
      // a rebalance in progress: the next flush commits against the new generation (or the new owner repeats a little)
      log.warn({ err: (err as Error).message }, 'offset commit failed; retrying');
      return false;
    }
  }));

  // The handler call of one unit; an undecodable record fails at once with its (non-retriable) decode error.
  const invoke = async (unit: Fetched<In>[], ctx: StageContext): Promise<Output[]> => {
    const bad = unit.find((f) => !f.record);
    if (bad) throw bad.error;
    const records = unit.map((f) => f.record!);
    const fault = records.map((r) => opts.faults?.[r.key ?? '']).find(Boolean);
    if (fault) throw new MailstreamError(fault as ErrorCode, `injected fault (STAGE_FAULTS) for key ${records[0]!.key}`);
    // tracing off: no span, so none of its attributes or header lists are built (once per record in the sender)
    if (!tracingOn()) {
      return strategy.kind === 'batch' ? strategy.handle(records, ctx) : strategy.handle(records[0]!, ctx);
    }
    // one span per step: child of the record's trace, or linked to every record of a batch
    const attrs = { 'messaging.destination.name': topic, 'messaging.kafka.partition': unit[0]!.partition, records: records.length };
    return inSpan(`${spec.name}.handle`, records.map((r) => r.headers), attrs, async () => {
      const outs = await (strategy.kind === 'batch' ? strategy.handle(records, ctx) : strategy.handle(records[0]!, ctx));
      const headers = headersOf();
      return Object.keys(headers).length ? outs.map((o) => (o.headers ? o : { ...o, headers })) : outs;
    });
  };

  // The give-up path: each record to dead-letter, plus the final events of its recipients.
  const giveUp = (unit: Fetched<In>[], err: unknown, attempts: number): Output[] => {
    const at = now();
    // an erased job's record is unreadable by design: its recipients end, and there is nothing to replay
    const erased = unit.filter((f) => f.error instanceof JobErasedError);
    if (erased.length) {
      const rest = unit.filter((f) => !(f.error instanceof JobErasedError));
      return [...erased.flatMap((f) => erasedOutputs(f.error as JobErasedError, at)), ...(rest.length ? giveUp(rest, err, attempts) : [])];
    }
    const code = codeOf(err);
    deadLettered.inc({ stage: spec.name, code }, unit.length);
    log.warn({ topic, partition: unit[0]!.partition, offsets: unit.map((f) => f.offset), code, attempts,
      err: (err as Error)?.message }, 'dead-lettered');
    const out: Output[] = [];
    for (const f of unit) {
      out.push(deadLetterOf(f, spec.name, err, attempts, at));
      if (f.record && spec.failed) out.push(...spec.failed(f.record, reasonOf(err), at));
    }
    return out;
  };

  // Settles one unit under the policy; an abandoned unit stays unfinished, so its partition's next owner repeats it.
  const settle = async (unit: Fetched<In>[], ctx: StageContext, alive: () => boolean): Promise<boolean> => {
    const partition = unit[0]!.partition;
    const gone = () => stopping || !alive() || !tracker.owns(partition);
    const wait = async (ms: number) => {
      for (const until = now() + ms; !gone() && now() < until;) {
        await sleep(Math.min(1000, until - now()));
        await ctx.heartbeat().catch(() => undefined);
      }
    };
    running += unit.length;
    const res = await attempt(() => invoke(unit, ctx), policy, {
      wait, now, abandoned: gone,
      onRetry: (err, n, delayMs) => log.warn({ topic, partition, offset: unit[0]!.offset, attempt: n, retryInMs: delayMs,
        err: (err as Error)?.message }, 'record failed, retrying'),
    }).finally(() => { running -= unit.length; });
    if (res.kind === 'abandoned') return false;
    finished.push(res.kind === 'done' ? res.value : giveUp(unit, res.error, res.attempts));
    for (const f of unit) tracker.finish(partition, f.offset);
    if (++since >= progressEvery) { since = 0; void flush(); }
    return true;
  };

  // Flushes until everything finished is produced and committed, or the work is no longer ours.
  const settleFlush = async (alive: () => boolean, heartbeat: () => Promise<void>): Promise<void> => {
    for (let n = 1; !(await flush()); n++) {
      // a member the group dropped (a commit refused) learns it from its heartbeat, so the batch ends and kafkajs rejoins
      await heartbeat().catch(() => undefined);
      if (stopping || !alive()) return;
      await sleep(backoff(n, policy));
    }
  };

  const release = (queue: string): void => {
    const left = (queued.get(queue) ?? 1) - 1;
    if (left) queued.set(queue, left); else queued.delete(queue);
    const lane = strategy.kind === 'parallel' ? strategy : undefined;
    if (lane) pauser.drained(queue, left <= lane.maxPerQueue / 2, running <= lane.maxInFlight / 2);
  };

  return {
    /**
     * Take a fetched batch, its records decoded as they are taken. Batch and per-record strategies resolve once its
     * units are settled, produced and committed; the parallel strategy returns at once (records finish in the
     * background).
     */
    async dispatch(payload: BatchHandle, fetched: Iterable<Fetched<In>> | AsyncIterable<Fetched<In>>, ctx: StageContext):
      Promise<void> {
      const { partition } = payload.batch;
      if (stopping) return;
      if (pauser.isPaused(partition)) { pauser.reassert(partition); return; }
      let lost = false;
      const alive = strategy.kind === 'parallel' ? () => true : () => !lost && payload.isRunning();
      const unitCtx: StageContext = strategy.kind === 'parallel' ? ctx : {
        ...ctx, heartbeat: () => payload.heartbeat().catch((err) => { lost = true; throw err; }),
      };
      const units: Fetched<In>[][] = [];
      const batchUnit: Fetched<In>[] = [];
      let held = false;
      let laneFull = false;
      for await (const f of fetched) {
        if (stopping) return;
        const due = f.record && spec.dueAt ? spec.dueAt(f.record) : 0;
        if (due > now()) { pauser.pause(partition, f.offset, { untilMs: due, now: now() }); held = true; break; }
        let queue = '';
        if (strategy.kind === 'parallel' && f.record) {
          queue = strategy.queueOf(f.record);
          // a full destination queue holds the partition at this record, which is fetched again; a full lane takes the
          // rest of the batch (kafkajs holds it in memory already) and pauses after it, so no record is fetched twice
          if ((queued.get(queue) ?? 0) >= strategy.maxPerQueue) {
            pauser.pause(partition, f.offset, { queue }); held = true; break;
          }
          if (running >= strategy.maxInFlight) laneFull = true;
        }
        payload.resolveOffset(f.offset);
        if (!tracker.start(partition, f.offset)) continue; // already dispatched before a rebalance kept this partition
        if (strategy.kind === 'parallel') {
          queued.set(queue, (queued.get(queue) ?? 0) + 1);
          void settle([f], ctx, alive).finally(() => release(queue));
        } else if (strategy.kind === 'batch' && f.record) batchUnit.push(f);
        else units.push([f]);
      }
      const last = payload.batch.messages[payload.batch.messages.length - 1];
      // tombstones carry nothing: past the last one, unless a record was held
      if (last && !held) { payload.resolveOffset(last.offset); tracker.advance(partition, last.offset); }
      // no seek: the partition is fetched on from the batch's end
      if (laneFull && !held && !stopping) pauser.pause(partition, null, { queue: LANE });
      if (strategy.kind === 'parallel') return;
      if (batchUnit.length) units.push(batchUnit);
      const concurrency = strategy.kind === 'each' ? strategy.concurrency : 1;
      await mapLimit(units, concurrency, (u) => settle(u, unitCtx, alive));
      await settleFlush(alive, unitCtx.heartbeat);
    },
    /** Start the periodic flush. */
    start(): void { ticker = setInterval(() => { void flush(); }, opts.progressMs ?? 200); },
    /** After a rebalance: forget what was revoked. */
    assigned(partitions: number[]): void {
      const mine = new Set(partitions);
      tracker.retain(mine);
      pauser.retain(mine);
    },
    /** Records dispatched and not finished. */
    inFlight: () => running,
    /** Stop dispatching, let what is in flight finish (up to `timeoutMs`), produce it and commit. */
    async drain(timeoutMs = 30_000): Promise<void> {
      stopping = true;
      pauser.stop();
      const until = now() + timeoutMs;
      while (running > 0 && now() < until) await sleep(50);
      if (running > 0) log.warn({ inFlight: running }, 'stopping with records in flight; they will be repeated');
      if (ticker) clearInterval(ticker);
      await flush();
      live.delete(spec.name);
    },
  };
}
