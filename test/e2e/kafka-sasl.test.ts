import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createJobProducer } from '../../src/producers/jobs.js';
import { connectRuntime } from '../../src/runtime.js';
import { topic } from '../../src/topics/runtime.js';
import { writeCsv } from '../support/audience.js';
import { noteSecret } from '../support/log-scan.js';
import { startSecureKafka } from '../support/secure-kafka.js';
import { startSmtpSink } from '../support/smtp-sink.js';
import { cli, isolatedPipeline, startWorker, stopWorker, waitForJobDone } from '../support/pipeline.js';

test('over SASL_SSL with ACLs: no credentials or a wrong password is refused, the renderer cannot read jobs, and the '
  + 'pipeline delivers with the renderer on its own least-privilege user', { timeout: 300000 }, async () => {
  // cleanups run last-registered first, whichever step fails: workers stop before the broker goes
  const cleanups: Array<() => Promise<unknown>> = [];
  after(async () => { for (const c of cleanups.reverse()) await c(); });
  const kafka = await startSecureKafka(['renderer']);
  cleanups.push(() => kafka.remove());
  for (const p of kafka.passwords()) noteSecret(p);
  const sink = await startSmtpSink();
  cleanups.push(() => sink.close());
  const workers: Awaited<ReturnType<typeof startWorker>>[] = [];
  cleanups.push(async () => { for (const w of workers) await stopWorker(w); });
  const { cfg, env } = await isolatedPipeline({ ...kafka.env('admin'), SMTP_RELAY_PORT: String(sink.port) });

  // a client without credentials, or with a wrong password, is refused
  const anon = kafka.client().admin();
  await assert.rejects(anon.connect().then(() => anon.listTopics()), 'a client without credentials is refused');
  await anon.disconnect().catch(() => undefined);
  const wrong = (await import('kafkajs')).default;
  const bad = new wrong.Kafka({ clientId: 'bad', brokers: [kafka.brokers], logLevel: wrong.logLevel.NOTHING, retry: { retries: 0 },
    ssl: { ca: [(await import('node:fs')).readFileSync(kafka.ca, 'utf8')] },
    sasl: { mechanism: 'scram-sha-512', username: 'renderer', password: 'not-the-password' } }).admin();
  await assert.rejects(bad.connect(), /SASL|authentication/i, 'a wrong password is refused');
  await bad.disconnect().catch(() => undefined);

  // the renderer's ACLs cover its own topics only
  assert.match(await cli(['topics', 'acls', 'renderer', '--principal', 'User:renderer'], env), /ACLs for User:renderer/);
  const asRenderer = kafka.client('renderer').admin();
  await asRenderer.connect();
  try {
    const offsets = await asRenderer.fetchTopicOffsets(topic(cfg.topicPrefix, 'payloads').name);
    assert.ok(offsets.length > 0, 'the renderer may read payloads');
    await assert.rejects(asRenderer.fetchTopicOffsets(topic(cfg.topicPrefix, 'jobs').name), /authoriz/i,
      'the renderer may not read jobs');
  } finally { await asRenderer.disconnect(); }
  const consumer = kafka.client('renderer').consumer({ groupId: `${cfg.topicPrefix}renderer-probe` });
  await consumer.connect();
  await assert.rejects(consumer.subscribe({ topics: [topic(cfg.topicPrefix, 'jobs').name], fromBeginning: true }).then(
    () => consumer.run({ eachMessage: async () => undefined })).then(() => new Promise((_, reject) => {
    consumer.on(consumer.events.CRASH, (e) => reject(e.payload.error));
  })), /authoriz/i, 'a renderer consumer of jobs is refused');
  await consumer.disconnect().catch(() => undefined);

  // the pipeline over SASL_SSL: the renderer as its own user, the other stages as admin
  workers.push(await startWorker(['renderer'], { ...env, ...kafka.env('renderer') }));
  workers.push(await startWorker(['splitter', 'sender', 'event-sink'], env));
  const rt = await connectRuntime(cfg, 'test');
  try {
    const tag = Math.random().toString(36).slice(2, 8);
    const audience = writeCsv(tag, 40, []);
    const jobs = await createJobProducer(rt.producer, rt.registry, rt.topicPrefix, rt.crypto);
    const { jobId } = await jobs.sendBulk({ audience: { format: 'csv', uri: audience.path }, payloadSize: 10,
      content: { subject: 'Hi {{ first_name }}', from: 'Shop <news@shop.example>', text: 'Code {{ code }}' } });
    const counts = await waitForJobDone(cfg, jobId, 180000);
    assert.equal(counts.byType.delivered, 40);
    assert.equal(sink.received.length, 40);
  } finally { await rt.close(); }
});
