import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createClickhouse } from '../../../src/clickhouse/client.js';
import { quote } from '../../../src/clickhouse/queries.js';
import { createRegistry } from '../../../src/lib/codec.js';
import { createKafka } from '../../../src/lib/kafka.js';
import { readDeadLetters } from '../../../src/streams/dead-letters.js';
import { gatewayBed } from '../../support/gateway.js';
import { startReceiver } from '../../support/webhook-receiver.js';
import { waitFor } from '../../support/wait.js';

const tag = () => randomBytes(4).toString('hex');
const WINDOW = 6000;
const bed = await gatewayBed({ env: { WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true', WEBHOOKS_BATCH_WAIT_MS: '200',
  WEBHOOKS_RETRY_BASE_MS: '300', WEBHOOKS_RETRY_MAX_MS: '2400', WEBHOOKS_RETRY_WINDOW_MS: String(WINDOW), WEBHOOKS_DISABLE_AFTER: '1' } });
const tenant = `acme-${tag()}`;
const rx = await startReceiver();
const ch = createClickhouse(bed.cfg);
after(() => Promise.all([rx.close(), ch.close()]));
const sp = bed.client(await bed.key(tenant));
type View = { active: boolean; disabled_at?: string; disabled_reason?: string };

test('a receiver answering 500 forever: backoff, dead-letter after the retry window, the webhook disabled with an event, then re-enabled',
  { timeout: 180000 }, async () => {
  const made = await sp.webhooks.create({ name: 'broken', target: rx.url, events: ['delivery'] });
  const id = made.results.id;
  const testBatch = rx.hits[0]!.batchId;
  rx.state.status = 500;
  const t = tag();
  await sp.transmissions.send({ recipients: [{ address: `a-${t}@dest.example` }, { address: `b-${t}@dest.example` }],
    content: { from: 'news@shop.example', subject: 'Hi', text: 'Hello' }, options: { open_tracking: false, click_tracking: false } });
  const view = () => sp.webhooks.get(id).then((r) => r.results as unknown as View);
  const off = await waitFor('the webhook disabled', async () => { const v = await view(); return !v.active && v; }, 90000, 250);
  assert.ok(off.disabled_at && /^MS_ERR_WEBHOOK_EXPIRED/.test(off.disabled_reason ?? ''), JSON.stringify(off));

  const first = rx.hits.find((h) => h.batchId !== testBatch)!;
  const attempts = rx.hits.filter((h) => h.batchId === first.batchId).map((h) => h.at);
  assert.ok(attempts.length >= 4, `${attempts.length} attempts of batch ${first.batchId}`);
  const gaps = attempts.slice(1).map((a, i) => a - attempts[i]!);
  assert.ok(gaps[1]! > gaps[0]! * 1.4 && gaps[2]! > gaps[1]! * 1.4, `the wait doubles: ${gaps.join(', ')} ms`);
  assert.ok(attempts.at(-1)! - attempts[0]! >= WINDOW, 'retried for the whole window');

  const dead = await waitFor('the dead letter', async () => {
    const all = await readDeadLetters(createKafka(bed.cfg, 'test'), createRegistry(bed.cfg.schemaRegistryUrl), bed.cfg.topicPrefix);
    return all.find((d) => d.record.code === 'MS_ERR_WEBHOOK_EXPIRED' && d.record.key?.toString() === `${tenant}:${id}`);
  }, 30000, 500);
  assert.equal(dead.record.stage, 'webhooks-retry');
  const types = await waitFor('webhook_failed and webhook_disabled events', async () => {
    const rs = await ch.query({ query: `SELECT DISTINCT type FROM events WHERE tenant = ${quote(tenant)}
      AND type IN ('webhook_failed', 'webhook_disabled')`, format: 'JSONEachRow' });
    const got = (await rs.json<{ type: string }>()).map((r) => r.type).sort();
    return got.length === 2 && got;
  }, 30000, 500);
  assert.deepEqual(types, ['webhook_disabled', 'webhook_failed']);
  const status = await waitFor('batch status', async () => {
    const s = (await sp.webhooks.getBatchStatus(id, {})).results as unknown as Array<{ batch_id: string; failure_code?: string }>;
    return s.some((b) => b.batch_id === first.batchId && b.failure_code === '500') && s;
  }, 30000, 500);
  assert.ok(status.length >= attempts.length);
  const listed = (await sp.webhooks.list()).results as unknown as Array<{ id: string; last_failure?: string; last_successful?: string }>;
  assert.ok(listed.find((w) => w.id === id)?.last_failure, 'last_failure is shown');

  rx.state.status = 200;
  await sp.webhooks.update(id, { active: true });
  const on = await view();
  assert.equal(on.active, true);
  assert.equal(on.disabled_at, undefined);
  const again = await sp.transmissions.send({ recipients: [{ address: `c-${t}@dest.example` }],
    content: { from: 'news@shop.example', subject: 'Hi', text: 'Hello' }, options: { open_tracking: false, click_tracking: false } });
  await waitFor('delivery after re-enabling', () => rx.events((h) => h.batchId !== testBatch)
    .some((e) => e.transmission_id === again.results.id), 60000);
  await waitFor('last_successful once it answers again', async () =>
    Boolean(((await sp.webhooks.get(id)).results as unknown as { last_successful?: string }).last_successful), 30000, 500);
});
