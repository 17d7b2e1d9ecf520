/** Avro parsing and Confluent-style compatibility checks for the local registry, built on avsc's schema resolution. */
import avro from 'avsc';

/** Confluent's compatibility levels. */
export const levels = ['NONE', 'BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE'] as const;
/** One compatibility level. */
export type Level = (typeof levels)[number];

/** Parse an Avro schema string; throws with avsc's message when it is not valid Avro. */
export function parseAvro(schema: string): avro.Type {
  return avro.Type.forSchema(JSON.parse(schema) as avro.Schema, { wrapUnions: 'auto' });
}

/** A whitespace- and attribute-order-insensitive form, so the same schema sent twice gets the same id. */
export function canonical(schema: string): string {
  return JSON.stringify(parseAvro(schema).schema({ exportAttrs: true }));
}

interface FieldLike { name: string; type: avro.Type; aliases: string[]; defaultValue(): unknown }
const fieldsOf = (t: avro.Type): FieldLike[] | undefined =>
  t.typeName === 'record' || t.typeName === 'error' ? ((t as unknown as { fields: FieldLike[] }).fields) : undefined;

/** Why `reader` cannot read data written with `writer`, naming the field; undefined when it can. */
export function whyUnreadable(reader: avro.Type, writer: avro.Type, path = ''): string | undefined {
  try { reader.createResolver(writer); return undefined; } catch (e) {
    const rf = fieldsOf(reader); const wf = fieldsOf(writer);
    if (rf && wf) {
      for (const f of rf) {
        const w = wf.find((x) => x.name === f.name || f.aliases.includes(x.name));
        const where = `${path}${f.name}`;
        if (!w) {
          if (f.defaultValue() === undefined) return `field '${where}' is in the reader schema without a default and missing from the writer schema`;
          continue;
        }
        const inner = whyUnreadable(f.type, w.type, `${where}.`);
        if (inner) return fieldsOf(f.type) && fieldsOf(w.type) ? inner : `field '${where}': ${inner}`;
      }
    }
    return (e as Error).message;
  }
}

/** Check `candidate` against earlier versions (oldest first) under `level`; returns one message per problem. */
export function checkCompatibility(level: Level, candidate: string, earlier: Array<{ version: number; schema: string }>): string[] {
  if (level === 'NONE' || earlier.length === 0) return [];
  const transitive = level.endsWith('_TRANSITIVE');
  const base = level.replace('_TRANSITIVE', '');
  const against = transitive ? earlier : earlier.slice(-1);
  const next = parseAvro(candidate);
  const problems: string[] = [];
  for (const old of against) {
    const prev = parseAvro(old.schema);
    if (base === 'BACKWARD' || base === 'FULL') {
      const why = whyUnreadable(next, prev);
      if (why) problems.push(`new schema cannot read data written with version ${old.version} (${level}): ${why}`);
    }
    if (base === 'FORWARD' || base === 'FULL') {
      const why = whyUnreadable(prev, next);
      if (why) problems.push(`version ${old.version} cannot read data written with the new schema (${level}): ${why}`);
    }
  }
  return problems;
}
