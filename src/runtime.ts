/** Shared clients for a process: Kafka, one producer, the schema registry. */
import type { Kafka, Producer } from 'kafkajs';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { Config } from './config/index.js';
import type { RetryPolicy } from './consumers/shell/index.js';
import { createRegistry } from './lib/codec.js';
import { createKafka, createProducer } from './lib/kafka.js';

/** The connected clients of one process. */
export interface Runtime {
  cfg: Config; kafka: Kafka; producer: Producer; registry: SchemaRegistry; topicPrefix: string; retry: RetryPolicy;
  faults: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

/** Connect the clients `role` needs. */
export async function connectRuntime(cfg: Config, role: string): Promise<Runtime> {
  const kafka = createKafka(cfg, role);
  const producer = await createProducer(kafka);
  const registry = createRegistry(cfg.schemaRegistryUrl);
  const retry = { maxAttempts: cfg.stageMaxAttempts, baseMs: 200, maxMs: cfg.stageRetryMaxMs };
  return { cfg, kafka, producer, registry, topicPrefix: cfg.topicPrefix, retry, faults: cfg.stageFaults, close: () => producer.disconnect() };
}
