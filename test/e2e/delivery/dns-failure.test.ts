import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createClickhouse } from '../../../src/clickhouse/client.js';
import { startSimulator } from '../../support/simulator.js';
import { startDns } from '../../support/dns.js';
import { isolatedPipeline, cli, startWorker, stopWorker, waitForJobDone } from '../../support/pipeline.js';
import { writeCsv } from '../../support/audience.js';

const TEMPLATE = join(import.meta.dirname, '../../fixtures/welcome.mjml');
const SHAPING = join(import.meta.dirname, '../../fixtures/delivery/fast-retry.yaml');

test('direct mode: NXDOMAIN bounces (550 5.1.2, class 10 hard); SERVFAIL defers (MS_ERR_DNS_TEMP) through retry until expired; nothing reaches SMTP', { timeout: 180000 }, async () => {
  const tag = Math.random().toString(36).slice(2, 8);
  const nx = writeCsv(tag, 2, [], 'no-such-domain.test');
  const fail = writeCsv(tag, 2, [], 'dnsfail.test');
  const sim = await startSimulator();
  const dns = await startDns({ zones: { 'dnsfail.test': { servfail: true } } });
  const { cfg, env } = await isolatedPipeline({ DELIVERY_MODE: 'direct', DNS_SERVERS: dns.server, SMTP_PORT: String(sim.port), SHAPING_FILE: SHAPING });
  const worker = await startWorker(['all'], env);
  after(async () => { await stopWorker(worker); await sim.close(); await dns.close(); });
  const send = async (path: string) => (await cli(['send', '--template', TEMPLATE, '--audience', path, '--from', 'news@shop.example', '--subject', 'Hi'], env)).trim();

  const [nxJob, failJob] = [await send(nx.path), await send(fail.path)];
  const cn = await waitForJobDone(cfg, nxJob, 90000);
  const cf = await waitForJobDone(cfg, failJob, 90000);
  assert.equal(cn.byType.bounced, 2);
  assert.equal(cf.byType.expired, 2);
  assert.ok(cf.byType.deferred! >= 2, `deferred ${cf.byType.deferred}`);
  assert.equal(cf.byType.bounced ?? 0, 0);
  const ch = createClickhouse(cfg);
  const q = async (sql: string) => (await ch.query({ query: sql, format: 'JSONEachRow' })).json<Record<string, string | number>>();
  const bounced = await q(`SELECT bounce_class, bounce_category, smtp_code FROM events WHERE job_id = '${nxJob}' AND type = 'bounced'`);
  const deferred = await q(`SELECT DISTINCT reason FROM events WHERE job_id = '${failJob}' AND type = 'deferred'`);
  await ch.close();
  for (const r of bounced) assert.deepEqual([Number(r.bounce_class), r.bounce_category, Number(r.smtp_code)], [10, 'hard', 550]);
  assert.ok(deferred.length >= 1 && deferred.every((r) => /^MS_ERR_DNS_TEMP/.test(String(r.reason))), JSON.stringify(deferred));
  assert.equal(sim.stats.connections, 0);
});
