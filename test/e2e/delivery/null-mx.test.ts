import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createClickhouse } from '../../../src/clickhouse/client.js';
import { startSimulator } from '../../support/simulator.js';
import { startDns } from '../../support/dns.js';
import { isolatedPipeline, cli, startWorker, stopWorker, waitForJobDone } from '../../support/pipeline.js';
import { writeCsv } from '../../support/audience.js';

const TEMPLATE = join(import.meta.dirname, '../../fixtures/welcome.mjml');

test('direct mode: a null-MX domain (RFC 7505) is bounced at once (556 5.1.10, class 10 hard, MS_ERR_DNS_PERM) with no SMTP; a normal MX domain is delivered', { timeout: 180000 }, async () => {
  const tag = Math.random().toString(36).slice(2, 8);
  const nullMx = writeCsv(tag, 2, [], 'null-mx.test');
  const good = writeCsv(tag, 2, [], 'mx-ok.test');
  const sim = await startSimulator();
  const dns = await startDns({ zones: { 'null-mx.test': { mx: [{ exchange: '.', priority: 0 }] }, 'mx-ok.test': { mx: [{ exchange: 'mx1.mx-ok.test', priority: 10 }] }, 'mx1.mx-ok.test': { a: ['127.0.0.1'] } } });
  const { cfg, env } = await isolatedPipeline({ DELIVERY_MODE: 'direct', DNS_SERVERS: dns.server, SMTP_PORT: String(sim.port) });
  const worker = await startWorker(['all'], env);
  after(async () => { await stopWorker(worker); await sim.close(); await dns.close(); });
  const send = async (path: string) => (await cli(['send', '--template', TEMPLATE, '--audience', path, '--from', 'news@shop.example', '--subject', 'Hi'], env)).trim();

  const [bad, ok] = [await send(nullMx.path), await send(good.path)];
  const [cb, co] = [await waitForJobDone(cfg, bad, 90000), await waitForJobDone(cfg, ok, 90000)];
  assert.equal(cb.byType.bounced, 2);
  assert.equal(cb.byType.delivered ?? 0, 0);
  assert.equal(co.byType.delivered, 2);
  const ch = createClickhouse(cfg);
  const rs = await ch.query({ query: `SELECT bounce_class, bounce_category, smtp_code, reason FROM events WHERE job_id = '${bad}' AND type = 'bounced'`, format: 'JSONEachRow' });
  const rows = await rs.json<{ bounce_class: number; bounce_category: string; smtp_code: number; reason: string }>();
  await ch.close();
  for (const r of rows) {
    assert.deepEqual([Number(r.bounce_class), r.bounce_category, Number(r.smtp_code)], [10, 'hard', 556]);
    assert.match(r.reason, /^MS_ERR_DNS_PERM/);
  }
  // only the good domain reached the simulator, by the A record of its MX host
  assert.deepEqual(sim.received.map((m) => m.domain).sort(), ['mx-ok.test', 'mx-ok.test']);
});
