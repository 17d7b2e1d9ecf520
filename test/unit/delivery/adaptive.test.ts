import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAdaptive, scopeOf } from '../../../src/delivery/adaptive.js';
import { parseShaping, resolveShaping } from '../../../src/delivery/shaping.js';

const shaping = parseShaping({
  defaults: {
    max_connections: 8, max_messages_per_connection: 100, max_message_rate: '100/s', retry_schedule: { initial: '5m', multiplier: 2, max: '4h' }, max_age: '3d', require_tls: false,
    adaptive: { successes_to_recover: 3, connection_step: 2, rate_step_percent: 25, decrease_holdoff: '10s', rules: [{ match: 'blocked using', action: 'suspend', duration: '1h' }] },
  },
  providers: { gmail: { match: ['.google.com'], adaptive: { rules: [{ match: '4\\.7\\.28', action: 'throttle', factor: 0.5, duration: '30m' }] } } },
  bindings: [{ name: 'b1', source: '127.0.0.1', ehlo: 'localhost' }],
  pools: { default: [{ binding: 'b1' }] }, default_pool: 'default',
});
const limits = resolveShaping(shaping, { domain: 'gmail.com', mxHost: 'aspmx.l.google.com', binding: 'b1' });
const key = { binding: 'b1', site: 'aspmx.l.google.com', domain: 'gmail.com' };
const MIN = 60_000;

test('a provider rate-limit reply halves connections and rate, holds until expiry, and reports a shaping_adjusted event', () => {
  let t = 1_000_000;
  const a = createAdaptive({ now: () => t });
  const e = a.onReply(key, limits, { code: 421, response: '421-4.7.28 [192.0.2.1] Our system has detected an unusual rate of unsolicited mail' })!;
  assert.equal(e.type, 'shaping_adjusted');
  assert.equal(e.jobId, '');
  assert.equal(e.binding, 'b1');
  assert.equal(e.domain, 'gmail.com');
  const d = JSON.parse(e.detail!);
  assert.equal(d.scope, 'b1->aspmx.l.google.com');
  assert.deepEqual([d.old.connections, d.new.connections, d.old.rate, d.new.rate], [8, 4, '100/s', '50/s']);
  assert.equal(d.expiresAt, t + 30 * MIN);
  assert.match(e.reason!, /throttle on \/4\\.7\\.28\//);
  assert.deepEqual(a.current(key, limits), { maxConnections: 4, maxMessageRate: { count: 50, perMs: 1000 }, suspendedUntil: null, throttledUntil: t + 30 * MIN });
  assert.equal(a.onReply(key, limits, { code: 421, response: '421 4.7.28 again' }), null, 'a burst from parallel connections decreases once');
  t += 11_000;
  assert.equal(JSON.parse(a.onReply(key, limits, { code: 421, response: '421 4.7.28 again' })!.detail!).new.connections, 2);
  for (let i = 0; i < 10; i++) assert.equal(a.onReply(key, limits, { code: 250 }), null, 'no increase while the throttle holds');
});

test('after the hold, every N successes step back up additively until the configured maximum', () => {
  let t = 0;
  const a = createAdaptive({ now: () => t });
  a.onReply(key, limits, { code: 421, enhancedCode: '4.7.28', response: 'rate limited' });
  t += 31 * MIN;
  const steps: Array<[number, string]> = [];
  for (let i = 0; i < 30; i++) {
    const e = a.onReply(key, limits, { code: 250 });
    if (e) { const d = JSON.parse(e.detail!); steps.push([d.new.connections, d.new.rate]); }
  }
  assert.deepEqual(steps, [[6, '75/s'], [8, '100/s']]);
  assert.deepEqual(a.scopes(), [], 'back at the maximum, the scope is forgotten');
});

test('a block reply suspends binding+destination; a plain 421 falls back to throttle; lift() restores it for an operator', () => {
  let t = 0;
  const a = createAdaptive({ now: () => t });
  const e = a.onReply(key, limits, { code: 554, response: '554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org' })!;
  assert.equal(JSON.parse(e.detail!).expiresAt, 60 * MIN);
  assert.ok(a.isSuspended(key));
  assert.equal(a.onReply(key, limits, { code: 554, response: '554 blocked using x' }), null, 'already suspended');
  const lifted = a.lift(scopeOf(key))!;
  assert.equal(lifted.reason, 'lifted by operator');
  assert.equal(a.isSuspended(key), false);
  assert.equal(a.lift(scopeOf(key)), null);
  const other = { ...key, site: 'mx.other.test' };
  const other421 = a.onReply(other, limits, { code: 421, response: '421 Too many connections' })!;
  assert.equal(JSON.parse(other421.detail!).new.connections, 4);
  assert.equal(a.onReply(other, limits, { code: 550, response: '550 5.1.1 user unknown' }), null, 'a hard bounce is not a shaping signal');
  t += 61 * MIN;
  assert.equal(a.isSuspended(key), false, 'suspensions expire on their own');
});
