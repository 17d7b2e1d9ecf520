import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newJobId } from '../../../src/producers/jobs.js';
import { returnPath, verifyReturnPath } from '../../../src/render/verp.js';
import { payload, render } from '../../fixtures/render/payloads.js';

test('a VERP return path round-trips its message, job and tenant, in any case, only for the address it was made for', () => {
  const jobId = newJobId(1_700_000_000_000);
  const ids = { jobId, messageId: `${jobId}.123456`, tenant: 'acme-retail' };
  const rp = returnPath(ids, 'Ann@Dest.example', 's', 'bounces.shop.example')!;
  assert.match(rp, /^b-[a-z2-7]+@bounces\.shop\.example$/);
  assert.ok(rp.split('@')[0]!.length <= 64, rp);
  assert.deepEqual(verifyReturnPath(rp, 'ann@dest.example', 's'), ids);
  assert.deepEqual(verifyReturnPath(rp.toUpperCase(), 'ann@dest.example', 's'), ids);
  assert.equal(verifyReturnPath(rp, 'bob@dest.example', 's'), null);
  assert.equal(verifyReturnPath(rp, 'ann@dest.example', 'other'), null);
  const local = rp.split('@')[0]!;
  const flipped = local.slice(0, 10) + (local[10] === 'a' ? 'b' : 'a') + local.slice(11);
  assert.equal(verifyReturnPath(flipped, 'ann@dest.example', 's'), null);
  // a job ID of another shape is carried as text
  const custom = { jobId: 'my_job-1', messageId: 'my_job-1.2', tenant: 't' };
  assert.deepEqual(verifyReturnPath(returnPath(custom, 'a@b.example', 's', 'x.example')!, 'a@b.example', 's'), custom);
});

test('with BOUNCE_DOMAIN bulk mail gets the signed VERP MAIL FROM; transactional mail and an explicit return path do not', async () => {
  const bounceDomain = 'bounces.shop.example';
  const [bulk] = (await render(payload({ kind: 'bulk' }), { bounceDomain })).rendered;
  assert.deepEqual(verifyReturnPath(bulk!.mailFrom, bulk!.rcptTo, 'test-secret'),
    { jobId: bulk!.jobId, messageId: bulk!.messageId, tenant: 'acme' });
  const [tx] = (await render(payload({ kind: 'transactional' }), { bounceDomain })).rendered;
  assert.equal(tx!.mailFrom, 'news@shop.example');
  const p = payload({ kind: 'bulk' });
  const [own] = (await render({ ...p, options: { ...p.options, returnPath: 'rp@shop.example' } }, { bounceDomain })).rendered;
  assert.equal(own!.mailFrom, 'rp@shop.example');
  const [plain] = (await render(payload({ kind: 'bulk' }))).rendered;
  assert.equal(plain!.mailFrom, 'news@shop.example');
});
