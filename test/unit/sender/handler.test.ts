import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSendHandler, outcomeOf } from '../../../src/consumers/sender/handler.js';
import type { SmtpOutcome } from '../../../src/consumers/sender/transport.js';
import type { RenderedMessage, DeliveryAttempt, Event } from '../../../src/generated/types.js';

const msg: RenderedMessage = { messageId: 'j.1', jobId: 'j', kind: 'bulk', tenant: 't', campaignId: null, rowNumber: 1, mailFrom: 'a@s.example', rcptTo: 'u@d.example', domain: 'd.example', ipPool: null, raw: Buffer.from('x'), acceptedAt: 1000, attempt: 0, notBefore: 0 };
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
