/**
 * Loads `schemas/*.avsc`, checks each with avsc, and expands cross-file named types so every
 * topic's value schema is one self-contained Avro schema (what the registry stores).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import avro from 'avsc';
import { MailstreamError } from '../lib/errors.js';

/** Folder holding the .avsc files. */
export const SCHEMA_DIR = resolve(import.meta.dirname, '../../schemas');

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };
const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

/** One parsed schema file. */
export interface SchemaFile { file: string; schema: Obj; fullName: string }

/** Read and JSON-parse every .avsc; an error names the file. */
export function readSchemaFiles(dir = SCHEMA_DIR): SchemaFile[] {
  return readdirSync(dir).filter((f) => f.endsWith('.avsc')).sort().map((file) => {
    let schema: Obj;
    try { schema = JSON.parse(readFileSync(join(dir, file), 'utf8')); }
    catch (err) { throw new MailstreamError('MS_ERR_SCHEMA_FILE', `${file}: not valid JSON: ${(err as Error).message}`); }
    if (!schema || typeof schema !== 'object' || typeof schema.name !== 'string')
      throw new MailstreamError('MS_ERR_SCHEMA_FILE', `${file}: top level must be a named Avro type with a "name"`);
    return { file, schema, fullName: fullName(schema.name as string, schema.namespace as string | undefined) };
  });
}

function fullName(name: string, ns?: string): string {
  return name.includes('.') || !ns ? name : `${ns}.${name}`;
}

/** Index every named type (record, enum, fixed) defined anywhere in the files, by full name. */
function indexNamed(files: SchemaFile[]): Map<string, Obj> {
  const named = new Map<string, Obj>();
  const walk = (node: Json, ns: string | undefined): void => {
    if (Array.isArray(node)) { node.forEach((n) => walk(n, ns)); return; }
    if (!node || typeof node !== 'object') return;
    const o = node as Obj;
    if (typeof o.name === 'string' && ['record', 'enum', 'fixed'].includes(o.type as string)) {
      const fn = fullName(o.name, (o.namespace as string) ?? ns);
      named.set(fn, o);
      ns = fn.includes('.') ? fn.slice(0, fn.lastIndexOf('.')) : ns;
    }
    if (Array.isArray(o.fields)) for (const f of o.fields as Obj[]) walk(f.type, ns);
    if (o.items) walk(o.items, ns);
    if (o.values) walk(o.values, ns);
    if (o.type && typeof o.type === 'object') walk(o.type, ns);
  };
  for (const f of files) walk(f.schema, undefined);
  return named;
}

/** Inline every reference to a type defined in another file (first use defines it, later uses refer by name). */
function expand(node: Json, named: Map<string, Obj>, seen: Set<string>, ns: string | undefined, file: string): Json {
  if (typeof node === 'string') {
    if (PRIMITIVES.has(node)) return node;
    const fn = fullName(node, ns);
    if (seen.has(fn)) return fn;
    const def = named.get(fn);
    if (!def) throw new MailstreamError('MS_ERR_SCHEMA_FILE', `${file}: unknown type "${node}"`);
    return expand(def, named, seen, ns, file);
  }
  if (Array.isArray(node)) return node.map((n) => expand(n, named, seen, ns, file));
  if (!node || typeof node !== 'object') return node;
  const o: Obj = { ...node };
  if (typeof o.name === 'string' && ['record', 'enum', 'fixed'].includes(o.type as string)) {
    const fn = fullName(o.name, (o.namespace as string) ?? ns);
    seen.add(fn);
    o.name = fn.slice(fn.lastIndexOf('.') + 1);
    o.namespace = fn.includes('.') ? fn.slice(0, fn.lastIndexOf('.')) : '';
    ns = o.namespace || undefined;
  }
  if (Array.isArray(o.fields)) o.fields = (o.fields as Obj[]).map((f) => ({ ...f, type: expand(f.type, named, seen, ns, file) }));
  if (o.items !== undefined) o.items = expand(o.items, named, seen, ns, file);
  if (o.values !== undefined) o.values = expand(o.values, named, seen, ns, file);
  if (o.type && typeof o.type === 'object') o.type = expand(o.type, named, seen, ns, file);
  return o;
}

/** Every schema file, expanded and checked by avsc; keyed by file name. Throws naming the file and field. */
export function loadSchemas(dir = SCHEMA_DIR): Map<string, { fullName: string; schema: Obj; type: avro.Type }> {
  const files = readSchemaFiles(dir);
  const named = indexNamed(files);
  const out = new Map<string, { fullName: string; schema: Obj; type: avro.Type }>();
  for (const f of files) {
    checkDocs(f.schema, f.file);
    const schema = expand(f.schema, named, new Set(), undefined, f.file) as Obj;
    let type: avro.Type;
    try { type = avro.Type.forSchema(schema as avro.Schema, { wrapUnions: false }); }
    catch (err) { throw new MailstreamError('MS_ERR_SCHEMA_FILE', `${f.file}: ${(err as Error).message}`); }
    out.set(f.file, { fullName: f.fullName, schema, type });
  }
  return out;
}

/** Every record field must carry a doc string. */
function checkDocs(node: Json, file: string, path = ''): void {
  if (Array.isArray(node)) { node.forEach((n) => checkDocs(n, file, path)); return; }
  if (!node || typeof node !== 'object') return;
  const o = node as Obj;
  if (o.type === 'record') {
    if (!Array.isArray(o.fields)) throw new MailstreamError('MS_ERR_SCHEMA_FILE', `${file}: record ${String(o.name)} has no "fields" array`);
    for (const f of o.fields as Obj[]) {
      const where = `${path}${String(o.name)}.${String(f.name)}`;
      if (typeof f.doc !== 'string' || !f.doc.trim()) throw new MailstreamError('MS_ERR_SCHEMA_FILE', `${file}: field ${where} has no doc string`);
      checkDocs(f.type, file, `${path}`);
    }
  }
  if (o.items) checkDocs(o.items, file, path);
  if (o.values) checkDocs(o.values, file, path);
  if (o.type && typeof o.type === 'object') checkDocs(o.type, file, path);
}
