import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, copyFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadSchemas, SCHEMA_DIR } from '../../../src/schemas/index.js';
import { generateTypes, GENERATED_FILE } from '../../../src/schemas/codegen.js';
import { EventTypeValues } from '../../../src/generated/types.js';

test('generated types match the schemas (run npm run gen when this fails)', () => {
  assert.equal(readFileSync(resolve(import.meta.dirname, '../../..', GENERATED_FILE), 'utf8'), generateTypes());
});

test('event types are a closed enum that includes the vocabulary', () => {
  for (const t of ['injected', 'delivered', 'deferred', 'bounced', 'opened', 'clicked', 'unsubscribed', 'complaint', 'render_failed', 'policy_rejected'])
    assert.ok((EventTypeValues as readonly string[]).includes(t), t);
});

test('cross-file types expand into self-contained schemas', () => {
  const payload = loadSchemas().get('payload.avsc')!;
  assert.match(JSON.stringify(payload.schema), /"name":"Recipient"/);
  assert.ok(payload.type.isValid({ jobId: 'j', seq: 0, acceptedAt: 1, kind: 'bulk', tenant: 't', campaignId: null,
    content: { templateId: null, templateVersion: null, subject: 's', from: 'f', replyTo: null, mjml: null, html: 'h', text: null, headers: {} },
    globalData: '{}', options: { openTracking: false, clickTracking: false, strict: false, ipPool: null }, recipients: [] }));
});

function withSchema(file: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'schemas-'));
  for (const f of readdirSync(SCHEMA_DIR)) copyFileSync(join(SCHEMA_DIR, f), join(dir, f));
  writeFileSync(join(dir, file), text);
  return dir;
}

test('an invalid .avsc is refused, naming the file', () => {
  assert.throws(() => loadSchemas(withSchema('broken.avsc', '{"type": "record", "name": "B", "fields": [{"name": "x", "type": "strin", "doc": "d"}]}')), /broken\.avsc: .*strin/);
  assert.throws(() => loadSchemas(withSchema('broken.avsc', '{not json')), /broken\.avsc: not valid JSON/);
});

test('a field without a doc string is refused, naming the field', () => {
  assert.throws(() => loadSchemas(withSchema('nodoc.avsc', '{"type": "record", "name": "N", "fields": [{"name": "x", "type": "string"}]}')), /nodoc\.avsc: field N\.x has no doc/);
});
