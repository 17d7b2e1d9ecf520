import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextAttempt } from '../../../src/delivery/retry.js';

const schedule = { initialMs: 60_000, multiplier: 2, maxMs: 600_000 };
const H = 3_600_000;

test('backoff doubles from the initial interval and is capped at the maximum', () => {
  const delays = [1, 2, 3, 4, 5, 6].map((attempt) => {
    const n = nextAttempt({ attempt, acceptedAt: 0, now: H, schedule, maxAgeMs: 72 * H });
    assert.equal(n.kind, 'retry');
    return n.kind === 'retry' ? n.delayMs : 0;
  });
  assert.deepEqual(delays, [60_000, 120_000, 240_000, 480_000, 600_000, 600_000]);
});

test('a message past max age, or whose next try would fall after it, expires', () => {
  assert.deepEqual(nextAttempt({ attempt: 9, acceptedAt: 0, now: 72 * H, schedule, maxAgeMs: 72 * H }), { kind: 'expired', ageMs: 72 * H });
  assert.equal(nextAttempt({ attempt: 9, acceptedAt: 0, now: 72 * H - 1000, schedule, maxAgeMs: 72 * H }).kind, 'expired');
  assert.deepEqual(nextAttempt({ attempt: 1, acceptedAt: 0, now: 1000, schedule, maxAgeMs: 72 * H }), { kind: 'retry', notBefore: 61_000, delayMs: 60_000 });
});
