import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { join } from 'node:path';
import { createClickhouse } from '../../../src/clickhouse/client.js';
import { startSimulator } from '../../support/simulator.js';
import { startDns } from '../../support/dns.js';
import { isolatedPipeline, cli, startWorker, stopWorker, waitForJobDone } from '../../support/pipeline.js';
import { writeCsv } from '../../support/audience.js';

const TEMPLATE = join(import.meta.dirname, '../../fixtures/welcome.mjml');
const SHAPING = join(import.meta.dirname, '../../fixtures/delivery/fast-retry.yaml');
// the simulator listens on 127.0.0.1 only; nothing listens on this address
const DEAD = '127.0.0.9';

const refused = (host: string, port: number) => new Promise<boolean>((resolve) => {
  const s = net.connect({ host, port });
  s.once('connect', () => { s.destroy(); resolve(false); });
  s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
});

test('direct mode: the priority-10 MX refuses connections, so every recipient is delivered once through the priority-20 MX, which the events name', { timeout: 180000 }, async () => {
  const tag = Math.random().toString(36).slice(2, 8);
  const audience = writeCsv(tag, 30, [], 'mx-fallback.test');
  const sim = await startSimulator();
  assert.ok(await refused(DEAD, sim.port), `${DEAD}:${sim.port} must refuse connections`);
  const dns = await startDns({ zones: {
    'mx-fallback.test': { mx: [{ exchange: 'mx1.mx-fallback.test', priority: 10 }, { exchange: 'mx2.mx-fallback.test', priority: 20 }] },
    'mx1.mx-fallback.test': { a: [DEAD] }, 'mx2.mx-fallback.test': { a: ['127.0.0.1'] },
  } });
  const { cfg, env } = await isolatedPipeline({ DELIVERY_MODE: 'direct', DNS_SERVERS: dns.server, SMTP_PORT: String(sim.port), SHAPING_FILE: SHAPING });
  const worker = await startWorker(['all'], env);
  after(async () => { await stopWorker(worker); await sim.close(); await dns.close(); });

  const jobId = (await cli(['send', '--template', TEMPLATE, '--audience', audience.path, '--from', 'news@shop.example', '--subject', 'Hi'], env)).trim();
  const counts = await waitForJobDone(cfg, jobId, 120000);
  assert.equal(counts.byType.delivered, 30);
  assert.equal(counts.byType.deferred ?? 0, 0, 'the fallback happens within one attempt');
  assert.equal(sim.received.length, 30);
  assert.deepEqual(new Set(sim.received.map((r) => r.to)), new Set(audience.rows.map((r) => r.email)), 'each recipient once');

  const ch = createClickhouse(cfg);
  const rows = await (await ch.query({ query: `SELECT type, mx_host, count() AS n FROM events WHERE job_id = '${jobId}' AND mx_host != '' GROUP BY type, mx_host`, format: 'JSONEachRow' })).json<{ type: string; mx_host: string; n: string }>();
  await ch.close();
  assert.deepEqual(rows.map((r) => [r.type, r.mx_host, Number(r.n)]), [['delivered', 'mx2.mx-fallback.test', 30]]);
});
