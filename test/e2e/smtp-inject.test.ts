/**
 * SMTP injection as a customer's application or MTA uses it: swaks and nodemailer with AUTH and STARTTLS; the mail
 * arrives at a real SMTP server DKIM-signed, and the job and events API show the campaign from X-MSYS-API. Refusals
 * are checked with a bare socket client, and what reached Kafka with kcat.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { authenticate } from 'mailauth';
import { simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import { startSmtpInjector } from '../../src/producers/smtp/index.js';
import { createRegistry } from '../../src/lib/codec.js';
import { createKafka, createProducer } from '../../src/lib/kafka.js';
import { recordCryptoOf } from '../../src/runtime.js';
import { topic } from '../../src/topics/runtime.js';
import { loadConfig } from '../../src/config/index.js';
import { verifyToken } from '../../src/render/tracking.js';
import { gatewayBed } from '../support/gateway.js';
import { cli, waitForJobDone } from '../support/pipeline.js';
import { rawSmtp } from '../support/smtp-client.js';
import { waitFor } from '../support/wait.js';

const run = promisify(execFile);
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const keyDir = mkdtempSync(join(tmpdir(), 'mailstream-dkim-'));
writeFileSync(join(keyDir, 'shop.pem'), rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }));
const dkimTxt = `v=DKIM1; k=rsa; p=${rsa.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`;
const resolver = async (name: string, type: string) => {
  if (type === 'TXT' && name === 's1._domainkey.shop.example') return [[dkimTxt]];
  throw Object.assign(new Error(`no ${type} ${name}`), { code: 'ENOTFOUND' });
};

const tenant = `smtp-${randomBytes(3).toString('hex')}`;
const secret = 'inject-secret';
const bed = await gatewayBed({ env: { DKIM_KEYS: `shop.example:s1:rsa:${join(keyDir, 'shop.pem')}`, TRACKING_SECRET: secret,
  SMTP_INJECT_PORT: '0' } });
const inj = await startSmtpInjector(bed.cfg);
after(async () => { await inj.stop(); });
const key = await bed.key(tenant);

// the priority lane is sealed (envelope encryption): the test opens what kcat read with the pipeline's own keys
const laneKafka = createKafka(bed.cfg, 'test-lane');
const laneProducer = await createProducer(laneKafka);
const laneCrypto = recordCryptoOf(bed.cfg, laneKafka, laneProducer, createRegistry(bed.cfg.schemaRegistryUrl));
after(async () => { await laneCrypto.stop(); await laneProducer.disconnect(); });
/** Every record value of the test's priority-lane topic, opened, as text (read with kcat, a real Kafka client). */
async function laneRecords(): Promise<string[]> {
  const { stdout } = await run('kcat', ['-b', bed.cfg.kafkaBrokers[0]!, '-C', '-t', topic(bed.cfg.topicPrefix, 'transactional').name,
    '-e', '-q', '-f', '@@record@@%s'], { encoding: 'latin1', maxBuffer: 64 << 20 });
  const sealed = stdout.split('@@record@@').slice(1);
  return Promise.all(sealed.map(async (r) => (await laneCrypto.open(Buffer.from(r, 'latin1'))).toString('latin1')));
}
const recordsWith = async (marker: string) => (await laneRecords()).filter((r) => r.includes(marker)).length;
const receivedWith = (marker: string) => bed.sink.received.filter((m) => m.raw.includes(marker));
const swaks = (args: string[]) => run('swaks', ['--server', '127.0.0.1', '--port', String(inj.port), ...args])
  .then((r) => ({ code: 0, out: r.stdout + r.stderr }), (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }));
const jobIdOf = (out: string) => /250 2\.0\.0 Ok: queued as (\S+)/.exec(out)?.[1];

