import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { gatewayBed } from '../../support/gateway.js';
import { waitForJobDone } from '../../support/pipeline.js';
import { countByType, startReceiver } from '../../support/webhook-receiver.js';
import { waitFor } from '../../support/wait.js';

const tag = () => randomBytes(4).toString('hex');
const bed = await gatewayBed({ env: { WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true', WEBHOOKS_BATCH_WAIT_MS: '200' } });
const [acme, globex] = [`acme-${tag()}`, `globex-${tag()}`];
const [acmeRx, globexRx] = [await startReceiver(), await startReceiver()];
after(() => Promise.all([acmeRx.close(), globexRx.close()]));

test('a 10,000-recipient job: every batch is signed, exactly one injection and one delivery per recipient, nothing of another tenant',
  { timeout: 420000 }, async () => {
  const a = bed.client(await bed.key(acme));
  const g = bed.client(await bed.key(globex));
  const made = await a.webhooks.create({ name: 'acme events', target: acmeRx.url, events: ['injection', 'delivery', 'bounce'] });
  const secret = (made.results as unknown as { signing_secret: string }).signing_secret;
  const gMade = await g.webhooks.create({ name: 'globex events', target: globexRx.url, events: [] });
  const gSecret = (gMade.results as unknown as { signing_secret: string }).signing_secret;
  assert.equal(acmeRx.hits.length, 1, 'create sent one test batch');

  const t = tag();
  const recipients = Array.from({ length: 10_000 }, (_, i) => ({ address: `r${i}-${t}@dest.example` }));
  const content = { from: 'news@shop.example', subject: 'Hi', text: 'Hello' };
  const options = { open_tracking: false, click_tracking: false };
  const job = await a.transmissions.send({ campaign_id: `big-${t}`, recipients, content, options });
  const other = await g.transmissions.send({ recipients: [{ address: `g1-${t}@dest.example` }, { address: `g2-${t}@dest.example` }],
    content, options });
  await waitForJobDone(bed.cfg, job.results.id, 300000);
  const mine = () => acmeRx.events((h) => h.batchId !== acmeRx.hits[0]!.batchId);
  await waitFor('20,000 events at the acme receiver', () => mine().length >= 20_000, 180000, 500);
  await waitFor('4 events at the globex receiver', () => globexRx.events((h) => h !== globexRx.hits[0]).length >= 4, 60000);

  assert.deepEqual(acmeRx.forged(secret), [], 'every acme batch verifies');
  assert.deepEqual(globexRx.forged(gSecret), [], 'every globex batch verifies');
  assert.ok(acmeRx.forged(gSecret).length > 0, 'another secret does not verify');
  const events = mine();
  assert.deepEqual(countByType(events), { injection: 10_000, delivery: 10_000 });
  assert.equal(new Set(events.map((e) => e.event_id)).size, 20_000, 'no event twice');
  for (const type of ['injection', 'delivery']) {
    assert.equal(new Set(events.filter((e) => e.type === type).map((e) => e.rcpt_to)).size, 10_000, `one ${type} per recipient`);
  }
  assert.ok(events.every((e) => e.customer_id === acme && e.transmission_id === job.results.id && e.campaign_id === `big-${t}`));
  assert.ok(events.every((e) => e.class === 'message_event' && /^\d{10}$/.test(e.timestamp!)), 'SparkPost shape, Unix seconds');
  assert.ok(acmeRx.hits.every((h) => /^[0-9a-f-]{36}$/.test(h.batchId)), 'every batch carries X-MessageSystems-Batch-ID');
  const gEvents = globexRx.events((h) => h !== globexRx.hits[0]);
  assert.ok(gEvents.every((e) => e.customer_id === globex && e.transmission_id === other.results.id), 'globex sees only its own');
  assert.ok(!events.some((e) => e.transmission_id === other.results.id), 'acme sees nothing of globex');
});
