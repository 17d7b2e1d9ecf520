/**
 * Poison records on the real broker. The fault is injected with STAGE_FAULTS (test-only, by record key): the sender's
 * real handler never throws (every SMTP and DNS failure is an outcome), so no removable dependency makes it fail;
 * the option is removed by restarting the worker without it, which stands for "the fault is fixed".
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createKafka, createProducer } from '../../src/lib/kafka.js';
import { createCodec, createRegistry } from '../../src/lib/codec.js';
import { topic } from '../../src/topics/runtime.js';
import { makeEvent } from '../../src/schemas/events.js';
import type { DeadLetter, Event, RenderedMessage } from '../../src/generated/types.js';
import { isolatedPipeline, cli, startWorker, stopWorker, waitForJobDone, type Worker } from '../support/pipeline.js';
import { startSmtpSink } from '../support/smtp-sink.js';
import { createClickhouse } from '../../src/clickhouse/client.js';
import { jobCounts } from '../../src/clickhouse/queries.js';
import { waitFor } from '../support/wait.js';

const GOOD = 1000;

test('two poison records among 1,000 on one partition: the rest is delivered, both are dead-lettered and failed, the offset moves past them, and a replay delivers them', { timeout: 300000 }, async () => {
  const sink = await startSmtpSink();
  const faults = 'perm.poison.test=MS_ERR_UNRECOVERABLE,temp.poison.test=MS_ERR_UNAVAILABLE';
  const { cfg, env } = await isolatedPipeline({ SMTP_RELAY_PORT: String(sink.port), STAGE_MAX_ATTEMPTS: '3', STAGE_RETRY_MAX_MS: '200' });
  const kafka = createKafka(cfg, 'test');
  const producer = await createProducer(kafka);
  const registry = createRegistry(cfg.schemaRegistryUrl);
  let worker: Worker | undefined;
  after(async () => { if (worker) await stopWorker(worker); await producer.disconnect(); await sink.close(); });

  // the renderer's output, written by the test: every record on partition 0, the two poison ones in the middle
  const jobId = `poison-${randomBytes(4).toString('hex')}`;
  const rendered = topic(cfg.topicPrefix, 'rendered');
  const codec = await createCodec<RenderedMessage>(registry, rendered);
  const message = (row: number, domain: string): RenderedMessage => {
    const rcptTo = `r${row}@${domain}`;
    return {
      messageId: `${jobId}.${row}`, jobId, kind: 'bulk', tenant: 'default', campaignId: null, rowNumber: row,
      mailFrom: 'news@shop.example', rcptTo, domain, ipPool: null, acceptedAt: Date.now(), attempt: 0, notBefore: 0,
        sandbox: false, skipSuppression: false, parts: null,
      raw: Buffer.from(`From: news@shop.example\r\nTo: ${rcptTo}\r\nSubject: poison test\r\n\r\nrow ${row}\r\n`),
    };
  };
  const rows = Array.from({ length: GOOD + 2 }, (_, i) => i + 1);
  const domainOf = (row: number) => (row === 400 ? 'perm.poison.test' : row === 600 ? 'temp.poison.test' : 'good.poison.test');
  await producer.send({ topic: rendered.name, acks: -1, messages: rows.map((row) => {
    const m = message(row, domainOf(row));
    return { key: m.domain, value: codec.encode(m), partition: 0 };
  }) });
  // the job's size, as the splitter would report it
  const events = topic(cfg.topicPrefix, 'events');
  const eventCodec = await createCodec<Event>(registry, events);
  const closing = makeEvent('split_completed', { jobId, tenant: 'default', count: rows.length });
  await producer.send({ topic: events.name, acks: -1, messages: [{ key: jobId, value: eventCodec.encode(closing) }] });

  worker = await startWorker(['sender', 'event-sink'], { ...env, STAGE_FAULTS: faults });
  const counts = await waitForJobDone(cfg, jobId, 120000);
  assert.equal(counts.byType.delivered, GOOD);
  assert.equal(counts.byType.failed, 2);
  const delivered = new Set(sink.received.flatMap((r) => r.to));
  assert.equal(delivered.size, GOOD);
  assert.ok(!delivered.has('r400@perm.poison.test') && !delivered.has('r600@temp.poison.test'));

  // both poison records are in dead-letter with their codes and attempts
  const list = (await cli(['dlq', 'list', '--json'], env)).trim().split('\n').map((l) => JSON.parse(l) as DeadLetter & { value: RenderedMessage });
  const byCode = Object.fromEntries(list.map((d) => [d.code, d]));
  assert.equal(list.length, 2);
  assert.deepEqual([byCode.MS_ERR_UNRECOVERABLE?.attempts, byCode.MS_ERR_UNRECOVERABLE?.value.rcptTo], [1, 'r400@perm.poison.test']);
  assert.deepEqual([byCode.MS_ERR_UNAVAILABLE?.attempts, byCode.MS_ERR_UNAVAILABLE?.value.rcptTo], [3, 'r600@temp.poison.test']);
  assert.ok(list.every((d) => d.topic === rendered.name && d.partition === 0 && d.stage === 'sender'));
  const shown = await cli(['dlq', 'show', '--key', 'perm.poison.test'], env);
  assert.match(shown, /"rcptTo": "r400@perm.poison.test"/, 'show decodes the raw value with its source schema');
  assert.match(shown, /"offset": "399"/);

  // the committed offset moved past both
  const admin = kafka.admin();
  await admin.connect();
  try {
    await waitFor('the sender group to commit past every record', async () => {
      const [t] = await admin.fetchOffsets({ groupId: `${cfg.topicPrefix}sender`, topics: [rendered.name] });
      return t!.partitions.find((p) => p.partition === 0)?.offset === String(rows.length);
    }, 30000);
  } finally { await admin.disconnect(); }

  // the fault is removed (a worker without it), and a replay delivers the two
  await stopWorker(worker);
  worker = await startWorker(['sender', 'event-sink'], env);
  assert.match(await cli(['dlq', 'replay', '--stage', 'sender'], env), /replayed 2 record/);
  await waitFor('the replayed records to be delivered', () => {
    const to = new Set(sink.received.flatMap((r) => r.to));
    return to.has('r400@perm.poison.test') && to.has('r600@temp.poison.test');
  }, 60000);
  const ch = createClickhouse(cfg);
  try {
    await waitFor('ClickHouse to count every recipient delivered', async () => (await jobCounts(ch, jobId)).byType.delivered === rows.length, 60000);
  } finally { await ch.close(); }
});
