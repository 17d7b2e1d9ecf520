import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { gatewayBed } from '../../support/gateway.js';
import { cli, waitForJobDone } from '../../support/pipeline.js';
import { startReceiver } from '../../support/webhook-receiver.js';
import { waitFor } from '../../support/wait.js';

const tag = () => randomBytes(4).toString('hex');
const bed = await gatewayBed({ env: { WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true', WEBHOOKS_BATCH_WAIT_MS: '200' } });
const tenant = `acme-${tag()}`;
const rx = await startReceiver();
after(() => rx.close());
const sp = bed.client(await bed.key(tenant));

test('mailstream webhooks replay --since re-sends the same events, signed, as replayed batches', { timeout: 180000 }, async () => {
  const made = await sp.webhooks.create({ name: 'replayed', target: rx.url, events: ['injection', 'delivery'] });
  const secret = (made.results as unknown as { signing_secret: string }).signing_secret;
  const testBatch = rx.hits[0]!.batchId;
  const since = new Date(Date.now() - 1000).toISOString();
  const t = tag();
  const job = await sp.transmissions.send({ recipients: Array.from({ length: 50 }, (_, i) => ({ address: `p${i}-${t}@dest.example` })),
    content: { from: 'news@shop.example', subject: 'Hi', text: 'Hello' }, options: { open_tracking: false, click_tracking: false } });
  await waitForJobDone(bed.cfg, job.results.id);
  const ids = (hits: typeof rx.hits) => rx.events((h) => hits.includes(h)).filter((e) => e.transmission_id === job.results.id)
    .map((e) => e.event_id!).sort();
  await waitFor('the first delivery of 100 events', () => ids(rx.hits.filter((h) => h.batchId !== testBatch)).length === 100, 60000);
  const original = rx.hits.filter((h) => h.batchId !== testBatch);
  const firstIds = ids(original);

  const out = await cli(['webhooks', 'replay', made.results.id, '--since', since], bed.env);
  assert.match(out, /replaying 100 events/);
  const replayed = () => rx.hits.filter((h) => h.batchId !== testBatch && !original.includes(h));
  await waitFor('100 replayed events', () => ids(replayed()).length >= 100, 60000);
  assert.deepEqual(ids(replayed()), firstIds, 'the same events again');
  assert.deepEqual(rx.forged(secret), [], 'replayed batches are signed too');
  const originalBatches = new Set(original.map((h) => h.batchId));
  assert.ok(replayed().every((h) => !originalBatches.has(h.batchId)), 'replayed batches carry their own batch IDs');
});
