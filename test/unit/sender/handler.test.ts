import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSendHandler, outcomeOf } from '../../../src/consumers/sender/handler.js';
import type { SmtpOutcome } from '../../../src/consumers/sender/transport.js';
import type { RenderedMessage, DeliveryAttempt, Event } from '../../../src/generated/types.js';
import { parseShaping, resolveShaping } from '../../../src/delivery/index.js';

const msg: RenderedMessage = { messageId: 'j.1', jobId: 'j', kind: 'bulk', tenant: 't', campaignId: null,
  rowNumber: 1, mailFrom: 'a@s.example', rcptTo: 'u@d.example', domain: 'd.example', ipPool: null,
  raw: Buffer.from('x'), acceptedAt: 1000, attempt: 0, notBefore: 0, sandbox: false, skipSuppression: false,
  parts: null };
const reply = (o: Partial<SmtpOutcome>): SmtpOutcome => ({ ok: false, code: null, enhancedCode: null, response: '', mxHost: 'mx', tls: false, ...o });

test('SMTP replies map to outcomes: 2xx delivered, 4xx and network deferred, 5xx bounced', () => {
  assert.equal(outcomeOf(reply({ ok: true, code: 250 })), 'delivered');
  assert.equal(outcomeOf(reply({ code: 421 })), 'deferred');
  assert.equal(outcomeOf(reply({ network: true })), 'deferred');
  assert.equal(outcomeOf(reply({ code: 550, enhancedCode: '5.1.1' })), 'bounced');
});

test('every attempt yields an attempt record and one event with the code, response and accepted→250 latency', async () => {
  let t = 2000;
  const handle = createSendHandler({ now: () => (t += 10), transport: { send: async () => reply({ ok: true, code: 250, enhancedCode: '2.0.0', response: '250 2.0.0 OK' }), close() {} } });
  const [attempt, event] = await handle(msg);
  const a = attempt.value as DeliveryAttempt; const e = event.value as Event;
  assert.equal(attempt.topic, 'delivery-attempts');
  assert.equal(a.attempt, 1); assert.equal(a.smtpCode, 250); assert.equal(a.latencyMs, 10);
  assert.equal(e.type, 'delivered'); assert.equal(e.eventId, 'j.1:delivered:1'); assert.equal(e.latencyMs, 1020);
});

test('a deferral is retried on the schedule and max age of the provider that owns the MX host that deferred it', async () => {
  const shaping = parseShaping({
    defaults: { max_connections: 5, max_messages_per_connection: 100, retry_schedule: { initial: '1m', multiplier: 2, max: '1h' }, max_age: '3d', require_tls: false },
    providers: { bigmail: { match: ['.bigmail.test'], retry_schedule: { initial: '10m', multiplier: 3, max: '2h' }, max_age: '1h' } },
    bindings: [{ name: 'b1', source: '127.0.0.1', ehlo: 'localhost' }], pools: { default: [{ binding: 'b1', weight: 1 }] }, default_pool: 'default',
  });
  const seen: string[] = [];
  // as the sender wires it (src/consumers/sender/index.ts, direct mode)
  const retry = (m: RenderedMessage, mxHost: string) => { seen.push(mxHost); const l = resolveShaping(shaping, { domain: m.domain, mxHost }); return { schedule: l.retry, maxAgeMs: l.maxAgeMs }; };
  const defer = (mxHost: string) => createSendHandler({ now: () => 2000, retry, transport: { send: async () => reply({ code: 421, response: '421 4.7.0 try later', mxHost }), close() {} } });
  const notBefore = (out: Awaited<ReturnType<ReturnType<typeof defer>>>) => (out.find((o) => o.topic === 'retry')!.value as RenderedMessage).notBefore;

  assert.equal(notBefore(await defer('mx2.bigmail.test')(msg)), 2000 + 600_000, 'provider: initial 10m');
  assert.equal(notBefore(await defer('mx2.bigmail.test')({ ...msg, attempt: 1 })), 2000 + 1_800_000, 'provider: ×3');
  assert.equal(notBefore(await defer('mx.other.test')(msg)), 2000 + 60_000, 'defaults: initial 1m');
  assert.deepEqual(seen, ['mx2.bigmail.test', 'mx2.bigmail.test', 'mx.other.test']);
  // the provider's max age (1h) expires what the defaults (3d) would still retry
  const old = { ...msg, acceptedAt: 2000 - 3_600_000 };
  const expired = await defer('mx2.bigmail.test')(old);
  assert.deepEqual(expired.filter((o) => o.topic === 'events').map((o) => (o.value as Event).type), ['deferred', 'expired']);
  assert.ok((await defer('mx.other.test')(old)).some((o) => o.topic === 'retry'));
});

test('a sandbox message is delivered by the sender itself: the attempt and event are written, the transport is never called', async () => {
  let sends = 0;
  const handle = createSendHandler({ now: () => 2000, transport: { send: async () => { sends++; return reply({ ok: true, code: 250 }); }, close() {} } });
  const [attempt, event] = await handle({ ...msg, sandbox: true });
  assert.equal(sends, 0);
  assert.equal((attempt.value as DeliveryAttempt).smtpCode, 250);
  assert.equal((event.value as Event).type, 'delivered');
  assert.match((event.value as Event).response ?? '', /sandbox/);
  const suppressed = createSendHandler({ now: () => 2000, suppressions: { has: () => true, add() {} }, transport: { send: async () => { sends++; return reply({}); }, close() {} } });
  assert.equal(((await suppressed({ ...msg, sandbox: true }))[0]!.value as Event).type, 'policy_rejected', 'suppression still applies');
});
