/**
 * Every migration and every read-side and dashboard query runs on the stack's ClickHouse 18.16 and on a current one
 * (chdb: ClickHouse 26.x in-process), over the same events, with the same exact figures.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { loadConfig } from '../../src/config/index.js';
import { applyMigrations, migrate } from '../../src/clickhouse/migrate.js';
import { createClickhouse } from '../../src/clickhouse/client.js';
import { COUNTERS, fromEvents, fromRollup } from '../../src/clickhouse/metrics.js';
import { latencySlo } from '../../src/clickhouse/slo.js';
import { missingRecipients, stuckRecipients } from '../../src/clickhouse/missing.js';
import { bounceReasons } from '../../src/clickhouse/bounces.js';
import { jobCounts, tenantJobs } from '../../src/clickhouse/queries.js';
import { jobsInFlight, lastMinute } from '../../src/ops/status.js';
import { launchRows, toRow } from '../../src/consumers/event-sink/handler.js';
import { makeEvent } from '../../src/schemas/events.js';
import type { Event } from '../../src/generated/types.js';

/** The part of chdb's Session this test uses. */
interface Session { query(sql: string, format?: string): string; cleanup(): void }
// chdb is installed by scripts/test.ts, not package.json: this registry lacks its other platforms' packages, so a
// lock file holding it fails `npm ci`; the name is a variable so the typecheck does not need the package
const CHDB = 'chdb';
const { Session: ChdbSession } = await import(CHDB) as { Session: new () => Session };

const DASHBOARD = join(import.meta.dirname, '../../infra/grafana/dashboards/mailstream.json');
const MINUTE = 60_000;

/** The same client surface the read side uses, over a chdb session. */
function chdbClient(s: Session): ClickHouseClient {
  const rows = (sql: string) => s.query(sql, 'JSONEachRow').split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown);
  return {
    query: async ({ query }: { query: string }) => ({ json: async () => rows(query) }),
    command: async ({ query }: { query: string }) => { s.query(query); },
    insert: async ({ table, values }: { table: string; values: object[] }) => {
      s.query(`INSERT INTO ${table} FORMAT JSONEachRow ${values.map((v) => JSON.stringify(v)).join('\n')}`);
    },
  } as unknown as ClickHouseClient;
}

/** A job: 5 delivered (2 after a deferral), 2 bounced, 1 not final yet, over two minutes. */
function job(tenant: string, t0: number): Event[] {
  const jobId = `j${randomBytes(3).toString('hex')}`;
  const base = { jobId, tenant, campaignId: 'spring', kind: 'bulk', sendingDomain: 'shop.example' };
  const ev: Event[] = [makeEvent('job_accepted', { ...base, count: null }, t0)];
  for (let i = 0; i < 8; i++) {
    const m = { ...base, messageId: `${jobId}.${i}`, recipient: `u${i}@d${i % 2}.example`, domain: `d${i % 2}.example`, rowNumber: i };
    ev.push(makeEvent('injected', m, t0 + 10));
    if (i < 2) ev.push(makeEvent('deferred', { ...m, attempt: 1, response: '451 4.7.1 try later' }, t0 + 500));
    if (i < 5) ev.push(makeEvent('delivered', { ...m, attempt: i < 2 ? 2 : 1, latencyMs: 1000 * (i + 1) + MINUTE }, t0 + MINUTE + 1000 * (i + 1)));
    else if (i < 7) ev.push(makeEvent('bounced', { ...m, attempt: 1, bounceClass: 10, bounceCategory: 'hard', smtpCode: 550,
      response: `550 5.1.1 <u${i}@d${i % 2}.example> user unknown` }, t0 + 2000));
  }
  ev.push(makeEvent('split_completed', { ...base, count: 8 }, t0 + 20));
  return ev;
}

/** Every read the product makes, as comparable data. */
async function reads(ch: ClickHouseClient, tenant: string, jobId: string, from: number, to: number) {
  const metrics = Object.keys(COUNTERS);
  const out: Record<string, unknown> = {};
  for (const group of ['none', 'domain', 'campaign', 'time'] as const) {
    const q = { tenant, from, to, metrics, group, precision: '1min' };
    out[`rollup.${group}`] = await fromRollup(ch, q);
    out[`events.${group}`] = await fromEvents(ch, q);
  }
  out.template = await fromEvents(ch, { tenant, from, to, metrics: ['count_delivered'], group: 'template' });
  const slo = await latencySlo(ch, { tenant, from, to, span: 'accepted' });
  out.slo = slo.map((r) => ({ kind: r.kind, deliveries: r.deliveries, max: r.max }));
  out.sloLaunch = (await latencySlo(ch, { tenant, from, to, span: 'launch', precision: '1min' })).map((r) => r.deliveries);
  out.missing = (await missingRecipients(ch, jobId)).map((m) => [m.recipient, m.lastType, m.deferrals]);
  out.stuck = (await stuckRecipients(ch, [jobId], to)).length;
  out.reasons = await bounceReasons(ch, { tenant, from, to, byDomain: true });
  out.counts = await jobCounts(ch, jobId, tenant);
  out.jobs = (await tenantJobs(ch, tenant)).map((j) => j.jobId);
  out.inFlight = (await jobsInFlight(ch, 3650)).filter((j) => j.jobId === jobId).map((j) => [j.recipients, j.final]);
  await lastMinute(ch);
  return { out, slo };
}

