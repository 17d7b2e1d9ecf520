import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startSimulator } from '../../support/simulator.js';
import { isolatedPipeline, cli, startWorker, stopWorker, waitForJobDone } from '../../support/pipeline.js';
import { writeCsv } from '../../support/audience.js';

const TEMPLATE = join(import.meta.dirname, '../../fixtures/welcome.mjml');
const SHAPING = join(import.meta.dirname, '../../fixtures/delivery/fast-retry.yaml');

test('a domain that always defers is retried until its max age (3.5 s, 1 s backoff) and then expired, with no delivery', { timeout: 180000 }, async () => {
  const tag = Math.random().toString(36).slice(2, 8);
  const audience = writeCsv(tag, 3, [], 'expire.test');
  const sim = await startSimulator({ domains: { 'expire.test': { deferPercent: 100 } } });
  const { cfg, env } = await isolatedPipeline({ SMTP_RELAY_PORT: String(sim.port), SHAPING_FILE: SHAPING });
  const worker = await startWorker(['all'], env);
  after(async () => { await stopWorker(worker); await sim.close(); });

  const jobId = (await cli(['send', '--template', TEMPLATE, '--audience', audience.path, '--from', 'news@shop.example', '--subject', 'Hi'], env)).trim();
  const counts = await waitForJobDone(cfg, jobId, 90000);
  assert.equal(counts.byType.expired, 3);
  assert.equal(counts.byType.delivered ?? 0, 0);
  // more than one attempt each (initial + at least one retry), every one deferred by the simulator
  assert.ok(counts.byType.deferred! >= 6, `deferred ${counts.byType.deferred}`);
  assert.equal(sim.stats.deferred, counts.byType.deferred);
  assert.equal(sim.received.length, 0);
});
