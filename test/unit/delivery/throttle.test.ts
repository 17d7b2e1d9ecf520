import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLimiters, createTokenBucket, createTokenQueue } from '../../../src/delivery/throttle.js';

test('a bucket grants its burst, then one token per interval, and says how long to wait', () => {
  let t = 0;
  const b = createTokenBucket({ count: 10, perMs: 1000 }, { now: () => t });
  for (let i = 0; i < 10; i++) assert.deepEqual(b.take(), { ok: true });
  assert.deepEqual(b.take(), { ok: false, waitMs: 100 });
  t += 100;
  assert.deepEqual(b.take(), { ok: true });
  t += 10_000;
  assert.equal(b.available(), 10, 'refill is capped at the burst');
});

test('per-minute rates refill smoothly and a lower rate drops the excess tokens', () => {
  let t = 0;
  const b = createTokenBucket({ count: 60, perMs: 60_000 }, { now: () => t });
  assert.equal(b.available(), 1);
  b.take();
  assert.deepEqual(b.take(), { ok: false, waitMs: 1000 });
  const c = createTokenBucket({ count: 100, perMs: 1000 }, { now: () => t });
  c.setRate({ count: 5, perMs: 1000 });
  assert.equal(c.available(), 5);
});

test('limiters keep one bucket per scope, treat a null rate as unlimited, and follow rate changes', () => {
  let t = 0;
  const l = createLimiters({ now: () => t });
  assert.ok(l.take('msg:a', { count: 1, perMs: 1000 }).ok);
  assert.equal(l.take('msg:a', { count: 1, perMs: 1000 }).ok, false);
  assert.ok(l.take('msg:b', { count: 1, perMs: 1000 }).ok, 'scopes are independent');
  for (let i = 0; i < 1000; i++) assert.ok(l.take('msg:c', null).ok);
  t += 1000;
  assert.ok(l.take('msg:a', { count: 2, perMs: 1000 }).ok);
  assert.equal(l.size(), 2);
});

test('a token queue serves waiters in arrival order and only the head of the line sleeps', async () => {
  let clock = 0;
  const sleeps: number[] = [];
  const limiters = createLimiters({ now: () => clock });
  const take = createTokenQueue(limiters, async (ms) => { sleeps.push(ms); clock += ms; });
  const rate = { count: 10, perMs: 1000 }; // burst 10, then one token per 100 ms
  const order: number[] = [];
  await Promise.all(Array.from({ length: 15 }, (_, i) => take('msg:a', rate).then(() => order.push(i))));
  assert.deepEqual(order, Array.from({ length: 15 }, (_, i) => i));
  assert.equal(sleeps.length, 5, 'one sleep per token beyond the burst, not one per waiter per token');
  assert.equal(clock, 500);
  await take('msg:b', null); // unlimited scopes never wait
  assert.equal(sleeps.length, 5);
});

test('a priority caller is served ahead of every bulk caller already waiting for the same scope', async () => {
  let clock = 0;
  const limiters = createLimiters({ now: () => clock });
  const take = createTokenQueue(limiters, async (ms) => { clock += ms; await Promise.resolve(); });
  const rate = { count: 1, perMs: 100 }; // burst 10, then one token per 100 ms
  const order: string[] = [];
  const waits = Array.from({ length: 14 }, (_, i) => take('msg:a', rate).then(() => order.push(`bulk${i}`)));
  waits.push(take('msg:a', rate, true).then(() => order.push('tx')));
  await Promise.all(waits);
  assert.equal(order.indexOf('tx'), 10, `served right after the burst: ${order.join(' ')}`);
});
