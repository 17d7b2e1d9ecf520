import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { createRunner, type BatchHandle, type Fetched } from '../../../src/consumers/shell/runner.js';
import type { DeadLetter } from '../../../src/generated/types.js';
import type { Output, StageContext, StageSpec } from '../../../src/consumers/shell/types.js';
import { MailstreamError } from '../../../src/lib/errors.js';
import { makeEvent } from '../../../src/schemas/events.js';
import type { Event } from '../../../src/generated/types.js';

const event = (jobId: string, reason: string | null = null): Output => ({ topic: 'events', key: jobId, value: makeEvent('delivered', { jobId, reason }) });
import { waitFor } from '../../support/wait.js';

const log = pino({ level: 'silent' });
const policy = { maxAttempts: 3, baseMs: 1, maxMs: 4 };

// A fake kafkajs consumer: records pauses, seeks and commits (the shell's only calls on it besides run).
function fakeConsumer() {
  const state = { paused: new Set<number>(), seeks: [] as string[], commits: [] as string[], failCommits: false };
  const consumer = {
    pause: (ts: Array<{ partitions?: number[] }>) => { for (const t of ts) for (const p of t.partitions ?? []) state.paused.add(p); },
    resume: (ts: Array<{ partitions?: number[] }>) => { for (const t of ts) for (const p of t.partitions ?? []) state.paused.delete(p); },
    seek: ({ partition, offset }: { partition: number; offset: string }) => { state.seeks.push(`${partition}@${offset}`); },
    commitOffsets: async (list: Array<{ partition: number; offset: string }>) => {
      if (state.failCommits) throw new Error('rebalancing');
      for (const c of list) state.commits.push(`${c.partition}@${c.offset}`);
    },
  };
  return { state, consumer };
}

const payload = (partition: number, offsets: number[]): BatchHandle => ({
  batch: { topic: 'in', partition, messages: offsets.map((o) => ({ offset: String(o) })) },
  resolveOffset: () => undefined, heartbeat: async () => undefined, isRunning: () => true,
});
const rec = (partition: number, offset: number, value: string): Fetched<string> => ({
  topic: 'in', partition, offset: String(offset), key: null, value: Buffer.from(value),
  record: { value, key: null, partition, offset: String(offset) },
});

function setup(spec: Omit<StageSpec<string>, 'input' | 'outputs' | 'name'>) {
  const { state, consumer } = fakeConsumer();
  const emitted: Output[] = [];
  const runner = createRunner<string>({
    spec: { name: `t${Math.random()}`, ...spec }, topic: 'in', consumer: consumer as never, log, policy, progressMs: 5,
    emit: async (o) => { emitted.push(...o); },
  });
  const ctx: StageContext = { log, heartbeat: async () => undefined, isStopping: () => false, emit: async (o) => { emitted.push(...o); } };
  runner.start();
  return { state, runner, emitted, ctx };
}
const last = (a: string[]) => a[a.length - 1];
const deferred = () => { let resolve!: () => void; const p = new Promise<void>((r) => { resolve = r; }); return { p, resolve }; };

test('parallel: the commit stays below the lowest unfinished record, whatever finishes first', async () => {
  const gates = new Map([0, 1, 2].map((o) => [String(o), deferred()]));
  const { state, runner, ctx } = setup({ strategy: {
    kind: 'parallel', queueOf: (r) => r.value, maxPerQueue: 10, maxInFlight: 10,
    handle: async (r) => { await gates.get(r.offset)!.p; return []; },
  } });
  await runner.dispatch(payload(0, [0, 1, 2]), [rec(0, 0, 'a'), rec(0, 1, 'b'), rec(0, 2, 'c')], ctx);
  gates.get('1')!.resolve(); gates.get('2')!.resolve();
  await waitFor('first commit', () => state.commits.length > 0, 2000, 5);
  assert.equal(last(state.commits), '0@0', 'record 0 still runs: nothing past it is committed');
  gates.get('0')!.resolve();
  await waitFor('commit past all', () => last(state.commits) === '0@3', 2000, 5);
  await runner.drain();
});

