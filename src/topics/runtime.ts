/** Topic definitions resolved for this deployment: full names with prefix and version, and their Avro types. */
import type avro from 'avsc';
import { loadSchemas } from '../schemas/index.js';
import { loadTopics, topicName, type TopicDef, type TopicName } from './index.js';

/** One resolved topic. */
export interface ResolvedTopic { def: TopicDef; name: string; subject: string; schema: object; type: avro.Type }

let cache: Map<string, Map<TopicName, ResolvedTopic>> | undefined;

/** Every topic for `prefix`, keyed by logical name. */
export function resolveTopics(prefix: string): Map<TopicName, ResolvedTopic> {
  cache ??= new Map();
  const hit = cache.get(prefix);
  if (hit) return hit;
  const schemas = loadSchemas();
  const out = new Map<TopicName, ResolvedTopic>();
  for (const def of loadTopics()) {
    const s = schemas.get(def.value.schema);
    if (!s) throw new Error(`${def.file}: value.schema: no schema file ${def.value.schema}`);
    const name = topicName(def, prefix);
    out.set(def.name as TopicName, { def, name, subject: `${name}-value`, schema: s.schema, type: s.type });
  }
  cache.set(prefix, out);
  return out;
}

/** One resolved topic by logical name. */
export function topic(prefix: string, name: TopicName): ResolvedTopic {
  const t = resolveTopics(prefix).get(name);
  if (!t) throw new Error(`no topic file for "${name}" in topics/`);
  return t;
}
