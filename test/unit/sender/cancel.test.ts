import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSendHandler } from '../../../src/consumers/sender/handler.js';
import { createDirectTransport } from '../../../src/consumers/sender/direct.js';
import type { SendContext, SmtpOutcome, SmtpTransport } from '../../../src/consumers/sender/transport.js';
import type { RenderedMessage, Event } from '../../../src/generated/types.js';
import type { Output } from '../../../src/consumers/shell/index.js';
import { parseShaping } from '../../../src/delivery/index.js';
import { startSimulator } from '../../support/simulator.js';
import { startDns } from '../../support/dns.js';

const msg: RenderedMessage = {
  messageId: 'j.1', jobId: 'j', kind: 'bulk', tenant: 't', campaignId: 'c', rowNumber: 1, mailFrom: 'a@s.example',
  rcptTo: 'u@d.example', domain: 'd.example', ipPool: null, raw: Buffer.from('x'), acceptedAt: 1000, attempt: 0,
    notBefore: 0, sandbox: false, skipSuppression: false, parts: null,
};
const reply = (o: Partial<SmtpOutcome>): SmtpOutcome =>
  ({ ok: false, code: null, enhancedCode: null, response: '', mxHost: 'mx', tls: false, ...o });
const retry = () => ({ schedule: { initialMs: 1000, multiplier: 2, maxMs: 8000 }, maxAgeMs: 60_000 });

/** A handler over a transport that counts its sends; the job-control fake is a set of cancelled `<tenant>:<jobId>`. */
function setup(res: (ctx?: SendContext) => SmtpOutcome = () => reply({ ok: true, code: 250 })) {
  const cancelled = new Set<string>(); let sends = 0;
  const transport: SmtpTransport = { send: async (_f, _t, _r, ctx) => { sends++; return res(ctx); }, close() {} };
  const isCancelled = (tenant: string, jobId: string) => cancelled.has(`${tenant}:${jobId}`);
  const handle = createSendHandler({ now: () => 2000, retry, transport, isCancelled });
  return { handle, cancelled, sends: () => sends };
}
const types = (out: Output[]) => out.map((o) => `${o.topic}:${o.topic === 'events' ? (o.value as Event).type : ''}`);

test('a rendered message of a cancelled job gets one cancelled event and no SMTP attempt', async () => {
  const s = setup();
  s.cancelled.add('t:j');
  const out = await s.handle(msg);
  assert.deepEqual(types(out), ['events:cancelled']);
  assert.equal(s.sends(), 0);
  const e = out[0]!.value as Event;
  assert.deepEqual([e.eventId, e.messageId, e.jobId, e.tenant, e.campaignId, e.recipient, e.domain],
    ['j.1:cancelled', 'j.1', 'j', 't', 'c', 'u@d.example', 'd.example']);
  assert.match(e.reason!, /^MS_CANCELLED: /);
  // another tenant's job of the same ID is not cancelled
  assert.deepEqual(types(await s.handle({ ...msg, tenant: 'other' })), ['delivery-attempts:', 'events:delivered']);
  assert.equal(s.sends(), 1);
});

test('a retry of a cancelled job gets the same one cancelled event, whatever its attempt', async () => {
  const s = setup();
  s.cancelled.add('t:j');
  const out = await s.handle({ ...msg, attempt: 3, notBefore: 5000 });
  assert.deepEqual(types(out), ['events:cancelled']);
  assert.equal((out[0]!.value as Event).eventId, 'j.1:cancelled');
  assert.equal(s.sends(), 0);
});

test('a deferral of a job cancelled while the attempt ran ends cancelled: no retry record', async () => {
  let s: ReturnType<typeof setup>;
  s = setup(() => { s.cancelled.add('t:j'); return reply({ code: 421, response: '421 4.7.0 try later' }); });
  assert.deepEqual(types(await s.handle(msg)), ['delivery-attempts:', 'events:deferred', 'events:cancelled']);
  // not cancelled: the deferral is retried
  const t = setup(() => reply({ code: 421, response: '421 4.7.0 try later' }));
  assert.deepEqual(types(await t.handle(msg)), ['delivery-attempts:', 'events:deferred', 'retry:']);
});

test('the transport gets a live cancel check; a message it held and did not send ends cancelled, no attempt record', async () => {
  let s: ReturnType<typeof setup>;
  s = setup((ctx) => {
    assert.equal(ctx?.cancelled?.(), false);
    s.cancelled.add('t:j'); // cancelled while the message waited for its queue
    return ctx?.cancelled?.() ? { ...reply({ code: 451 }), cancelled: true } : reply({ ok: true, code: 250 });
  });
  assert.deepEqual(types(await s.handle(msg)), ['events:cancelled']);
});

test('direct transport: a message held by its queue\'s message rate is not sent once its job is cancelled', async () => {
  const shaping = parseShaping({
    defaults: {
      max_connections: 1, max_messages_per_connection: 10, max_message_rate: '1/s',
      retry_schedule: { initial: '1s', multiplier: 1, max: '1s' }, max_age: '1h', require_tls: false,
    },
    bindings: [{ name: 'lo', source: '127.0.0.1', ehlo: 'sender.test' }], pools: { default: [{ binding: 'lo' }] },
    default_pool: 'default',
  });
  const sim = await startSimulator({});
  const dns = await startDns({ zones: {
    'ok.test': { mx: [{ exchange: 'mx.sim.test', priority: 5 }] }, 'mx.sim.test': { a: ['127.0.0.1'] },
  } });
  const t = createDirectTransport({ shaping, dnsServers: [dns.server], port: sim.port });
  after(async () => { t.close(); await sim.close(); await dns.close(); });
  const raw = Buffer.from('Subject: x\r\n\r\nhi\r\n');
  const first = await t.send('a@s.test', 'first@ok.test', raw, { domain: 'ok.test', ipPool: null, cancelled: () => false });
  assert.equal(first.ok, true);
  // the second waits about a second for the queue's next token; the job is cancelled meanwhile
  const started = Date.now();
  let checkedAfter = -1;
  const cancelled = () => { checkedAfter = Date.now() - started; return true; };
  const res = await t.send('a@s.test', 'second@ok.test', raw, { domain: 'ok.test', ipPool: null, cancelled });
  assert.equal(res.cancelled, true);
  assert.ok(checkedAfter >= 500, `checked after the rate wait (${checkedAfter} ms)`);
  assert.match(res.reason!, /^MS_CANCELLED/);
  assert.deepEqual(sim.received.map((m) => m.to), ['first@ok.test']);
});
