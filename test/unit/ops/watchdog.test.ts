import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stuckEvents } from '../../../src/consumers/event-sink/watchdog.js';
import type { MissingRecipient } from '../../../src/clickhouse/missing.js';

const row = (over: Partial<MissingRecipient>): MissingRecipient => ({
  messageId: 'j.1', jobId: 'j', tenant: 'acme', campaignId: '', recipient: 'a@slow.example', domain: 'slow.example', since: 0,
  lastType: 'deferred', lastAt: 5000, deferrals: 2, lastResponse: '451 later', flagged: false, ...over,
});

test('a recipient past its domain\'s maximum age gets one stuck event, with why; flagged or younger ones none', () => {
  const maxAge = (d: string) => (d === 'slow.example' ? 10_000 : 60_000);
  const events = stuckEvents([row({}), row({ messageId: 'j.2', flagged: true }), row({ messageId: 'j.3', domain: 'other.example' })],
    20_000, maxAge);
  assert.equal(events.length, 1);
  const [e] = events;
  assert.equal(e!.type, 'stuck');
  assert.equal(e!.eventId, 'j.1:stuck');
  assert.match(e!.reason!, /^MS_ERR_STUCK: no final state 20 s/);
  assert.deepEqual(JSON.parse(e!.detail!), { last_type: 'deferred', last_at: 5000, deferrals: 2, since: 0 });
  assert.equal(e!.tenant, 'acme');
  assert.equal(e!.campaignId, null);
});
