import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dueEntries, nextWakeMs } from '../../../src/consumers/scheduler/handler.js';
import { startTimeOf, parseTransmission } from '../../../src/producers/api/transmission.js';
import type { ScheduledSend } from '../../../src/generated/types.js';

const held = (jobId: string, dueAt: number): ScheduledSend => ({ jobId, tenant: 't', dueAt, topic: 'jobs', records: [], createdAt: 0 });

test('held jobs are due at their start time, earliest first; a cancelled one is due at once', () => {
  const all = [held('late', 3000), held('early', 1000), held('mid', 2000)];
  assert.deepEqual(dueEntries(all, 2000).map((e) => e.jobId), ['early', 'mid']);
  assert.deepEqual(dueEntries(all, 500, (_t, id) => id === 'late').map((e) => e.jobId), ['late']);
  assert.equal(nextWakeMs(all, 900), 100);
  assert.equal(nextWakeMs([], 0, 1000), 1000);
});

test('options.start_time: now or past is immediate, a future time is the start, nonsense and far futures are refused', () => {
  const t = (start_time: string) => parseTransmission({ recipients: [], content: {}, options: { start_time } });
  const now = Date.parse('2026-12-01T10:00:00Z');
  assert.equal(startTimeOf(t('now'), now), undefined);
  assert.equal(startTimeOf(t('2026-12-01T09:00:00Z'), now), undefined);
  assert.equal(startTimeOf(t('2026-12-01T11:00:00+00:00'), now), now + 3600_000);
  assert.throws(() => startTimeOf(t('tomorrow'), now), /ISO 8601/);
  assert.throws(() => startTimeOf(t('2027-06-01T00:00:00Z'), now), /31 days/);
});