test('swaks with STARTTLS and AUTH LOGIN: the mail arrives DKIM-signed, X-MSYS-API gone, its campaign on the job and events', { timeout: 180000 }, async () => {
  const marker = `swaks-${randomBytes(4).toString('hex')}`;
  const campaign = `camp-${marker}`;
  const r = await swaks(['--tls', '--auth', 'LOGIN', '--auth-user', 'SMTP_Injection', '--auth-password', key, '--from', 'news@shop.example',
    '--to', `ann-${marker}@dest.example`, '--header', `Subject: ${marker}`, '--header', 'From: Shop <news@shop.example>',
    '--header', `X-MSYS-API: {"campaign_id": "${campaign}", "metadata": {"order": 7}}`, '--body', `hello ${marker}`]);
  const jobId = jobIdOf(r.out);
  assert.ok(jobId, `no 250 with a job ID from swaks:\n${r.out}`);
  const [msg] = await waitFor('the injected mail at the sink', () => receivedWith(marker).length ? receivedWith(marker) : undefined, 90000);
  assert.deepEqual(msg!.to, [`ann-${marker}@dest.example`]);
  assert.equal(msg!.from, 'news@shop.example', 'the envelope sender is the return path');
  assert.doesNotMatch(msg!.raw.toString('latin1'), /^X-MSYS-API:/im);
  const { dkim } = await authenticate(msg!.raw, { ip: '192.0.2.1', helo: 'mta.shop.example', sender: 'news@shop.example',
    mta: 'mx.dest.example', trustReceived: false, resolver, disableArc: true, disableBimi: true, disableDmarc: true } as never);
  const results = dkim.results as unknown as Array<{ status: { result: string; aligned?: string } }>;
  assert.equal(results[0]?.status.result, 'pass');
  assert.equal(results[0]?.status.aligned, 'shop.example');

  await waitForJobDone(bed.cfg, jobId!);
  const shown = await cli(['job', jobId!], bed.env);
  assert.match(shown, new RegExp(`tenant ${tenant}, campaign ${campaign}`));
  assert.match(shown, /delivered\s+1/);
  const events = await bed.client(key).get({ uri: 'events/message', qs: { campaigns: campaign, events: 'delivery' } }) as
    unknown as { results: Array<Record<string, unknown>> };
  assert.equal(events.results.length, 1);
  assert.equal(events.results[0]!.campaign_id, campaign);
  assert.equal(events.results[0]!.rcpt_to, `ann-${marker}@dest.example`);
});

test('nodemailer with two recipients: one message and one delivery each; tracking and unsubscribe as X-MSYS-API asks', { timeout: 180000 }, async () => {
  const marker = `nm-${randomBytes(4).toString('hex')}`;
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: inj.port, secure: false, requireTLS: true,
    tls: { rejectUnauthorized: false }, auth: { user: 'SMTP_Injection', pass: key } });
  const info = await transport.sendMail({
    from: 'Shop <news@shop.example>', to: [`a-${marker}@dest.example`, `b-${marker}@dest.example`], subject: marker,
    html: `<p>Sale {{ not_a_template }} <a href="https://shop.example/sale?id=${marker}">now</a></p>`, text: `Sale ${marker}`,
    headers: { 'X-MSYS-API': JSON.stringify({ campaign_id: `c-${marker}`, options: { click_tracking: true, open_tracking: true } }) },
  });
  transport.close();
  const jobId = /queued as (\S+)/.exec(info.response)?.[1];
  assert.ok(jobId, info.response);
  const msgs = await waitFor('both messages', () => (receivedWith(marker).length === 2 ? receivedWith(marker) : undefined), 90000);
  assert.deepEqual(msgs.map((m) => m.to[0]).sort(), [`a-${marker}@dest.example`, `b-${marker}@dest.example`]);
  const ids = new Set<string>();
  for (const m of msgs) {
    const mail = await simpleParser(m.raw);
    const href = /href="(https?:\/\/[^"]+\/c\/([^"]+))"/.exec(String(mail.html));
    assert.ok(href, `no tracked link in ${mail.html}`);
    const token = verifyToken(href[2]!, secret);
    assert.equal(token?.u, `https://shop.example/sale?id=${marker}`);
    ids.add(token!.m);
    assert.match(String(mail.html), /\/o\/[^"]+" width="1" height="1"/, 'the open pixel');
    assert.ok(String(mail.html).includes('{{ not_a_template }}'), 'nothing in an injected message is evaluated');
    assert.match(m.raw.toString('latin1'), /^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r$/m, 'a bulk injection gets one-click unsubscribe');
  }
  assert.equal(ids.size, 2, 'each recipient has its own message ID');
  const counts = await waitForJobDone(bed.cfg, jobId!);
  assert.equal(counts.byType.delivered, 2);
  assert.equal(counts.duplicates, 0);
});

