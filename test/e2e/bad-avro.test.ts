import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connectRuntime } from '../../src/runtime.js';
import { createJobProducer } from '../../src/producers/jobs.js';
import { createCodec } from '../../src/lib/codec.js';
import { topic } from '../../src/topics/runtime.js';
import type { TopicName } from '../../src/topics/index.js';
import type { DeadLetter, RenderedMessage } from '../../src/generated/types.js';
import { startSmtpSink } from '../support/smtp-sink.js';
import { isolatedPipeline, startWorker, stopWorker, waitForJobDone, cli } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

const INPUTS: TopicName[] = ['jobs', 'transactional', 'payloads', 'rendered', 'rendered-priority', 'retry', 'events'];

test('bad Avro bytes on every partition of every input topic go to dead-letter, and every stage delivers the good records after them', { timeout: 240000 }, async () => {
  const sink = await startSmtpSink();
  const { cfg, env } = await isolatedPipeline({ SMTP_RELAY_PORT: String(sink.port) });
  const rt = await connectRuntime(cfg, 'test');
  let worker: Awaited<ReturnType<typeof startWorker>> | undefined;
  after(async () => { if (worker) await stopWorker(worker); await rt.close(); await sink.close(); });

  let garbage = 0;
  for (const name of INPUTS) {
    const t = topic(cfg.topicPrefix, name);
    const messages = Array.from({ length: t.def.partitions }, (_, partition) => ({ key: 'bad', value: Buffer.from(`garbage ${name}`), partition }));
    await rt.producer.send({ topic: t.name, acks: -1, messages });
    garbage += messages.length;
  }
  worker = await startWorker(['all'], env);

  const tag = randomBytes(3).toString('hex');
  const jobs = await createJobProducer(rt.producer, rt.registry, rt.topicPrefix);
  const bulk = await jobs.sendBulk({
    content: { subject: 'Hi', from: 'news@shop.example', text: 'Hello {{ name }}' },
    audience: { format: 'inline', inline: [1, 2, 3].map((i) => ({ email: `b${i}.${tag}@bulk.test`, name: `n${i}` })) },
  });
  const tx = await jobs.sendTransactional({
    recipient: { email: `t.${tag}@tx.test` }, content: { subject: 'Receipt', from: 'orders@shop.example', text: 'Thanks' },
  });
  // a due message on the retry lane, as the sender writes it after a deferral
  const retry = topic(cfg.topicPrefix, 'retry');
  const m: RenderedMessage = {
    messageId: `retry-${tag}.1`, jobId: `retry-${tag}`, kind: 'bulk', tenant: 'default', campaignId: null, rowNumber: 1,
    mailFrom: 'news@shop.example', rcptTo: `r.${tag}@retry.test`, domain: 'retry.test', ipPool: null,
    raw: Buffer.from(`Subject: retry\r\n\r\nretried\r\n`), acceptedAt: Date.now(), attempt: 1, notBefore: 0,
      sandbox: false, skipSuppression: false, parts: null,
  };
  await rt.producer.send({ topic: retry.name, acks: -1, messages: [{ key: m.domain, value: (await createCodec<RenderedMessage>(rt.registry, retry)).encode(m) }] });

  assert.equal((await waitForJobDone(cfg, bulk.jobId, 90000)).byType.delivered, 3);
  assert.equal((await waitForJobDone(cfg, tx.jobId, 60000)).byType.delivered, 1);
  await waitFor('the retried message', () => sink.received.some((r) => r.to.includes(m.rcptTo)), 60000);

  const dead = await waitFor('every garbage record in dead-letter', async () => {
    const list = (await cli(['dlq', 'list', '--json', '--code', 'MS_ERR_AVRO_DECODE'], env)).trim().split('\n').filter(Boolean)
      .map((l) => JSON.parse(l) as DeadLetter);
    return list.length >= garbage && list;
  }, 60000);
  // dead-lettering is at-least-once like every output (a rebalance right after the broker starts can repeat one);
  // what must hold is one dead letter per garbage record, and `dlq replay` drives each source record once
  const where = (d: DeadLetter) => `${d.topic}[${d.partition}]@${d.offset}`;
  const distinct = [...new Map(dead.map((d) => [where(d), d])).values()];
  assert.equal(distinct.length, garbage, dead.map(where).sort().join('\n'));
  for (const name of INPUTS) {
    const t = topic(cfg.topicPrefix, name);
    const parts = distinct.filter((d) => d.topic === t.name).map((d) => d.partition).sort((a, b) => a - b);
    assert.deepEqual(parts, Array.from({ length: t.def.partitions }, (_, i) => i), `${name}: one per partition`);
  }
});
