/**
 * The suppressions table, materialised from the compacted suppressions topic (keyed
 * `<tenant>:<lower-cased email>`, a tombstone lifts one), so every sender instance refuses suppressed addresses.
 */
import type { Kafka } from 'kafkajs';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { Suppression } from '../generated/types.js';
import { createTable, type Table } from './table.js';

/** A live view of the suppressed addresses, keyed by `suppressionKey`. */
export type SuppressionTable = Table<Suppression>;

/** The topic key of a suppression: `<tenant>:<lower-cased email>`. */
export const suppressionKey = (tenant: string, email: string): string => `${tenant}:${email.trim().toLowerCase()}`;

/** Start materialising the suppressions topic. */
export function createSuppressionTable(kafka: Kafka, registry: SchemaRegistry, prefix: string): Promise<SuppressionTable> {
  return createTable<Suppression>(kafka, registry, prefix, 'suppressions');
}
