import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startSimulator } from '../../support/simulator.js';
import { isolatedPipeline, cli, startWorker, stopWorker, waitForJobDone } from '../../support/pipeline.js';
import { writeCsv } from '../../support/audience.js';

const TEMPLATE = join(import.meta.dirname, '../../fixtures/welcome.mjml');
const SHAPING = join(import.meta.dirname, '../../fixtures/delivery/fast-retry.yaml');

test('greylisted recipients are deferred (451) once, come back through the retry topic after notBefore, and are delivered', { timeout: 180000 }, async () => {
  const tag = Math.random().toString(36).slice(2, 8);
  const audience = writeCsv(tag, 5, [], 'temp-fail.test');
  const sim = await startSimulator({ domains: { 'temp-fail.test': { greylist: true, greylistMs: 500 } } });
  const { cfg, env } = await isolatedPipeline({ SMTP_RELAY_PORT: String(sim.port), SHAPING_FILE: SHAPING });
  const worker = await startWorker(['all'], env);
  after(async () => { await stopWorker(worker); await sim.close(); });

  const startedAt = Date.now();
  const jobId = (await cli(['send', '--template', TEMPLATE, '--audience', audience.path, '--from', 'news@shop.example', '--subject', 'Hi'], env)).trim();
  const counts = await waitForJobDone(cfg, jobId, 90000);
  assert.equal(counts.byType.deferred, 5);
  assert.equal(counts.byType.delivered, 5);
  assert.equal(sim.stats.deferred, 5);
  assert.equal(sim.received.length, 5);
  assert.deepEqual(new Set(sim.received.map((r) => r.to)), new Set(audience.rows.map((r) => r.email)));
  // each retry waited for its notBefore (1 s after the deferral)
  const firstRcpt = Math.min(...sim.received.map((r) => r.at));
  assert.ok(firstRcpt - startedAt >= 1000, `retried after ${firstRcpt - startedAt} ms`);
});
