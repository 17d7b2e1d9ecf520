import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JobKey } from '../../../src/generated/types.js';
import { expiredJobKeys } from '../../../src/streams/job-keys-retention.js';

const DAY = 86_400_000;
const now = 1_000 * DAY;
const key = (jobId: string, createdAt: number, erasedAt: number | null = null): JobKey => ({ jobId, tenant: 'acme',
  algorithm: 'AES-256-GCM', provider: 'local', kekId: erasedAt ? null : 'k1', wrappedKey: erasedAt ? null : Buffer.alloc(40),
  createdAt, erasedAt });

test('a data key past its retention is dropped unless its job is still scheduled; an erased marker lives its own, longer '
  + 'retention', () => {
  const policy = { liveMs: 30 * DAY, erasedMs: 180 * DAY };
  const records = [
    key('fresh', now - DAY), key('old', now - 31 * DAY), key('old-scheduled', now - 60 * DAY),
    key('erased-recently', now - 200 * DAY, now - 10 * DAY), key('erased-long-ago', now - 400 * DAY, now - 181 * DAY),
  ];
  const held = new Set(['acme:old-scheduled']);
  assert.deepEqual(expiredJobKeys(records, held, now, policy), ['acme:old', 'acme:erased-long-ago']);
});
