import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../src/config/index.js';
import { migrate } from '../../src/clickhouse/migrate.js';
import { createClickhouse } from '../../src/clickhouse/client.js';
import { expiredMonths, prune } from '../../src/clickhouse/prune.js';
import { toRow } from '../../src/consumers/event-sink/handler.js';
import { makeEvent } from '../../src/schemas/events.js';

test('a month is expired only once its last day is past the cutoff', () => {
  const cutoff = Date.UTC(2026, 2, 1); // 1 March
  assert.deepEqual(expiredMonths(['202601', '202602', '202603', 'tuple()'], cutoff), ['202601', '202602']);
});

test('db prune drops whole old months from the raw events and every rollup, and keeps the current month', async () => {
  const cfg = loadConfig({ ...process.env, CLICKHOUSE_DATABASE: `prune_${randomBytes(4).toString('hex')}` });
  const server = createClickhouse(cfg, null);
  const ch = createClickhouse(cfg);
  try {
    await migrate(cfg);
    const old = Date.UTC(2025, 0, 15);
    const events = [old, Date.now()].map((ts, i) => makeEvent('delivered', { jobId: `j${i}`, messageId: `j${i}.1`, tenant: 't',
      latencyMs: 10, kind: 'bulk', ts }, ts));
    await ch.insert({ table: 'events', values: events.map(toRow), format: 'JSONEachRow' });
    const months = async (table: string) => (await (await ch.query({
      query: `SELECT DISTINCT partition AS p FROM system.parts WHERE database = currentDatabase() AND active AND table = '${table}' ORDER BY p`,
      format: 'JSONEachRow',
    })).json<{ p: string }>()).map((r) => r.p);
    assert.equal((await months('rollup_minute')).length, 2);
    assert.deepEqual(await prune(ch, 90, { dryRun: true }), ['events 202501', '.inner.events_per_minute 202501', 'rollup_minute 202501',
      'latency_slo 202501']);
    await prune(ch, 90);
    for (const t of ['events', 'rollup_minute', 'latency_slo']) assert.equal((await months(t)).length, 1, t);
    const [left] = await (await ch.query({ query: 'SELECT job_id FROM events', format: 'JSONEachRow' })).json<{ job_id: string }>();
    assert.equal(left!.job_id, 'j1');
  } finally {
    await server.command({ query: `DROP DATABASE IF EXISTS ${cfg.clickhouseDatabase}` });
    await server.close(); await ch.close();
  }
});