/** The Grafana dashboard's SQL with its macros filled in. */
function grafanaQueries(tenant: string, from: number, to: number): string[] {
  const doc = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Array<{ targets: Array<{ rawSql?: string }> }>;
    templating: { list: Array<{ query: string }> } };
  const fill = (sql: string) => sql.replace(/\$__timeFilter\((\w+)\)/g,
    `$1 >= toDateTime(${Math.floor(from / 1000)}) AND $1 <= toDateTime(${Math.floor(to / 1000)})`)
    .replace(/\$\{tenant:singlequote\}/g, `'${tenant}'`);
  return [...doc.panels.flatMap((p) => p.targets.map((t) => t.rawSql).filter((s): s is string => !!s)),
    ...doc.templating.list.map((v) => v.query)].map(fill);
}

test('every migration and every read and dashboard query gives the same figures on ClickHouse 18.16 and 26.x (chdb)', { timeout: 120000 }, async () => {
  const tenant = `t${randomBytes(3).toString('hex')}`;
  const t0 = Math.floor(Date.now() / MINUTE) * MINUTE - 10 * MINUTE;
  const events = job(tenant, t0);
  const jobId = events[0]!.jobId;
  const launches = launchRows(events, () => t0 + 10);
  const [from, to] = [t0 - MINUTE, t0 + 5 * MINUTE];

  const session = new ChdbSession();
  const cfg = loadConfig({ ...process.env, CLICKHOUSE_DATABASE: `cur_${randomBytes(4).toString('hex')}` });
  const server = createClickhouse(cfg, null);
  const old = createClickhouse(cfg);
  try {
    const current = chdbClient(session);
    const target = { command: async (q: string) => { session.query(q); },
      rows: async (q: string) => session.query(q, 'JSONEachRow').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, string>) };
    // twice: idempotent on the current release too
    await applyMigrations(target);
    assert.ok((await applyMigrations(target)).length >= 5);
    await migrate(cfg);
    for (const ch of [current, old]) {
      await ch.insert({ table: 'events', values: events.map(toRow), format: 'JSONEachRow' });
      await ch.insert({ table: 'delivery_launch', values: launches, format: 'JSONEachRow' });
    }
    const [a, b] = [await reads(old, tenant, jobId, from, to), await reads(current, tenant, jobId, from, to)];
    assert.deepEqual(b.out, a.out);
    // the figures are the right ones, not only the same
    assert.deepEqual((a.out['rollup.none'] as Array<Record<string, number>>)[0]!.count_delivered, 5);
    assert.deepEqual(a.out['rollup.none'], a.out['events.none']);
    assert.deepEqual(a.out.missing, [['u7@d1.example', 'injected', 0]]);
    assert.deepEqual(a.out.slo, [{ kind: 'bulk', deliveries: 5, max: 5000 + MINUTE }]);
    // quantile states of both releases agree within the digest's error
    for (const k of ['p50', 'p95', 'p99'] as const) assert.ok(Math.abs(a.slo[0]![k] - b.slo[0]![k]) <= 1000, `${k} ${a.slo[0]![k]} ${b.slo[0]![k]}`);
    for (const sql of grafanaQueries(tenant, from, to)) {
      const [x, y] = [await (await old.query({ query: sql, format: 'JSONEachRow' })).json<Record<string, unknown>>(),
        await (await current.query({ query: sql })).json<Record<string, unknown>>()] as unknown[][];
      // 18.16 quotes 64-bit integers in JSON, current releases in chdb do not
      const norm = (rows: unknown[]) => rows.map((r) => Object.fromEntries(Object.entries(r as object)
        .map(([k, v]) => [k, typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v])));
      assert.deepEqual(norm(y), norm(x), sql);
      // the fixture has bulk mail only
      if (!sql.includes("kind = 'transactional'")) assert.ok(x.length > 0, `no rows: ${sql}`);
    }
  } finally {
    session.cleanup();
    await server.command({ query: `DROP DATABASE IF EXISTS ${cfg.clickhouseDatabase}` });
    await server.close(); await old.close();
  }
});
