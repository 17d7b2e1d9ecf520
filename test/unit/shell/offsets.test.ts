import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createOffsetTracker } from '../../../src/consumers/shell/offsets.js';

test('the committable offset is the lowest unfinished record, whatever order records finish in', () => {
  const t = createOffsetTracker();
  for (const o of ['10', '11', '12', '13']) assert.equal(t.start(0, o), true);
  assert.deepEqual(t.committable(), [{ partition: 0, offset: '10' }]);
  t.committed(0, '10');
  t.finish(0, '12');
  t.finish(0, '13');
  assert.deepEqual(t.committable(), [], 'record 10 still runs: nothing new to commit');
  t.finish(0, '10');
  assert.deepEqual(t.committable(), [{ partition: 0, offset: '11' }]);
  t.committed(0, '11');
  t.finish(0, '11');
  assert.deepEqual(t.committable(), [{ partition: 0, offset: '14' }], 'all finished: the next record to consume');
  assert.equal(t.inFlight(), 0);
});

test('partitions are independent, and a re-fetched record is not dispatched twice', () => {
  const t = createOffsetTracker();
  t.start(0, '0'); t.start(1, '100'); t.start(1, '101');
  t.finish(1, '100');
  assert.deepEqual(t.committable(), [{ partition: 0, offset: '0' }, { partition: 1, offset: '101' }]);
  assert.equal(t.start(1, '100'), false);
  assert.equal(t.start(1, '101'), false);
  assert.equal(t.start(1, '102'), true);
  assert.equal(t.inFlight(), 3);
});

test('advance skips records that were never dispatched (tombstones, dead letters) once nothing below is in flight', () => {
  const t = createOffsetTracker();
  t.start(0, '5');
  t.advance(0, '9');
  assert.deepEqual(t.committable(), [{ partition: 0, offset: '5' }]);
  t.finish(0, '5');
  assert.deepEqual(t.committable(), [{ partition: 0, offset: '10' }]);
  t.advance(3, '41');
  assert.deepEqual(t.committable().find((c) => c.partition === 3), { partition: 3, offset: '42' });
});

test('retain forgets partitions a rebalance took away, with their records in flight', () => {
  const t = createOffsetTracker();
  t.start(0, '1'); t.start(1, '1'); t.start(2, '1');
  t.retain([1]);
  assert.deepEqual(t.partitions(), [1]);
  assert.equal(t.inFlight(), 1);
  t.finish(0, '1'); // a record of a forgotten partition finishing later changes nothing
  assert.equal(t.inFlight(), 1);
  assert.equal(t.start(0, '1'), true, 'given back later, the partition starts afresh from its committed offset');
});

test('a long run keeps memory bounded: finished prefixes are dropped', () => {
  const t = createOffsetTracker();
  for (let i = 0; i < 100_000; i++) { t.start(0, String(i)); t.finish(0, String(i)); if (i % 1000 === 0) t.committable(); }
  assert.deepEqual(t.committable(), [{ partition: 0, offset: '100000' }]);
  assert.equal(t.inFlight(), 0);
});
