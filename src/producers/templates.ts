/**
 * Publishes template versions and drafts to the compacted templates topic (one record per template: the published
 * version, earlier ones for pinned jobs, and the draft). A version or draft is compiled (MJML strict, template syntax)
 * before it is stored, so a broken template is refused with line and column and no job ever hits it.
 * Eta templates only from the operator (trust.ts).
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { Template, TemplateVersion } from '../generated/types.js';
import { createCodec } from '../lib/codec.js';
import { MailstreamError } from '../lib/errors.js';
import { validateTemplate } from '../render/validate.js';
import { createTemplateTable, draftOf, isPublished, templateKey, type TemplateTable } from '../streams/templates.js';
import { topic } from '../topics/runtime.js';
import type { Runtime } from '../runtime.js';
import { parseRequest } from './jobs.js';
import { assertEngineAllowed, type ProducerCallOptions } from './trust.js';

/** Earlier versions kept inside the latest record, for pinned jobs. */
const KEEP_VERSIONS = 20;

const source = z.strictObject({
  subject: z.string().min(1), from: z.string().min(1), replyTo: z.string().nullish(), mjml: z.string().nullish(),
  html: z.string().nullish(), text: z.string().nullish(), headers: z.record(z.string(), z.string()).default({}),
  engine: z.enum(['sparkpost', 'eta']).default('sparkpost'),
}).refine((t) => t.mjml || t.html || t.text, 'give a body: mjml, html or text');

/** A template's content as published. */
export type TemplateSource = z.infer<typeof source>;

/** Read a template from a file: YAML/JSON with every field, or an .mjml/.html body plus `extra` (subject, from). */
export function readTemplateFile(path: string, extra: Record<string, unknown> = {}): TemplateSource {
  const ext = extname(path).toLowerCase();
  const text = readFileSync(path, 'utf8');
  const doc = ext === '.mjml' ? { mjml: text } : ext === '.html' || ext === '.htm' ? { html: text }
    : ['.yaml', '.yml', '.json'].includes(ext) ? parseYaml(text) : undefined;
  if (!doc || typeof doc !== 'object') throw new MailstreamError('MS_ERR_VALIDATION', `${path}: must be .yaml, .json, .mjml or .html`);
  return parseRequest(source, { ...doc, ...Object.fromEntries(Object.entries(extra).filter(([, v]) => v != null)) });
}

/** Where and for whom a template is published; `table` reuses a live templates table (the gateway's). */
export interface PublishOptions extends ProducerCallOptions {
  tenant?: string; name?: string; description?: string; table?: TemplateTable;
  /**
   * `publish` (the default, as `mailstream template put`): `src` becomes the next published version, and a draft is
   * kept (renumbered after it) unless `clearDraft`. `draft`: `src` becomes the template's draft (SparkPost's unpublished
   * version); what is published is untouched, and a new template has only the draft.
   */
  as?: 'publish' | 'draft';
  /** With `publish`: drop the draft, as publishing a draft does. */
  clearDraft?: boolean;
}

/** The template ID rule: letters, digits, ".", "_" and "-", at most 128. */
export const TEMPLATE_ID_RE = /^[A-Za-z0-9_.-]{1,128}$/;

async function latestOf(rt: Runtime, key: string, table?: TemplateTable): Promise<Template | undefined> {
  if (table) { await table.ready; return table.latest(key); }
  const own = await createTemplateTable(rt.kafka, rt.registry, rt.topicPrefix);
  try { await own.ready; return own.latest(key); } finally { await own.stop(); }
}

const versionOf = (v: TemplateVersion): TemplateVersion => ({ version: v.version, subject: v.subject, from: v.from, replyTo: v.replyTo,
  mjml: v.mjml, html: v.html, text: v.text, headers: v.headers, engine: v.engine });

/** The same record, whatever the order of its fields (as a table decodes it). */
const canonical = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (x && typeof x === 'object' && !Array.isArray(x)
  ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x));

/** A check for `TemplateTable.until`: the table holds `record` (or a later write replaced it). */
export const holds = (record: Template) => {
  const want = canonical(record);
  return (t: Template | undefined): boolean => !!t && canonical(t) === want;
};

/**
 * Validate `src` and store it for `opts.tenant` (default "default") as the next published version of `templateId`, or
 * as its draft (`opts.as`); resolves with the record written. `opts.trust` is the caller's (default external:
 * `engine: eta` refused, see trust.ts).
 */
export async function storeTemplate(rt: Runtime, templateId: string, src: TemplateSource, opts: PublishOptions = {}):
  Promise<Template> {
  if (!TEMPLATE_ID_RE.test(templateId)) {
    throw new MailstreamError('MS_ERR_VALIDATION', `template id "${templateId}": letters, digits, ".", "_" and "-" only`);
  }
  assertEngineAllowed(src.engine, opts);
  await validateTemplate(src);
  const tenant = opts.tenant ?? 'default';
  const key = templateKey(tenant, templateId);
  const latest = await latestOf(rt, key, opts.table);
  const published = latest && isPublished(latest) ? latest : undefined;
  const body = { subject: src.subject, from: src.from, replyTo: src.replyTo ?? null, mjml: src.mjml ?? null, html: src.html ?? null,
    text: src.text ?? null, headers: src.headers, engine: src.engine };
  const meta = { templateId, tenant, name: opts.name ?? latest?.name ?? templateId, description: opts.description ?? latest?.description ?? '' };
  let record: Template;
  if (opts.as === 'draft') {
    // the draft is numbered as the version it becomes when published
    const draft: TemplateVersion = { version: (published?.version ?? 0) + 1, ...body };
    record = published ? { ...published, ...meta, draft }
      : { ...meta, version: 0, createdAt: Date.now(), ...body, versions: [], hasPublished: false, draft };
  } else {
    const version = (published?.version ?? 0) + 1;
    const previous = published ? [...published.versions, versionOf(published)] : [];
    const kept = opts.clearDraft ? undefined : draftOf(latest);
    record = { ...meta, version, createdAt: Date.now(), ...body, versions: previous.slice(-KEEP_VERSIONS), hasPublished: true,
      draft: kept ? { ...versionOf(kept), version: version + 1 } : null };
  }
  const t = topic(rt.topicPrefix, 'templates');
  const codec = await createCodec<Template>(rt.registry, t);
  await rt.producer.send({ topic: t.name, acks: -1, messages: [{ key, value: codec.encode(record) }] });
  return record;
}

/**
 * Validate and publish `src` as the next version of `templateId` for `opts.tenant` (default "default"); resolves
 * with the version number (with `opts.as: 'draft'`, the draft's). `opts.trust` is the caller's (default external:
 * `engine: eta` refused, see trust.ts).
 */
export async function publishTemplate(rt: Runtime, templateId: string, src: TemplateSource, opts: PublishOptions = {}):
  Promise<number> {
  const record = await storeTemplate(rt, templateId, src, opts);
  return opts.as === 'draft' ? record.draft!.version : record.version;
}

/** Delete a tenant's template (a tombstone); jobs already rendered are unaffected. */
export async function deleteTemplate(rt: Runtime, tenant: string, templateId: string): Promise<void> {
  const t = topic(rt.topicPrefix, 'templates');
  await rt.producer.send({ topic: t.name, acks: -1, messages: [{ key: templateKey(tenant, templateId), value: null }] });
}