test('a non-retriable failure is dead-lettered at once with a failed event, and the offset moves past it', async () => {
  let calls = 0;
  const { state, runner, emitted, ctx } = setup({
    strategy: { kind: 'each', concurrency: 4, handle: async (r) => {
      if (r.value === 'poison') { calls++; throw new MailstreamError('MS_ERR_TEMPLATE', 'broken'); }
      return [event(r.value)];
    } },
    failed: (r, reason) => [event(r.value, reason)],
  });
  await runner.dispatch(payload(0, [5, 6, 7]), [rec(0, 5, 'a'), rec(0, 6, 'poison'), rec(0, 7, 'b')], ctx);
  assert.equal(calls, 1);
  const dead = emitted.filter((o) => o.topic === 'dead-letter').map((o) => o.value as DeadLetter);
  assert.equal(dead.length, 1);
  assert.deepEqual([dead[0]!.offset, dead[0]!.code, dead[0]!.attempts, dead[0]!.value?.toString()], ['6', 'MS_ERR_TEMPLATE', 1, 'poison']);
  assert.ok(emitted.some((o) => o.topic === 'events' && o.value.jobId === 'poison' && o.value.reason === 'MS_ERR_TEMPLATE: broken'));
  assert.equal(last(state.commits), '0@8');
  await runner.drain();
});

test('a retriable failure is retried maxAttempts times, then dead-lettered; an undecodable record at once', async () => {
  let calls = 0;
  const { state, runner, emitted, ctx } = setup({ strategy: { kind: 'batch', handle: async () => {
    calls++; throw new MailstreamError('MS_ERR_UNAVAILABLE');
  } } });
  const bad: Fetched<string> = { topic: 'in', partition: 1, offset: '3', key: null, value: Buffer.from([1, 2]),
    error: new MailstreamError('MS_ERR_AVRO_DECODE') };
  await runner.dispatch(payload(1, [3, 4]), [bad, rec(1, 4, 'x')], ctx);
  assert.equal(calls, 3);
  const dead = emitted.filter((o) => o.topic === 'dead-letter').map((o) => o.value as DeadLetter);
  assert.deepEqual(dead.map((d) => [d.offset, d.code, d.attempts]), [['3', 'MS_ERR_AVRO_DECODE', 1], ['4', 'MS_ERR_UNAVAILABLE', 3]]);
  assert.equal(last(state.commits), '1@5');
  await runner.drain();
});

test('a full destination queue pauses its partition at the record it could not take, and resumes at half', async () => {
  const gate = deferred();
  const { state, runner, ctx } = setup({ strategy: {
    kind: 'parallel', queueOf: () => 'd', maxPerQueue: 2, maxInFlight: 100, handle: async () => { await gate.p; return []; },
  } });
  await runner.dispatch(payload(0, [0, 1, 2]), [rec(0, 0, 'a'), rec(0, 1, 'b'), rec(0, 2, 'c')], ctx);
  assert.ok(state.paused.has(0));
  assert.deepEqual(state.seeks, ['0@2']);
  assert.equal(runner.inFlight(), 2);
  state.paused.delete(0); // a consumer restarted by kafkajs forgets its pauses
  await runner.dispatch(payload(0, [2]), [rec(0, 2, 'c')], ctx);
  assert.ok(state.paused.has(0), 'a batch fetched while still waiting pauses the partition again');
  assert.equal(runner.inFlight(), 2);
  gate.resolve();
  await waitFor('resume', () => !state.paused.has(0), 2000, 5);
  await waitFor('commit below the held record', () => last(state.commits) === '0@2', 2000, 5);
  await runner.drain();
});

test('records are decoded as they are taken: none past the one a full queue holds (it is fetched again)', async () => {
  const gate = deferred();
  const { state, runner, ctx } = setup({ strategy: {
    kind: 'parallel', queueOf: () => 'd', maxPerQueue: 2, maxInFlight: 100, handle: async () => { await gate.p; return []; },
  } });
  const decoded: number[] = [];
  async function* lazily(offsets: number[]): AsyncGenerator<Fetched<string>> {
    for (const o of offsets) { decoded.push(o); yield rec(0, o, `v${o}`); }
  }
  await runner.dispatch(payload(0, [0, 1, 2, 3, 4, 5]), lazily([0, 1, 2, 3, 4, 5]), ctx);
  assert.deepEqual(state.seeks, ['0@2']);
  assert.deepEqual(decoded, [0, 1, 2], 'the held record is the last one decoded');
  gate.resolve();
  await waitFor('commit below the held record', () => last(state.commits) === '0@2', 2000, 5);
  await runner.drain();
});

