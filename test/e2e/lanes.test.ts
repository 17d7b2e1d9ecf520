import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { connectRuntime } from '../../src/runtime.js';
import { createJobProducer } from '../../src/producers/jobs.js';
import { startSmtpSink } from '../support/smtp-sink.js';
import { isolatedPipeline, startWorker, stopWorker, waitForJobDone, cli } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

test('a worker started with --lanes priority serves transactional mail and joins no bulk consumer group', { timeout: 180000 }, async () => {
  const sink = await startSmtpSink();
  const { cfg, env } = await isolatedPipeline({ SMTP_RELAY_PORT: String(sink.port) });
  const priority = await startWorker(['renderer', 'sender', '--lanes', 'priority'], env);
  const sinkWorker = await startWorker(['event-sink'], env);
  const rt = await connectRuntime(cfg, 'test');
  const admin = rt.kafka.admin();
  await admin.connect();
  after(async () => { await admin.disconnect(); await rt.close(); await stopWorker(priority); await stopWorker(sinkWorker); await sink.close(); });

  const jobs = await createJobProducer(rt.producer, rt.registry, rt.topicPrefix);
  const tag = Math.random().toString(36).slice(2, 8);
  const { jobId } = await jobs.sendTransactional({
    recipient: { email: `buyer.${tag}@receipts.test`, data: { order: `A-${tag}` } },
    content: { subject: 'Order {{ order }}', from: 'Shop <orders@shop.example>', text: 'Thanks for order {{ order }}.' },
  });
  const counts = await waitForJobDone(cfg, jobId, 60000);
  assert.equal(counts.byType.delivered, 1);
  assert.ok(sink.received.some((m) => m.to.includes(`buyer.${tag}@receipts.test`) && m.raw.toString().includes(`Order A-${tag}`)));

  // Kafka 4 answers describeGroups in its own order, so groups are picked by id
  const [priorityGroups, bulkGroups] = [['renderer-priority', 'sender-priority'], ['renderer', 'sender', 'sender-retry']]
    .map((names) => names.map((n) => `${cfg.topicPrefix}${n}`));
  const groups = await waitFor('the priority groups to be stable', async () => {
    const d = await admin.describeGroups([...priorityGroups!, ...bulkGroups!]);
    return d.groups.filter((g) => priorityGroups!.includes(g.groupId)).every((g) => g.state === 'Stable') && d.groups;
  }, 30000);
  for (const g of groups.filter((x) => bulkGroups!.includes(x.groupId))) assert.equal(g.members.length, 0, `${g.groupId} has no members`);
  assert.equal(groups.length, 5);

  await assert.rejects(cli(['worker', 'splitter', '--lanes', 'priority'], env), /no priority lane in splitter/);
  await assert.rejects(cli(['worker', 'sender', '--lanes', 'fast'], env), /--lanes: fast is not one of all, bulk, priority/);
});
