/**
 * The thin Kafka shell every stage shares: a factory that takes a stage definition and returns
 * `{ start, stop }`. It decodes each batch, hands it to the stage's pure handler, produces the outputs
 * (awaiting acks), and only then commits the batch's offsets — so a SIGKILL loses nothing, it can only repeat.
 */
import type { Consumer, EachBatchPayload, Kafka, Producer, IHeaders } from 'kafkajs';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { createCodec, type Codec } from '../lib/codec.js';
import { isRetriable, MailstreamError } from '../lib/errors.js';
import { mapLimit } from '../lib/pool.js';
import { logger, type Logger } from '../lib/logger.js';
import { topic as resolveTopic } from '../topics/runtime.js';
import type { TopicName } from '../topics/index.js';
import type { DeadLetter } from '../generated/types.js';
import { createParallelRunner, type ParallelSpec } from './parallel.js';

const PROGRESS_EVERY = 32;
const MAX_REQUEST_BYTES = 768 * 1024;

/** A record the handler wants produced. */
export interface Output { topic: TopicName; key: string | null; value: unknown }
/** One decoded input record. */
export interface InputRecord<T> { value: T; key: string | null; partition: number; offset: string; headers?: IHeaders }
/** Context handed to a batch handler. */
export interface BatchContext { log: Logger; heartbeat(): Promise<void>; isStopping(): boolean; emit(outputs: Output[]): Promise<void> }

/** A stage definition. */
export interface StageSpec<In> {
  /** Stage name, used in logs, the group ID and dead-letter records. */
  name: string;
  /** Consumer group suffix (default: the stage name). */
  group?: string;
  /** Input topic. */
  input: TopicName;
  /** Topics the handler may write to. */
  outputs: TopicName[];
  /** Processes one decoded batch and returns what to produce; may also `ctx.emit` early for long batches. */
  handle?(records: InputRecord<In>[], ctx: BatchContext): Promise<Output[]>;
  /**
   * Or: processes one record, `concurrency` at a time. Outputs are produced and offsets committed as the
   * finished prefix of the batch grows (every `progressMs`), so a crash repeats only unfinished work.
   */
  handleEach?(record: InputRecord<In>, ctx: BatchContext): Promise<Output[]>;
  /** Records in flight with handleEach (default 32). */
  concurrency?: number;
  /** With handleEach: produce and commit after this many finished records (default 32); small for records with many outputs. */
  progressEvery?: number;
  /** Partitions processed at once (default 1). */
  partitionsConcurrently?: number;
  /** Bytes fetched per partition per request (default 1 MiB). */
  maxBytesPerPartition?: number;
  /**
   * Optional: when a record may be processed (ms since the epoch). The first not-yet-due record of a batch and
   * everything after it stay unprocessed: its partition is paused, seeked back to it and resumed when it is due
   * (re-checked at least every 30 s), so delayed records cost no polling.
   */
  dueAt?(record: InputRecord<In>): number;
  /**
   * With handleEach: dispatch records into per-destination in-memory queues as they are fetched instead of one batch
   * at a time (parallel.ts) — concurrency across destinations, commits up to the lowest unfinished record, and
   * partitions paused while their queue is full.
   */
  parallel?: ParallelSpec<In>;
  /** Fetch batching: wait for `minBytes` up to `maxWaitTimeInMs` (kafkajs defaults 1 byte, 5000 ms). */
  consumer?: { minBytes?: number; maxWaitTimeInMs?: number };
}

/** Shared clients a stage needs. */
export interface StageDeps { kafka: Kafka; producer: Producer; registry: SchemaRegistry; topicPrefix: string }

/** A running stage. */
export interface Stage { name: string; start(): Promise<void>; stop(): Promise<void>; consumer: Consumer }

