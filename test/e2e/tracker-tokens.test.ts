import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signToken, type TokenPayload } from '../../src/render/tracking.js';
import { startTracker } from '../../src/producers/tracker/index.js';
import { isolatedPipeline } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

const spoolDir = mkdtempSync(join(tmpdir(), 'mailstream-spool-'));
const { cfg } = await isolatedPipeline({ TRACKER_PORT: '0', SPOOL_DIR: spoolDir });
const tracker = await startTracker(cfg);
after(async () => { await tracker.stop(); rmSync(spoolDir, { recursive: true, force: true }); });
const recorded = () => tracker.spool.sent() + tracker.spool.pending();
const DAY = 86_400_000;

test('a tampered token, a token claiming another tenant and an expired token get a 404 page: no redirect to the attacker, no event',
  { timeout: 60000 }, async () => {
  const job = `job-${randomBytes(4).toString('hex')}`;
  const now = Math.floor(Date.now() / 1000);
  const good: TokenPayload = { k: 'c', m: `${job}.1`, j: job, t: 'acme', s: now, i: 0, u: 'https://shop.example/sale' };
  const get = (path: string, method = 'GET') => fetch(`${tracker.url}${path}`, { method, redirect: 'manual' });

  // the control: a valid token redirects to its own target and records one click
  const ok = await get(`/c/${signToken(good, cfg.trackingSecret)}`);
  assert.equal(ok.status, 302);
  assert.equal(ok.headers.get('location'), 'https://shop.example/sale');
  assert.equal(ok.headers.get('referrer-policy'), 'no-referrer');
  await waitFor('the control click to be recorded', () => recorded() === 1, 10000);

  const b64 = (p: object) => Buffer.from(JSON.stringify(p)).toString('base64url');
  const [, sig] = signToken(good, cfg.trackingSecret).split('.');
  const [, globexSig] = signToken({ ...good, t: 'globex' }, cfg.trackingSecret).split('.');
  const evil = { ...good, u: 'https://evil.example/phish' };
  const bad: Record<string, string> = {
    'tampered target': `/c/${b64(evil)}.${sig}`,
    'tampered signature': `/c/${b64(good)}.${sig.slice(0, -3)}abc`,
    'signed with another secret': `/c/${signToken(evil, 'attacker-secret')}`,
    // globex's signature over a body naming acme's message; and acme's message relabelled as globex's
    'another tenant\'s signature': `/c/${b64(good)}.${globexSig}`,
    'relabelled tenant': `/c/${b64({ ...good, t: 'globex' })}.${sig}`,
    'a message of another job': `/c/${signToken({ ...evil, m: 'other-job.1' }, cfg.trackingSecret)}`,
    expired: `/c/${signToken({ ...evil, s: now - (cfg.trackingTokenTtlDays + 1) * DAY / 1000 }, cfg.trackingSecret)}`,
    'an open token used as a click': `/c/${signToken({ ...evil, k: 'o' }, cfg.trackingSecret)}`,
    'a javascript: target': `/c/${signToken({ ...evil, u: 'javascript:alert(1)' }, cfg.trackingSecret)}`,
    'an expired open': `/o/${signToken({ ...good, k: 'o', s: now - 200 * DAY / 1000 }, cfg.trackingSecret)}`,
    'an unsubscribe for another tenant': `/u/${b64({ ...good, k: 'u', r: 'x@dest.example', t: 'globex' })}.${sig}`,
    garbage: '/c/not-a-token',
    'a query string target': `/c/not-a-token?u=https://evil.example/`,
  };
  for (const [what, path] of Object.entries(bad)) {
    for (const method of ['GET', 'HEAD']) {
      const res = await get(path, method);
      assert.equal(res.status, 404, `${what} (${method})`);
      assert.equal(res.headers.get('location'), null, what);
      if (method === 'GET') assert.match(await res.text(), /Link not found/, what);
    }
  }
  const post = await fetch(`${tracker.url}${bad['an unsubscribe for another tenant']}`, { method: 'POST', body: 'List-Unsubscribe=One-Click',
    headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(post.status, 404);
  assert.equal(recorded(), 1, 'no event for any bad token');
  await waitFor('the control click to reach Kafka', () => tracker.spool.sent() === 1, 30000);
});
