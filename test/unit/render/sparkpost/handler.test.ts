import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simpleParser } from 'mailparser';
import { content, payload, render } from '../../../fixtures/render/payloads.js';
import { verifyToken } from '../../../../src/render/tracking.js';
import { decodeHtml } from './support.js';

const MJML = `<mjml><mj-body><mj-section><mj-column>
  <mj-text>Hello {{ name or 'friend' }} ({{ address.email }})</mj-text>
  <mj-text>{{ if vip }}VIP offer{{ else }}Regular offer{{ end }}, in {{ city }}</mj-text>
  <mj-button href="https://shop.example/offer?u={{ user }}">Shop now</mj-button>
  <mj-text>{{ each items }}<p>Item {{ loop_var.name }}</p>{{ end }}</mj-text>
</mj-column></mj-section></mj-body></mjml>`;

const sparkpost = (over: Parameters<typeof content>[0] = {}) =>
  content({ engine: 'sparkpost', subject: 'Hi {{ name }}', from: '{{ shop or "Shop" }} <news@shop.example>', mjml: MJML,
    html: null, text: null,
    ...over } as Parameters<typeof content>[0]);

// Dynamic Content / Links: substitutions survive MJML, run on its output, and links are tracked after substitution
test('MJML + substitutions + click and open tracking: HTML and text parts and headers as the recipient sees them',
  async () => {
  const p = payload({
    content: sparkpost(), globalData: JSON.stringify({ city: 'Paris', shop: 'Le <Shop>' }),
    rows: [{ name: 'Ann <b>', user: 'Ann B', vip: true, items: [{ name: 'hat' }, { name: 'scarf' }] }, { user: 'x',
      city: 'Rome', items: [] }],
    options: { openTracking: true, clickTracking: true, strict: false, ipPool: null, sandbox: false, skipSuppression: false, returnPath: null, inlineCss: false },
  });
  const res = await render(p);
  assert.deepEqual(res.events.map((e) => e.reason), []);
  assert.equal(res.rendered.length, 2);
  const [ann, other] = await Promise.all(res.rendered.map((m) => simpleParser(m.raw)));

  assert.equal(ann.subject, 'Hi Ann <b>');
  assert.equal(ann.from?.value[0].name, 'Le <Shop>');
  const html = String(ann.html);
  assert.doesNotMatch(html, /Ann <b>/);
  assert.match(decodeHtml(html), /Hello Ann <b> \(user1@Dest\.example\)/i);
  assert.match(html, /VIP offer, in Paris/);
  assert.match(html, /Item hat<\/p>[\s\S]*Item scarf<\/p>/);
  assert.doesNotMatch(html, /\{\{|\}\}/);
  const tracked = [...html.matchAll(/href="https:\/\/t\.example\.com\/c\/([\w-]+\.[\w-]+)"/g)]
    .map((m) => verifyToken(m[1], 'test-secret'));
  assert.equal(tracked.length, 1);
  assert.equal(new URL(tracked[0]?.u ?? '').searchParams.get('u'), 'Ann B');
  assert.match(html, /<img src="https:\/\/t\.example\.com\/o\/[\w-]+\.[\w-]+"/);
  assert.match(ann.text ?? '', /Hello Ann <b> \(user1@Dest\.example\)/i);
  assert.match(ann.text ?? '', /VIP offer, in Paris/);
  // Links: the text part generated from the HTML keeps the link working, its value URL-encoded
  assert.match(ann.text ?? '', /https:\/\/shop\.example\/offer\?u=Ann%20B\b/);

  assert.equal(other.subject, 'Hi');
  assert.match(String(other.html), /Hello friend/);
  assert.match(String(other.html), /Regular offer, in Rome/);
  assert.doesNotMatch(String(other.html), /Item /);
});

test('a written text part is rendered without HTML escaping; the HTML part escapes the same value', async () => {
  const c = sparkpost({ mjml: null, html: '<p>{{ note }}</p>',
    text: 'Note: {{ note }}\n{{ if vip }}\nVIP\n{{ end }}\nBye' });
  const [m] = (await render(payload({ content: c, rows: [{ name: 'A', note: 'a < b & "c"', vip: true }] }))).rendered;
  const parsed = await simpleParser(m.raw);
  assert.equal(parsed.text?.trim(), 'Note: a < b & "c"\nVIP\nBye');
  assert.doesNotMatch(String(parsed.html), /a < b/);
  assert.match(decodeHtml(String(parsed.html)), /<p>a < b & "c"<\/p>/);
});

test('a render error fails that recipient only, with MS_ERR_TEMPLATE_RENDER and the part, line and column', async () => {
  const c = sparkpost({ mjml: null, html: '<p>ok</p>\n<p>{{ render_snippet("nope") }}</p>', text: null });
  const res = await render(payload({ content: c, rows: [{ name: 'A' }] }));
  assert.equal(res.rendered.length, 0);
  assert.equal(res.events.length, 1);
  assert.equal(res.events[0].type, 'render_failed');
  assert.match(res.events[0].reason ?? '', /^MS_ERR_TEMPLATE_RENDER: html 2:\d+: /);
});

