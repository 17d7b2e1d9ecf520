import { test } from 'node:test';
import assert from 'node:assert/strict';
import avro from 'avsc';
import { content, payload, render } from '../../fixtures/render/payloads.js';
import type { Template, TemplateVersion } from '../../../src/generated/types.js';
import { loadSchemas } from '../../../src/schemas/index.js';
import { resolveTemplate } from '../../../src/streams/templates.js';

const text = (b: Buffer) => b.toString('latin1');
const subjectOf = (raw: Buffer) => /^Subject: (.*)\r$/m.exec(text(raw))?.[1];

const version = (n: number, subject: string): TemplateVersion => ({ version: n, subject, from: 'a@shop.example', replyTo: null, mjml: null,
  html: `<p>${subject}</p>`, text: null, headers: {}, engine: 'eta' });

/** A stored record: published version 2 (version 1 kept), or only a draft (`published: false`), with `draft` or none. */
function record(opts: { published?: boolean; draft?: string | null }): Template {
  const draft = opts.draft == null ? null : version(opts.published === false ? 1 : 3, opts.draft);
  if (opts.published === false) {
    return { templateId: 'welcome', tenant: 'acme', name: 'Welcome', description: '', createdAt: 0, ...version(0, opts.draft!), versions: [],
      hasPublished: false, draft };
  }
  return { templateId: 'welcome', tenant: 'acme', name: 'Welcome', description: '', createdAt: 0, ...version(2, 'published v2'),
    versions: [version(1, 'published v1')], hasPublished: true, draft };
}
const tableOf = (t: Template) => ({ get: (key: string) => (key === 'acme:welcome' ? t : undefined) });

test('useDraft renders the stored record\'s draft; without it the job gets the published version', async () => {
  const templates = tableOf(record({ draft: 'draft v3' }));
  const draft = await render(payload({ content: content({ templateId: 'welcome', useDraft: true }) }), { templates });
  assert.equal(draft.events.length, 0, JSON.stringify(draft.events));
  assert.equal(subjectOf(draft.rendered[0].raw), 'draft v3');
  const published = await render(payload({ content: content({ templateId: 'welcome' }) }), { templates });
  assert.equal(subjectOf(published.rendered[0].raw), 'published v2');
  const off = await render(payload({ content: content({ templateId: 'welcome', useDraft: false }) }), { templates });
  assert.equal(subjectOf(off.rendered[0].raw), 'published v2');
  const pinned = await render(payload({ content: content({ templateId: 'welcome', templateVersion: 1 }) }), { templates });
  assert.equal(subjectOf(pinned.rendered[0].raw), 'published v1');
});

test('a template with only a draft: a job without useDraft is render_failed MS_ERR_NOT_FOUND, one with it renders the draft', async () => {
  const templates = tableOf(record({ published: false, draft: 'only a draft' }));
  const res = await render(payload({ rows: [{}, {}], content: content({ templateId: 'welcome' }) }), { templates });
  assert.equal(res.rendered.length, 0);
  assert.deepEqual(res.events.map((e) => [e.type, e.templateId]), [['render_failed', 'welcome'], ['render_failed', 'welcome']]);
  assert.match(res.events[0].reason ?? '', /^MS_ERR_NOT_FOUND: template welcome has no published version/);
  const draft = await render(payload({ content: content({ templateId: 'welcome', useDraft: true }) }), { templates });
  assert.equal(subjectOf(draft.rendered[0].raw), 'only a draft');
});

test('useDraft on a template without a draft, or of another tenant, is render_failed MS_ERR_NOT_FOUND for each recipient', async () => {
  const templates = tableOf(record({ draft: null }));
  const res = await render(payload({ rows: [{}, {}], content: content({ templateId: 'welcome', useDraft: true }) }), { templates });
  assert.equal(res.rendered.length, 0);
  assert.deepEqual(res.events.map((e) => e.type), ['render_failed', 'render_failed']);
  assert.match(res.events[0].reason ?? '', /^MS_ERR_NOT_FOUND: template welcome has no draft/);
  const other = await render(payload({ tenant: 'globex', content: content({ templateId: 'welcome', useDraft: true }) }),
    { templates: tableOf(record({ draft: 'acme draft' })) });
  assert.deepEqual(other.events.map((e) => e.type), ['render_failed'], 'another tenant cannot use acme\'s draft');
  assert.match(other.events[0].reason ?? '', /^MS_ERR_NOT_FOUND/);
});

test('the render_failed event of a draft names the draft\'s version', async () => {
  const t = record({ draft: 'draft v3' });
  t.draft = { ...t.draft!, html: '<p><% if %></p>' };
  const res = await render(payload({ content: content({ templateId: 'welcome', useDraft: true }) }), { templates: tableOf(t) });
  assert.deepEqual(res.events.map((e) => [e.type, e.templateVersion]), [['render_failed', 3]]);
});

test('resolveTemplate: a record written before drafts (no hasPublished, no draft) is published and has no draft', () => {
  const old = record({ draft: null }) as Partial<Template>;
  delete old.hasPublished;
  delete old.draft;
  assert.equal(resolveTemplate(old as Template)?.version, 2);
  assert.equal(resolveTemplate(old as Template, 1)?.version, 1);
  assert.equal(resolveTemplate(old as Template, null, true), undefined);
  assert.equal(resolveTemplate(undefined, null, true), undefined);
});

/** A schema as it was before a field was added (the field dropped from `record`'s fields). */
function without(schema: unknown, recordName: string, field: string): unknown {
  return JSON.parse(JSON.stringify(schema), (_k, v: { type?: string; name?: string; fields?: Array<{ name: string }> }) =>
    (v && v.type === 'record' && v.name === recordName ? { ...v, fields: v.fields!.filter((f) => f.name !== field) } : v));
}

test('the new fields are BACKWARD compatible: records written without them read as published, no draft, useDraft false', () => {
  const schemas = loadSchemas();
  const tpl = schemas.get('template.avsc')!;
  const oldTpl = avro.Type.forSchema(without(without(tpl.schema, 'Template', 'draft'), 'Template', 'hasPublished') as avro.Schema,
    { wrapUnions: false });
  const { hasPublished: _h, draft: _d, ...before } = record({ draft: null });
  const read = tpl.type.fromBuffer(oldTpl.toBuffer(before), tpl.type.createResolver(oldTpl)) as Template;
  assert.equal(read.hasPublished, true);
  assert.equal(read.draft, null);
  const job = schemas.get('job.avsc')!;
  const oldJob = avro.Type.forSchema(without(job.schema, 'Content', 'useDraft') as avro.Schema, { wrapUnions: false });
  const resolver = job.type.createResolver(oldJob);
  const { useDraft: _u, ...c } = content({ templateId: 'welcome' });
  const j = { jobId: 'j', acceptedAt: 1, kind: 'bulk', tenant: 't', campaignId: null, content: c,
    audience: { format: 'csv', uri: 'x.csv', query: null, inline: null, emailField: 'email' }, globalData: '{}', metadata: '{}', payloadSize: 2,
    options: { openTracking: false, clickTracking: false, strict: false, ipPool: null, sandbox: false } };
  assert.equal((job.type.fromBuffer(oldJob.toBuffer(j), resolver) as { content: { useDraft: boolean } }).content.useDraft, false);
});
