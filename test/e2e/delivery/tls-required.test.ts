import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator } from '../../support/simulator.js';
import { startDns } from '../../support/dns.js';
import { isolatedPipeline, cli, startWorker, stopWorker, waitForJobDone } from '../../support/pipeline.js';
import { createClickhouse } from '../../../src/clickhouse/client.js';
import { quote } from '../../../src/clickhouse/queries.js';

const TEMPLATE = join(import.meta.dirname, '../../fixtures/welcome.mjml');
const SHAPING = join(import.meta.dirname, '../../fixtures/delivery/tls-required.yaml');

/** One audience over two domains: `n` rows on each. */
function twoDomainCsv(tag: string, n: number, domains: string[]): string {
  const lines = domains.flatMap((d) => Array.from({ length: n }, (_, i) => `user${i}.${tag}@${d},Name${i},C${tag}${i},City${i}`));
  const path = join(mkdtempSync(join(tmpdir(), 'audience-')), `${tag}.csv`);
  writeFileSync(path, `email,first_name,code,city\n${lines.join('\n')}\n`);
  return path;
}

test('direct mode: a domain shaped require_tls whose MX offers no STARTTLS gets nothing in clear (deferred with MS_ERR_TLS_REQUIRED, then expired) while another domain of the same job is delivered', { timeout: 180000 }, async () => {
  const tag = Math.random().toString(36).slice(2, 8);
  const audience = twoDomainCsv(tag, 3, ['tls-required.test', 'clear.test']);
  const sim = await startSimulator({ tls: false });
  const dns = await startDns({ zones: {
    'tls-required.test': { mx: [{ exchange: 'mx.tls-required.test', priority: 10 }] }, 'mx.tls-required.test': { a: ['127.0.0.1'] },
    'clear.test': { mx: [{ exchange: 'mx.clear.test', priority: 10 }] }, 'mx.clear.test': { a: ['127.0.0.1'] },
  } });
  const { cfg, env } = await isolatedPipeline({ DELIVERY_MODE: 'direct', DNS_SERVERS: dns.server, SMTP_PORT: String(sim.port), SHAPING_FILE: SHAPING });
  const worker = await startWorker(['all'], env);
  const ch = createClickhouse(cfg);
  after(async () => { await stopWorker(worker); await sim.close(); await dns.close(); await ch.close(); });

  const jobId = (await cli(['send', '--template', TEMPLATE, '--audience', audience, '--from', 'news@shop.example', '--subject', 'Hi'], env)).trim();
  const counts = await waitForJobDone(cfg, jobId, 120000);
  const rs = await ch.query({ query: `SELECT domain, type, uniqExact(event_id) AS n, groupUniqArray(reason) AS reasons FROM events WHERE job_id = ${quote(jobId)} AND domain != '' GROUP BY domain, type`, format: 'JSONEachRow' });
  const rows = await rs.json<{ domain: string; type: string; n: string | number; reasons: string[] }>();
  const of = (domain: string, type: string) => rows.find((r) => r.domain === domain && r.type === type);

  assert.equal(Number(of('clear.test', 'delivered')?.n ?? 0), 3, JSON.stringify(rows));
  assert.equal(of('tls-required.test', 'delivered'), undefined, JSON.stringify(rows));
  // a policy refusal is ours, not the remote's: deferred and retried until max_age, never bounced (nor suppressed)
  assert.equal(Number(of('tls-required.test', 'expired')?.n ?? 0), 3, JSON.stringify(rows));
  assert.equal(of('tls-required.test', 'bounced'), undefined, JSON.stringify(rows));
  assert.ok(Number(of('tls-required.test', 'deferred')?.n ?? 0) >= 3, JSON.stringify(rows));
  const reasons = of('tls-required.test', 'deferred')!.reasons;
  assert.ok(reasons.every((r) => r.startsWith('MS_ERR_TLS_REQUIRED')), JSON.stringify(reasons));
  assert.equal(counts.byType.delivered, 3);
  // the simulator got the clear domain's mail and nothing for the TLS-required one
  assert.deepEqual(sim.received.filter((r) => r.domain === 'tls-required.test'), []);
  assert.equal(sim.received.filter((r) => r.domain === 'clear.test').length, 3);
});