test('no AUTH: MAIL FROM gets 530 and nothing reaches Kafka; the server relays for nobody', { timeout: 60000 }, async () => {
  const marker = `noauth-${randomBytes(4).toString('hex')}`;
  const s = await rawSmtp(inj.port);
  await s.cmd('EHLO client.example');
  assert.equal((await s.cmd('MAIL FROM:<news@shop.example>')).code, 530);
  for (const c of [`RCPT TO:<${marker}@elsewhere.example>`, 'DATA']) {
    const r = await s.cmd(c);
    assert.ok(r.code === 530 || r.code === 503, `${c}: ${r.code} ${r.text}`);
  }
  // AUTH in clear is refused too: the key would cross the network unencrypted
  const plain = await s.cmd(`AUTH PLAIN ${Buffer.from(`\0SMTP_Injection\0${key}`).toString('base64')}`);
  assert.equal(plain.code, 538, plain.text);
  await s.quit();
  const nm = nodemailer.createTransport({ host: '127.0.0.1', port: inj.port, secure: false, tls: { rejectUnauthorized: false } });
  await assert.rejects(nm.sendMail({ from: 'news@shop.example', to: `${marker}@elsewhere.example`, subject: marker, text: marker }),
    (e: { responseCode?: number }) => e.responseCode === 530);
  nm.close();
  assert.equal(await recordsWith(marker), 0, 'nothing of the refused message is in Kafka');
});

test('a wrong key gets 535; a revoked key stops working for new sessions and for the next message of an open one', { timeout: 90000 }, async () => {
  const wrong = await swaks(['--tls', '--auth', 'PLAIN', '--auth-user', 'SMTP_Injection', '--auth-password', 'not-a-key',
    '--from', 'news@shop.example', '--to', 'x@dest.example']);
  assert.match(wrong.out, /535 5\.7\.8/);
  const other = await swaks(['--tls', '--auth', 'PLAIN', '--auth-user', 'someone', '--auth-password', key,
    '--from', 'news@shop.example', '--to', 'x@dest.example']);
  assert.match(other.out, /535 5\.7\.8/, 'the user must be SMTP_Injection');
  const readOnly = await swaks(['--tls', '--auth', 'PLAIN', '--auth-user', 'SMTP_Injection', '--auth-password',
    await bed.key(tenant, 'templates:read'), '--from', 'news@shop.example', '--to', 'x@dest.example']);
  assert.match(readOnly.out, /535 5\.7\.8/, 'a key without smtp:inject or transmissions:modify may not send');
  const scoped = await swaks(['--tls', '--auth', 'PLAIN', '--auth-user', 'SMTP_Injection', '--auth-password',
    await bed.key(tenant, 'smtp:inject'), '--from', 'news@shop.example', '--to', 'x@dest.example']);
  assert.match(scoped.out, /250 2\.0\.0 Ok: queued as/, 'a key with smtp:inject may');

  const doomed = await bed.key(tenant);
  const open = await rawSmtp(inj.port);
  await open.login(doomed);
  const listed = await cli(['keys', 'list'], bed.env);
  const id = listed.split('\n').find((l) => l.split('\t')[1] === `${doomed.slice(0, 4)}…`)!.split('\t')[0]!;
  await cli(['keys', 'revoke', id], bed.env);
  await waitFor('the revoked key to be refused', async () => {
    const r = await swaks(['--tls', '--auth', 'PLAIN', '--auth-user', 'SMTP_Injection', '--auth-password', doomed,
      '--from', 'news@shop.example', '--to', 'x@dest.example']);
    return /535 5\.7\.8/.test(r.out);
  }, 30000, 500);
  assert.equal((await open.cmd('MAIL FROM:<news@shop.example>')).code, 250);
  assert.equal((await open.cmd('RCPT TO:<x@dest.example>')).code, 250);
  assert.equal((await open.cmd('DATA')).code, 354);
  open.write('From: news@shop.example\r\nSubject: after revoke\r\n\r\nx\r\n.\r\n');
  const r = await open.reply();
  assert.equal(r.code, 535, r.text);
  await open.quit();
});