/** Build a stage from its definition; nothing connects until `start`. */
export function createStage<In>(spec: StageSpec<In>, deps: StageDeps): Stage {
  const log = logger({ stage: spec.name });
  const input = resolveTopic(deps.topicPrefix, spec.input);
  const groupId = `${deps.topicPrefix}${spec.group ?? spec.name}`;
  const consumer = deps.kafka.consumer({
    groupId, maxBytesPerPartition: spec.maxBytesPerPartition ?? 1 << 20, sessionTimeout: 30000, heartbeatInterval: 3000,
    minBytes: spec.consumer?.minBytes ?? 1, maxWaitTimeInMs: spec.consumer?.maxWaitTimeInMs ?? 100,
  });
  const codecs = new Map<TopicName, Codec<unknown>>();
  let stopping = false;
  const parked = new Set<NodeJS.Timeout>();
  const runner = spec.parallel && spec.handleEach ? createParallelRunner<In>({
    ...spec.parallel, name: spec.name, topic: input.name, consumer, log, dueAt: spec.dueAt,
    handle: (r) => spec.handleEach!(r, { log, heartbeat: async () => undefined, isStopping: () => stopping, emit }),
    emit: (outputs) => emit(outputs), progressEvery: spec.progressEvery ?? PROGRESS_EVERY, progressMs: 200,
  }) : undefined;

  // Produces in requests of at most MAX_REQUEST_BYTES: a partition's record batch must stay under max.message.bytes.
  const emit = async (outputs: Output[]): Promise<void> => {
    let byTopic = new Map<string, Array<{ key: string | null; value: Buffer }>>();
    let bytes = 0;
    const send = async () => {
      if (!byTopic.size) return;
      await deps.producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([t, messages]) => ({ topic: t, messages })) });
      byTopic = new Map();
      bytes = 0;
    };
    for (const o of outputs) {
      const codec = codecs.get(o.topic);
      if (!codec) throw new MailstreamError('MS_ERR_VALIDATION', `stage ${spec.name} may not write to ${o.topic}`);
      const name = resolveTopic(deps.topicPrefix, o.topic).name;
      const value = codec.encode(o.value);
      if (bytes + value.length > MAX_REQUEST_BYTES) await send();
      const list = byTopic.get(name) ?? byTopic.set(name, []).get(name)!;
      list.push({ key: o.key, value });
      bytes += value.length + (o.key?.length ?? 0);
    }
    await send();
  };

  const decodeAll = async (batch: EachBatchPayload['batch'], codec: Codec<In>, dead: Output[]): Promise<InputRecord<In>[]> => {
    const out: InputRecord<In>[] = [];
    for (const m of batch.messages) {
      if (!m.value) continue; // tombstones carry nothing to process
      try {
        out.push({ value: await codec.decode(m.value), key: m.key?.toString() ?? null, partition: batch.partition, offset: m.offset, headers: m.headers });
      } catch (err) {
        const e = err as MailstreamError;
        log.warn({ topic: batch.topic, partition: batch.partition, offset: m.offset, code: e.code, err: e.message }, 'undecodable record dead-lettered');
        const value: DeadLetter = { topic: batch.topic, partition: batch.partition, offset: m.offset, key: m.key ?? null, value: m.value, stage: spec.name, code: e.code ?? 'MS_ERR_AVRO_DECODE', error: e.message, ts: Date.now() };
        dead.push({ topic: 'dead-letter', key: `${spec.name}:${batch.topic}:${batch.partition}:${m.offset}`, value });
      }
    }
    return out;
  };

  const eachBatch = async (payload: EachBatchPayload): Promise<void> => {
    const { batch, heartbeat } = payload;
    if (!batch.messages.length) return;
    const codec = codecs.get(spec.input) as Codec<In>;
    const ctx: BatchContext = { log, heartbeat, isStopping: () => stopping, emit };
    let held: InputRecord<In> | undefined;
    for (let delay = 200; ; delay = Math.min(delay * 2, 10000)) {
      try {
        const dead: Output[] = [];
        if (runner) {
          const records = await decodeAll(batch, codec, dead);
          await emit(dead);
          runner.dispatch(payload, records);
          return;
        }
        // a retried batch skips what an earlier try already produced and committed (a fresh batch starts past it anyway)
        const through = committedThrough.get(batch.partition);
        let records = (await decodeAll(batch, codec, dead)).filter((r) => through === undefined || BigInt(r.offset) > through);
        await emit(dead);
        const now = Date.now();
        const cut = spec.dueAt ? records.findIndex((r) => spec.dueAt!(r) > now) : -1;
        held = cut >= 0 ? records[cut] : undefined;
        if (cut >= 0) records = records.slice(0, cut);
        if (spec.handleEach) await runEach(records, ctx, payload);
        else await emit(await spec.handle!(records, ctx));
        break;
      } catch (err) {
        if (!isRetriable(err) && !(err as { name?: string }).name?.startsWith('KafkaJS')) throw err;
        if (!payload.isRunning() || payload.isStale()) throw err; // rebalanced away: the next owner resumes from the last commit
        log.warn({ topic: batch.topic, partition: batch.partition, err: (err as Error).message, retryInMs: delay }, 'batch failed, retrying');
        if (!payload.isRunning() || payload.isStale()) throw err;
        await new Promise((r) => setTimeout(r, delay));
        await heartbeat();
      }
    }
    if (held) return park(payload, held);
    // resolving is what stops kafkajs fetching the same batch again
    await commit(payload, batch.messages[batch.messages.length - 1].offset);
  };

  // Commits up to the held record, then pauses its partition at it until it is due.
  const park = async (payload: EachBatchPayload, held: InputRecord<In>): Promise<void> => {
    const { topic, partition } = payload.batch;
    if (BigInt(held.offset) > BigInt(payload.batch.firstOffset() ?? held.offset)) await commit(payload, (BigInt(held.offset) - 1n).toString());
    const waitMs = Math.min(30_000, Math.max(0, spec.dueAt!(held) - Date.now()));
    consumer.pause([{ topic, partitions: [partition] }]);
    consumer.seek({ topic, partition, offset: held.offset });
    const timer = setTimeout(() => { parked.delete(timer); if (!stopping) consumer.resume([{ topic, partitions: [partition] }]); }, waitMs);
    parked.add(timer);
  };

  const committedThrough = new Map<number, bigint>();
  const commit = async (payload: EachBatchPayload, offset: string): Promise<void> => {
    committedThrough.set(payload.batch.partition, BigInt(offset));
    payload.resolveOffset(offset);
    await consumer.commitOffsets([{ topic: payload.batch.topic, partition: payload.batch.partition, offset: (BigInt(offset) + 1n).toString() }]);
  };

  // Runs handleEach over the batch, committing the finished prefix as it grows (every 200 ms or PROGRESS_EVERY records).
  const runEach = async (records: InputRecord<In>[], ctx: BatchContext, payload: EachBatchPayload): Promise<void> => {
    const done: Array<Output[] | undefined> = new Array(records.length);
    let committed = 0;
    let flushing: Promise<void> = Promise.resolve();
    const flush = () => (flushing = flushing.then(async () => {
      const outs: Output[] = [];
      let k = committed;
      for (; k < records.length && done[k]; k++) outs.push(...done[k]!);
      if (k === committed) return;
      await emit(outs);
      await commit(payload, records[k - 1].offset);
      await payload.heartbeat(); // long batches must not look like a dead member
      for (let j = committed; j < k; j++) done[j] = [];
      committed = k;
    }));
    const timer = setInterval(() => { void flush().catch(() => undefined); }, 200);
    try {
      let since = 0;
      await mapLimit(records, spec.concurrency ?? 32, async (r, i) => {
        done[i] = await spec.handleEach!(r, ctx);
        // a crash repeats at most ~PROGRESS_EVERY finished records plus those in flight
        if (++since >= (spec.progressEvery ?? PROGRESS_EVERY)) { since = 0; void flush().catch(() => undefined); }
      });
    } finally { clearInterval(timer); }
    await flush();
  };

  return {
    name: spec.name,
    consumer,
    async start() {
      for (const t of [spec.input, 'dead-letter' as TopicName, ...spec.outputs]) {
        if (!codecs.has(t)) codecs.set(t, await createCodec(deps.registry, resolveTopic(deps.topicPrefix, t)));
      }
      await consumer.connect();
      await consumer.subscribe({ topics: [input.name], fromBeginning: true });
      runner?.start();
      await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: spec.partitionsConcurrently ?? 1, eachBatch });
      log.info({ topic: input.name, groupId }, 'stage started');
    },
    async stop() {
      stopping = true;
      for (const t of parked) clearTimeout(t);
      await runner?.drain();
      // kafkajs waits for the batch in hand to finish (and commit) before it leaves the group
      await consumer.disconnect();
      log.info('stage stopped');
    },
  };
}
