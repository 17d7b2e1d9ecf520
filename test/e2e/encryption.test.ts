import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createJobProducer } from '../../src/producers/jobs.js';
import { connectRuntime } from '../../src/runtime.js';
import { topic } from '../../src/topics/runtime.js';
import type { TopicName } from '../../src/topics/index.js';
import { writeCsv } from '../support/audience.js';
import { kcatDump } from '../support/kcat.js';
import { startSmtpSink } from '../support/smtp-sink.js';
import { isolatedPipeline, startWorker, stopWorker, waitForJobDone } from '../support/pipeline.js';

const RECIPIENTS = 200;

test('kcat reading jobs, payloads, transactional, rendered, rendered-priority and retry finds no address and no body in clear, '
  + 'while every message is delivered', { timeout: 300000 }, async () => {
  // one recipient is deferred once, so a rendered message also sits on the retry topic
  const tag = Math.random().toString(36).slice(2, 8);
  const audience = writeCsv(tag, RECIPIENTS, []);
  const deferred = audience.rows[7]!.email;
  let refused = 0;
  const sink = await startSmtpSink({ reply: (r) => (r === deferred && !refused++ ? { code: 451, message: 'try later' } : null) });
  after(() => sink.close());
  const { cfg, env } = await isolatedPipeline({ SMTP_RELAY_PORT: String(sink.port), SHAPING_FILE: 'test/fixtures/delivery/fast-retry.yaml' });
  const worker = await startWorker(['all'], env);
  const rt = await connectRuntime(cfg, 'test');
  after(async () => { await rt.close(); await stopWorker(worker); });

  const jobs = await createJobProducer(rt.producer, rt.registry, rt.topicPrefix, rt.crypto);
  const secret = `Secret-body-${tag}`;
  const { jobId } = await jobs.sendBulk({
    audience: { format: 'csv', uri: audience.path }, payloadSize: 50,
    content: { subject: 'Hi {{ first_name }}', from: 'Shop <news@shop.example>', text: `${secret}: your code is {{ code }}.` },
  });
  const txTo = `vip.${tag}@example.test`;
  const tx = await jobs.sendTransactional({
    recipient: { email: txTo }, content: { subject: 'Receipt', from: 'Shop <news@shop.example>', text: `${secret} receipt` },
  });
  const counts = await waitForJobDone(cfg, jobId, 240000);
  await waitForJobDone(cfg, tx.jobId, 60000);

  // the pipeline still delivers: every recipient once, personalised, the deferred one after its retry
  assert.equal(counts.byType.delivered, RECIPIENTS);
  assert.equal(refused, 2, 'the deferred recipient was refused once, then accepted');
  const byTo = new Map(sink.received.map((m) => [m.to[0]!, m.raw.toString()]));
  assert.equal(byTo.size, RECIPIENTS + 1);
  assert.match(byTo.get(audience.rows[3]!.email)!, new RegExp(`${secret}: your code is ${audience.rows[3]!.code}\\.`));
  assert.match(byTo.get(txTo)!, new RegExp(`${secret} receipt`));

  const sealed: TopicName[] = ['jobs', 'payloads', 'transactional', 'rendered', 'rendered-priority', 'retry'];
  const needles = [secret, txTo, ...audience.rows.map((r) => r.email), ...audience.rows.map((r) => r.code)];
  for (const name of sealed) {
    const { raw, records } = await kcatDump(cfg.kafkaBrokers, topic(cfg.topicPrefix, name).name);
    assert.ok(records > 0, `${name} holds records`);
    const text = raw.toString('latin1');
    assert.deepEqual(needles.filter((n) => text.includes(n)), [], `no address or body in clear on ${name}`);
    // the headers say which key and algorithm; Kafka keys (routing) stay readable
    const headed = text.split('--record-end--').filter((r) => r.includes('mailstream-enc=AES-256-GCM'));
    assert.equal(headed.length, records, `every ${name} record names its algorithm`);
    assert.ok(text.includes(`mailstream-key=default:${name === 'transactional' || name === 'rendered-priority' ? tx.jobId : jobId}`));
  }
  const { raw: rendered } = await kcatDump(cfg.kafkaBrokers, topic(cfg.topicPrefix, 'rendered').name);
  assert.ok(rendered.includes('KEY=example.test'), 'rendered records keep their destination key');
  // the data keys themselves are on job-keys, wrapped: never the raw data key
  const { raw: keys, records: keyRecords } = await kcatDump(cfg.kafkaBrokers, topic(cfg.topicPrefix, 'job-keys').name);
  assert.equal(keyRecords, 2, 'one data key per job');
  assert.ok(keys.includes(`default:${jobId}`));
});
