import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBreaker } from '../../../src/consumers/breaker/handler.js';
import { makeEvent } from '../../../src/schemas/events.js';
import { createSendHandler } from '../../../src/consumers/sender/handler.js';
import type { RenderedMessage } from '../../../src/generated/types.js';

const opts = { window: 100, minSample: 50, complaintRate: 0.003, hardBounceRate: 0.05 };
const delivered = (n: number, campaignId: string | null = 'spring') =>
  makeEvent('delivered', { jobId: 'j', messageId: `j.${n}`, tenant: 'acme', campaignId }, 1000 + n);

test('a campaign whose complaints pass 0.3% of its last sends is paused with an event that says why; the tenant too when it passes', () => {
  const b = createBreaker(opts);
  for (let n = 1; n <= 60; n++) assert.deepEqual(b(delivered(n)), []);
  // a complaint without a campaign is matched to the delivery of its message
  const out = b(makeEvent('spam_complaint', { jobId: 'j', messageId: 'j.7', tenant: 'acme' }, 5000));
  const pauses = out.filter((o) => o.topic === 'sending-pauses').map((o) => [o.key, (o.value as { metric: string }).metric]);
  assert.deepEqual(pauses, [['acme:', 'complaint_rate'], ['acme:spring', 'complaint_rate']]);
  const events = out.filter((o) => o.topic === 'events').map((o) => o.value as { type: string; reason: string });
  assert.ok(events.every((e) => e.type === 'sending_paused'));
  assert.match(events[1]!.reason, /campaign spring of tenant acme paused: complaint rate 1\.67% over the last 60 sends passed 0\.30%/);
  // the window starts afresh: the same complaint again trips nothing
  assert.deepEqual(b(makeEvent('spam_complaint', { jobId: 'j', messageId: 'j.7', tenant: 'acme' }, 5001)), []);
});

test('below the minimum sample nothing trips; hard bounces past 5% do', () => {
  const b = createBreaker(opts);
  for (let n = 1; n <= 10; n++) b(delivered(n, null));
  assert.deepEqual(b(makeEvent('spam_complaint', { jobId: 'j', messageId: 'j.3', tenant: 'acme' })), []);
  const c = createBreaker(opts);
  let tripped: unknown[] = [];
  for (let n = 1; n <= 60 && !tripped.length; n++) {
    tripped = c(n % 10 === 0 ? makeEvent('bounced', { jobId: 'j', messageId: `j.${n}`, tenant: 'acme', bounceCategory: 'hard' })
      : delivered(n, null));
  }
  assert.equal((tripped[0] as { value: { metric: string } }).value.metric, 'hard_bounce_rate');
});

test('the sender holds bulk mail of a paused scope on the retry topic, same attempt; transactional mail still goes', async () => {
  const msg = { messageId: 'j.1', jobId: 'j', kind: 'bulk', tenant: 'acme', campaignId: 'spring', rowNumber: 1, mailFrom: 'a@shop.example',
    rcptTo: 'x@dest.example', domain: 'dest.example', ipPool: null, raw: Buffer.from('x'), acceptedAt: 0, attempt: 0, notBefore: 0,
    sandbox: false, skipSuppression: false } as RenderedMessage;
  let sent = 0;
  const transport = { send: async () => { sent++; return { ok: true, code: 250, enhancedCode: '2.0.0', response: '250 ok', mxHost: 'mx', tls: false }; } };
  const h = createSendHandler({ transport: transport as never, now: () => 10_000, isPaused: (t, c) => t === 'acme' && c === 'spring',
    pauseRecheckMs: 1000 });
  const [held] = await h(msg);
  assert.equal(held!.topic, 'retry');
  assert.deepEqual([(held!.value as RenderedMessage).attempt, (held!.value as RenderedMessage).notBefore], [0, 11_000]);
  assert.equal(sent, 0);
  const out = await h({ ...msg, kind: 'transactional' });
  assert.equal(sent, 1);
  assert.ok(out.some((o) => o.topic === 'events' && (o.value as { type: string }).type === 'delivered'));
});
