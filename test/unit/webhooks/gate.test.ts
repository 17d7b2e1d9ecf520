import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createGate, type Pass } from '../../../src/consumers/webhooks/gate.js';

test('a healthy target gets its concurrency at once, the next batches wait their turn and are admitted in order', async () => {
  const gate = createGate({ concurrency: 2, slowMs: 60_000 });
  const [a, b] = [await gate.admit('w'), await gate.admit('w')] as Pass[];
  assert.ok(a!.go && b!.go);
  const order: string[] = [];
  const c = Promise.resolve(gate.admit('w')).then((x) => { order.push('c'); return x; });
  const d = Promise.resolve(gate.admit('w')).then((x) => { order.push('d'); return x; });
  assert.deepEqual(gate.load('w'), { inFlight: 2, waiting: 2 });
  a!.done(true);
  assert.equal((await c).go, true);
  b!.done(true);
  assert.equal((await d).go, true);
  assert.deepEqual(order, ['c', 'd']);
  const other = await gate.admit('other') as Pass;
  assert.equal(other.go, true, 'another webhook is never held up');
  for (const p of [await c, await d, other] as Pass[]) p.done(true);
  assert.deepEqual(gate.load('w'), { inFlight: 0, waiting: 0 });
});

test('a failed attempt turns the target to one probe at a time: the waiting batches spill, and so do new ones', async () => {
  const gate = createGate({ concurrency: 1, slowMs: 60_000 });
  const a = await gate.admit('w') as Pass;
  const waiting = gate.admit('w');
  a.done(false);
  assert.deepEqual(await waiting, { go: false, why: 'its last attempt failed' });
  const probe = await gate.admit('w') as Pass;
  assert.equal(probe.go, true, 'one probe');
  assert.equal((await gate.admit('w')).go, false, 'nothing beside it');
  probe.done(true);
  const again = await gate.admit('w') as Pass;
  assert.equal(again.go, true, 'healthy again after a success');
  again.done(true);
});

test('a POST running past slowMs spills the batches waiting behind it at once', async () => {
  const gate = createGate({ concurrency: 1, slowMs: 50 });
  const a = await gate.admit('w') as Pass;
  const started = Date.now();
  const waiting = await gate.admit('w');
  assert.equal(waiting.go, false);
  assert.ok(Date.now() - started < 1000);
  a.done(true);
});
