/**
 * The suppressions table: a local set materialised from the compacted suppressions topic (keyed
 * `<tenant>:<lower-cased email>`, a tombstone lifts one), so every sender instance refuses suppressed
 * addresses. Each instance reads the whole topic with its own throw-away group and never commits.
 */
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { Suppression } from '../generated/types.js';
import { createCodec } from '../lib/codec.js';
import { logger } from '../lib/logger.js';
import { topic } from '../topics/runtime.js';

/** A live view of the suppressed addresses. */
export interface SuppressionTable {
  /** The stored suppression for `<tenant>:<lower-cased email>`, if any. */
  get(key: string): Suppression | undefined;
  has(key: string): boolean;
  /** Resolves once the table has read the topic up to the end it had at start. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

/** The topic key of a suppression: `<tenant>:<lower-cased email>`. */
export const suppressionKey = (tenant: string, email: string): string => `${tenant}:${email.trim().toLowerCase()}`;

/** Start materialising the suppressions topic. */
export async function createSuppressionTable(kafka: Kafka, registry: SchemaRegistry, prefix: string): Promise<SuppressionTable> {
  const t = topic(prefix, 'suppressions');
  const codec = await createCodec<Suppression>(registry, t);
  const table = new Map<string, Suppression>();
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map((await admin.fetchTopicOffsets(t.name)).map((p) => [p.partition, BigInt(p.high)]));
  await admin.disconnect();
  let markReady!: () => void;
  const ready = new Promise<void>((r) => { markReady = r; });
  const check = () => { if ([...ends.values()].every((high) => high <= 0n)) markReady(); };
  check();
  const consumer = kafka.consumer({ groupId: `${prefix}suppressions-table-${randomUUID()}`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topics: [t.name], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      const key = message.key?.toString();
      if (key) {
        if (!message.value) table.delete(key);
        else {
          try { table.set(key, await codec.decode(message.value)); }
          catch (err) { logger({ stream: 'suppressions' }).warn({ key, err: (err as Error).message }, 'undecodable suppression skipped'); }
        }
      }
      if (BigInt(message.offset) + 1n >= (ends.get(partition) ?? 0n)) { ends.set(partition, 0n); check(); }
    },
  });
  return {
    get: (key) => table.get(key),
    has: (key) => table.has(key),
    ready,
    stop: () => consumer.disconnect(),
  };
}
