import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../src/config/index.js';
import { migrate } from '../../src/clickhouse/migrate.js';
import { createClickhouse } from '../../src/clickhouse/client.js';

test('ClickHouse migrations applied twice give the same tables and columns', async () => {
  const cfg = loadConfig({ ...process.env, CLICKHOUSE_DATABASE: `mig_${randomBytes(4).toString('hex')}` });
  const ch = createClickhouse(cfg, null);
  const snapshot = async () => (await (await ch.query({
    query: `SELECT table, name, type FROM system.columns WHERE database = '${cfg.clickhouseDatabase}' ORDER BY table, name`, format: 'JSONEachRow',
  })).json<{ table: string; name: string; type: string }>());
  try {
    await migrate(cfg);
    const first = await snapshot();
    await migrate(cfg);
    assert.deepEqual(await snapshot(), first);
    assert.ok(first.some((c) => c.table === 'events' && c.name === 'event_id'));
    assert.ok(first.some((c) => c.table === 'events_per_minute' && c.name === 'events'));
  } finally {
    await ch.command({ query: `DROP DATABASE IF EXISTS ${cfg.clickhouseDatabase}` });
    await ch.close();
  }
});
