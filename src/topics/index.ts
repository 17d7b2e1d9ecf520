/**
 * Loads and validates `topics/*.yaml`: one file per topic, the single source of truth for names,
 * partitions, configs, key format and value schema. Errors name the file and the field.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { MailstreamError } from '../lib/errors.js';
import type { TopicValues } from '../generated/types.js';

/** Folder holding the topic files. */
export const TOPIC_DIR = resolve(import.meta.dirname, '../../topics');

const KNOWN_CONFIGS = new Set([
  'cleanup.policy', 'retention.ms', 'retention.bytes', 'compression.type', 'max.message.bytes',
  'min.compaction.lag.ms', 'segment.ms', 'segment.bytes', 'min.insync.replicas', 'delete.retention.ms',
  'message.timestamp.type', 'min.cleanable.dirty.ratio',
]);

const topicFile = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9-]*$/, 'lower-case letters, digits and "-"'),
  version: z.number().int().min(1),
  partitions: z.number().int().min(1).max(10000),
  replicationFactor: z.number().int().min(1).max(7),
  key: z.strictObject({ format: z.enum(['string']), doc: z.string() }),
  value: z.strictObject({ schema: z.string().regex(/\.avsc$/, 'must name a .avsc file in schemas/') }),
  configs: z.record(z.string(), z.union([z.string(), z.number()]).transform(String)).default({}),
});

/** A validated topic definition. */
export type TopicDef = z.infer<typeof topicFile> & { file: string };
/** The logical topic names: one per topic file (generated). */
export type TopicName = keyof TopicValues;

/** Parse and validate one topic file's text; throws naming the file and each bad field. */
export function parseTopicFile(file: string, text: string): TopicDef {
  let raw: unknown;
  try { raw = parse(text); }
  catch (err) { throw new MailstreamError('MS_ERR_TOPIC_FILE', `${file}: not valid YAML: ${(err as Error).message}`); }
  const res = topicFile.safeParse(raw);
  if (!res.success) {
    const issues = res.error.issues.map((i) => {
      const path = i.path.join('.') || '(top level)';
      const keys = 'keys' in i && Array.isArray(i.keys) ? ` ${i.keys.join(', ')}` : '';
      return `${path}: ${i.message}${keys}`;
    });
    throw new MailstreamError('MS_ERR_TOPIC_FILE', `${file}: ${issues.join('; ')}`);
  }
  const unknown = Object.keys(res.data.configs).filter((k) => !KNOWN_CONFIGS.has(k));
  if (unknown.length) throw new MailstreamError('MS_ERR_TOPIC_FILE', `${file}: configs: unknown topic config ${unknown.join(', ')}`);
  if (`${res.data.name}.yaml` !== file) throw new MailstreamError('MS_ERR_TOPIC_FILE', `${file}: name: "${res.data.name}" must match the file name`);
  return { ...res.data, file };
}

/** Every topic file in the folder, validated. */
export function loadTopics(dir = TOPIC_DIR): TopicDef[] {
  return readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()
    .map((f) => parseTopicFile(f, readFileSync(join(dir, f), 'utf8')));
}

/** The full, versioned topic name: `<prefix><name>.v<version>`. */
export function topicName(def: Pick<TopicDef, 'name' | 'version'>, prefix: string): string {
  return `${prefix}${def.name}.v${def.version}`;
}
