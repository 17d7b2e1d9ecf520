/** Kafka client and producer factories, with kafkajs logs routed to pino. */
import { readFileSync } from 'node:fs';
import type { Kafka, KafkaConfig, Producer, LogEntry } from 'kafkajs';
import kafkajs from './kafkajs.js';
import { logger } from './logger.js';

const { Kafka: KafkaClient, logLevel, Partitioners } = kafkajs; // CJS module: named imports are not detected under ESM

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error', [logLevel.WARN]: 'warn', [logLevel.INFO]: 'info', [logLevel.DEBUG]: 'debug',
};

/** Where and as whom to connect (the config's KAFKA_BROKERS, KAFKA_CLIENT_ID, KAFKA_SASL_* and KAFKA_SSL_*). */
export interface KafkaOptions {
  kafkaBrokers: readonly string[]; kafkaClientId: string;
  kafkaSaslMechanism?: 'none' | 'scram-sha-512' | 'scram-sha-256' | 'plain';
  kafkaSaslUsername?: string | undefined; kafkaSaslPassword?: string | undefined;
  kafkaSsl?: boolean; kafkaSslCa?: string | undefined; kafkaSslCert?: string | undefined; kafkaSslKey?: string | undefined;
  kafkaSslRejectUnauthorized?: boolean;
}

/** The TLS and SASL part of a kafkajs config for `cfg` (empty for a PLAINTEXT listener). */
export function securityOf(cfg: KafkaOptions): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const out: Pick<KafkaConfig, 'ssl' | 'sasl'> = {};
  if (cfg.kafkaSsl) {
    const file = (p: string | undefined) => (p ? readFileSync(p, 'utf8') : undefined);
    const ca = file(cfg.kafkaSslCa);
    out.ssl = { rejectUnauthorized: cfg.kafkaSslRejectUnauthorized ?? true, ...(ca ? { ca: [ca] } : {}),
      ...(cfg.kafkaSslCert ? { cert: file(cfg.kafkaSslCert), key: file(cfg.kafkaSslKey) } : {}) };
  }
  const m = cfg.kafkaSaslMechanism ?? 'none';
  if (m !== 'none') {
    const creds = { username: cfg.kafkaSaslUsername ?? '', password: cfg.kafkaSaslPassword ?? '' };
    out.sasl = m === 'plain' ? { mechanism: 'plain', ...creds }
      : m === 'scram-sha-256' ? { mechanism: 'scram-sha-256', ...creds } : { mechanism: 'scram-sha-512', ...creds };
  }
  return out;
}

/** A Kafka client for `cfg`, named `<clientId>-<role>`; `fast` gives up in seconds (callers that retry themselves). */
export function createKafka(cfg: KafkaOptions, role: string, fast = false): Kafka {
  return new KafkaClient({
    clientId: `${cfg.kafkaClientId}-${role}`,
    brokers: [...cfg.kafkaBrokers],
    ...securityOf(cfg),
    logLevel: fast ? logLevel.NOTHING : logLevel.WARN,
    retry: fast ? { initialRetryTime: 100, retries: 2 } : { initialRetryTime: 200, retries: 10 },
    ...(fast ? { connectionTimeout: 1000, requestTimeout: 10000 } : {}),
    logCreator: () => ({ namespace, level, log }: LogEntry) => {
      const { message, ...extra } = log;
      // the partitioner notice and group-join chatter are noise at warn level
      if (/KafkaJS v2.0.0 switched default partitioner/.test(message)) return;
      logger({ lib: 'kafkajs', namespace })[LEVELS[level] ?? 'info'](extra, message);
    },
  });
}

/** A connected producer: acks=all, Java-compatible murmur2 partitioning (same keys land where Java clients put them). */
export async function createProducer(kafka: Kafka): Promise<Producer> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await producer.connect();
  return producer;
}

/** What the doors and stages need of a producer: acks=all batches. */
export type BatchProducer = Pick<Producer, 'sendBatch'>;

/**
 * Group commit for many concurrent callers (SMTP sessions): while one request is in flight, later calls queue, and
 * all queued calls go in the next request together; each caller hears the outcome of the request that carried it.
 * There is no linger: a lone call goes at once. Written here because kafkajs sends each sendBatch call on its own.
 */
export function coalescingProducer(producer: BatchProducer, maxRecords = 5000): BatchProducer {
  type Waiter = { batch: Parameters<Producer['sendBatch']>[0]; resolve(v: unknown): void; reject(e: unknown): void };
  let queue: Waiter[] = [];
  let inFlight = 0;
  const flush = async (): Promise<void> => {
    if (inFlight || !queue.length) return;
    let n = 0;
    let cut = 0;
    while (cut < queue.length && (cut === 0 || n < maxRecords)) {
      n += (queue[cut]!.batch.topicMessages ?? []).reduce((s, t) => s + t.messages.length, 0);
      cut++;
    }
    const take = queue.slice(0, cut);
    queue = queue.slice(cut);
    inFlight++;
    try {
      const res = await producer.sendBatch({ acks: -1, topicMessages: take.flatMap((w) => w.batch.topicMessages ?? []) });
      for (const w of take) w.resolve(res);
    } catch (err) {
      for (const w of take) w.reject(err);
    } finally {
      inFlight--;
      void flush();
    }
  };
  return {
    sendBatch(batch) {
      if (batch.acks !== undefined && batch.acks !== -1) return Promise.reject(new Error('coalescingProducer sends acks=all only'));
      return new Promise((resolve, reject) => { queue.push({ batch, resolve: resolve as (v: unknown) => void, reject }); void flush(); });
    },
  };
}
