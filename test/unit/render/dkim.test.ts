import { test } from 'node:test';
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authenticate } from 'mailauth';
import { createDkimSigner, loadDkimKeys, relaxedBody, type DkimKey } from '../../../src/render/dkim.js';
import { loadConfig } from '../../../src/config/index.js';
import { payload, render } from '../../fixtures/render/payloads.js';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ed = generateKeyPairSync('ed25519');
const rsaKey: DkimKey = { domain: 'shop.example', selector: 'r1', algorithm: 'rsa-sha256', privateKeyPem: rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
const edKey: DkimKey = { domain: 'shop.example', selector: 'e1', algorithm: 'ed25519-sha256', privateKeyPem: ed.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
const dns: Record<string, string> = {
  'r1._domainkey.shop.example': `v=DKIM1; k=rsa; p=${rsa.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`,
  // RFC 8463: the raw 32-byte public key (the last 32 bytes of the SPKI DER)
  'e1._domainkey.shop.example': `v=DKIM1; k=ed25519; p=${ed.publicKey.export({ type: 'spki', format: 'der' }).subarray(-32).toString('base64')}`,
};
const resolver = async (name: string, type: string) => {
  if (type === 'TXT' && dns[name]) return [[dns[name]]];
  throw Object.assign(new Error(`no ${type} ${name}`), { code: 'ENOTFOUND' });
};

async function verify(keys: DkimKey[], tamper = false, html?: string) {
  const base = payload().content;
  const p = payload({ rows: [{ name: 'Zoë <x>' }], content: { ...base, subject: 'Grüße {{ name }}', html: html ?? base.html } });
  const res = await render(p, { dkim: createDkimSigner(keys) });
  assert.equal(res.events.length, 0, res.events[0]?.reason ?? '');
  const raw = tamper ? Buffer.from(res.rendered[0].raw.toString('latin1').replace('To: user1@', 'To: user2@'), 'latin1') : res.rendered[0].raw;
  const { dkim } = await authenticate(raw, { ip: '192.0.2.1', helo: 'mta.shop.example', sender: 'news@shop.example', mta: 'mx.dest.example', trustReceived: false, resolver, disableArc: true, disableBimi: true, disableDmarc: true } as never);
  return dkim.results as unknown as Array<{ status: { result: string; aligned?: string }; signingDomain: string; selector: string }>;
}

test('RSA-2048 DKIM signature passes mailauth and aligns with the From domain', async () => {
  const [r] = await verify([rsaKey]);
  assert.equal(r.status.result, 'pass');
  assert.equal(r.status.aligned, 'shop.example');
});

test('Ed25519 DKIM signature (RFC 8463) passes mailauth and aligns with the From domain', async () => {
  const [r] = await verify([edKey]);
  assert.equal(r.status.result, 'pass');
  assert.equal(r.status.aligned, 'shop.example');
});

test('RSA and Ed25519 at once: two signatures, both pass', async () => {
  const results = await verify([rsaKey, edKey]);
  assert.deepEqual(results.map((r) => [r.selector, r.status.result]).sort(), [['e1', 'pass'], ['r1', 'pass']]);
});

test('a 7bit body with tabs, runs of spaces and trailing blanks is canonicalised and passes', async () => {
  const [r] = await verify([rsaKey, edKey], false, '<p>Hi\t  there   \n  line two  \n\n\n</p>\n\n\n');
  assert.equal(r.status.result, 'pass');
});

test('a signed header changed after signing fails verification', async () => {
  const [r] = await verify([rsaKey], true);
  assert.equal(r.status.result, 'fail');
});

test('a raw message with a header given twice and names in mixed case is signed over the last instance and passes', async () => {
  const raw = Buffer.from(['From: News <news@shop.example>', 'To: a@dest.example', 'SUBJECT: first', 'Subject: second',
    'Date: Tue, 01 Dec 2026 10:00:00 +0000', 'Message-ID: <m1@shop.example>', 'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8', '', 'Hello', ''].join('\r\n'));
  const signed = createDkimSigner([edKey]).sign(raw, 'shop.example', Date.now());
  assert.match(signed.toString('latin1'), /h=from:to:subject:date:message-id:mime-version:content-type;/);
  const { dkim } = await authenticate(signed, { ip: '192.0.2.1', helo: 'mta.shop.example', sender: 'news@shop.example',
    mta: 'mx.dest.example', trustReceived: false, resolver, disableArc: true, disableBimi: true, disableDmarc: true } as never);
  const [r] = dkim.results as unknown as Array<{ status: { result: string } }>;
  assert.equal(r!.status.result, 'pass');
  // the verifier reads the last Subject: changing the first one leaves the signature valid, the last one breaks it
  const first = Buffer.from(signed.toString('latin1').replace('SUBJECT: first', 'SUBJECT: other'), 'latin1');
  const lastChanged = Buffer.from(signed.toString('latin1').replace('Subject: second', 'Subject: other'), 'latin1');
  const results = await Promise.all([first, lastChanged].map(async (m) => (await authenticate(m, { ip: '192.0.2.1',
    helo: 'mta.shop.example', sender: 'news@shop.example', mta: 'mx.dest.example', trustReceived: false, resolver,
    disableArc: true, disableBimi: true, disableDmarc: true } as never)).dkim.results as unknown as Array<{ status: { result: string } }>));
  assert.deepEqual(results.map((x) => x[0]!.status.result), ['pass', 'fail']);
});

test('a message from a domain without keys is left unsigned', () => {
  const raw = Buffer.from('From: a@other.example\r\nSubject: x\r\n\r\nbody\r\n');
  assert.equal(createDkimSigner([rsaKey]).sign(raw, 'other.example'), raw);
});

test('loadDkimKeys reads the key files of the configured entries and names a bad one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ms-dkim-'));
  writeFileSync(join(dir, 'r.pem'), rsaKey.privateKeyPem);
  writeFileSync(join(dir, 'e.pem'), edKey.privateKeyPem);
  const { dkimKeys } = loadConfig({ DKIM_KEYS: `shop.example:r1:rsa:${join(dir, 'r.pem')}, shop.example:e1:ed25519:${join(dir, 'e.pem')}` });
  const keys = loadDkimKeys(dkimKeys);
  assert.deepEqual(keys.map((k) => [k.domain, k.selector, k.algorithm]), [['shop.example', 'r1', 'rsa-sha256'], ['shop.example', 'e1', 'ed25519-sha256']]);
  const missing = { domain: 'shop.example', selector: 'r1', algorithm: 'rsa-sha256', path: join(dir, 'missing.pem') } as const;
  assert.throws(() => loadDkimKeys([missing]), /DKIM key shop.example:r1 \(.*missing.pem\): cannot read/);
  assert.throws(() => loadDkimKeys([{ ...missing, path: join(dir, 'e.pem') }]), /is an ed25519 key, not rsa/);
});

