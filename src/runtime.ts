/** Shared clients for a process: Kafka, one producer, the schema registry. */
import type { Kafka, Producer } from 'kafkajs';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { Config } from './config/index.js';
import type { RetryPolicy } from './consumers/shell/index.js';
import { createRegistry, registryAuthOf } from './lib/codec.js';
import { createKafka, createProducer } from './lib/kafka.js';
import { createRecordCrypto, keyProviderOf, type RecordCrypto } from './streams/job-keys.js';

/** The connected clients of one process. */
export interface Runtime {
  cfg: Config; kafka: Kafka; producer: Producer; registry: SchemaRegistry; topicPrefix: string; retry: RetryPolicy;
  faults: Readonly<Record<string, string>>;
  /** Seals and opens recipient data; always present, so erasure and reading work with ENCRYPTION=false too. */
  crypto: RecordCrypto;
  close(): Promise<void>;
}

/** Connect the clients `role` needs. */
export async function connectRuntime(cfg: Config, role: string): Promise<Runtime> {
  const kafka = createKafka(cfg, role);
  const producer = await createProducer(kafka);
  const registry = createRegistry(cfg.schemaRegistryUrl, registryAuthOf(cfg));
  const retry = { maxAttempts: cfg.stageMaxAttempts, baseMs: 200, maxMs: cfg.stageRetryMaxMs };
  const crypto = recordCryptoOf(cfg, kafka, producer, registry);
  const close = async () => { await crypto.stop(); await producer.disconnect(); };
  return { cfg, kafka, producer, registry, topicPrefix: cfg.topicPrefix, retry, faults: cfg.stageFaults, crypto, close };
}

/** The record crypto of `cfg`: sealing only with ENCRYPTION=true; opening sealed values always. */
export function recordCryptoOf(cfg: Config, kafka: Kafka, producer: Pick<Producer, 'send'>, registry: SchemaRegistry): RecordCrypto {
  let provider: ReturnType<typeof keyProviderOf> | undefined;
  // the key file is read on first use, so commands that touch no recipient data need none
  const lazy = { name: cfg.kekProvider, wrap: (d: Buffer, c: string) => (provider ??= keyProviderOf(cfg)).wrap(d, c),
    unwrap: (k: string, w: Buffer, c: string) => (provider ??= keyProviderOf(cfg)).unwrap(k, w, c) };
  const crypto = createRecordCrypto(kafka, producer, registry, cfg.topicPrefix, lazy);
  return cfg.encryption ? crypto : { ...crypto, seal: async () => null, sealer: async () => null };
}
