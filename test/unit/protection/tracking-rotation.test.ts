import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../../src/config/index.js';
import { signToken, verifyTokenAny } from '../../../src/render/tracking.js';
import { returnPath, verifyReturnPath } from '../../../src/render/verp.js';

test('after TRACKING_SECRET rotation, links signed with the retired secret still verify; nothing else does', () => {
  const cfg = loadConfig({ TRACKING_SECRET: 'new-secret-2027', TRACKING_SECRETS_PREVIOUS: 'old-secret-2026, older-secret-2025' });
  assert.deepEqual(cfg.trackingSecretsPrevious, ['old-secret-2026', 'older-secret-2025']);
  const now = Date.now();
  const payload = { k: 'c' as const, m: 'job1.7', j: 'job1', t: 'acme', s: Math.floor(now / 1000), i: 0, u: 'https://shop.example/' };
  const sent = signToken(payload, 'older-secret-2025');
  const all = [cfg.trackingSecret, ...cfg.trackingSecretsPrevious];
  assert.equal(verifyTokenAny(sent, all, { now })?.m, 'job1.7', 'a token from mail sent before the rotation');
  assert.equal(verifyTokenAny(signToken(payload, cfg.trackingSecret), all, { now })?.m, 'job1.7');
  assert.equal(verifyTokenAny(sent, [cfg.trackingSecret], { now }), null, 'once the retired secret is dropped, its tokens stop');
  assert.equal(verifyTokenAny(signToken(payload, 'attacker'), all, { now }), null);
  const rp = returnPath({ jobId: 'job1', messageId: 'job1.7', tenant: 'acme' }, 'a@b.example', 'old-secret-2026', 'bounces.example');
  assert.ok(rp);
  assert.ok(all.map((s) => verifyReturnPath(rp, 'a@b.example', s)).find(Boolean), 'VERP return paths verify the same way');
});
