/**
 * The API keys table, materialised from the compacted api-keys topic (keyed by the key's SHA-256), so a key
 * created or revoked on one instance authenticates, or stops, on every gateway and SMTP door within a second.
 */
import { createHash } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { ApiKey } from '../generated/types.js';
import { createTable, type Table } from './table.js';

/** A live view of the API keys, by keyId. */
export type KeyTable = Table<ApiKey>;

/** The stored id of a key: its SHA-256, hex. */
export const keyIdOf = (key: string): string => createHash('sha256').update(key).digest('hex');

/** The live, unrevoked record of `key`, if any. */
export function lookupKey(table: Pick<Table<ApiKey>, 'get'>, key: string): ApiKey | undefined {
  const rec = table.get(keyIdOf(key));
  return rec && rec.revokedAt == null ? rec : undefined;
}

/** Start materialising the api-keys topic. */
export async function createKeyTable(kafka: Kafka, registry: SchemaRegistry, prefix: string): Promise<KeyTable> {
  return createTable<ApiKey>(kafka, registry, prefix, 'api-keys');
}
