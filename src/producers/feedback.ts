/**
 * The Kafka side of the feedback doors (tracker, inbound): encodes spooled entries with their topic's Avro codec and
 * produces them with acks=all. It connects lazily and reconnects after a failure, so a door starts and answers
 * while Kafka is down; the spool keeps what could not be sent.
 */
import type { Producer } from 'kafkajs';
import type { Config } from '../config/index.js';
import { createCodec, createRegistry, registryAuthOf, type Codec } from '../lib/codec.js';
import { createKafka, createProducer } from '../lib/kafka.js';
import { topic } from '../topics/runtime.js';
import type { SendBatch, SpoolEntry } from './spool.js';

/** A batch sender for a spool, and its teardown. */
export interface FeedbackSender { send: SendBatch; close(): Promise<void> }

/** A sender for `cfg`'s brokers and topic prefix, named `role` in Kafka. */
export function createFeedbackSender(cfg: Config, role: string): FeedbackSender {
  const kafka = createKafka(cfg, role, true);
  const registry = createRegistry(cfg.schemaRegistryUrl, registryAuthOf(cfg));
  const codecs = new Map<string, Promise<Codec<unknown>>>();
  let producer: Promise<Producer> | null = null;
  const codec = (name: SpoolEntry['topic']) => {
    let c = codecs.get(name);
    if (!c) { c = createCodec<unknown>(registry, topic(cfg.topicPrefix, name)); codecs.set(name, c); c.catch(() => codecs.delete(name)); }
    return c;
  };
  return {
    async send(batch) {
      const byTopic = new Map<SpoolEntry['topic'], SpoolEntry[]>();
      for (const e of batch) byTopic.set(e.topic, [...(byTopic.get(e.topic) ?? []), e]);
      const topicMessages = await Promise.all([...byTopic].map(async ([name, entries]) => {
        const c = await codec(name);
        return { topic: topic(cfg.topicPrefix, name).name, messages: entries.map((e) => ({ key: e.key, value: c.encode(e.value) })) };
      }));
      producer ??= createProducer(kafka);
      try {
        await (await producer).sendBatch({ acks: -1, topicMessages });
      } catch (err) {
        const p = producer; producer = null;
        void p.then((x) => x.disconnect(), () => undefined).catch(() => undefined);
        throw err;
      }
    },
    async close() {
      const p = producer; producer = null;
      if (p) await p.then((x) => x.disconnect(), () => undefined);
    },
  };
}
