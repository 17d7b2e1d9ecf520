import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAdaptive, createLimiters, createTokenQueue, parseShaping, resolveShaping } from '../../../src/delivery/index.js';
import { createHostState } from '../../../src/consumers/sender/mx-hosts.js';

const shaping = parseShaping({
  defaults: {
    max_connections: 4, max_messages_per_connection: 100, max_message_rate: '10/s', retry_schedule: { initial: '5m', multiplier: 2, max: '4h' },
    max_age: '3d', require_tls: false, adaptive: { rules: [{ match: '5\\.7\\.1', action: 'suspend', duration: '1h' }] },
  },
  bindings: [{ name: 'b1', source: '127.0.0.1', ehlo: 'a.test' }], pools: { default: [{ binding: 'b1' }] }, default_pool: 'default',
});
const limits = resolveShaping(shaping, { domain: 'x.test', mxHost: 'mx.x.test', binding: 'b1' });
const key = { binding: 'b1', site: 'mx.x.test', domain: 'x.test' };

test('a limiter scope is forgotten once its bucket is full again, never while it refills', () => {
  let t = 0;
  const l = createLimiters({ now: () => t });
  for (let i = 0; i < 10; i++) l.take(`s${i}`, { count: 1, perMs: 1000 });
  assert.equal(l.size(), 10);
  assert.equal(l.drop('s0'), false, 'a bucket still refilling keeps its scope');
  assert.equal(l.size(), 10);
  t = 1000;
  for (let i = 0; i < 10; i++) assert.equal(l.drop(`s${i}`), true);
  assert.equal(l.size(), 0);
  assert.equal(l.drop('never-used'), true);
});

test('a token queue reports a scope busy while callers wait in its line, and frees the line when served', async () => {
  let t = 0;
  const l = createLimiters({ now: () => t });
  const take = createTokenQueue(l, async () => { t += 1000; });
  await take('s', { count: 1, perMs: 1000 });
  const waiting = take('s', { count: 1, perMs: 1000 });
  assert.equal(take.busy('s'), true);
  await waiting;
  await Promise.resolve();
  assert.equal(take.busy('s'), false);
});

test('adaptive state is evicted only when back to its base with nothing in force', () => {
  let t = 0;
  const a = createAdaptive({ now: () => t });
  const scope = 'b1->mx.x.test';
  a.onReply(key, limits, { code: 421, response: '421 4.7.0 slow down' });
  assert.equal(a.inForce(scope), true);
  assert.equal(a.evict(scope), false, 'a throttle in force keeps the state');
  t += 300_001;
  assert.equal(a.inForce(scope), false);
  assert.equal(a.evict(scope), false, 'reduced limits are kept until recovered');
  assert.deepEqual(a.scopes(), [scope]);
  a.onReply(key, limits, { code: 554, response: '554 5.7.1 blocked' });
  assert.equal(a.evict(scope), false, 'a suspension in force keeps the state');
  t += 3_600_001;
  a.lift(scope);
  assert.equal(a.evict(scope), true);
  // a suspension that ran out leaves a state at its base: evictable
  a.onReply(key, limits, { code: 554, response: '554 5.7.1 blocked' });
  t += 3_600_001;
  assert.equal(a.evict(scope), true);
  assert.deepEqual(a.scopes(), []);
});

test('host state forgets a queue unless one of its hosts is down; the entry cap drops the oldest queue', () => {
  let t = 0;
  const h = createHostState(() => t, Math.random, 60_000, 4);
  h.rank('q1 mx1'); h.rank('q1 mx2'); h.failed('q2 mx1');
  assert.equal(h.size(), 3);
  assert.equal(h.forget('q1'), true);
  assert.equal(h.forget('q2'), false, 'a host remembered as down is kept');
  t = 60_001;
  assert.equal(h.forget('q2'), true);
  assert.equal(h.size(), 0);
  for (const k of ['a x', 'a y', 'b x', 'b y', 'c x']) h.rank(k);
  assert.equal(h.size(), 3, 'queue a went to make room');
});
