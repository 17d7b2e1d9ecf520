/** The stage contract: what a stage declares (a discriminated union of strategies) and what its handlers receive. */
import type { Consumer, IHeaders, Kafka, Producer } from 'kafkajs';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { Logger } from '../../lib/logger.js';
import type { TopicName } from '../../topics/index.js';
import type { TopicValues } from '../../generated/types.js';
import type { RecordCrypto } from '../../streams/job-keys.js';
import type { RetryPolicy } from './policy.js';

/** A record the handler wants produced: its value has the generated type of its topic; headers carry the trace context. */
export type Output = { [T in TopicName]: { topic: T; key: string | null; value: TopicValues[T]; headers?: Record<string, string> } }[TopicName];

/** One decoded input record. */
export interface InputRecord<T> { value: T; key: string | null; partition: number; offset: string; headers?: IHeaders }

/** What a handler may do besides returning outputs. */
export interface StageContext {
  log: Logger;
  /** Tell the group this member is alive during a long record (a no-op for the parallel strategy). */
  heartbeat(): Promise<void>;
  isStopping(): boolean;
  /** Produce now (acks=all), e.g. while a long record is still running; same path as returned outputs. */
  emit(outputs: Output[]): Promise<void>;
}

/** One handler call over a whole fetched batch; a failure dead-letters every record of it. */
export interface BatchStrategy<In> {
  kind: 'batch';
  handle(records: InputRecord<In>[], ctx: StageContext): Promise<Output[]>;
}

/** One handler call per record, `concurrency` at a time within a fetched batch; progress is committed as it goes. */
export interface EachStrategy<In> {
  kind: 'each';
  handle(record: InputRecord<In>, ctx: StageContext): Promise<Output[]>;
  /** Records in flight (count). */
  concurrency: number;
  /** Produce and commit after this many finished records (count, default 32); 1 for records with many outputs. */
  progressEvery?: number;
}

/**
 * Records dispatched as they are fetched into per-destination in-memory queues and handled concurrently, so a slow
 * destination never holds up the others of its partition; a full queue pauses the partition that feeds it.
 */
export interface ParallelStrategy<In> {
  kind: 'parallel';
  handle(record: InputRecord<In>, ctx: StageContext): Promise<Output[]>;
  /** The in-memory queue a record belongs to (its destination). */
  queueOf(record: InputRecord<In>): string;
  /** Records held by one queue before the partition feeding it pauses (count). */
  maxPerQueue: number;
  /**
   * Records held across all queues before partitions pause (count); a batch already fetched is taken whole, so the
   * lane may pass it by what one fetch holds.
   */
  maxInFlight: number;
}

/** How a stage runs its handler. */
export type Strategy<In> = BatchStrategy<In> | EachStrategy<In> | ParallelStrategy<In>;

/** A stage definition. */
export interface StageSpec<In> {
  /** Stage name, used in logs, the group ID and dead-letter records. */
  name: string;
  /** Consumer group suffix (default: the stage name). */
  group?: string;
  /** Input topic. */
  input: TopicName;
  /** Topics the handler may write to (dead-letter is always allowed). */
  outputs: readonly TopicName[];
  strategy: Strategy<In>;
  /**
   * The final events of a record's recipients when it is dead-lettered (a payload: each recipient; a rendered message:
   * its one recipient; a job: the job). `reason` starts with the error code.
   */
  failed?(record: InputRecord<In>, reason: string, now: number): Output[];
  /**
   * When a record may be processed (ms since the epoch). A not-yet-due record pauses its partition at it until it is
   * due (re-checked at least every 30 s), so delayed records cost no polling.
   */
  dueAt?(record: InputRecord<In>): number;
  /** Partitions processed at once (default 1). */
  partitionsConcurrently?: number;
  /** Bytes fetched per partition per request (default 1 MiB). */
  maxBytesPerPartition?: number;
  /** Fetch batching: wait for `minBytes` up to `maxWaitTimeInMs` (defaults 1 byte, 100 ms). */
  consumer?: { minBytes?: number; maxWaitTimeInMs?: number };
}

/** Shared clients a stage needs, and the failure policy (default: STAGE_MAX_ATTEMPTS / STAGE_RETRY_MAX_MS defaults). */
export interface StageDeps {
  kafka: Kafka; producer: Producer; registry: SchemaRegistry; topicPrefix: string; retry?: RetryPolicy;
  /** Seals and opens recipient data (ENCRYPTION); absent: values are written and read in clear. */
  crypto?: RecordCrypto;
  /** Test-only fault injection by record key (STAGE_FAULTS). */
  faults?: Readonly<Record<string, string>>;
}

/** A running stage. */
export interface Stage {
  name: string;
  consumer: Consumer;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The stage's one produce path, for side outputs that do not come from an input record (after `start`). */
  emit(outputs: Output[]): Promise<void>;
  /** True once the consumer joined its group and holds its assignment, until it crashes or stops. */
  ready(): boolean;
}
