/** The registry's durable store: a compacted, single-partition Kafka topic replayed into memory at start. */
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import type { LogKey, LogValue } from './state.js';

/** Called for every record read back from the topic, in order. */
export type RecordHandler = (key: LogKey, value: LogValue) => void;

/** Reads and appends `_schemas` records (JSON keys and values, like Confluent's). */
export class SchemaLog {
  private readonly kafka: Kafka;
  private producer?: Producer;
  private consumer?: Consumer;

  constructor(brokers: string[], private readonly topic = '_schemas') {
    this.kafka = new Kafka({ clientId: 'mailstream-local-registry', brokers, logLevel: logLevel.WARN, retry: { retries: 8 } });
  }

  /** Create the topic if needed, replay it to the end, then keep following it; resolves once caught up. */
  async start(onRecord: RecordHandler): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    let end: bigint;
    try {
      // One partition keeps a total order; compaction keeps only the latest record per key, as Confluent's does.
      await admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic: this.topic, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
      });
      // a broker that has just restarted with existing data elects partition leaders for a while: retry until it has
      for (let tries = 1; ; tries++) {
        try {
          const [p0] = await admin.fetchTopicOffsets(this.topic);
          end = BigInt(p0?.high ?? '0');
          break;
        } catch (err) {
          if (!(err as { retriable?: boolean }).retriable || tries >= 60) throw err;
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
    } finally { await admin.disconnect(); }

    this.producer = this.kafka.producer({ allowAutoTopicCreation: false, maxInFlightRequests: 1 });
    await this.producer.connect();

    // No committed offsets (autoCommit off), so every start replays from the beginning.
    this.consumer = this.kafka.consumer({ groupId: `mailstream-local-registry-${process.pid}`, allowAutoTopicCreation: false });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.topic, fromBeginning: true });
    let caughtUp!: () => void;
    const done = new Promise<void>((r) => { caughtUp = r; });
    if (end === 0n) caughtUp();
    await this.consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        if (message.key) {
          try {
            const key = JSON.parse(message.key.toString()) as LogKey;
            const value = message.value ? (JSON.parse(message.value.toString()) as LogValue) : null;
            onRecord(key, value);
          } catch (e) { console.warn(`skipping unreadable ${this.topic} record at offset ${message.offset}: ${(e as Error).message}`); }
        }
        if (BigInt(message.offset) + 1n >= end) caughtUp();
      },
    });
    await done;
  }

  /** Append one record and wait until every in-sync replica has it. */
  async append(key: LogKey, value: LogValue): Promise<void> {
    if (!this.producer) throw new Error('schema log not started');
    await this.producer.send({
      topic: this.topic, acks: -1,
      messages: [{ key: JSON.stringify(key), value: value === null ? null : JSON.stringify(value) }],
    });
  }

  /** Disconnect producer and consumer. */
  async stop(): Promise<void> {
    await Promise.allSettled([this.consumer?.disconnect(), this.producer?.disconnect()]);
  }
}
