import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCoalescer } from '../../../src/consumers/event-sink/coalesce.js';

test('batches added within the linger go into one call, and every caller settles with it', async () => {
  const calls: number[][] = [];
  const c = createCoalescer<number>(async (items) => { calls.push(items); }, { lingerMs: 20, maxItems: 100 });
  await Promise.all([c.add([1, 2]), c.add([3]), c.add([4, 5])]);
  assert.deepEqual(calls, [[1, 2, 3, 4, 5]]);
  await c.add([6]);
  assert.deepEqual(calls, [[1, 2, 3, 4, 5], [6]], 'a batch after the call starts waits for the next one');
});

test('reaching maxItems calls at once, without waiting for the linger', async () => {
  const calls: number[][] = [];
  const c = createCoalescer<number>(async (items) => { calls.push(items); }, { lingerMs: 60_000, maxItems: 3 });
  await Promise.all([c.add([1, 2]), c.add([3, 4])]);
  assert.deepEqual(calls, [[1, 2, 3, 4]]);
});

test('a failed call rejects every caller whose items were in it, and the next call starts afresh', async () => {
  let fail = true;
  const calls: number[][] = [];
  const c = createCoalescer<number>(async (items) => {
    calls.push(items);
    if (fail) throw new Error('ClickHouse down');
  }, { lingerMs: 5, maxItems: 100 });
  const results = await Promise.allSettled([c.add([1]), c.add([2])]);
  assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
  fail = false;
  await c.add([1]);
  assert.deepEqual(calls, [[1, 2], [1]]);
});

test('an empty batch settles at once and calls nothing', async () => {
  let called = false;
  const c = createCoalescer<number>(async () => { called = true; }, { lingerMs: 5, maxItems: 10 });
  await c.add([]);
  assert.equal(called, false);
});
