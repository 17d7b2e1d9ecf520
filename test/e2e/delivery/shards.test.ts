import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { startSimulator } from '../../support/simulator.js';
import { startDns } from '../../support/dns.js';
import { isolatedPipeline, cli, startWorker, stopWorker, waitForJobDone } from '../../support/pipeline.js';
import { writeCsv } from '../../support/audience.js';
import { createKafka } from '../../../src/lib/kafka.js';
import { topic } from '../../../src/topics/runtime.js';
import { loadShaping, partitionKey, shardsOf } from '../../../src/delivery/index.js';

const TEMPLATE = join(import.meta.dirname, '../../fixtures/welcome.mjml');
const SHAPING = join(import.meta.dirname, '../../fixtures/delivery/shards.yaml');
const DOMAIN = 'shards.test';

/** The partition the producer's partitioner (Java-compatible murmur2) gives a key on a topic of `n` partitions. */
const partitionOf = (key: string, n: number): number => kafkajs.Partitioners.DefaultPartitioner()({
  topic: 'rendered', message: { key, value: null },
  partitionMetadata: Array.from({ length: n }, (_, partitionId) => ({ partitionId, leader: 0, replicas: [0], isr: [0] })),
} as Parameters<ReturnType<typeof kafkajs.Partitioners.DefaultPartitioner>>[0]);

test('direct mode: a domain with shards: 2 lands on 2 partitions of rendered, each recipient is delivered once, and the shards together stay within max_connections 2', { timeout: 180000 }, async () => {
  const tag = Math.random().toString(36).slice(2, 8);
  const audience = writeCsv(tag, 200, [], DOMAIN);
  const sim = await startSimulator({ domains: { [DOMAIN]: { delayMs: 5 } } });
  const dns = await startDns({ zones: { [DOMAIN]: { mx: [{ exchange: `mx.${DOMAIN}`, priority: 10 }] }, [`mx.${DOMAIN}`]: { a: ['127.0.0.1'] } } });
  const { cfg, env } = await isolatedPipeline({ DELIVERY_MODE: 'direct', DNS_SERVERS: dns.server, SMTP_PORT: String(sim.port), SHAPING_FILE: SHAPING, SENDER_CONCURRENCY: '32' });
  const rendered = topic(cfg.topicPrefix, 'rendered');
  const shards = shardsOf(loadShaping(SHAPING), DOMAIN);
  // both shards of the fixture domain hash to distinct partitions, so the check below can tell them apart
  const expected = new Set(audience.rows.map((r) => partitionOf(partitionKey(DOMAIN, r.email, shards), rendered.def.partitions)));
  assert.equal(expected.size, 2, 'fixture domain: its two shard keys must hash to different partitions');
  const worker = await startWorker(['all'], env);
  const admin = createKafka(cfg, 'test-admin').admin();
  await admin.connect();
  after(async () => { await admin.disconnect(); await stopWorker(worker); await sim.close(); await dns.close(); });

  const jobId = (await cli(['send', '--template', TEMPLATE, '--audience', audience.path, '--from', 'news@shop.example', '--subject', 'Hi', '--payload-size', '20'], env)).trim();
  const counts = await waitForJobDone(cfg, jobId, 120000);
  assert.equal(counts.byType.delivered, 200);

  const used = (await admin.fetchTopicOffsets(rendered.name)).filter((p) => Number(p.high) > 0).map((p) => p.partition);
  assert.deepEqual(used.sort((a, b) => a - b), [...expected].sort((a, b) => a - b));
  assert.equal(sim.received.length, 200);
  assert.deepEqual(new Set(sim.received.map((r) => r.to)), new Set(audience.rows.map((r) => r.email)));
  assert.ok(sim.stats.maxConcurrentByIp['127.0.0.1']! <= 2, `max concurrent ${sim.stats.maxConcurrentByIp['127.0.0.1']}`);
});
