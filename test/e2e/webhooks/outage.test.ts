import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { gatewayBed } from '../../support/gateway.js';
import { waitForJobDone } from '../../support/pipeline.js';
import { startReceiver } from '../../support/webhook-receiver.js';
import { waitFor } from '../../support/wait.js';

const tag = () => randomBytes(4).toString('hex');
const bed = await gatewayBed({ env: { WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true', WEBHOOKS_BATCH_WAIT_MS: '200',
  WEBHOOKS_RETRY_BASE_MS: '500', WEBHOOKS_RETRY_MAX_MS: '4000' } });
const tenant = `acme-${tag()}`;
const [downRx, healthyRx] = [await startReceiver(), await startReceiver()];
after(() => Promise.all([downRx.close(), healthyRx.close()]));
const sp = bed.client(await bed.key(tenant));
const content = { from: 'news@shop.example', subject: 'Hi', text: 'Hello' };
const options = { open_tracking: false, click_tracking: false };

/** The delivery events of `job` a receiver has, by event ID (first arrival). */
const deliveries = (rx: Awaited<ReturnType<typeof startReceiver>>, job: string): Map<string, { ts: number; at: number }> => {
  const m = new Map<string, { ts: number; at: number }>();
  for (const h of rx.hits) {
    for (const e of rx.events((x) => x === h)) {
      if (e.transmission_id === job && !m.has(e.event_id!)) m.set(e.event_id!, { ts: Number(e.timestamp) * 1000, at: h.at });
    }
  }
  return m;
};
const send = async (n: number) => {
  const t = tag();
  const r = await sp.transmissions.send({ recipients: Array.from({ length: n }, (_, i) => ({ address: `o${i}-${t}@dest.example` })),
    content, options });
  return r.results.id;
};
/** Worst delay from an event (Unix seconds, so up to 1 s early) to its arrival. */
const worstLag = (m: Map<string, { ts: number; at: number }>) => Math.max(...[...m.values()].map((e) => e.at - e.ts));

test('a receiver down for 30 s loses nothing once it is back; a healthy webhook sees no added delay meanwhile', { timeout: 300000 }, async () => {
  await sp.webhooks.create({ name: 'flaky', target: downRx.url, events: ['delivery'] });
  await sp.webhooks.create({ name: 'healthy', target: healthyRx.url, events: ['delivery'] });

  const before = await send(200);
  await waitForJobDone(bed.cfg, before);
  await waitFor('both receivers have the first job', () => deliveries(downRx, before).size === 200
    && deliveries(healthyRx, before).size === 200, 60000);
  const baseline = worstLag(deliveries(healthyRx, before));

  await downRx.down();
  const downAt = Date.now();
  const during = await send(200);
  await waitForJobDone(bed.cfg, during);
  await waitFor('the healthy receiver has the second job', () => deliveries(healthyRx, during).size === 200, 60000, 100);
  const doneAt = Date.now();
  assert.ok(doneAt - downAt < 30000, `the healthy webhook had everything ${doneAt - downAt} ms into the outage`);
  const lag = worstLag(deliveries(healthyRx, during));
  assert.ok(lag < baseline + 2000, `healthy lag ${lag} ms during the outage vs ${baseline} ms before`);

  await waitFor('30 s of outage', () => Date.now() - downAt >= 30000, 40000, 250);
  await downRx.up();
  const upAt = Date.now();
  await waitFor('the recovered receiver has the second job', () => deliveries(downRx, during).size === 200, 60000, 200);
  assert.equal(deliveries(downRx, before).size, 200);
  assert.ok(Date.now() - upAt < 20000, 'retries reach it within a few backoffs of its return');
});
