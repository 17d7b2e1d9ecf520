import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator } from '../../support/simulator.js';
import { startDns } from '../../support/dns.js';
import { isolatedPipeline, cli, startWorker, stopWorker, waitForJobDone, metric } from '../../support/pipeline.js';

const TEMPLATE = join(import.meta.dirname, '../../fixtures/welcome.mjml');
const SHAPING = join(import.meta.dirname, '../../fixtures/delivery/backpressure.yaml');
const QUEUE_MAX = 8;

test('a slow destination fills only its own bounded queue: its partition pauses, the fast destination finishes first, nothing is lost', { timeout: 180000 }, async () => {
  const tag = Math.random().toString(36).slice(2, 8);
  const emails = Array.from({ length: 40 }, (_, i) => [`s${i}.${tag}@slow.test`, `f${i}.${tag}@fast.test`]).flat();
  const dir = mkdtempSync(join(tmpdir(), 'audience-'));
  const audience = join(dir, `${tag}.csv`);
  writeFileSync(audience, `email,first_name\n${emails.map((e, i) => `${e},N${i}`).join('\n')}\n`);
  const sim = await startSimulator({ domains: { 'slow.test': { delayMs: 150 }, 'fast.test': {} } });
  const dns = await startDns({ zones: {
    'slow.test': { mx: [{ exchange: 'mx.slow.test', priority: 10 }] }, 'mx.slow.test': { a: ['127.0.0.1'] },
    'fast.test': { mx: [{ exchange: 'mx.fast.test', priority: 10 }] }, 'mx.fast.test': { a: ['127.0.0.1'] },
  } });
  const { cfg, env } = await isolatedPipeline({
    DELIVERY_MODE: 'direct', DNS_SERVERS: dns.server, SMTP_PORT: String(sim.port), SHAPING_FILE: SHAPING,
    SENDER_QUEUE_MAX: String(QUEUE_MAX), SENDER_CONCURRENCY: '1000',
  });
  const worker = await startWorker(['all'], env);
  after(async () => { await stopWorker(worker); await sim.close(); await dns.close(); });

  // sample the sender's deepest destination queue while the job runs
  let deepest = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      deepest = Math.max(deepest, await metric(worker, 'mailstream_stage_deepest_queue', { stage: 'sender' }));
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const jobId = (await cli(['send', '--template', TEMPLATE, '--audience', audience, '--from', 'news@shop.example', '--subject', 'Hi', '--payload-size', '10'], env)).trim();
  const counts = await waitForJobDone(cfg, jobId, 150000);
  sampling = false;
  await sampler;

  assert.equal(counts.byType.delivered, 80);
  const by = (d: string) => sim.received.filter((r) => r.domain === d);
  assert.equal(new Set(by('slow.test').map((r) => r.to)).size, 40);
  assert.equal(new Set(by('fast.test').map((r) => r.to)).size, 40);
  assert.ok(deepest >= 1 && deepest <= QUEUE_MAX, `deepest destination queue seen: ${deepest} (bound ${QUEUE_MAX})`);
  assert.ok(await metric(worker, 'mailstream_stage_pauses_total', { stage: 'sender', reason: 'queue_full' }) >= 1, 'the full slow.test queue paused its partition');
  const last = (d: string) => Math.max(...by(d).map((r) => r.at));
  assert.ok(last('fast.test') < last('slow.test'), 'the fast destination was not held up behind the slow one');
});
