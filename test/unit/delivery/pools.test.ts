import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDailyCounter, dailyCap, pickBinding, seededRandom } from '../../../src/delivery/pools.js';

const day = (n: number) => Date.parse('2025-06-01T00:00:00Z') + (n - 1) * 86_400_000 + 3_600_000;
const bindings = [
  { name: 'a', source: '127.0.0.1', ehlo: 'a.localhost' },
  { name: 'b', source: '127.0.0.2', ehlo: 'b.localhost' },
  { name: 'warm', source: '127.0.0.3', ehlo: 'w.localhost', warmup_start: '2025-06-01', warmup: [{ day: 1, daily_cap: 50 }, { day: 3, daily_cap: 200 }] },
];
const pool = [{ binding: 'a', weight: 3 }, { binding: 'b', weight: 1 }];

test('picks follow the weights and are deterministic for a seeded random source', () => {
  const run = () => {
    const random = seededRandom(42);
    const counts: Record<string, number> = { a: 0, b: 0 };
    for (let i = 0; i < 4000; i++) { const p = pickBinding({ pool, bindings, now: day(1), random, sentToday: () => 0 }); if (p.ok) counts[p.binding.name]!++; }
    return counts;
  };
  const c = run();
  assert.deepEqual(run(), c);
  assert.ok(c.a! > 2800 && c.a! < 3200, JSON.stringify(c));
});

test('warm-up caps step by day from warmup_start, and a capped or suspended binding is skipped', () => {
  const w = bindings[2]!;
  assert.deepEqual([day(0), day(1), day(2), day(3), day(4)].map((t) => dailyCap(w, t)), [0, 50, 50, 200, Infinity]);
  assert.equal(dailyCap(bindings[0]!, day(1)), Infinity);
  const warmPool = [{ binding: 'warm', weight: 100 }, { binding: 'a', weight: 1 }];
  const sent = createDailyCounter(() => day(1));
  sent.add('warm', 50);
  const p = pickBinding({ pool: warmPool, bindings, now: day(1), random: () => 0, sentToday: sent.get });
  assert.ok(p.ok && p.binding.name === 'a');
  assert.deepEqual(pickBinding({ pool, bindings, now: day(1), random: () => 0, sentToday: () => 0, isSuspended: () => true }), { ok: false, reason: 'all_suspended' });
  assert.deepEqual(pickBinding({ pool: [{ binding: 'warm', weight: 1 }], bindings, now: day(1), random: () => 0, sentToday: () => 50 }), { ok: false, reason: 'all_at_daily_cap' });
  assert.deepEqual(pickBinding({ pool: [], bindings, now: 0, random: () => 0, sentToday: () => 0 }), { ok: false, reason: 'empty_pool' });
});

test('the daily counter resets at UTC midnight', () => {
  let t = day(1);
  const c = createDailyCounter(() => t);
  c.add('a', 5);
  assert.equal(c.get('a'), 5);
  t = day(2);
  assert.equal(c.get('a'), 0);
});
