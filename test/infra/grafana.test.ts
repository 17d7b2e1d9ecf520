/** The Grafana dashboard and Prometheus are provisioned by compose from files that exist and agree with each other. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';

const INFRA = join(import.meta.dirname, '../../infra');
const compose = parse(readFileSync(join(INFRA, 'docker-compose.yml'), 'utf8')) as { services: Record<string, { volumes?: string[] }> };

test('compose mounts the Grafana provisioning, the dashboard and the Prometheus rules from the repo', () => {
  for (const s of ['grafana', 'prometheus']) {
    for (const v of compose.services[s]!.volumes!) assert.ok(existsSync(join(INFRA, v.split(':')[0]!)), `${s}: ${v}`);
  }
  const ds = parse(readFileSync(join(INFRA, 'grafana/provisioning/datasources/mailstream.yml'), 'utf8')) as
    { datasources: Array<{ uid: string; type: string }> };
  const uids = new Set(ds.datasources.map((d) => d.uid));
  const dash = JSON.parse(readFileSync(join(INFRA, 'grafana/dashboards/mailstream.json'), 'utf8')) as {
    panels: Array<{ title: string; datasource: { uid: string } }> };
  assert.deepEqual(dash.panels.map((p) => p.title), ['Messages per minute', 'Bulk: launch → delivery (SLO 1 h)',
    'Transactional: launch → delivery (SLO 30 s)', 'Consumer lag: age of the oldest unconsumed record', 'Top bounce reasons', 'Top bounce domains']);
  for (const p of dash.panels) assert.ok(uids.has(p.datasource.uid), p.title);
  assert.ok(ds.datasources.some((d) => d.type === 'grafana-clickhouse-datasource'));
});
