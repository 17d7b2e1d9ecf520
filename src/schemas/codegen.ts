/**
 * Generates TypeScript types from the Avro schemas, and the topic → value type map from topics/*.yaml; `npm run gen`
 * writes them, a test fails when they drift.
 */
import { loadTopics, TOPIC_DIR } from '../topics/index.js';
import { readSchemaFiles, SCHEMA_DIR } from './index.js';

type Node = string | Node[] | { [k: string]: unknown };
const TS_PRIMITIVE: Record<string, string> = {
  null: 'null', boolean: 'boolean', int: 'number', long: 'number', float: 'number', double: 'number', bytes: 'Buffer', string: 'string',
};

/** The generated file's path relative to the repo root. */
export const GENERATED_FILE = 'src/generated/types.ts';

/** Render every named type of every schema file, and the topic map, as TypeScript source. */
export function generateTypes(dir = SCHEMA_DIR, topicDir = TOPIC_DIR): string {
  const decls = new Map<string, string>();
  const tsOf = (node: Node): string => {
    if (typeof node === 'string') return TS_PRIMITIVE[node] ?? node.slice(node.lastIndexOf('.') + 1);
    if (Array.isArray(node)) return node.map(tsOf).join(' | ');
    const o = node as Record<string, unknown>;
    switch (o.type) {
      case 'record': return declareRecord(o);
      case 'enum': return declareEnum(o);
      case 'array': return `Array<${tsOf(o.items as Node)}>`;
      case 'map': return `Record<string, ${tsOf(o.values as Node)}>`;
      case 'fixed': return 'Buffer';
      default: return tsOf(o.type as Node);
    }
  };
  const doc = (text: unknown, indent = ''): string => (text ? `${indent}/** ${String(text)} */\n` : '');
  const declareEnum = (o: Record<string, unknown>): string => {
    const name = o.name as string;
    const symbols = o.symbols as string[];
    decls.set(name, `${doc(o.doc)}export type ${name} = ${symbols.map((s) => `'${s}'`).join(' | ')};\n`
      + `/** Every ${name} value, in schema order. */\nexport const ${name}Values = [${symbols.map((s) => `'${s}'`).join(', ')}] as const;\n`);
    return name;
  };
  const declareRecord = (o: Record<string, unknown>): string => {
    const name = o.name as string;
    if (decls.has(name)) return name;
    decls.set(name, '');
    const fields = (o.fields as Array<Record<string, unknown>>).map((f) =>
      `${doc(f.doc, '  ')}  ${f.name as string}: ${tsOf(f.type as Node)};`);
    decls.set(name, `${doc(o.doc)}export interface ${name} {\n${fields.join('\n')}\n}\n`);
    return name;
  };
  const files = readSchemaFiles(dir);
  for (const f of files) tsOf(f.schema as Node);
  const body = [...decls.keys()].sort().map((k) => decls.get(k)).join('\n');
  const typeOf = new Map(files.map((f) => [f.file, tsOf(f.schema as Node)]));
  const entries = loadTopics(topicDir).map((t) => `  '${t.name}': ${typeOf.get(t.value.schema) ?? 'never'};`);
  const map = `/** Logical topic name → the type of its values, from topics/*.yaml (value.schema). */\n`
    + `export interface TopicValues {\n${entries.join('\n')}\n}\n`;
  return '// Generated from schemas/*.avsc and topics/*.yaml by `npm run gen`. Do not edit: change the schema or topic file '
    + `and regenerate.\n\n${body}\n${map}`;
}