test('bad input gets the right reply and costs nothing else: JSON, bare LF and CR, 8-bit, long lines, addresses, size', { timeout: 90000 }, async () => {
  const marker = `bad-${randomBytes(4).toString('hex')}`;
  const s = await rawSmtp(inj.port);
  await s.login(key);
  const send = async (body: string | Buffer, mailFrom = 'MAIL FROM:<news@shop.example>') => {
    assert.equal((await s.cmd(mailFrom)).code, 250);
    assert.equal((await s.cmd(`RCPT TO:<${marker}@dest.example>`)).code, 250);
    assert.equal((await s.cmd('DATA')).code, 354);
    s.write(body);
    s.write('\r\n.\r\n');
    return s.reply();
  };
  const head = `From: news@shop.example\r\nSubject: ${marker}\r\n`;
  let r = await send(`${head}X-MSYS-API: {"campaign_id": \r\n\r\nbody`);
  assert.deepEqual([r.code, r.text], [550, '5.6.0 JSON parsing error in X-MSYS-API']);
  r = await send(`${head}X-MSYS-API: {"options": {"open_tracking": "yes"}}\r\n\r\nbody`);
  assert.equal(r.code, 550);
  assert.match(r.text, /options\.open_tracking/);
  r = await send(`${head}\r\nline one\nline two`);
  assert.equal(r.code, 550);
  assert.match(r.text, /bare LF/);
  r = await send(`${head}\r\nline one\r.\r\nline two`);
  assert.equal(r.code, 550);
  assert.match(r.text, /bare CR/);
  r = await send(Buffer.concat([Buffer.from(`${head}\r\n`), Buffer.from([0x47, 0x72, 0xfc, 0xdf, 0x65])]));
  assert.equal(r.code, 550);
  assert.match(r.text, /8-bit data without BODY=8BITMIME/);
  r = await send(Buffer.concat([Buffer.from(`${head}\r\n`), Buffer.from([0x47, 0x72, 0xfc, 0xdf, 0x65])]), 'MAIL FROM:<news@shop.example> BODY=8BITMIME');
  assert.equal(r.code, 250, `8-bit data with BODY=8BITMIME is accepted: ${r.text}`);
  r = await send(`${head}\r\n${'x'.repeat(1200)}`);
  assert.equal(r.code, 550);
  assert.match(r.text, /over 998 characters/);
  r = await send('Subject: no from\r\n\r\nbody');
  assert.equal(r.code, 550);
  assert.match(r.text, /no From header/);
  assert.equal((await s.cmd('MAIL FROM:<news@shop.example>')).code, 250);
  const bad = await s.cmd('RCPT TO:<not an address@@dest>');
  assert.ok(bad.code >= 500 && bad.code < 600, `${bad.code} ${bad.text}`);
  await s.cmd('RSET');
  assert.match((await s.cmd('MAIL FROM:<news@shop.example> SIZE=999999999')).text, /size|exceed/i);
  await s.quit();
  assert.equal(await recordsWith(marker), 1, 'only the one valid (8-bit) message reached Kafka');
});

test('a client killed mid-DATA leaves nothing in Kafka', { timeout: 90000 }, async () => {
  const cut = `cut-${randomBytes(4).toString('hex')}`;
  const s = await rawSmtp(inj.port);
  await s.login(key);
  await s.cmd('MAIL FROM:<news@shop.example>');
  await s.cmd(`RCPT TO:<${cut}@dest.example>`);
  assert.equal((await s.cmd('DATA')).code, 354);
  s.write(`From: news@shop.example\r\nSubject: ${cut}\r\n\r\nhalf of the mess`);
  s.destroy();
  // a later, complete message is the condition to wait on: once it is in Kafka and delivered, the cut one never was
  const whole = `whole-${randomBytes(4).toString('hex')}`;
  const after = await rawSmtp(inj.port);
  await after.login(key);
  await after.cmd('MAIL FROM:<news@shop.example>');
  await after.cmd(`RCPT TO:<${whole}@dest.example>`);
  await after.cmd('DATA');
  after.write(`From: news@shop.example\r\nSubject: ${whole}\r\n\r\ncomplete\r\n.\r\n`);
  assert.equal((await after.reply()).code, 250);
  await after.quit();
  await waitFor('the complete message at the sink', () => receivedWith(whole).length === 1, 90000);
  assert.equal(await recordsWith(whole), 1);
  assert.equal(await recordsWith(cut), 0, 'the half-sent message is not in Kafka');
  assert.equal(receivedWith(cut).length, 0);
});

