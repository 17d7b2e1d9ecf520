import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addSample, lagOf, producedAt, type Sample } from '../../../src/ops/lag-estimate.js';

test('a plateau keeps its first and last observation only', () => {
  const t: Sample[] = [];
  for (const [at, high] of [[0, 10], [5, 10], [10, 10], [15, 10], [20, 30]] as const) addSample(t, { at, high });
  assert.deepEqual(t, [{ at: 0, high: 10 }, { at: 15, high: 10 }, { at: 20, high: 30 }]);
});

test('the oldest unconsumed record\'s production time is interpolated over growth, not over the plateau', () => {
  const t: Sample[] = [{ at: 0, high: 10 }, { at: 15_000, high: 10 }, { at: 20_000, high: 30 }];
  // offsets 10..29 arrived between 15 s and 20 s: offset 19 (the tenth) at 17.5 s
  assert.equal(producedAt(t, 19), 17_500);
  assert.equal(producedAt(t, 30), undefined);
  assert.deepEqual(lagOf(t, 19, 27_500), { records: 11, seconds: 10 });
  assert.deepEqual(lagOf(t, 30, 27_500), { records: 0, seconds: 0 });
});

test('an offset older than the table gives its first sample: a lower bound', () => {
  const t: Sample[] = [{ at: 1000, high: 50 }, { at: 2000, high: 60 }];
  assert.equal(producedAt(t, 3), 1000);
  assert.deepEqual(lagOf(t, 3, 4000), { records: 57, seconds: 3 });
  assert.deepEqual(lagOf([], 0, 4000), { records: 0, seconds: 0 });
});

test('only stage groups of this prefix are watched: not other prefixes, not per-instance table readers', async () => {
  const { isStageGroup } = await import('../../../src/ops/lag.js');
  assert.equal(isStageGroup('mailstream.', 'mailstream.sender-priority'), true);
  assert.equal(isStageGroup('mailstream.', 'mailstream.api-keys-table-95e33c97-1c8a-4a6e-9e08-c5b88a003b79'), false);
  assert.equal(isStageGroup('', 't1234.sender'), false);
  assert.equal(isStageGroup('mailstream.', 'other.sender'), false);
});
