import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { isolatedPipeline, startWorker, stopWorker, type Worker } from '../support/pipeline.js';

const flagsOf = (w: Worker) => readFileSync(`/proc/${w.pid}/cmdline`, 'utf8').split('\0');

test('GC_THREADS=single runs the worker itself (same pid) with --single-threaded-gc; parallel leaves V8 as it is',
  { timeout: 120000 }, async () => {
    const { env } = await isolatedPipeline();
    const workers: Worker[] = [];
    after(async () => { for (const w of workers) await stopWorker(w); });
    const single = await startWorker(['splitter'], { ...env, GC_THREADS: 'single' });
    workers.push(single);
    assert.ok(flagsOf(single).includes('--single-threaded-gc'), flagsOf(single).join(' '));
    const health = await fetch(`http://127.0.0.1:${single.port}/healthz`);
    assert.equal(health.status, 200, 'the process the test started serves');
    const parallel = await startWorker(['splitter'], { ...env, GC_THREADS: 'parallel' });
    workers.push(parallel);
    assert.ok(!flagsOf(parallel).includes('--single-threaded-gc'));
  });