test('the body hash is SHA-256 of the relaxed body (RFC 6376 3.4.4) for any mix of spaces, tabs and line ends', () => {
  const signer = createDkimSigner([edKey]);
  const piece = fc.constantFrom(' ', '  ', '\t', ' \t ', '\r\n', ' \r\n', '\t\r\n', '\r\n\r\n', 'a', 'bc', '=20', '\r',
    'é');
  fc.assert(fc.property(fc.array(piece, { maxLength: 80 }), fc.string({ maxLength: 8 }), (pieces, tail) => {
    const body = pieces.join('') + tail.replace(/[^\x20-\x7e]/g, '');
    const raw = Buffer.from(`From: a@shop.example\r\nSubject: x\r\n\r\n${body}`, 'latin1');
    const bh = /bh=([^;]+);/.exec(signer.signature(raw, 'shop.example', 0))![1];
    const want = createHash('sha256').update(relaxedBody(body), 'latin1').digest('base64');
    assert.equal(bh, want, JSON.stringify(body));
  }), { numRuns: 2000 });
});

test('a message signed in segments gets the signature of the message whole, however it is cut', () => {
  const signer = createDkimSigner([edKey]);
  const bit = fc.constantFrom(' ', '  ', '\t', '\r\n', ' \r\n', '\r\n\r\n', 'a', 'bc', '=20', '\r');
  fc.assert(fc.property(fc.array(bit, { maxLength: 60 }), fc.array(fc.nat(), { maxLength: 6 }), (bits, cuts) => {
    const raw = Buffer.from(`From: a@shop.example\r\nSubject: x\r\n\r\n${bits.join('')}`, 'latin1');
    // cuts in the body only, as the renderer's pieces are body text
    const head = raw.indexOf('\r\n\r\n') + 4;
    const at = [...new Set(cuts.map((c) => head + (c % (raw.length - head + 1))))].sort((a, b) => a - b);
    const segments = [head, ...at, raw.length].map((end, i, all) => raw.subarray(i ? all[i - 1] : 0, end)).slice(1);
    segments[0] = raw.subarray(0, at[0] ?? raw.length);
    assert.equal(Buffer.concat(segments).toString('latin1'), raw.toString('latin1'));
    // twice: a piece's kept scan gives the same answer in its next message
    const whole = signer.signature(raw, 'shop.example', 0);
    for (let k = 0; k < 2; k++) assert.equal(signer.signature(segments, 'shop.example', 0), whole);
  }), { numRuns: 1500 });
});
