import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startSimulator } from '../../support/simulator.js';
import { startDns } from '../../support/dns.js';
import { isolatedPipeline, cli, startWorker, stopWorker, waitForJobDone } from '../../support/pipeline.js';
import { writeCsv } from '../../support/audience.js';
import { waitFor } from '../../support/wait.js';
import { createClickhouse } from '../../../src/clickhouse/client.js';
import { jobCounts, quote } from '../../../src/clickhouse/queries.js';

const TEMPLATE = join(import.meta.dirname, '../../fixtures/welcome.mjml');
const SHAPING = join(import.meta.dirname, '../../fixtures/delivery/suspend.yaml');

test('direct mode: a block reply suspends the queue (later mail deferred MS_SUSPENDED); `mailstream shaping lift` ends it and the deferred mail is delivered', { timeout: 180000 }, async () => {
  const tag = Math.random().toString(36).slice(2, 8);
  const domain = `lift-${tag}.test`;
  const sim = await startSimulator({ domains: { [domain]: { rejectUsers: ['blocked'] } } });
  const dns = await startDns({ zones: { [domain]: { mx: [{ exchange: `mx.${domain}`, priority: 10 }] }, [`mx.${domain}`]: { a: ['127.0.0.1'] } } });
  const { cfg, env } = await isolatedPipeline({ DELIVERY_MODE: 'direct', DNS_SERVERS: dns.server, SMTP_PORT: String(sim.port), SHAPING_FILE: SHAPING });
  const worker = await startWorker(['all'], env);
  const ch = createClickhouse(cfg);
  after(async () => { await stopWorker(worker); await sim.close(); await dns.close(); await ch.close(); });
  const send = async (path: string) => (await cli(['send', '--template', TEMPLATE, '--audience', path, '--from', 'news@shop.example', '--subject', 'Hi'], env)).trim();

  const blocked = writeCsv(tag, 0, [`blocked@${domain},B,C,D`], domain);
  await waitForJobDone(cfg, await send(blocked.path));
  const suspendedEvent = await waitFor('the suspension event', async () => {
    const rs = await ch.query({ query: `SELECT detail FROM events WHERE type = 'shaping_adjusted' AND domain = ${quote(domain)}`, format: 'JSONEachRow' });
    return (await rs.json<{ detail: string }>()).map((r) => JSON.parse(r.detail) as { scope: string; new: { suspended: boolean } }).find((d) => d.new.suspended);
  }, 30000, 300);

  const good = writeCsv(`${tag}g`, 5, [], domain);
  const jobId = await send(good.path);
  await waitFor('the suspended queue to defer the new job', async () => ((await jobCounts(ch, jobId)).byType.deferred ?? 0) >= 5, 60000, 300);
  assert.equal(sim.received.length, 0, 'nothing delivered while suspended');

  assert.match(await cli(['shaping', 'lift', suspendedEvent.scope, '--by', 'test'], env), /lift of .* sent/);
  const counts = await waitForJobDone(cfg, jobId, 120000);
  assert.equal(counts.byType.delivered, 5);
  assert.equal(sim.received.length, 5);
  const lifted = await waitFor('the lift event', async () => {
    const rs = await ch.query({ query: `SELECT reason FROM events WHERE type = 'shaping_adjusted' AND domain = ${quote(domain)} AND reason LIKE '%lifted by test%'`, format: 'JSONEachRow' });
    return (await rs.json<{ reason: string }>()).length;
  }, 30000, 300);
  assert.equal(lifted, 1);
});
