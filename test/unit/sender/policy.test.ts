import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSendHandler } from '../../../src/consumers/sender/handler.js';
import type { SmtpOutcome } from '../../../src/consumers/sender/transport.js';
import type { RenderedMessage, Event, Suppression } from '../../../src/generated/types.js';

const msg: RenderedMessage = { messageId: 'j.1', jobId: 'j', kind: 'bulk', tenant: 't', campaignId: null,
  rowNumber: 1, mailFrom: 'a@s.example', rcptTo: 'U@d.example', domain: 'd.example', ipPool: null,
  raw: Buffer.from('x'), acceptedAt: 1000, attempt: 0, notBefore: 0, sandbox: false, skipSuppression: false,
  parts: null };
const reply = (o: Partial<SmtpOutcome>): SmtpOutcome => ({ ok: false, code: null, enhancedCode: null, response: '', mxHost: 'mx', tls: false, ...o });
const retry = () => ({ schedule: { initialMs: 1000, multiplier: 2, maxMs: 8000 }, maxAgeMs: 10_000 });
function setup(res: SmtpOutcome, now = 2000) {
  const set = new Set<string>(); let sends = 0;
  const handle = createSendHandler({ now: () => now, retry, suppressions: { has: (k) => set.has(k), add: (k) => { set.add(k); } }, transport: { send: async () => { sends++; return res; }, close() {} } });
  return { handle, set, sends: () => sends };
}

test('a 5.1.1 reply is a hard bounce (class 10) that suppresses the lower-cased address, and the next send is policy_rejected without SMTP', async () => {
  const s = setup(reply({ code: 550, enhancedCode: '5.1.1', response: '550 5.1.1 The email account that you tried to reach does not exist' }));
  const out = await s.handle(msg);
  const e = out.find((o) => o.topic === 'events')!.value as Event;
  assert.equal(e.type, 'bounced'); assert.equal(e.bounceClass, 10); assert.equal(e.bounceCategory, 'hard');
  const sup = out.find((o) => o.topic === 'suppressions')!;
  assert.equal(sup.key, 't:u@d.example'); assert.equal((sup.value as Suppression).source, 'hard_bounce');
  const again = await s.handle({ ...msg, messageId: 'j2.1', jobId: 'j2' });
  assert.deepEqual(again.map((o) => (o.value as Event).type), ['policy_rejected']);
  assert.equal(s.sends(), 1);
});

test('a soft bounce is classified but suppresses nothing', async () => {
  const s = setup(reply({ code: 552, enhancedCode: '5.2.2', response: '552 5.2.2 mailbox full' }));
  const out = await s.handle(msg);
  assert.equal((out.find((o) => o.topic === 'events')!.value as Event).bounceCategory, 'soft');
  assert.equal(out.some((o) => o.topic === 'suppressions'), false);
});

test('a 4xx goes to the retry topic with attempt+1 and notBefore from the schedule; past max age it expires', async () => {
  const out = await setup(reply({ code: 451, response: '451 4.7.1 greylisted' })).handle(msg);
  const r = out.find((o) => o.topic === 'retry')!;
  assert.equal(r.key, 'd.example');
  assert.deepEqual([(r.value as RenderedMessage).attempt, (r.value as RenderedMessage).notBefore], [1, 3000]);
  const late = await setup(reply({ network: true, response: 'ECONNRESET' }), 20_000).handle({ ...msg, attempt: 3 });
  assert.deepEqual(late.filter((o) => o.topic === 'events').map((o) => (o.value as Event).type), ['deferred', 'expired']);
  assert.equal(late.some((o) => o.topic === 'retry'), false);
});
