import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toRow, chunk } from '../../../src/consumers/event-sink/handler.js';
import { makeEvent } from '../../../src/schemas/events.js';

test('an event maps to a ClickHouse row: seconds for ts, empty strings for absent text, nulls kept for numbers', () => {
  const row = toRow(makeEvent('bounced', { jobId: 'j', messageId: 'j.1', smtpCode: 550, bounceClass: 10 }, 1_700_000_000_123));
  assert.equal(row.ts, 1_700_000_000); assert.equal(row.ts_ms, 1_700_000_000_123);
  assert.equal(row.event_id, 'j.1:bounced'); assert.equal(row.recipient, ''); assert.equal(row.latency_ms, null); assert.equal(row.bounce_class, 10);
});

test('inserts are chunked by count', () => {
  assert.deepEqual(chunk([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]]);
});
