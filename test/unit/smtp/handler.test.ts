import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SmtpReply, checkData, takeMsysApi, toRequest } from '../../../src/producers/smtp/handler.js';
import { coalescingProducer } from '../../../src/lib/kafka.js';

const reply = (fn: () => unknown) => { try { fn(); } catch (e) { return e instanceof SmtpReply ? `${e.responseCode} ${e.message}` : String(e); } return 'ok'; };

test('checkData: CRLF text passes; bare LF or CR, 8-bit without 8BITMIME and lines over 998 are 550 5.6.0', () => {
  assert.equal(reply(() => checkData(Buffer.from('a\r\nb\r\n'), false)), 'ok');
  assert.match(reply(() => checkData(Buffer.from('a\nb'), false)), /^550 5\.6\.0 bare LF/);
  assert.match(reply(() => checkData(Buffer.from('a\r.\r\nb\r\n'), false)), /^550 5\.6\.0 bare CR/);
  assert.match(reply(() => checkData(Buffer.from('a\r\nb\r'), false)), /^550 5\.6\.0 bare CR/);
  assert.match(reply(() => checkData(Buffer.from([0x61, 0xfc]), false)), /^550 5\.6\.0 8-bit data/);
  assert.equal(reply(() => checkData(Buffer.from([0x61, 0xfc]), true)), 'ok');
  assert.equal(reply(() => checkData(Buffer.from(`${'x'.repeat(998)}\r\n${'x'.repeat(998)}`), false)), 'ok');
  assert.match(reply(() => checkData(Buffer.from(`${'x'.repeat(999)}\r\n`), false)), /over 998/);
  assert.match(reply(() => checkData(Buffer.from('x'.repeat(999)), false)), /over 998/);
});

test('takeMsysApi: reads folded and RFC 2047-encoded JSON, removes the header and Bcc, keeps every other byte', () => {
  const raw = Buffer.from('From: a@shop.example\r\nX-MSYS-API: {"campaign_id": "c1",\r\n "options": {"transactional": true}}\r\n'
    + 'Bcc: hidden@x.example\r\nSubject: s\r\n\r\nbody\r\nX-MSYS-API: not a header here\r\n');
  const { api, message } = takeMsysApi(raw);
  assert.deepEqual(api, { campaign_id: 'c1', options: { transactional: true } });
  assert.equal(message.toString(), 'From: a@shop.example\r\nSubject: s\r\n\r\nbody\r\nX-MSYS-API: not a header here\r\n');
  const encoded = Buffer.from('From: a@shop.example\r\nX-Msys-Api: =?UTF-8?Q?=7B=22campaign=5Fid=22=3A=22c?=\r\n =?UTF-8?Q?2=22=7D?=\r\n\r\nx');
  assert.deepEqual(takeMsysApi(encoded).api, { campaign_id: 'c2' });
  const none = Buffer.from('From: a@shop.example\r\n\r\nx');
  assert.equal(takeMsysApi(none).message, none, 'nothing to remove: the same buffer');
});

test('takeMsysApi: bad JSON is SparkPost\'s 550 5.6.0 text; wrong fields and a missing From are 550 too', () => {
  assert.equal(reply(() => takeMsysApi(Buffer.from('From: a@b.example\r\nX-MSYS-API: {nope\r\n\r\nx'))),
    '550 5.6.0 JSON parsing error in X-MSYS-API');
  assert.match(reply(() => takeMsysApi(Buffer.from('From: a@b.example\r\nX-MSYS-API: {"optionz": {}}\r\n\r\nx'))), /^550 5\.6\.0 invalid X-MSYS-API/);
  assert.match(reply(() => takeMsysApi(Buffer.from('Subject: x\r\n\r\nx'))), /no From header/);
  assert.match(reply(() => takeMsysApi(Buffer.from('From: a@b.example\r\nX-MSYS-API: {}\r\nX-MSYS-API: {}\r\n\r\nx'))), /more than one/);
});

test('toRequest: bulk unless transactional, tracking only when asked, one recipient per RCPT TO, MAIL FROM as return path', () => {
  const message = Buffer.from('From: a@b.example\r\n\r\nx');
  const r = toRequest({ tenant: 't1', mailFrom: 'bounce@b.example', rcptTo: ['x@d.example', 'y@d.example'], message,
    api: { campaign_id: 'c', options: { click_tracking: true } } }, 'job1') as Record<string, any>;
  assert.equal(r.kind, 'bulk');
  assert.equal(r.campaignId, 'c');
  assert.deepEqual(r.recipients, [{ email: 'x@d.example' }, { email: 'y@d.example' }]);
  assert.equal(r.content.raw, message);
  assert.deepEqual([r.options.clickTracking, r.options.openTracking, r.options.returnPath], [true, false, 'bounce@b.example']);
  const tx = toRequest({ tenant: 't1', mailFrom: '', rcptTo: ['x@d.example'], message, api: { options: { transactional: true } } },
    'j2') as Record<string, any>;
  assert.equal(tx.kind, 'transactional');
  assert.equal(tx.options.returnPath, null, 'the null sender names no return path');
});

test('coalescingProducer: calls made while a request is in flight share the next one; each hears its own outcome', async () => {
  const requests: number[] = [];
  let release: () => void = () => undefined;
  let fail = false;
  const inner = { sendBatch: async (b: { topicMessages?: Array<{ messages: unknown[] }> }) => {
    requests.push(b.topicMessages!.reduce((n, t) => n + t.messages.length, 0));
    await new Promise<void>((r) => { release = r; });
    if (fail) throw new Error('broker gone');
    return [];
  } };
  const p = coalescingProducer(inner as never);
  const one = (n = 1) => p.sendBatch({ acks: -1, topicMessages: [{ topic: 't', messages: Array.from({ length: n }, () => ({ value: 'v' })) }] });
  const first = one();
  const rest = [one(), one(2), one()];
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(requests, [1], 'a lone call goes at once');
  release();
  await first;
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(requests, [1, 4], 'the three queued calls went together');
  fail = true;
  release();
  for (const r of rest) await assert.rejects(r, /broker gone/);
  await assert.rejects(p.sendBatch({ acks: 1, topicMessages: [] }), /acks=all/);
});

test('SMTP_TRUSTED_CLIENTS: ip[/prefix]=tenant entries, every bad one named', async () => {
  const { loadConfig } = await import('../../../src/config/index.js');
  const cfg = loadConfig({ SMTP_TRUSTED_CLIENTS: '127.0.0.1=app, 10.0.0.0/8=acme,fd00::/8=v6' });
  assert.deepEqual(cfg.smtpTrustedClients.map((t) => `${t.address}/${t.prefix}=${t.tenant}:${t.family}`),
    ['127.0.0.1/32=app:ipv4', '10.0.0.0/8=acme:ipv4', 'fd00::/8=v6:ipv6']);
  assert.throws(() => loadConfig({ SMTP_TRUSTED_CLIENTS: '10.0.0.0/33=x,host.example=y,1.2.3.4' }),
    (e: Error) => /10\.0\.0\.0\/33=x/.test(e.message) && /host\.example=y/.test(e.message) && /"1\.2\.3\.4"/.test(e.message));
});
