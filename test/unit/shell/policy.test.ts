import { test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { attempt, backoff, type RetryPolicy } from '../../../src/consumers/shell/policy.js';
import { DelayedError, MailstreamError, UnrecoverableError } from '../../../src/lib/errors.js';

const policy: RetryPolicy = { maxAttempts: 4, baseMs: 100, maxMs: 300 };
const hooks = (waits: number[], clock = { t: 0 }) => ({
  wait: async (ms: number) => { waits.push(ms); clock.t += ms; }, abandoned: () => false, now: () => clock.t,
});

test('backoff doubles from the base and stops at the cap', () => {
  assert.deepEqual([1, 2, 3, 4, 40].map((n) => backoff(n, policy)), [100, 200, 300, 300, 300]);
});

test('a retriable error is retried with backoff, then given up after maxAttempts', async () => {
  const waits: number[] = [];
  let calls = 0;
  const res = await attempt(async () => { calls++; throw new MailstreamError('MS_ERR_UNAVAILABLE'); }, policy, hooks(waits));
  assert.equal(res.kind, 'failed');
  assert.equal(calls, 4);
  assert.deepEqual(waits, [100, 200, 300]);
  assert.equal(res.kind === 'failed' && res.attempts, 4);
});

test('a non-retriable error gives up at once, an UnrecoverableError too', async () => {
  for (const err of [new MailstreamError('MS_ERR_TEMPLATE'), new UnrecoverableError('bad'), new Error('plain')]) {
    const waits: number[] = [];
    const res = await attempt(async () => { throw err; }, policy, hooks(waits));
    assert.deepEqual(res, { kind: 'failed', error: err, attempts: 1 });
    assert.deepEqual(waits, []);
  }
});

test('a success after retries reports its attempts', async () => {
  let calls = 0;
  const res = await attempt(async () => { if (++calls < 3) throw new MailstreamError('MS_ERR_SMTP_TEMP'); return 'ok'; }, policy, hooks([]));
  assert.deepEqual(res, { kind: 'done', value: 'ok', attempts: 3 });
});

test('Kafka client errors and DelayedError do not count as attempts', async () => {
  const waits: number[] = [];
  const clock = { t: 1000 };
  let calls = 0;
  const res = await attempt(async () => {
    calls++;
    if (calls <= 6) throw new kafkajs.KafkaJSConnectionError('broker gone');
    if (calls === 7) throw new DelayedError(6000);
    return calls;
  }, policy, hooks(waits, clock));
  assert.deepEqual(res, { kind: 'done', value: 8, attempts: 1 });
  assert.ok(waits.includes(6000 - (1000 + 100 + 200 + 300 + 300 + 300 + 300)), `waits ${waits}`);
});

test('an abandoned record stops retrying and reports no outcome', async () => {
  let gone = false;
  const res = await attempt(async () => { gone = true; throw new MailstreamError('MS_ERR_UNAVAILABLE'); }, policy,
    { wait: async () => undefined, abandoned: () => gone, now: () => 0 });
  assert.deepEqual(res, { kind: 'abandoned' });
});
