import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execWith, gcFlags } from '../../../src/ops/gc.js';

test('GC_THREADS: auto is single-threaded GC on two cores or fewer, parallel above; the others as named', () => {
  assert.deepEqual(gcFlags({ gcThreads: 'auto' }, 2), ['--single-threaded-gc']);
  assert.deepEqual(gcFlags({ gcThreads: 'auto' }, 8), []);
  assert.deepEqual(gcFlags({ gcThreads: 'single' }, 64), ['--single-threaded-gc']);
  assert.deepEqual(gcFlags({ gcThreads: 'parallel' }, 1), []);
});

test('a worker re-executes once, keeping its own node flags and arguments, and not again once it has the flags', () => {
  const argv = ['/usr/bin/node', '/app/bin/mailstream.js', 'worker', 'sender'];
  assert.deepEqual(execWith(['--single-threaded-gc'], ['--cpu-prof'], argv),
    ['/usr/bin/node', '--cpu-prof', '--single-threaded-gc', '/app/bin/mailstream.js', 'worker', 'sender']);
  assert.equal(execWith(['--single-threaded-gc'], ['--single-threaded-gc'], argv), null);
  assert.equal(execWith([], [], argv), null);
});
