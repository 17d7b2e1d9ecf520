/**
 * A local table materialised from a compacted topic: the latest value per key, a tombstone deletes.
 * Each instance reads the whole topic with its own throw-away group and never commits, so every
 * instance sees every key, and a new record reaches running instances without a restart.
 */
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { createCodec } from '../lib/codec.js';
import { logger } from '../lib/logger.js';
import { topic } from '../topics/runtime.js';
import type { TopicName } from '../topics/index.js';

/** A live key → value view of a compacted topic. */
export interface Table<T> {
  get(key: string): T | undefined;
  has(key: string): boolean;
  /** Every live value, in no particular order. */
  entries(): T[];
  /** Resolves once `key`'s value satisfies `check` (read-your-writes after a produce); false after `timeoutMs`. */
  until(key: string, check: (value: T | undefined) => boolean, timeoutMs?: number): Promise<boolean>;
  /** Resolves once the table has read the topic up to the end it had at start. */
  ready: Promise<void>;
  /** Resolves once the table has read every record the topic held when called (false after `timeoutMs`). */
  sync(timeoutMs?: number): Promise<boolean>;
  stop(): Promise<void>;
}

/** Start materialising the compacted topic `name`; `open` unseals each value first (a sealed topic's record crypto). */
export async function createTable<T>(kafka: Kafka, registry: SchemaRegistry, prefix: string, name: TopicName,
  open?: (value: Buffer) => Promise<Buffer>): Promise<Table<T>> {
  const t = topic(prefix, name);
  const codec = await createCodec<T>(registry, t);
  const table = new Map<string, T>();
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map((await admin.fetchTopicOffsets(t.name)).map((p) => [p.partition, BigInt(p.high)]));
  await admin.disconnect();
  let markReady!: () => void;
  const ready = new Promise<void>((r) => { markReady = r; });
  const check = () => { if ([...ends.values()].every((high) => high <= 0n)) markReady(); };
  check();
  // the next offset to read per partition, and an admin client opened on the first sync()
  const read = new Map<number, bigint>();
  let syncAdmin: Promise<ReturnType<Kafka['admin']>> | undefined;
  const consumer = kafka.consumer({ groupId: `${prefix}${name}-table-${randomUUID()}`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topics: [t.name], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      const key = message.key?.toString();
      if (key) {
        if (!message.value) table.delete(key);
        else {
          try { table.set(key, await codec.decode(open ? await open(message.value) : message.value)); }
          catch (err) { logger({ stream: name }).warn({ key, err: (err as Error).message }, 'undecodable record skipped'); }
        }
      }
      read.set(partition, BigInt(message.offset) + 1n);
      if (BigInt(message.offset) + 1n >= (ends.get(partition) ?? 0n)) { ends.set(partition, 0n); check(); }
    },
  });
  return {
    get: (key) => table.get(key), has: (key) => table.has(key), entries: () => [...table.values()], ready,
    async until(key, check, timeoutMs = 10_000) {
      for (const deadline = Date.now() + timeoutMs; !check(table.get(key));) {
        if (Date.now() > deadline) return false;
        await new Promise((r) => setTimeout(r, 20));
      }
      return true;
    },
    async sync(timeoutMs = 10_000) {
      syncAdmin ??= (async () => { const a = kafka.admin(); await a.connect(); return a; })()
        .catch((err: unknown) => { syncAdmin = undefined; throw err; });
      const highs = await (await syncAdmin).fetchTopicOffsets(t.name);
      // compaction keeps each partition's last record, so a table that read it has read everything before the call
      const behind = () => highs.some((h) => BigInt(h.high) > BigInt(h.low) && (read.get(h.partition) ?? 0n) < BigInt(h.high));
      for (const deadline = Date.now() + timeoutMs; behind();) {
        if (Date.now() > deadline) return false;
        await new Promise((r) => setTimeout(r, 10));
      }
      return true;
    },
    async stop() { await syncAdmin?.then((a) => a.disconnect(), () => undefined); await consumer.disconnect(); },
  };
}
