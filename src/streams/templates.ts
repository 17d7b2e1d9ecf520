/**
 * The templates table: a local map materialised from the compacted templates topic, so a new template
 * version reaches every renderer instance without a restart. Each instance reads the whole topic with
 * its own throw-away group and never commits.
 */
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { Template, TemplateVersion } from '../generated/types.js';
import { createCodec } from '../lib/codec.js';
import { logger } from '../lib/logger.js';
import { topic } from '../topics/runtime.js';

/** A live view of the stored templates. */
export interface TemplateTable {
  get(templateId: string, version?: number | null): Template | TemplateVersion | undefined;
  latest(templateId: string): Template | undefined;
  /** Resolves once the table has read the topic up to the end it had at start. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

/** Look up a version in a stored template record (the latest, or one kept in `versions`). */
export function pickVersion(t: Template | undefined, version?: number | null): Template | TemplateVersion | undefined {
  if (!t || version == null || version === t.version) return t;
  return t.versions.find((v) => v.version === version);
}

/** Start materialising the templates topic. */
export async function createTemplateTable(kafka: Kafka, registry: SchemaRegistry, prefix: string): Promise<TemplateTable> {
  const t = topic(prefix, 'templates');
  const codec = await createCodec<Template>(registry, t);
  const table = new Map<string, Template>();
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map((await admin.fetchTopicOffsets(t.name)).map((p) => [p.partition, BigInt(p.high)]));
  await admin.disconnect();
  let markReady!: () => void;
  const ready = new Promise<void>((r) => { markReady = r; });
  const check = () => { if ([...ends.values()].every((high) => high <= 0n)) markReady(); };
  check();
  const consumer = kafka.consumer({ groupId: `${prefix}templates-table-${randomUUID()}`, maxWaitTimeInMs: 200 });
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
          catch (err) { logger({ stream: 'templates' }).warn({ key, err: (err as Error).message }, 'undecodable template skipped'); }
        }
      }
      if (BigInt(message.offset) + 1n >= (ends.get(partition) ?? 0n)) { ends.set(partition, 0n); check(); }
    },
  });
  return {
    get: (id, version) => pickVersion(table.get(id), version),
    latest: (id) => table.get(id),
    ready,
    stop: () => consumer.disconnect(),
  };
}
