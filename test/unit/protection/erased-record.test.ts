import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { createRunner, type BatchHandle, type Fetched } from '../../../src/consumers/shell/runner.js';
import type { Output, StageContext } from '../../../src/consumers/shell/types.js';
import type { Event } from '../../../src/generated/types.js';
import { JobErasedError } from '../../../src/streams/job-keys.js';

const log = pino({ level: 'silent' });

test('a record of an erased job ends each of its recipients with one cancelled event (no address), is not dead-lettered, '
  + 'and the offset moves past it', async () => {
  const commits: string[] = [];
  const consumer = { pause: () => undefined, resume: () => undefined, seek: () => undefined,
    commitOffsets: async (l: Array<{ partition: number; offset: string }>) => { for (const c of l) commits.push(`${c.partition}@${c.offset}`); } };
  const emitted: Output[] = [];
  let handled = 0;
  const runner = createRunner<string>({
    spec: { name: 'renderer-test',
      strategy: { kind: 'each', concurrency: 1, handle: async () => { handled++; return []; } } },
    topic: 'in', consumer: consumer as never, log, policy: { maxAttempts: 3, baseMs: 1, maxMs: 4 }, progressMs: 5,
    emit: async (o) => { emitted.push(...o); },
  });
  runner.start();
  const ctx: StageContext = { log, heartbeat: async () => undefined, isStopping: () => false, emit: async (o) => { emitted.push(...o); } };
  const erased: Fetched<string> = { topic: 'in', partition: 0, offset: '7', key: null, value: Buffer.from([0xe5]),
    error: new JobErasedError({ k: 'acme:j1', j: 'j1', t: 'acme', c: 'spring', s: 'payload', r: [4, 5, 9] }) };
  const batch: BatchHandle = { batch: { topic: 'in', partition: 0, messages: [{ offset: '7' }] }, resolveOffset: () => undefined,
    heartbeat: async () => undefined, isRunning: () => true };
  await runner.dispatch(batch, [erased], ctx);
  await runner.drain();
  assert.equal(handled, 0);
  assert.deepEqual(emitted.filter((o) => o.topic === 'dead-letter'), []);
  const events = emitted.map((o) => o.value as Event);
  assert.deepEqual(events.map((e) => [e.type, e.messageId, e.recipient, e.campaignId]),
    [['cancelled', 'j1.4', null, 'spring'], ['cancelled', 'j1.5', null, 'spring'], ['cancelled', 'j1.9', null, 'spring']]);
  assert.match(events[0]!.reason!, /^MS_ERR_JOB_ERASED/);
  assert.equal(commits[commits.length - 1], '0@8');
});
