import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simpleParser } from 'mailparser';
import { content, payload, render } from '../../fixtures/render/payloads.js';
import { verifyToken } from '../../../src/render/tracking.js';

const MULTI = [
  'From: "Shop, Inc" <news@shop.example>', 'To: someone@dest.example', 'Subject: {{ not a template }}',
  'Content-Type: multipart/alternative; boundary="b1"', '', '--b1', 'Content-Type: text/plain; charset=iso-8859-1',
  'Content-Transfer-Encoding: 8bit', '', 'Gr\xfc\xdfe {{name}} https://shop.example/a', '--b1',
  'Content-Type: text/html; charset=utf-8', 'Content-Transfer-Encoding: quoted-printable', '',
  '<html><body><a href=3D"https://shop.example/a?x=3D1&amp;y=3D2">A</a> <a href=3D"mailto:x@y">m</a>=',
  ' <a data-no-track href=3D"https://shop.example/b">B</a> {{name}}</body></html>', '--b1--', '',
].join('\r\n');
const raw = Buffer.from(MULTI, 'latin1');

const injected = (over: Parameters<typeof payload>[0] = {}) =>
  payload({ kind: 'transactional', content: content({ subject: null, from: null, html: null, raw }), ...over });

test('an injected message is sent as received: no substitution, the 8-bit part byte for byte, job headers added', async () => {
  const res = await render(injected());
  assert.equal(res.events.length, 0, res.events[0]?.reason ?? "");
  const out = res.rendered[0]!;
  const text = out.raw.toString('latin1');
  assert.equal(out.mailFrom, 'news@shop.example');
  assert.ok(text.includes('Subject: {{ not a template }}'));
  assert.ok(text.includes('Gr\xfc\xdfe {{name}} https://shop.example/a'), 'the latin-1 part is untouched');
  assert.ok(text.endsWith(MULTI.slice(MULTI.indexOf('\r\n\r\n') + 4)), 'without tracking the body is byte for byte the same');
  assert.match(text, /^Message-ID: <.+@shop\.example>$/m);
  assert.match(text, /^X-Mailstream-Job: /m);
  assert.doesNotMatch(text, /^List-Unsubscribe:/m, 'transactional mail gets no unsubscribe header');
});

test('with click and open tracking, only the HTML part changes: http links tracked, opt-outs and mailto kept', async () => {
  const p = injected({ kind: 'bulk' });
  p.options = { ...p.options, clickTracking: true, openTracking: true };
  const res = await render(p);
  const out = res.rendered[0]!;
  const mail = await simpleParser(out.raw);
  const html = String(mail.html);
  const tracked = [...html.matchAll(/href="https:\/\/t\.example\.com\/c\/([^"]+)"/g)].map((m) => verifyToken(m[1]!, 'test-secret'));
  assert.deepEqual(tracked.map((t) => t?.u), ['https://shop.example/a?x=1&y=2']);
  assert.equal(tracked[0]?.m, p.recipients[0]!.messageId);
  assert.ok(html.includes('href="mailto:x@y"') && html.includes('<a href="https://shop.example/b">B</a> {{name}}'));
  assert.match(html, /<img src="https:\/\/t\.example\.com\/o\/[^"]+" width="1" height="1" alt=""><\/body>/);
  assert.equal(mail.text?.trim(), 'Grüße {{name}} https://shop.example/a');
  assert.match(out.raw.toString('latin1').replace(/\r\n[ \t]+/g, ' '), /^List-Unsubscribe: <https:\/\/u\.example\.com\/u\//m);
});

test('a single-part base64 HTML message is re-encoded when tracked, and decodes to the tracked HTML', async () => {
  const html = '<p>Hi <a href="https://shop.example/x">x</a></p>';
  const one = Buffer.from(['From: news@shop.example', 'Content-Type: text/html', 'Content-Transfer-Encoding: base64', '',
    Buffer.from(html).toString('base64'), ''].join('\r\n'));
  const p = payload({ kind: 'transactional', content: content({ subject: null, from: null, html: null, raw: one }) });
  p.options = { ...p.options, clickTracking: true };
  const res = await render(p);
  const mail = await simpleParser(res.rendered[0]!.raw);
  assert.match(String(mail.html), /^<p>Hi <a href="https:\/\/t\.example\.com\/c\/[^"]+">x<\/a><\/p>/);
  assert.match(res.rendered[0]!.raw.toString(), /^Content-Transfer-Encoding: quoted-printable$/m);
});

test('an injected message without a From address fails its recipients with a render event', async () => {
  const res = await render(payload({ content: content({ subject: null, from: null, html: null, raw: Buffer.from('Subject: x\r\n\r\nbody') }) }));
  assert.equal(res.rendered.length, 0);
  assert.match(res.events[0]!.reason!, /no From address/);
});
