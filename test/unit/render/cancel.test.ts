import { test } from 'node:test';
import assert from 'node:assert/strict';
import { payload, render } from '../../fixtures/render/payloads.js';

test('a payload of a cancelled job renders nothing and ends each recipient with one cancelled event', async () => {
  const p = payload({ rows: [{ name: 'Ann' }, { name: 'Bob' }, { name: 'Cy' }] });
  const asked: string[] = [];
  const isCancelled = (tenant: string, jobId: string) => { asked.push(`${tenant}:${jobId}`); return true; };
  const { rendered, events } = await render(p, { isCancelled });
  assert.deepEqual(asked, [`acme:${p.jobId}`]);
  assert.equal(rendered.length, 0);
  assert.deepEqual(events.map((e) => [e.type, e.messageId, e.recipient, e.domain]),
    p.recipients.map((r) => ['cancelled', r.messageId, r.email, 'dest.example']));
  for (const e of events) {
    assert.equal(e.eventId, `${e.messageId}:cancelled`);
    assert.equal(e.tenant, 'acme');
    assert.match(e.reason!, /^MS_CANCELLED: /);
  }
});

test('a payload of a job that is not cancelled renders as before', async () => {
  const p = payload({ rows: [{ name: 'Ann' }, { name: 'Bob' }] });
  const { rendered, events } = await render(p, { isCancelled: () => false });
  assert.equal(rendered.length, 2);
  assert.deepEqual(events, []);
});
