import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { simpleParser } from 'mailparser';
import { createDkimSigner, type DkimKey } from '../../../src/render/dkim.js';
import { spliceIn, splicedSize } from '../../../src/render/pieces.js';
import { content, payload, render } from '../../fixtures/render/payloads.js';
import { GLOBAL } from '../../../bench/render.js';
import type { Payload } from '../../../src/generated/types.js';

const mjml = readFileSync(new URL('../../../bench/fixtures/marketing.mjml', import.meta.url), 'utf8');
const ed = generateKeyPairSync('ed25519');
const edKey: DkimKey = { domain: 'shop.example', selector: 'e1', algorithm: 'ed25519-sha256',
  privateKeyPem: ed.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };

/** The marketing fixture (SparkPost, tracked links, a loop and a conditional) for rows that take both branches. */
function marketing(kind: Payload['kind'] = 'bulk'): Payload {
  const rows = [0, 1, 2, 3].map((i) => ({ firstName: `Zoë${i}`, code: `SPRING${i}`, userId: `u${i}`, viewId: `v${i}`,
    loyalty: { points: i % 3 } }));
  const p = payload({ rows, kind, globalData: JSON.stringify(GLOBAL),
    content: content({ engine: 'sparkpost', html: null, mjml, subject: '{{ firstName }}, {{ discount }}% off',
      from: 'Northwind <news@shop.example>' }) });
  return { ...p, options: { ...p.options, openTracking: true, clickTracking: true } };
}

for (const dkim of [false, true]) {
  const what = `a bulk message by reference, spliced, is byte for byte the whole one${dkim ? ' (Ed25519 DKIM)' : ''}`;
  test(what, async () => {
    const p = marketing();
    const signer = dkim ? { dkim: createDkimSigner([edKey]) } : {};
    const whole = await render(p, signer);
    const byRef = await render(p, { ...signer, byReference: true });
    assert.equal(whole.events.length + byRef.events.length, 0, whole.events[0]?.reason ?? undefined);
    assert.equal(whole.parts, undefined);
    const parts = byRef.parts!;
    assert.equal(parts.key.startsWith(`acme:${p.jobId}:`), true);
    assert.deepEqual([parts.value.tenant, parts.value.jobId], ['acme', p.jobId]);
    for (const [i, m] of byRef.rendered.entries()) {
      assert.equal(m.parts?.key, parts.key);
      const spliced = spliceIn(m.raw, m.parts!.splices, parts.value.pieces);
      assert.equal(spliced.toString('latin1'), whole.rendered[i]!.raw.toString('latin1'));
      assert.equal(splicedSize(m.raw, m.parts!.splices, parts.value.pieces), spliced.length);
      // most of the message is the template: what each record carries is a fraction of it
      assert.ok(m.raw.length * 3 < spliced.length, `${m.raw.length} of ${spliced.length} bytes carried`);
    }
    const first = byRef.rendered[0]!;
    const parsed = await simpleParser(spliceIn(first.raw, first.parts!.splices, parts.value.pieces));
    assert.match(String(parsed.html), /Zoë0/);
    assert.match(String(parsed.html), /Trail jacket 3/);
  });
}

test('transactional mail, and bulk mail without marked texts, stay whole', async () => {
  const tx = await render(marketing('transactional'), { byReference: true });
  assert.equal(tx.parts, undefined);
  assert.ok(tx.rendered.every((m) => m.parts === null));
  const ascii = await render(payload({ rows: [{ name: 'Ann' }] }), { byReference: true });
  assert.equal(ascii.parts, undefined);
  assert.equal(ascii.rendered[0]!.parts, null);
});

test('splices that do not fit the message are refused, not read past', () => {
  const raw = Buffer.from('abcdef');
  const pieces = [Buffer.from('XY')];
  assert.equal(spliceIn(raw, [0, 0, 3, 0, 6, 0], pieces).toString(), 'XYabcXYdefXY');
  for (const bad of [[7, 0], [0, 1], [3, 0, 2, 0], [0]]) {
    assert.throws(() => spliceIn(raw, bad, pieces), (e: Error & { code?: string }) => e.code === 'MS_ERR_VALIDATION');
  }
});