test('a syntax error in the content fails every recipient with MS_ERR_TEMPLATE_SYNTAX naming the part', async () => {
  const c = sparkpost({ mjml: null, html: '<p>ok</p>\n{{ if x }}never closed', subject: 'fine' });
  const res = await render(payload({ content: c, rows: [{ name: 'A' }, { name: 'B' }] }));
  assert.equal(res.rendered.length, 0);
  assert.deepEqual(res.events.map((e) => e.type), ['render_failed', 'render_failed']);
  for (const e of res.events) assert.match(e.reason ?? '', /^MS_ERR_TEMPLATE_SYNTAX: html \d+:\d+: /);
});

// Template Variables / Sources: the documented city example, through the payload's four data layers
test('precedence through the renderer: recipient data > job globalData > recipient metadata > job metadata', async () => {
  const c = sparkpost({ mjml: null, subject: 'Hello, {{ city }}!',
    html: '<p>{{ city }}|{{ state }}|{{ zip }}|{{ country }}</p>', text: null });
  const p = payload({
    content: c, globalData: JSON.stringify({ city: 'Seattle', state: 'WA' }),
      metadata: JSON.stringify({ city: 'San Francisco', state: 'CA', zip: 'j', country: 'US' }),
    rows: [{ city: 'New York' }, {}],
  });
  p.recipients = p.recipients.map((r) => ({ ...r, metadata: JSON.stringify({ city: 'Baltimore', state: 'MD',
    zip: '21201' }) }));
  const [a, b] = await Promise.all((await render(p)).rendered.map((m) => simpleParser(m.raw)));
  assert.equal(a.subject, 'Hello, New York!');
  assert.match(String(a.html), /<p>New York\|WA\|21201\|US<\/p>/);
  assert.equal(b.subject, 'Hello, Seattle!');
});

// reserved variables in a real message: env_from / return_path are the rendered envelope sender, address.name the row's
test('env_from, return_path and address.name render in the subject, text and HTML of a real message', async () => {
  const p = payload({
    content: sparkpost({ mjml: null, from: '{{ shop or "Shop" }} <{{ box }}@shop.example>',
      subject: 'To {{ address.name or "nobody" }} from {{ env_from }}',
      text: 'Name={{ address.name }} Email={{ address.email }} Return={{ return_path }}',
      html: '<html><body><p>Dear {{ address.name or "customer" }}, bounces go to {{ return_path }}</p></body></html>' }),
    rows: [{ name: 'Ann <Lee>', box: 'news' }, { box: 'offers' }],
  });
  const res = await render(p);
  assert.deepEqual(res.events.map((e) => e.reason), []);
  const [ann, anon] = await Promise.all(res.rendered.map((m) => simpleParser(m.raw)));
  assert.equal(res.rendered[0].mailFrom, 'news@shop.example');
  assert.equal(ann.subject, 'To Ann <Lee> from news@shop.example');
  assert.equal(ann.text?.trim(), 'Name=Ann <Lee> Email=user1@Dest.example Return=news@shop.example');
  assert.match(decodeHtml(String(ann.html)), /Dear Ann <Lee>, bounces go to news@shop\.example/);
  assert.equal(anon.subject, 'To nobody from offers@shop.example', 'a row without name: address.name is empty');
  assert.match(decodeHtml(String(anon.html)), /Dear customer, bounces go to offers@shop\.example/);
});

// header injection is a render error (SparkPost code 3001) for that recipient only
test('CR/LF substituted into the Subject or From fails that recipient with MS_ERR_TEMPLATE_RENDER; the rest render',
  async () => {
  const p = payload({
    content: sparkpost({ mjml: null, html: '<p>Hi</p>', subject: 'Hi {{ name }}', from: '{{ shop }} <news@shop.example>' }),
    rows: [{ name: 'x\r\nBcc: victim@evil.example', shop: 'S' }, { name: 'ok', shop: 'S\nBcc: victim@evil.example' },
      { name: 'ok', shop: 'S' }],
  });
  const res = await render(p);
  assert.deepEqual(res.events.map((e) => [e.type, e.messageId, e.reason]), [
    ['render_failed', p.recipients[0].messageId, 'MS_ERR_TEMPLATE_RENDER: header injection refused: CR/LF in Subject'],
    ['render_failed', p.recipients[1].messageId, 'MS_ERR_TEMPLATE_RENDER: header injection refused: CR/LF in From'],
  ]);
  assert.deepEqual(res.rendered.map((m) => m.messageId), [p.recipients[2].messageId]);
  assert.ok(!res.rendered[0].raw.toString().includes('victim@evil.example'));
});
