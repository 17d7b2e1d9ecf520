import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simpleParser } from 'mailparser';
import { content, payload, render } from '../../fixtures/render/payloads.js';
import { verifyToken } from '../../../src/render/tracking.js';
import type { Template } from '../../../src/generated/types.js';

const text = (b: Buffer) => b.toString('latin1');

test('bulk mail carries RFC 8058 one-click unsubscribe headers with a signed https URL and a mailto', async () => {
  const [m] = (await render(payload({ kind: 'bulk' }))).rendered;
  const lu = (text(m.raw).match(/^List-Unsubscribe: ?([\s\S]*?)\r\n(?![ \t])/m)?.[1] ?? '').replace(/\r\n/g, '');
  assert.match(lu, /<https:\/\/u\.example\.com\/u\/[\w-]+\.[\w-]+>,\s+<mailto:unsubscribe@u\.example\.com\?subject=unsubscribe-[\w.-]+>/);
  assert.match(text(m.raw), /^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r$/m);
  const token = /\/u\/([\w-]+\.[\w-]+)>/.exec(lu)?.[1] ?? '';
  assert.deepEqual(verifyToken(token, 'test-secret'), { k: 'u', m: m.messageId, j: m.jobId, t: 'acme', s: 1_700_000_000, r: m.rcptTo });
});

test('transactional mail has no List-Unsubscribe headers', async () => {
  const [m] = (await render(payload({ kind: 'transactional' }))).rendered;
  assert.doesNotMatch(text(m.raw), /^List-Unsubscribe/im);
});

