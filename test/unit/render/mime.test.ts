import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simpleParser } from 'mailparser';
import { buildMime } from '../../../src/render/mime.js';
import { quotedPrintable } from '../../../src/render/encode.js';
import { dataChunks } from '../../../src/delivery/smtp/data.js';
import { content, payload, render } from '../../fixtures/render/payloads.js';

const longLine = 'x'.repeat(1500);
const maxLine = (raw: Buffer) => Math.max(...raw.toString('latin1').split('\r\n').map((l) => l.length));

test('golden MIME: html, text, unicode, a 1500-char line and an attachment parse back intact, no line over 998', async () => {
  const { renderMessage } = await import('../../../src/render/message.js');
  const { compileTemplate } = await import('../../../src/render/template.js');
  const t = await compileTemplate({ subject: 'Grüße, {{ name }} ✓', from: 'Zoë Shop <news@shop.example>',
    html: `<html><body><p>Héllo {{ name }}</p><p>${longLine}</p></body></html>`, text: `Héllo {{ name }}\n${longLine}` });
  const pdf = Buffer.from('%PDF-1.4 fake ' + 'é'.repeat(100));
  const { raw } = renderMessage(t, {
    jobId: 'j1', tenant: 'acme', campaignId: null, kind: 'transactional', strict: false, openTracking: false, clickTracking: false,
    tracking: { baseUrl: 'https://t.example.com', secret: 's' }, unsubscribe: { baseUrl: 'https://u.example.com' }, maxMessageBytes: 1e7, now: 0,
    globalData: {}, metadata: {}, limits: {},
    attachments: [{ filename: 'Rechnung März.pdf', contentType: 'application/pdf', content: pdf }],
  }, { messageId: 'j1.1', email: 'bob@dest.example', data: { name: 'Bøb' } });
  assert.ok(maxLine(raw) <= 998);
  assert.ok(!/[^\r]\n/.test(raw.toString('latin1')), 'every line ends in CRLF');
  const m = await simpleParser(raw);
  assert.equal(m.subject, 'Grüße, Bøb ✓');
  assert.equal(m.from?.value[0].name, 'Zoë Shop');
  assert.equal(m.from?.value[0].address, 'news@shop.example');
  assert.equal((Array.isArray(m.to) ? m.to[0] : m.to)?.value[0].address, 'bob@dest.example');
  assert.ok(typeof m.html === 'string' && m.html.includes('Héllo Bøb') && m.html.includes(longLine));
  assert.equal(m.text?.trim(), `Héllo Bøb\n${longLine}`);
  assert.equal(m.attachments.length, 1);
  assert.equal(m.attachments[0].filename, 'Rechnung März.pdf');
  assert.deepEqual(m.attachments[0].content, pdf);
  assert.equal(m.messageId, '<j1.1@shop.example>');
});

test('inline cid images go into multipart/related and keep their Content-ID', async () => {
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
  const raw = buildMime({ headers: 'From: a@b.example\r\n', text: 't', html: '<img src="cid:logo1">', seed: 'x', attachments: [{ filename: 'logo.png', contentType: 'image/png', content: png, cid: 'logo1' }] });
  assert.match(raw.toString(), /multipart\/related/);
  const m = await simpleParser(raw);
  assert.equal(m.attachments[0].cid, 'logo1');
  assert.deepEqual(m.attachments[0].content, png);
});

test('quoted-printable keeps lines at 76, escapes "=" and trailing space, and round-trips', async () => {
  const src = `a=b ${'é'.repeat(80)} end \nnext\tline\t`;
  const qp = quotedPrintable(Buffer.from(src)).toString('latin1');
  assert.ok(qp.split('\r\n').every((l) => l.length <= 76));
  const decoded = Buffer.from(qp.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8');
  assert.equal(decoded, src.replace(/\n/g, '\r\n'));
});

test('no line of a rendered message starts with a dot, so DATA sends its bytes without a stuffed copy', async () => {
  // CSS rules, a text list and data that start lines with dots, and a dot landing on every soft-break column
  const html = `<style>\n.btn { color: red }\n..x {}\n</style><p>${'a'.repeat(74)}.${'b'.repeat(75)}.</p>\n.<%= it.dot %>`;
  const text = `. one\n.. two\n.\n<%= it.dot %>\n${'c'.repeat(75)}.`;
  const [m] = (await render(payload({ content: content({ html, text }), rows: [{ dot: '.lead' }] }))).rendered;
  const raw = m!.raw;
  assert.equal(dataChunks(raw)[0], raw, 'dataChunks made a stuffed copy');
  assert.ok(raw[0] !== 0x2e && raw.indexOf('\n.') === -1);
  const parsed = await simpleParser(raw);
  assert.match(parsed.text ?? '', /^\. one\n\.\. two\n\.\n\.lead\n/);
  assert.match(String(parsed.html), /\n\.btn \{ color: red \}\n\.\.x \{\}/);
});

test('attachments on a bulk payload fail with a clear reason', async () => {
  const p = payload({ content: { ...content(), attachments: [{ filename: 'a.txt', contentType: 'text/plain', content: Buffer.from('x') }] } as never });
  const res = await render(p);
  assert.equal(res.rendered.length, 0);
  assert.match(res.events[0].reason ?? '', /MS_ERR_VALIDATION: attachments are allowed for transactional messages only/);
});

test('a message over maxMessageBytes is render_failed with its size', async () => {
  const res = await render(payload(), { maxMessageBytes: 200 });
  assert.equal(res.events[0].type, 'render_failed');
  assert.match(res.events[0].reason ?? '', /message is \d+ bytes, over the limit of 200 bytes/);
});

test('RenderedMessage fields follow the payload and recipient', async () => {
  const p = payload({ options: { openTracking: false, clickTracking: false, strict: false, ipPool: 'warm', sandbox: false, skipSuppression: false, returnPath: null, inlineCss: false } });
  const [m] = (await render(p)).rendered;
  assert.equal(m.messageId, `${p.jobId}.1`);
  assert.equal(m.rcptTo, 'user1@Dest.example');
  assert.equal(m.domain, 'dest.example');
  assert.equal(m.mailFrom, 'news@shop.example');
  assert.equal(m.ipPool, 'warm');
  assert.equal(m.attempt, 0);
  assert.equal(m.notBefore, 0);
  assert.equal(m.acceptedAt, p.acceptedAt);
  assert.match(m.raw.toString(), /^X-Mailstream-Job: job-\w+\r$/m);
  assert.match(m.raw.toString(), /^Feedback-ID: job-\w+:acme:bulk:mailstream\r$/m);
});
