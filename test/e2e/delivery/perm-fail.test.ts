import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createClickhouse } from '../../../src/clickhouse/client.js';
import { startSimulator } from '../../support/simulator.js';
import { isolatedPipeline, cli, startWorker, stopWorker, waitForJobDone } from '../../support/pipeline.js';
import { writeCsv } from '../../support/audience.js';

const TEMPLATE = join(import.meta.dirname, '../../fixtures/welcome.mjml');

test('a 550 5.1.1 is a hard bounce (class 10) that suppresses the address: a later job to it (after a worker restart) is policy_rejected and never reaches SMTP', { timeout: 180000 }, async () => {
  const tag = Math.random().toString(36).slice(2, 8);
  const audience = writeCsv(tag, 1, [], 'perm-fail.test');
  const sim = await startSimulator({ domains: { 'perm-fail.test': { rejectUsers: [`user0.${tag}`] } } });
  const { cfg, env } = await isolatedPipeline({ SMTP_RELAY_PORT: String(sim.port) });
  let worker = await startWorker(['all'], env);
  after(async () => { await stopWorker(worker); await sim.close(); });
  const send = async () => (await cli(['send', '--template', TEMPLATE, '--audience', audience.path, '--from', 'news@shop.example', '--subject', 'Hi'], env)).trim();

  const first = await send();
  const c1 = await waitForJobDone(cfg, first, 90000);
  assert.equal(c1.byType.bounced, 1);
  const ch = createClickhouse(cfg);
  const rs = await ch.query({ query: `SELECT bounce_class, bounce_category FROM events WHERE job_id = '${first}' AND type = 'bounced'`, format: 'JSONEachRow' });
  const [row] = await rs.json<{ bounce_class: number; bounce_category: string }>();
  await ch.close();
  assert.deepEqual([Number(row!.bounce_class), row!.bounce_category], [10, 'hard']);

  // a fresh worker knows the address only from the compacted suppressions topic
  await stopWorker(worker);
  worker = await startWorker(['all'], env);
  const second = await send();
  const c2 = await waitForJobDone(cfg, second, 90000);
  assert.equal(c2.byType.policy_rejected, 1);
  assert.equal(c2.byType.delivered ?? 0, 0);
  assert.equal(c2.byType.bounced ?? 0, 0);
  // the simulator saw exactly one RCPT for the address (the first job's), and accepted nothing
  assert.equal(sim.stats.rejected, 1);
  assert.equal(sim.received.length, 0);
});