test('a record not due yet pauses its partition until it is due; records before it are processed', async () => {
  const seen: string[] = [];
  const { state, runner, ctx } = setup({
    strategy: { kind: 'each', concurrency: 1, handle: async (r) => { seen.push(r.value); return []; } },
    dueAt: (r) => (r.value === 'later' ? Date.now() + 50 : 0),
  });
  await runner.dispatch(payload(0, [0, 1, 2]), [rec(0, 0, 'now'), rec(0, 1, 'later'), rec(0, 2, 'after')], ctx);
  assert.deepEqual(seen, ['now']);
  assert.ok(state.paused.has(0));
  assert.deepEqual(state.seeks, ['0@1']);
  assert.equal(last(state.commits), '0@1');
  await waitFor('resume when due', () => !state.paused.has(0), 2000, 5);
  await runner.drain();
});

test('a partition revoked by a rebalance: its retrying record is abandoned, neither dead-lettered nor committed', async () => {
  let calls = 0;
  const { state, runner, emitted, ctx } = setup({ strategy: {
    kind: 'parallel', queueOf: () => 'd', maxPerQueue: 10, maxInFlight: 10,
    handle: async () => { calls++; throw new MailstreamError('MS_ERR_UNAVAILABLE'); },
  } });
  await runner.dispatch(payload(2, [9]), [rec(2, 9, 'x')], ctx);
  await waitFor('first try', () => calls >= 1, 2000, 1);
  runner.assigned([0, 1]);
  await waitFor('abandoned', () => runner.inFlight() === 0, 3000, 5);
  assert.ok(calls < 3, `calls ${calls}`);
  assert.equal(emitted.filter((o) => o.topic === 'dead-letter').length, 0);
  assert.ok(!state.commits.some((c) => c.startsWith('2@')), `commits ${state.commits}`);
  await runner.drain();
});

test('shutdown lets what is in flight finish, produces it and commits; commit failures are retried', async () => {
  const gate = deferred();
  const { state, runner, emitted, ctx } = setup({ strategy: {
    kind: 'parallel', queueOf: (r) => r.value, maxPerQueue: 10, maxInFlight: 10,
    handle: async (r) => { await gate.p; return [event(r.value)]; },
  } });
  state.failCommits = true;
  await runner.dispatch(payload(0, [0, 1]), [rec(0, 0, 'a'), rec(0, 1, 'b')], ctx);
  const drained = runner.drain(5000);
  setTimeout(() => { state.failCommits = false; gate.resolve(); }, 20);
  await drained;
  assert.deepEqual(emitted.map((o) => (o.value as Event).jobId).sort(), ['a', 'b']);
  assert.equal(last(state.commits), '0@2');
  await runner.dispatch(payload(0, [2]), [rec(0, 2, 'c')], ctx);
  assert.equal(runner.inFlight(), 0, 'a stopped runner takes nothing new');
});

test('a full lane takes the rest of the fetched batch and pauses after it, without a seek, so nothing is fetched twice',
  async () => {
    const gate = deferred();
    const { state, runner, ctx } = setup({ strategy: {
      kind: 'parallel', queueOf: (r) => r.value, maxPerQueue: 10, maxInFlight: 2,
      handle: async () => { await gate.p; return []; },
    } });
    const resolved: string[] = [];
    const batch = { ...payload(0, [0, 1, 2, 3]), resolveOffset: (o: string) => { resolved.push(o); } };
    await runner.dispatch(batch, [rec(0, 0, 'a'), rec(0, 1, 'b'), rec(0, 2, 'c'), rec(0, 3, 'd')], ctx);
    assert.equal(runner.inFlight(), 4, 'the whole batch is taken');
    assert.ok(state.paused.has(0), 'the partition pauses after it');
    assert.deepEqual(state.seeks, [], 'no seek: the next fetch starts after the batch');
    assert.equal(last(resolved), '3');
    await runner.dispatch(payload(1, [0]), [rec(1, 0, 'e')], ctx);
    assert.ok(state.paused.has(1), 'another partition\'s batch fetched meanwhile is taken too, then pauses');
    assert.equal(runner.inFlight(), 5);
    gate.resolve();
    await waitFor('resume when the lane drained', () => !state.paused.has(0) && !state.paused.has(1), 2000, 5);
    await waitFor('commit past the batch', () => state.commits.includes('0@4'), 2000, 5);
    await runner.drain();
  });
