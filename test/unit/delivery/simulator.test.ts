import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import nodemailer from 'nodemailer';
import { startSimulator, type Simulator } from '../../support/simulator.js';
import { waitFor } from '../../support/wait.js';

let sim: Simulator;
before(async () => {
  sim = await startSimulator({
    addresses: ['127.0.0.2', '127.0.0.3'],
    domains: {
      'defer.test': { deferPercent: 50, code: 451 }, 'reject.test': { rejectUsers: ['bad'] }, 'grey.test': { greylist: true },
      'cap.test': { maxConnectionsPerIp: 2 }, 'rate.test': { ratePerSec: 5 }, 'slow.test': { delayMs: 200 }, 'drop.test': { dropPercent: 100 },
    },
  });
});
after(() => sim.close());

const transport = (host = '127.0.0.2', extra: object = {}) =>
  nodemailer.createTransport({ host, port: sim.port, secure: false, ignoreTLS: true, name: 'sender.localhost', ...extra } as never);
const mail = (to: string, i = 0) => ({ envelope: { from: 'sender@mailstream.test', to }, raw: `From: sender@mailstream.test\r\nTo: ${to}\r\nMessage-ID: <m${i}.${to}>\r\nSubject: hi\r\n\r\nhello\r\n` });
const send = async (t: ReturnType<typeof transport>, to: string, i = 0) => {
  try { const info = await t.sendMail(mail(to, i)); return { ok: true, code: 250, response: info.response as string }; }
  catch (err) { const e = err as { responseCode?: number; response?: string; code?: string; message: string }; return { ok: false, code: e.responseCode ?? null, response: e.response ?? e.code ?? e.message }; }
};

test('unknown users get 550 5.1.1; accepted mail is recorded per recipient with the client IP and the host it reached', async () => {
  const t = transport('127.0.0.3', { localAddress: '127.0.0.9' });
  const bad = await send(t, 'bad@reject.test');
  assert.equal(bad.code, 550);
  assert.match(bad.response, /^550 5\.1\.1 The email account that you tried to reach does not exist/);
  const good = await send(t, 'good@reject.test', 1);
  assert.match(good.response, /^250 2\.0\.0 OK/);
  const r = sim.received.find((x) => x.to === 'good@reject.test')!;
  assert.deepEqual([r.from, r.domain, r.messageId, r.clientIp, r.host], ['sender@mailstream.test', 'reject.test', '<m1.good@reject.test>', '127.0.0.9', '127.0.0.3']);
  assert.ok(r.raw.includes('hello'));
  t.close();
});

test('greylisting defers the first try with 451 4.7.1 and accepts the retry; deferPercent defers about that share', async () => {
  const t = transport();
  assert.match((await send(t, 'u@grey.test')).response, /^451 4\.7\.1 Greylisting in action/);
  assert.equal((await send(t, 'u@grey.test')).ok, true);
  const results = [];
  for (let i = 0; i < 20; i++) results.push(await send(t, `u${i}@defer.test`, i));
  const deferred = results.filter((r) => r.code === 451);
  assert.ok(deferred.length >= 4 && deferred.length <= 16, `deferred ${deferred.length}/20`);
  assert.match(deferred[0]!.response, /^451 4\.3\.0/);
  assert.equal(sim.received.filter((r) => r.domain === 'defer.test').length, 20 - deferred.length);
  t.close();
});

test('a per-IP connection cap answers 421 4.7.0 and the peak concurrency per client IP is counted', async () => {
  const idle: Socket[] = [];
  for (let i = 0; i < 2; i++) { const s = connect(sim.port, '127.0.0.2'); s.on('data', () => {}); idle.push(s); }
  await waitFor('two idle sessions', () => (sim.stats.concurrentByIp['127.0.0.1'] ?? 0) >= 2, 5000, 10);
  const t = transport();
  const r = await send(t, 'u@cap.test');
  assert.match(r.response, /^421 4\.7\.0 \[127\.0\.0\.1\] Too many concurrent SMTP connections/);
  assert.ok(sim.stats.maxConcurrentByIp['127.0.0.1']! >= 3);
  idle.forEach((s) => s.destroy());
  t.close();
});

test('a rate limit answers 421 4.7.28 past N recipients a second; slow domains delay the DATA reply; drop closes without a reply', async () => {
  const t = transport();
  const results = [];
  for (let i = 0; i < 7; i++) results.push(await send(t, `u${i}@rate.test`, i));
  assert.deepEqual(results.map((r) => r.code), [250, 250, 250, 250, 250, 421, 421]);
  assert.match(results[5]!.response, /^421 4\.7\.28 .*temporarily rate limited/);
  const t0 = Date.now();
  assert.equal((await send(t, 'u@slow.test')).ok, true);
  assert.ok(Date.now() - t0 >= 190);
  const before = sim.stats.dropped;
  const dropped = await send(t, 'u@drop.test');
  assert.equal(dropped.ok, false);
  assert.equal(dropped.code, null);
  assert.equal(sim.stats.dropped, before + 1);
  sim.setDomain('drop.test', null);
  assert.equal((await send(t, 'u@drop.test')).ok, true, 'setDomain changes behaviour at run time');
  t.close();
});

test('a pooled sender pushes a few hundred messages through quickly', async (ctx) => {
  const t = transport('127.0.0.2', { pool: true, maxConnections: 4, maxMessages: 1000 });
  const n = 400; const t0 = Date.now();
  const results = await Promise.all(Array.from({ length: n }, (_, i) => send(t, `bulk${i}@fast.test`, i)));
  const ms = Date.now() - t0;
  assert.equal(results.filter((r) => r.ok).length, n);
  assert.equal(sim.received.filter((r) => r.domain === 'fast.test').length, n);
  assert.ok(n / (ms / 1000) > 100, `${Math.round(n / (ms / 1000))} msg/s`);
  ctx.diagnostic(`${Math.round(n / (ms / 1000))} msg/s`);
  t.close();
});
