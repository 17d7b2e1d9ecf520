/**
 * The webhooks table, materialised from the compacted webhooks topic (keyed <tenant>:<id>), so a webhook created,
 * changed, disabled or deleted on one instance reaches every gateway and webhooks stage within a second.
 */
import type { Kafka } from 'kafkajs';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { Webhook } from '../generated/types.js';
import { createTable, type Table } from './table.js';

/** A live view of every tenant's webhooks. */
export type WebhookTable = Table<Webhook>;

/** Start materialising the webhooks topic. */
export async function createWebhookTable(kafka: Kafka, registry: SchemaRegistry, prefix: string): Promise<WebhookTable> {
  return createTable<Webhook>(kafka, registry, prefix, 'webhooks');
}
