import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deadLetterOf, reasonOf } from '../../../src/consumers/shell/dead-letter.js';
import { logicalTopic, matches, type DeadLetterEntry } from '../../../src/streams/dead-letters.js';
import type { DeadLetter } from '../../../src/generated/types.js';
import { MailstreamError, UnrecoverableError } from '../../../src/lib/errors.js';

const raw = { topic: 'p.rendered.v1', partition: 2, offset: '41', key: Buffer.from('a.test'), value: Buffer.from([0, 1, 2]) };

test('a dead letter keeps the raw record, its source, the code, the attempts and a deterministic key', () => {
  const out = deadLetterOf(raw, 'sender', new MailstreamError('MS_ERR_SMTP_TEMP', 'try later'), 3, 1000);
  assert.equal(out.topic, 'dead-letter');
  assert.equal(out.key, 'sender:p.rendered.v1:2:41');
  assert.deepEqual(out.value, { ...raw, stage: 'sender', code: 'MS_ERR_SMTP_TEMP', error: 'try later', attempts: 3, ts: 1000 });
  assert.equal(reasonOf(new UnrecoverableError('nope')), 'MS_ERR_UNRECOVERABLE: nope');
  assert.equal(reasonOf(new Error('plain')), 'MS_ERR_UNRECOVERABLE: plain', 'a foreign error gets a catalogue code');
});

test('dlq filters match by stage, logical or full source topic, source offset, key and code', () => {
  const e: DeadLetterEntry = { at: { partition: 0, offset: '7' }, record: deadLetterOf(raw, 'sender', new UnrecoverableError(), 1, 1).value as DeadLetter };
  assert.equal(logicalTopic('p.', 'p.rendered.v1'), 'rendered');
  for (const f of [{}, { stage: 'sender' }, { topic: 'rendered' }, { topic: 'p.rendered.v1' }, { offset: '41' }, { key: 'a.test' },
    { code: 'MS_ERR_UNRECOVERABLE' }, { stage: 'sender', offset: '41' }]) assert.ok(matches(e, f, 'p.'), JSON.stringify(f));
  for (const f of [{ stage: 'renderer' }, { topic: 'retry' }, { offset: '40' }, { key: 'b.test' }, { code: 'MS_ERR_SMTP_TEMP' }])
    assert.ok(!matches(e, f, 'p.'), JSON.stringify(f));
});
