import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClickhouse } from '../../../src/clickhouse/client.js';
import { COUNTERS, fromEvents, fromRollup } from '../../../src/clickhouse/metrics.js';
import { ROLLUP_COUNTERS } from '../../../src/clickhouse/rollups.js';
import { latencySlo } from '../../../src/clickhouse/slo.js';
import { quote } from '../../../src/clickhouse/queries.js';
import { startGateway } from '../../../src/producers/api/index.js';
import { startSimulator } from '../../support/simulator.js';
import { isolatedPipeline, cli, startWorker, stopWorker, waitForJobDone } from '../../support/pipeline.js';
import { waitFor } from '../../support/wait.js';

const TEMPLATE = join(import.meta.dirname, '../../fixtures/welcome.mjml');
const SHAPING = join(import.meta.dirname, '../../fixtures/delivery/fast-retry.yaml');
const MINUTE = 60_000;

test('after a job with deliveries, deferrals and bounces, rollups and SLO tables hold exact counts and the metrics endpoints agree with the raw events',
  { timeout: 180000 }, async () => {
  const tag = Math.random().toString(36).slice(2, 8);
  const campaign = `rollup-${tag}`;
  // 6 delivered at once, 3 greylisted (deferred once, then delivered), 2 refused 550 (bounced)
  const emails = [
    ...Array.from({ length: 6 }, (_, i) => `ok${i}.${tag}@ok.test`),
    ...Array.from({ length: 3 }, (_, i) => `grey${i}.${tag}@grey.test`),
    ...Array.from({ length: 2 }, (_, i) => `gone${i}.${tag}@bad.test`),
  ];
  const dir = mkdtempSync(join(tmpdir(), 'rollups-'));
  const audience = join(dir, 'audience.csv');
  writeFileSync(audience, `email,first_name\n${emails.map((e) => `${e},N`).join('\n')}\n`);
  const sim = await startSimulator({ domains: {
    'grey.test': { greylist: true, greylistMs: 300 }, 'bad.test': { rejectUsers: ['gone0', 'gone1'].map((u) => `${u}.${tag}`) },
  } });
  const { cfg, env } = await isolatedPipeline({ SMTP_RELAY_PORT: String(sim.port), SHAPING_FILE: SHAPING, API_PORT: '0' });
  const worker = await startWorker(['all'], env);
  const gateway = await startGateway(cfg);
  const ch = createClickhouse(cfg);
  after(async () => { await gateway.stop(); await stopWorker(worker); await sim.close(); await ch.close(); });

  const from = Math.floor(Date.now() / MINUTE) * MINUTE;
  const jobId = (await cli(['send', '--template', TEMPLATE, '--audience', audience, '--from', 'news@shop.example',
    '--subject', 'Hi', '--campaign', campaign], env)).trim();
  const counts = await waitForJobDone(cfg, jobId, 120000);
  assert.equal(counts.byType.delivered, 9);
  assert.equal(counts.byType.deferred, 3);
  assert.equal(counts.byType.bounced, 2);
  const to = (Math.floor(Date.now() / MINUTE) + 2) * MINUTE;

  // the rollup, merged over the job, holds each type's distinct events exactly, by domain and binding
  const rollup = async () => (await (await ch.query({
    query: `SELECT type, domain, binding, kind, sending_domain, uniqExactMerge(events) AS n FROM rollup_minute`
      + ` WHERE job_id = ${quote(jobId)} GROUP BY type, domain, binding, kind, sending_domain ORDER BY type, domain`,
    format: 'JSONEachRow',
  })).json<{ type: string; domain: string; binding: string; kind: string; sending_domain: string; n: string }>());
  const rows = await waitFor('the rollup to hold the deliveries', async () => {
    const r = await rollup();
    return r.filter((x) => x.type === 'delivered').reduce((s, x) => s + Number(x.n), 0) === 9 && r;
  }, 30000);
  const n = (type: string, domain: string) => Number(rows.find((r) => r.type === type && r.domain === domain)?.n ?? 0);
  assert.equal(n('delivered', 'ok.test'), 6);
  assert.equal(n('delivered', 'grey.test'), 3);
  assert.equal(n('deferred', 'grey.test'), 3);
  assert.equal(n('bounced', 'bad.test'), 2);
  assert.equal(n('injected', 'ok.test') + n('injected', 'grey.test') + n('injected', 'bad.test'), 11);
  for (const r of rows.filter((x) => x.type === 'delivered')) {
    assert.equal(r.kind, 'bulk');
    assert.equal(r.sending_domain, 'shop.example');
  }

  // the SLO tables: 9 deliveries per span, quantiles ordered and within the raw latencies
  const raw = await (await ch.query({
    query: `SELECT min(latency_ms) AS lo, max(latency_ms) AS hi FROM events WHERE job_id = ${quote(jobId)} AND type = 'delivered'`,
    format: 'JSONEachRow',
  })).json<{ lo: string; hi: string }>();
  const [lo, hi] = [Number(raw[0]!.lo), Number(raw[0]!.hi)];
  for (const span of ['accepted', 'launch'] as const) {
    const [slo] = await waitFor(`the ${span} SLO row`, async () => {
      const r = await latencySlo(ch, { tenant: 'default', from, to, span, campaign });
      return r.length === 1 && r[0]!.deliveries === 9 && r;
    }, 30000);
    assert.equal(slo!.kind, 'bulk');
    assert.ok(slo!.p50 <= slo!.p95 && slo!.p95 <= slo!.p99 && slo!.p99 <= slo!.max, JSON.stringify(slo));
    assert.ok(slo!.p50 >= 0 && slo!.max <= hi, `${span}: ${JSON.stringify(slo)} within [0, ${hi}]`);
    if (span === 'accepted') assert.ok(slo!.max === hi && slo!.p50 >= lo, JSON.stringify(slo));
  }
  // the greylisted ones waited for their retry: p99 of accepted → 250 is past the retry delay of 1 s
  const [acc] = await latencySlo(ch, { tenant: 'default', from, to, span: 'accepted', campaign });
  assert.ok(acc!.p99 >= 1000, JSON.stringify(acc));

  // every SparkPost counter: the rollup path equals the raw events path, overall and by domain
  assert.deepEqual(Object.keys(ROLLUP_COUNTERS).sort(), Object.keys(COUNTERS).sort());
  const metrics = Object.keys(COUNTERS);
  for (const group of ['none', 'domain', 'campaign'] as const) {
    const q = { tenant: 'default', from, to, metrics, campaigns: [campaign], group };
    assert.deepEqual(await fromRollup(ch, q), await fromEvents(ch, q), `group ${group}`);
  }

  // the gateway's endpoint (minute-aligned range: the rollup path) returns the same figures as the raw events
  const key = (await cli(['keys', 'create', '--tenant', 'default'], env)).trim().split('\n').at(-1)!;
  const iso = (ms: number) => new Date(ms).toISOString().slice(0, 16);
  const url = `${gateway.url}/metrics/deliverability/domain?from=${iso(from)}&to=${iso(to)}&campaigns=${campaign}`
    + '&metrics=count_delivered,count_delayed,count_bounce,count_hard_bounce,count_sent,count_targeted';
  const body = await (await fetch(url, { headers: { authorization: key } })).json() as { results: Array<Record<string, unknown>> };
  const byDomain = Object.fromEntries(body.results.map((r) => [r.domain, r]));
  assert.deepEqual(byDomain['ok.test'], { domain: 'ok.test', count_delivered: 6, count_delayed: 0, count_bounce: 0,
    count_hard_bounce: 0, count_sent: 6, count_targeted: 6 });
  assert.equal(byDomain['grey.test']!.count_delayed, 3);
  assert.equal(byDomain['grey.test']!.count_delivered, 3);
  assert.equal(byDomain['bad.test']!.count_bounce, 2);
  const lat = await (await fetch(`${gateway.url}/metrics/latency?from=${iso(from)}&to=${iso(to)}&span=launch&campaign=${campaign}`,
    { headers: { authorization: key } })).json() as { results: Array<{ kind: string; deliveries: number }> };
  assert.deepEqual(lat.results.map((r) => [r.kind, r.deliveries]), [['bulk', 9]]);
});
