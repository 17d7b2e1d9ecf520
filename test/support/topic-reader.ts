/** Reads one topic of an isolated prefix from the beginning, decoding values with the topic's codec. */
import { randomBytes } from 'node:crypto';
import type { Config } from '../../src/config/index.js';
import { createCodec, createRegistry } from '../../src/lib/codec.js';
import { createKafka, createProducer } from '../../src/lib/kafka.js';
import { recordCryptoOf } from '../../src/runtime.js';
import { topic } from '../../src/topics/runtime.js';
import type { TopicName } from '../../src/topics/index.js';

/** A running reader: the decoded values so far, and stop. */
export interface TopicReader<T> { values: T[]; stop(): Promise<void> }

/** Start reading `name` under `cfg`'s prefix with a fresh group. */
export async function readTopic<T>(cfg: Config, name: TopicName): Promise<TopicReader<T>> {
  const t = topic(cfg.topicPrefix, name);
  const registry = createRegistry(cfg.schemaRegistryUrl);
  const codec = await createCodec<T>(registry, t);
  const kafka = createKafka(cfg, 'test-reader');
  // sealed topics (payloads, rendered, retry…) are opened with the pipeline's own keys
  const producer = await createProducer(kafka);
  const crypto = recordCryptoOf(cfg, kafka, producer, registry);
  const consumer = kafka.consumer({ groupId: `${cfg.topicPrefix}reader-${randomBytes(4).toString('hex')}` });
  await consumer.connect();
  await consumer.subscribe({ topics: [t.name], fromBeginning: true });
  const values: T[] = [];
  await consumer.run({ eachMessage: async ({ message }) => {
    if (message.value) values.push(await codec.decode(await crypto.open(message.value)));
  } });
  return { values, stop: async () => { await consumer.disconnect(); await crypto.stop(); await producer.disconnect(); } };
}
