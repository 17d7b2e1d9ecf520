/** Kafka client and producer factories, with kafkajs logs routed to pino. */
import kafkajs, { type Kafka, type Producer, type LogEntry } from 'kafkajs';
import { logger } from './logger.js';

const { Kafka: KafkaClient, logLevel, Partitioners } = kafkajs; // CJS module: named imports are not detected under ESM

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error', [logLevel.WARN]: 'warn', [logLevel.INFO]: 'info', [logLevel.DEBUG]: 'debug',
};

/** Where and as whom to connect (the config's KAFKA_BROKERS and KAFKA_CLIENT_ID). */
export interface KafkaOptions { kafkaBrokers: readonly string[]; kafkaClientId: string }

/** A Kafka client for `cfg`, named `<clientId>-<role>`; `fast` gives up in seconds (callers that retry themselves). */
export function createKafka(cfg: KafkaOptions, role: string, fast = false): Kafka {
  return new KafkaClient({
    clientId: `${cfg.kafkaClientId}-${role}`,
    brokers: [...cfg.kafkaBrokers],
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
