/**
 * The templates table, materialised from the compacted templates topic (keyed `<tenant>:<templateId>`), so a new
 * template version reaches every renderer instance without a restart, and one tenant never sees another's. One record
 * holds a template's published version (with earlier ones for pinned jobs) and its draft.
 */
import type { Kafka } from 'kafkajs';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { Template, TemplateVersion } from '../generated/types.js';
import { createTable, type Table } from './table.js';

/** The topic key of a template: `<tenant>:<templateId>`. */
export const templateKey = (tenant: string, templateId: string): string => `${tenant}:${templateId}`;

/** A live view of the stored templates, by `templateKey`. */
export interface TemplateTable {
  /** The stored record, or a pinned version kept in it (see resolveTemplate for what a job may render). */
  get(key: string, version?: number | null): Template | TemplateVersion | undefined;
  /** The stored record: the published version and the draft (`hasPublished` false when there is only a draft). */
  latest(key: string): Template | undefined;
  /** Every latest template record of `tenant`. */
  list(tenant: string): Template[];
  /** Resolves once `key`'s latest record satisfies `check` (see Table.until). */
  until: Table<Template>['until'];
  /** Resolves once the table has read the topic up to the end it had at start. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

/** Look up a version in a stored template record (the latest, or one kept in `versions`). */
export function pickVersion(t: Template | TemplateVersion | undefined, version?: number | null): Template | TemplateVersion | undefined {
  if (!t || version == null || version === t.version) return t;
  return 'versions' in t ? t.versions.find((v) => v.version === version) : undefined;
}

/** Whether a stored record has a published version (a record written before drafts existed has one). */
export const isPublished = (t: Template | TemplateVersion | undefined): boolean =>
  !!t && !('hasPublished' in t && t.hasPublished === false);

/** A stored record's draft, if it has one. */
export const draftOf = (t: Template | TemplateVersion | undefined): TemplateVersion | undefined =>
  (t && 'draft' in t ? t.draft ?? undefined : undefined);

/**
 * What a job renders from a stored record: its draft (`useDraft`, SparkPost's use_draft_template), a pinned version,
 * or the published version; undefined when there is none (a template with only a draft has no published version).
 */
export function resolveTemplate(t: Template | TemplateVersion | undefined, version?: number | null, useDraft = false):
  Template | TemplateVersion | undefined {
  if (useDraft) return draftOf(t);
  const v = pickVersion(t, version);
  return isPublished(v) ? v : undefined;
}

/** Start materialising the templates topic. */
export async function createTemplateTable(kafka: Kafka, registry: SchemaRegistry, prefix: string): Promise<TemplateTable> {
  const table = await createTable<Template>(kafka, registry, prefix, 'templates');
  return {
    get: (key, version) => pickVersion(table.get(key), version), latest: (key) => table.get(key),
    list: (tenant) => table.entries().filter((t) => t.tenant === tenant), until: table.until, ready: table.ready, stop: table.stop,
  };
}
