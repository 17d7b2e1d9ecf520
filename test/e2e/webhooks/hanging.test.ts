import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { gatewayBed } from '../../support/gateway.js';
import { metric, waitForJobDone } from '../../support/pipeline.js';
import { startReceiver } from '../../support/webhook-receiver.js';
import { waitFor } from '../../support/wait.js';

const tag = () => randomBytes(4).toString('hex');
const bed = await gatewayBed({ env: { WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true', WEBHOOKS_BATCH_WAIT_MS: '200', WEBHOOKS_BATCH_MAX: '20',
  WEBHOOKS_TIMEOUT_MS: '3000', WEBHOOKS_RETRY_BASE_MS: '500', WEBHOOKS_RETRY_MAX_MS: '3000' } });
const tenant = `acme-${tag()}`;
const [stuckRx, healthyRx] = [await startReceiver(), await startReceiver()];
after(() => Promise.all([stuckRx.close(), healthyRx.close()]));
const sp = bed.client(await bed.key(tenant));

test('an endpoint that accepts and never answers times out, is retried and gets everything later; a healthy webhook is not held up',
  { timeout: 240000 }, async () => {
  await sp.webhooks.create({ name: 'stuck', target: stuckRx.url, events: ['delivery'] });
  await sp.webhooks.create({ name: 'healthy', target: healthyRx.url, events: ['delivery'] });
  stuckRx.state.hang = true;
  const t = tag();
  const started = Date.now();
  const job = await sp.transmissions.send({ recipients: Array.from({ length: 300 }, (_, i) => ({ address: `h${i}-${t}@dest.example` })),
    content: { from: 'news@shop.example', subject: 'Hi', text: 'Hello' }, options: { open_tracking: false, click_tracking: false } });
  await waitForJobDone(bed.cfg, job.results.id);
  const got = (rx: typeof healthyRx) => new Set(rx.events((h) => h.answered).filter((e) => e.transmission_id === job.results.id).map((e) => e.event_id)).size;
  await waitFor('the healthy receiver has all 300', () => got(healthyRx) === 300, 60000, 100);
  const healthyAt = Date.now() - started;
  assert.ok(stuckRx.hits.length > 1, 'the stuck endpoint was tried');
  assert.equal(got(stuckRx), 0, 'nothing was answered by the stuck endpoint yet');
  assert.ok(stuckRx.held.max <= 4, `at most WEBHOOKS_CONCURRENCY POSTs held open by it at once (${stuckRx.held.max})`);

  stuckRx.state.hang = false;
  await waitFor('the stuck receiver has all 300 once it answers', () => got(stuckRx) === 300, 120000, 250);
  assert.ok(healthyAt < 30000, `healthy webhook done ${healthyAt} ms after the send`);
  assert.ok(await metric(bed.worker!, 'mailstream_webhook_attempts_total', { outcome: 'spilled' }) > 0, 'batches spilled');
  assert.ok(await metric(bed.worker!, 'mailstream_webhook_events_delivered_total') >= 600);
});