test('limits: recipients per message (452), sessions per tenant (421), message size (552), the tenant\'s quota (452)', { timeout: 120000 }, async () => {
  const small = await startSmtpInjector(loadConfig({ ...process.env, ...bed.env, SMTP_MAX_RECIPIENTS: '2',
    SMTP_MAX_SESSIONS_PER_TENANT: '2', MAX_MESSAGE_BYTES: String(64 * 1024 + 4096) }));
  after(() => small.stop());
  const limited = `lim-${randomBytes(3).toString('hex')}`;
  const k = await bed.key(limited);
  const [a, b] = [await rawSmtp(small.port), await rawSmtp(small.port)];
  await a.login(k);
  await b.login(k);
  const c = await rawSmtp(small.port);
  await c.cmd('EHLO client.example');
  await c.starttls();
  await c.cmd('EHLO client.example');
  const third = await c.cmd(`AUTH PLAIN ${Buffer.from(`\0SMTP_Injection\0${k}`).toString('base64')}`);
  assert.equal(third.code, 421, `a third session of the tenant: ${third.text}`);
  c.destroy();

  await a.cmd('MAIL FROM:<news@shop.example>');
  assert.equal((await a.cmd('RCPT TO:<r1@dest.example>')).code, 250);
  assert.equal((await a.cmd('RCPT TO:<r2@dest.example>')).code, 250);
  const r3 = await a.cmd('RCPT TO:<r3@dest.example>');
  assert.equal(r3.code, 452, r3.text);
  assert.equal((await a.cmd('DATA')).code, 354);
  a.write(`From: news@shop.example\r\nSubject: big\r\n\r\n${`${'y'.repeat(76)}\r\n`.repeat(1000)}.\r\n`);
  const big = await a.reply();
  assert.equal(big.code, 552, big.text);

  await cli(['tenants', 'set', limited, '--daily', '0'], bed.env);
  await waitFor('the quota to apply', async () => {
    await b.cmd('RSET');
    await b.cmd('MAIL FROM:<news@shop.example>');
    await b.cmd('RCPT TO:<q@dest.example>');
    await b.cmd('DATA');
    b.write('From: news@shop.example\r\nSubject: quota\r\n\r\nx\r\n.\r\n');
    const r = await b.reply();
    assert.ok(r.code === 452 || r.code === 250, `${r.code} ${r.text}`);
    return r.code === 452 && /daily quota/.test(r.text);
  }, 30000, 500);
  await a.quit();
  await b.quit();
});

test('a trusted client network injects without AUTH as its tenant; any other address still gets 530', { timeout: 120000 }, async () => {
  const trustedTenant = `trust-${randomBytes(3).toString('hex')}`;
  const trusting = await startSmtpInjector(loadConfig({ ...process.env, ...bed.env, SMTP_TRUSTED_CLIENTS: `10.9.0.0/16=other,127.0.0.1=${trustedTenant}` }));
  const elsewhere = await startSmtpInjector(loadConfig({ ...process.env, ...bed.env, SMTP_TRUSTED_CLIENTS: '10.9.0.0/16=other' }));
  after(async () => { await trusting.stop(); await elsewhere.stop(); });
  const r = await run('swaks', ['--server', '127.0.0.1', '--port', String(trusting.port), '--from', 'news@shop.example',
    '--to', 'trusted@dest.example', '--header', 'From: news@shop.example']);
  const jobId = jobIdOf(r.stdout);
  assert.ok(jobId, r.stdout);
  await waitForJobDone(bed.cfg, jobId!);
  assert.match(await cli(['job', jobId!], bed.env), new RegExp(`tenant ${trustedTenant},`));
  const refused = await run('swaks', ['--server', '127.0.0.1', '--port', String(elsewhere.port), '--from', 'news@shop.example',
    '--to', 'trusted@dest.example']).then((x) => x.stdout, (e: { stdout: string }) => e.stdout);
  assert.match(refused, /530 5\.7\.0/);
});
