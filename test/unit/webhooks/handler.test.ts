import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Event, Webhook, WebhookBatch } from '../../../src/generated/types.js';
import { makeEvent } from '../../../src/schemas/events.js';
import { afterFailure, batchesOf, retryTopicOf, sign, verify, wants } from '../../../src/consumers/webhooks/handler.js';
import { toSparkPost } from '../../../src/consumers/webhooks/sparkpost.js';

const hook = (o: Partial<Webhook> = {}): Webhook => ({
  id: 'w1', tenant: 'acme', name: 'n', target: 'https://hooks.example/x', events: [], campaigns: [], active: true, customHeaders: {},
  authType: 'none', authCredentials: '{}', authRequestDetails: '{}', secret: 's3cret', createdAt: 0, updatedAt: 0, disabledAt: null,
  disabledReason: null, ...o,
});
const ev = (type: Event['type'], o: Partial<Event> = {}): Event =>
  makeEvent(type, { jobId: 'j1', messageId: 'j1.0', tenant: 'acme', recipient: 'a@x.example', domain: 'x.example', ...o }, 1_700_000_000_123);

test('our events map to SparkPost classes with string fields and a timestamp in Unix seconds; internal ones map to nothing', () => {
  assert.deepEqual(toSparkPost(ev('delivered', { smtpCode: 250, response: '250 ok', attempt: 1, campaignId: 'c' })), { msys: { message_event: {
    type: 'delivery', event_id: 'j1.0:delivered:1', timestamp: '1700000000', message_id: 'j1.0', transmission_id: 'j1', campaign_id: 'c',
    rcpt_to: 'a@x.example', raw_rcpt_to: 'a@x.example', routing_domain: 'x.example', customer_id: 'acme', num_retries: '0',
    error_code: '250', reason: '250 ok', raw_reason: '250 ok' } } });
  assert.ok(toSparkPost(ev('clicked', { url: 'https://u' }))!.msys.track_event);
  assert.ok(toSparkPost(ev('render_failed'))!.msys.gen_event);
  assert.ok(toSparkPost(ev('unsubscribed'))!.msys.unsubscribe_event);
  for (const t of ['job_accepted', 'split_completed', 'shaping_adjusted', 'webhook_batch', 'webhook_failed'] as const) {
    assert.equal(toSparkPost(ev(t)), null, t);
  }
});

test('a webhook receives only its tenant\'s events, of its types and campaigns, from its creation on, while active', () => {
  assert.ok(wants(hook(), ev('delivered')));
  assert.ok(!wants(hook(), ev('delivered', { tenant: 'globex' })));
  assert.ok(!wants(hook(), ev('delivered', { tenant: null })));
  assert.ok(!wants(hook({ events: ['bounce'] }), ev('delivered')));
  assert.ok(wants(hook({ events: ['bounce'] }), ev('bounced')));
  assert.ok(!wants(hook({ campaigns: ['spring'] }), ev('delivered')));
  assert.ok(wants(hook({ campaigns: ['spring'] }), ev('delivered', { campaignId: 'spring' })));
  assert.ok(!wants(hook({ active: false }), ev('delivered')));
  assert.ok(!wants(hook({ createdAt: 1_800_000_000_000 }), ev('delivered')));
  assert.ok(!wants(hook(), ev('job_accepted')));
});

test('batches hold at most the maximum, per webhook, and the same slice always gets the same batch IDs', () => {
  const located = Array.from({ length: 5 }, (_, i) => ({ event: ev('delivered', { messageId: `j1.${i}` }), partition: 2, offset: String(10 + i) }));
  const hooks = [hook(), hook({ id: 'w2' }), hook({ id: 'w3', tenant: 'globex' })];
  const b = batchesOf(located, hooks, 2);
  assert.deepEqual(b.map((x) => [x.key, x.value.count]), [['acme:w1', 2], ['acme:w2', 2], ['acme:w1', 2], ['acme:w2', 2],
    ['acme:w1', 1], ['acme:w2', 1]]);
  assert.deepEqual(batchesOf(located, hooks, 2).map((x) => x.value.batchId), b.map((x) => x.value.batchId));
  assert.equal(new Set(b.map((x) => x.value.batchId)).size, 6);
  assert.equal((JSON.parse(b[0]!.value.body) as unknown[]).length, 2);
  assert.notEqual(batchesOf(located, hooks, 2, { replay: true })[0]!.value.batchId, b[0]!.value.batchId);
});

test('the signature verifies with the secret only, for the exact body, within the tolerance', () => {
  const now = 1_700_000_000_000;
  const header = sign('s3cret', now / 1000, '[1]');
  assert.match(header, /^t=1700000000,v1=[0-9a-f]{64}$/);
  assert.ok(verify('s3cret', header, '[1]', 300, now));
  assert.ok(!verify('other', header, '[1]', 300, now));
  assert.ok(!verify('s3cret', header, '[2]', 300, now));
  assert.ok(!verify('s3cret', header, '[1]', 300, now + 301_000), 'an old signature is a replay');
  assert.ok(!verify('s3cret', 'garbage', '[1]', 300, now));
});

test('a failed attempt waits twice as long each time, capped, until the retry window has passed', () => {
  const p = { baseMs: 1000, maxMs: 4000, windowMs: 60_000 };
  let b: WebhookBatch | 'expired' = { batchId: 'b', tenant: 'acme', webhookId: 'w1', body: '[]', count: 0, attempt: 1, firstAttemptAt: null,
    notBefore: 0, lastError: null, replay: false };
  const waits: number[] = [];
  for (let now = 0; now < 20_000;) {
    const next = afterFailure(b as WebhookBatch, 'MS_ERR_WEBHOOK_DELIVERY: 500', now, p);
    if (next === 'expired') assert.fail('expired inside the window');
    waits.push(next.notBefore - now);
    now = next.notBefore;
    b = next;
  }
  assert.deepEqual(waits.slice(0, 5), [1000, 2000, 4000, 4000, 4000]);
  assert.equal(afterFailure({ ...(b as WebhookBatch), firstAttemptAt: 0 }, 'x', 60_000, p), 'expired');
});

test('a failed batch goes to the retry topic of its wait, so it never queues behind one due much later', () => {
  assert.deepEqual([1000, 29_999, 30_000, 599_999, 600_000, 3_600_000].map(retryTopicOf), ['webhook-retry', 'webhook-retry',
    'webhook-retry-minutes', 'webhook-retry-minutes', 'webhook-retry-hours', 'webhook-retry-hours']);
});
