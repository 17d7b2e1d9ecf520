/**
 * The templates table, materialised from the compacted templates topic (keyed by template ID), so a new
 * template version reaches every renderer instance without a restart.
 */
import type { Kafka } from 'kafkajs';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { Template, TemplateVersion } from '../generated/types.js';
import { createTable } from './table.js';

/** A live view of the stored templates. */
export interface TemplateTable {
  get(templateId: string, version?: number | null): Template | TemplateVersion | undefined;
  latest(templateId: string): Template | undefined;
  /** Resolves once the table has read the topic up to the end it had at start. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

/** Look up a version in a stored template record (the latest, or one kept in `versions`). */
export function pickVersion(t: Template | TemplateVersion | undefined, version?: number | null): Template | TemplateVersion | undefined {
  if (!t || version == null || version === t.version) return t;
  return 'versions' in t ? t.versions.find((v) => v.version === version) : undefined;
}

/** Start materialising the templates topic. */
export async function createTemplateTable(kafka: Kafka, registry: SchemaRegistry, prefix: string): Promise<TemplateTable> {
  const table = await createTable<Template>(kafka, registry, prefix, 'templates');
  return { get: (id, version) => pickVersion(table.get(id), version), latest: (id) => table.get(id), ready: table.ready, stop: table.stop };
}
