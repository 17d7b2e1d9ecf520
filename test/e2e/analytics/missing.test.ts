import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway } from '../../../src/producers/api/index.js';
import { startSimulator } from '../../support/simulator.js';
import { isolatedPipeline, cli, metric, startWorker, stopWorker, waitForJobDone, type Worker } from '../../support/pipeline.js';
import { waitFor } from '../../support/wait.js';

const TEMPLATE = join(import.meta.dirname, '../../fixtures/welcome.mjml');
// expire.test: max_age 3.5 s, retries every 1 s
const SHAPING = join(import.meta.dirname, '../../fixtures/delivery/fast-retry.yaml');
const NO_SENDER = ['scheduler', 'splitter', 'renderer', 'event-sink', 'webhooks', 'breaker'];

test('--missing and the gateway list recipients without a final state; the watchdog flags those past their maximum age', { timeout: 180000 }, async () => {
  const tag = Math.random().toString(36).slice(2, 8);
  const stuck = Array.from({ length: 4 }, (_, i) => `late${i}.${tag}@expire.test`);
  const fine = Array.from({ length: 2 }, (_, i) => `fine${i}.${tag}@example.test`);
  const audience = join(mkdtempSync(join(tmpdir(), 'missing-')), 'a.csv');
  writeFileSync(audience, `email\n${[...stuck, ...fine].join('\n')}\n`);
  const sim = await startSimulator({ domains: { 'expire.test': { deferPercent: 100 } } });
  const { cfg, env } = await isolatedPipeline({
    SMTP_RELAY_PORT: String(sim.port), SHAPING_FILE: SHAPING, STUCK_CHECK_MS: '300', API_PORT: '0',
  });
  // no sender yet: every recipient is injected and rendered, and none reaches a final state
  const worker = await startWorker(NO_SENDER, env);
  const gateway = await startGateway(cfg);
  let sender: Worker | undefined;
  after(async () => { await gateway.stop(); await stopWorker(worker); if (sender) await stopWorker(sender); await sim.close(); });
  const [key, otherKey] = [await cli(['keys', 'create', '--tenant', 'default'], env), await cli(['keys', 'create', '--tenant', `o${tag}`], env)]
    .map((out) => out.trim().split('\n').at(-1)!);

  const jobId = (await cli(['send', '--template', TEMPLATE, '--audience', audience, '--from', 'news@shop.example', '--subject', 'Hi'], env)).trim();
  const missing = async () => (await cli(['job', jobId, '--missing', '--json'], env)).trim().split('\n').filter(Boolean)
    .map((l) => JSON.parse(l) as { recipient: string; flagged: boolean; lastType: string });
  const all = await waitFor('all six listed as missing', async () => { const m = await missing(); return m.length === 6 && m; }, 60000);
  assert.deepEqual(all.map((m) => m.recipient).sort(), [...stuck, ...fine].sort());

  // past expire.test's maximum age (3.5 s + 1 s retry) the watchdog writes one stuck event each; example.test's 10 min is not past
  const flagged = await waitFor('the expire.test recipients flagged stuck', async () => {
    const m = await missing();
    return m.filter((r) => r.flagged).length === 4 && m;
  }, 60000);
  assert.deepEqual(flagged.filter((r) => r.flagged).map((r) => r.recipient).sort(), [...stuck].sort());
  assert.equal(await metric(worker, 'mailstream_recipients_stuck'), 4);
  const text = await cli(['job', jobId, '--missing'], env);
  assert.equal(text.split('\n').filter((l) => l.includes('[stuck]')).length, 4);

  // the gateway lists the same for the job's tenant, and nothing for another tenant
  const api = (k: string) => fetch(`${gateway.url}/transmissions/${jobId}/missing`, { headers: { authorization: k } });
  const body = await (await api(key)).json() as { results: Array<{ recipient: string; stuck: boolean; last_event: string }> };
  assert.equal(body.results.length, 6);
  assert.deepEqual(body.results.filter((r) => r.stuck).map((r) => r.recipient).sort(), [...stuck].sort());
  assert.ok(body.results.every((r) => r.last_event === 'injected'), JSON.stringify(body.results));
  assert.equal((await api(otherKey)).status, 404);

  // the sender starts: example.test is delivered, expire.test deferred past its age and expired; nothing is missing
  sender = await startWorker(['sender'], env);
  const counts = await waitForJobDone(cfg, jobId, 90000);
  assert.equal(counts.byType.delivered, 2);
  assert.equal(counts.byType.expired, 4);
  assert.equal(counts.byType.stuck, 4);
  assert.deepEqual(await missing(), []);
  await waitFor('the stuck gauge back to 0', async () => (await metric(worker, 'mailstream_recipients_stuck')) === 0, 30000);
});