test('XSS: <script> in substitution data is escaped in the HTML part and verbatim in the text part', async () => {
  const evil = '<script>alert("x")</script>';
  const [m] = (await render(payload({ rows: [{ name: evil }], content: content({ text: 'Hi <%= it.name %>' }) }))).rendered;
  const parsed = await simpleParser(m.raw);
  assert.ok(String(parsed.html).includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'));
  assert.ok(!String(parsed.html).includes('<script>'));
  assert.equal(parsed.text?.trim(), `Hi ${evil}`);
});

test('header injection: CR/LF from data in the subject is refused as render_failed, never passed through', async () => {
  const res = await render(payload({ rows: [{ name: 'x\r\nBcc: victim@evil.example' }, { name: 'ok' }] }));
  assert.equal(res.rendered.length, 1);
  assert.equal(res.events[0].type, 'render_failed');
  assert.match(res.events[0].reason ?? '', /^MS_ERR_TEMPLATE_RENDER: header injection refused: CR\/LF in Subject/);
  assert.ok(!res.rendered.some((m) => text(m.raw).includes('victim@evil.example')));
});

test('recipient data is deep-merged over the global data', async () => {
  const p = payload({ globalData: JSON.stringify({ shop: { name: 'S', city: 'Paris' }, name: 'nobody' }), rows: [{ name: 'Ann', shop: { city: 'Rome' } }],
    content: content({ text: '<%= it.name %>|<%= it.shop.name %>|<%= it.shop.city %>' }) });
  const parsed = await simpleParser((await render(p)).rendered[0].raw);
  assert.equal(parsed.text?.trim(), 'Ann|S|Rome');
});

test('strict mode: a missing variable is render_failed naming it; lenient renders it empty, never "undefined"', async () => {
  const c = content({ subject: 'Hi <%= it.first %>', html: '<p><%= it.first %><%~ it.nope %></p>', text: '[<%= it.first %>]' });
  const strict = await render(payload({ content: c, options: { openTracking: false, clickTracking: false, strict: true, ipPool: null, sandbox: false, skipSuppression: false, returnPath: null, inlineCss: false } }));
  assert.equal(strict.rendered.length, 0);
  assert.match(strict.events[0].reason ?? '', /MS_ERR_TEMPLATE: .*missing variable it\.first/);
  const lenient = await render(payload({ content: c }));
  const raw = text(lenient.rendered[0].raw);
  assert.ok(!raw.includes('undefined'));
  assert.match(raw, /^Subject: Hi\s*\r$/m);
  assert.equal((await simpleParser(lenient.rendered[0].raw)).text?.trim(), '[]');
});

test('strict mode names nested paths and still renders data that is present', async () => {
  const c = content({ subject: 'Hi <%= it.user.first %>', html: '<p><%= it.user.last %></p>' });
  const opts = { openTracking: false, clickTracking: false, strict: true, ipPool: null, sandbox: false, skipSuppression: false, returnPath: null, inlineCss: false };
  const res = await render(payload({ content: c, options: opts, rows: [{ user: { first: 'A', last: 'B' } }, { user: { first: 'A' } }] }));
  assert.equal(res.rendered.length, 1);
  assert.match(res.events[0].reason ?? '', /missing variable it\.user\.last/);
});

test('a broken template (Eta syntax error) fails every recipient with the same reason, without throwing', async () => {
  const res = await render(payload({ rows: [{}, {}, {}], content: content({ html: '<p><%= it.name( %></p>' }) }));
  assert.equal(res.rendered.length, 0);
  assert.equal(res.events.length, 3);
  assert.ok(res.events.every((e) => e.type === 'render_failed' && e.reason === res.events[0].reason));
  assert.match(res.events[0].reason ?? '', /^MS_ERR_TEMPLATE: html 1:4: Eta syntax error/);
});

test('an unknown template id is render_failed for each recipient, naming id and version', async () => {
  const res = await render(payload({ rows: [{}, {}], content: content({ templateId: 'welcome', templateVersion: 7 }) }));
  assert.deepEqual(res.events.map((e) => [e.type, e.templateId, e.templateVersion]), [['render_failed', 'welcome', 7], ['render_failed', 'welcome', 7]]);
  assert.match(res.events[0].reason ?? '', /^MS_ERR_NOT_FOUND: template welcome version 7 not found/);
});

test('a stored template is looked up in its tenant, and a pinned older version is found inside the latest record', async () => {
  const tpl: Template = { templateId: 'welcome', tenant: 'acme', name: 'Welcome', description: '', version: 2, createdAt: 0, subject: 'v2 <%= it.name %>', from: 'a@shop.example', replyTo: 'Help <help@shop.example>',
    mjml: null, html: '<p>v2</p>', text: null, headers: { 'X-Campaign-Tag': 'tag-<%= it.name %>' }, engine: 'eta',
    versions: [{ version: 1, subject: 'v1 <%= it.name %>', from: 'a@shop.example', replyTo: null, mjml: null, html: '<p>v1</p>', text: null, headers: {}, engine: 'eta' }], hasPublished: true, draft: null };
  const templates = { get: (key: string) => (key === 'acme:welcome' ? tpl : undefined) };
  const latest = await render(payload({ content: content({ templateId: 'welcome' }) }), { templates });
  assert.match(text(latest.rendered[0].raw), /^Subject: v2 Ann\r$/m);
  assert.match(text(latest.rendered[0].raw), /^Reply-To: Help <help@shop\.example>\r$/m);
  assert.match(text(latest.rendered[0].raw), /^X-Campaign-Tag: tag-Ann\r$/m);
  const pinned = await render(payload({ content: content({ templateId: 'welcome', templateVersion: 1 }) }), { templates });
  assert.match(text(pinned.rendered[0].raw), /^Subject: v1 Ann\r$/m);
  const otherTenant = await render(payload({ tenant: 'globex', content: content({ templateId: 'welcome' }) }), { templates });
  assert.deepEqual(otherTenant.events.map((e) => e.type), ['render_failed'], 'another tenant cannot use acme\'s template');
});

test('one bad recipient row does not block the rest of the payload', async () => {
  const p = payload({ rows: [{ name: 'A' }, { name: 'B' }] });
  p.recipients[0].data = '{not json';
  const res = await render(p);
  assert.equal(res.rendered.length, 1);
  assert.equal(res.events[0].rowNumber, 1);
  assert.match(res.events[0].reason ?? '', /^MS_ERR_VALIDATION: recipient row 1 data is not valid JSON/);
});
