import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startSimulator } from '../../support/simulator.js';
import { startDns } from '../../support/dns.js';
import { isolatedPipeline, cli, startWorker, stopWorker, waitForJobDone } from '../../support/pipeline.js';
import { writeCsv } from '../../support/audience.js';
import { waitFor } from '../../support/wait.js';
import { createClickhouse } from '../../../src/clickhouse/client.js';
import { quote } from '../../../src/clickhouse/queries.js';

const TEMPLATE = join(import.meta.dirname, '../../fixtures/welcome.mjml');
const SHAPING = join(import.meta.dirname, '../../fixtures/delivery/rate-limit.yaml');

interface Adjusted { ts_ms: string | number; reason: string; detail: string }
const rateOf = (snap: { rate: string | null }): number => Number.parseFloat(snap.rate ?? 'NaN');

test('direct mode: a destination answering 421 4.7.28 past 10/s makes the adaptive controller lower the rate (shaping_adjusted), every message is delivered through retries, and sustained success raises the rate again', { timeout: 180000 }, async () => {
  const tag = Math.random().toString(36).slice(2, 8);
  // a domain of its own: shaping_adjusted events carry no job ID, so the test finds them by domain
  const domain = `rate-${tag}.test`;
  const audience = writeCsv(tag, 60, [], domain);
  const sim = await startSimulator({ domains: { [domain]: { ratePerSec: 10 } } });
  const dns = await startDns({ zones: { [domain]: { mx: [{ exchange: `mx.${domain}`, priority: 10 }] }, [`mx.${domain}`]: { a: ['127.0.0.1'] } } });
  const { cfg, env } = await isolatedPipeline({ DELIVERY_MODE: 'direct', DNS_SERVERS: dns.server, SMTP_PORT: String(sim.port), SHAPING_FILE: SHAPING });
  const worker = await startWorker(['all'], env);
  const ch = createClickhouse(cfg);
  after(async () => { await stopWorker(worker); await sim.close(); await dns.close(); await ch.close(); });

  const jobId = (await cli(['send', '--template', TEMPLATE, '--audience', audience.path, '--from', 'news@shop.example', '--subject', 'Hi'], env)).trim();
  const counts = await waitForJobDone(cfg, jobId, 150000);
  assert.equal(counts.byType.delivered, 60, JSON.stringify(counts.byType));
  assert.ok((counts.byType.deferred ?? 0) >= 1, JSON.stringify(counts.byType));
  assert.equal(sim.received.length, 60);
  assert.ok(sim.stats.deferred >= 1, `simulator deferred ${sim.stats.deferred}`);

  const adjusted = async () => {
    const rs = await ch.query({ query: `SELECT ts_ms, reason, detail FROM events WHERE type = 'shaping_adjusted' AND domain = ${quote(domain)} ORDER BY ts_ms`, format: 'JSONEachRow' });
    return (await rs.json<Adjusted>()).map((r) => ({ at: Number(r.ts_ms), reason: r.reason, detail: JSON.parse(r.detail) as { old: { rate: string | null }; new: { rate: string | null } } }));
  };
  // the event sink may still be writing the last adjustments: wait for a decrease followed by an increase
  const events = await waitFor('a rate decrease then a later increase', async () => {
    const ev = await adjusted();
    const down = ev.findIndex((e) => rateOf(e.detail.old) > rateOf(e.detail.new));
    return down >= 0 && ev.slice(down + 1).some((e) => rateOf(e.detail.new) > rateOf(e.detail.old)) && ev;
  }, 60000, 500);
  const down = events.find((e) => rateOf(e.detail.old) > rateOf(e.detail.new))!;
  assert.equal(rateOf(down.detail.old), 40, JSON.stringify(down));
  assert.match(down.reason, /4\.7\.28/);
  const up = events.find((e) => e.at >= down.at && rateOf(e.detail.new) > rateOf(e.detail.old))!;
  assert.match(up.reason, /additive increase|recovered/);
});
