/**
 * The dead-letter topic, read and re-driven: `readDeadLetters` reads it from the start to its current end (a throwaway
 * group that commits nothing), `replay` produces each selected record's raw key and value back to its source topic.
 */
import { randomBytes } from 'node:crypto';
import type { Kafka, Producer } from 'kafkajs';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { DeadLetter } from '../generated/types.js';
import { createCodec } from '../lib/codec.js';
import { resolveTopics, topic } from '../topics/runtime.js';

/** One dead-letter record and where it sits in the dead-letter topic. */
export interface DeadLetterEntry { at: { partition: number; offset: string }; record: DeadLetter }

/** Which dead letters to act on; every given field must match. */
export interface DeadLetterFilter { stage?: string; topic?: string; offset?: string; key?: string; code?: string }

/** Every dead-letter record up to the topic's end now, oldest first per partition. */
export async function readDeadLetters(kafka: Kafka, registry: SchemaRegistry, prefix: string): Promise<DeadLetterEntry[]> {
  const dl = topic(prefix, 'dead-letter');
  const codec = await createCodec<DeadLetter>(registry, dl);
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(dl.name).finally(() => admin.disconnect());
  const left = new Map(ends.filter((e) => BigInt(e.high) > BigInt(e.low)).map((e) => [e.partition, BigInt(e.high)]));
  const out: DeadLetterEntry[] = [];
  if (!left.size) return out;
  const consumer = kafka.consumer({ groupId: `${prefix}dlq-reader-${randomBytes(4).toString('hex')}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [dl.name], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          if (message.value) out.push({ at: { partition, offset: message.offset }, record: await codec.decode(message.value) });
          if (BigInt(message.offset) + 1n >= (left.get(partition) ?? 0n)) left.delete(partition);
          if (!left.size) resolve();
        },
      }).catch(reject);
    });
  } finally { await consumer.disconnect(); }
  return out.sort((a, b) => a.at.partition - b.at.partition || Number(BigInt(a.at.offset) - BigInt(b.at.offset)));
}

/** The logical name of a full topic name (`mailstream.payloads.v1` → `payloads`), when it is one of ours. */
export function logicalTopic(prefix: string, name: string): string | undefined {
  for (const [logical, t] of resolveTopics(prefix)) if (t.name === name) return logical;
  return undefined;
}

/** True when `e` passes `f`. */
export function matches(e: DeadLetterEntry, f: DeadLetterFilter, prefix: string): boolean {
  const r = e.record;
  return (f.stage === undefined || r.stage === f.stage)
    && (f.topic === undefined || r.topic === f.topic || logicalTopic(prefix, r.topic) === f.topic)
    && (f.offset === undefined || r.offset === f.offset)
    && (f.code === undefined || r.code === f.code)
    && (f.key === undefined || r.key?.toString() === f.key);
}

/**
 * Produce each entry's raw key and value to its source topic, once per source record (a record dead-lettered twice is
 * replayed once); idempotent downstream because message and event IDs are deterministic. Returns the records sent.
 */
export async function replay(producer: Producer, entries: DeadLetterEntry[]): Promise<number> {
  const seen = new Set<string>();
  const byTopic = new Map<string, Array<{ key: Buffer | null; value: Buffer | null; partition: number }>>();
  for (const { record: r } of entries) {
    const id = `${r.topic}:${r.partition}:${r.offset}`;
    if (seen.has(id) || !r.value) continue;
    seen.add(id);
    // back to its own partition, so a replay keeps the per-destination order of its source
    const list = byTopic.get(r.topic) ?? byTopic.set(r.topic, []).get(r.topic)!;
    list.push({ key: r.key, value: r.value, partition: r.partition });
  }
  const topicMessages = [...byTopic].map(([t, messages]) => ({ topic: t, messages }));
  if (topicMessages.length) await producer.sendBatch({ acks: -1, topicMessages });
  return seen.size;
}
