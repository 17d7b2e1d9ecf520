import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startSimulator } from '../../support/simulator.js';
import { startDns } from '../../support/dns.js';
import { isolatedPipeline, cli, startWorker, stopWorker, waitForJobDone } from '../../support/pipeline.js';
import { writeCsv } from '../../support/audience.js';

const TEMPLATE = join(import.meta.dirname, '../../fixtures/welcome.mjml');
const SHAPING = join(import.meta.dirname, '../../fixtures/delivery/fast-retry.yaml');

test('direct mode: 200 messages to a domain shaped to max_connections 2 never open more than 2 concurrent sessions, and all are delivered', { timeout: 180000 }, async () => {
  const tag = Math.random().toString(36).slice(2, 8);
  const audience = writeCsv(tag, 200, [], 'conn-cap.test');
  const sim = await startSimulator({ domains: { 'conn-cap.test': { delayMs: 5 } } });
  const dns = await startDns({ zones: { 'conn-cap.test': { mx: [{ exchange: 'mx.conn-cap.test', priority: 10 }] }, 'mx.conn-cap.test': { a: ['127.0.0.1'] } } });
  const { cfg, env } = await isolatedPipeline({ DELIVERY_MODE: 'direct', DNS_SERVERS: dns.server, SMTP_PORT: String(sim.port), SHAPING_FILE: SHAPING, SENDER_CONCURRENCY: '32' });
  const worker = await startWorker(['all'], env);
  after(async () => { await stopWorker(worker); await sim.close(); await dns.close(); });

  const jobId = (await cli(['send', '--template', TEMPLATE, '--audience', audience.path, '--from', 'news@shop.example', '--subject', 'Hi', '--payload-size', '20'], env)).trim();
  const counts = await waitForJobDone(cfg, jobId, 120000);
  assert.equal(counts.byType.delivered, 200);
  assert.equal(sim.received.length, 200);
  assert.ok(sim.stats.maxConcurrentByIp['127.0.0.1']! <= 2, `max concurrent ${sim.stats.maxConcurrentByIp['127.0.0.1']}`);
  // max_messages_per_connection 10: at least 20 sessions
  assert.ok(sim.stats.connections >= 20, `connections ${sim.stats.connections}`);
});
