/**
 * The local stack's own broker over its SASL_SSL listener: certificates and SCRAM users made by the stack, and each
 * pipeline stage connected as its own user with only the ACLs `mailstream topics acls` grants it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, test } from 'node:test';
import kafkajs from 'kafkajs';
import { endpoint } from '../../infra/local/kafka/index.js';
import { secureEnv } from '../../infra/local/kafka/secure.js';
import { createJobProducer } from '../../src/producers/jobs.js';
import { connectRuntime } from '../../src/runtime.js';
import { topic } from '../../src/topics/runtime.js';
import { writeCsv } from '../support/audience.js';
import { noteSecret } from '../support/log-scan.js';
import { startSmtpSink } from '../support/smtp-sink.js';
import { cli, isolatedPipeline, startWorker, stopWorker, waitForJobDone, type Worker } from '../support/pipeline.js';

const { host, saslPort } = endpoint();
const as = (user: string) => secureEnv(user, saslPort, host);
const stages = ['splitter', 'renderer', 'sender', 'event-sink'];

/** A kafkajs admin on the SASL_SSL listener, as `user` or with no credentials. */
function admin(user?: string) {
  const env = as('admin');
  return new kafkajs.Kafka({
    clientId: 'stack-sasl-probe', brokers: [env.KAFKA_BROKERS!], logLevel: kafkajs.logLevel.NOTHING, retry: { retries: 0 },
    connectionTimeout: 3000, ssl: { ca: [readFileSync(env.KAFKA_SSL_CA!, 'utf8')] },
    ...(user ? { sasl: { mechanism: 'scram-sha-512' as const, username: user, password: as(user).KAFKA_SASL_PASSWORD! } } : {}),
  }).admin();
}

test('every stage on its own SCRAM user over the stack\'s SASL_SSL listener delivers a job; outsiders are refused',
  { timeout: 300_000 }, async () => {
    const cleanups: Array<() => Promise<unknown>> = [];
    after(async () => { for (const c of cleanups.reverse()) await c(); });
    for (const u of ['admin', ...stages]) noteSecret(as(u).KAFKA_SASL_PASSWORD!);
    const sink = await startSmtpSink();
    cleanups.push(() => sink.close());
    const { cfg, env } = await isolatedPipeline({ ...as('admin'), SMTP_RELAY_PORT: String(sink.port) });

    const anon = admin();
    await assert.rejects(anon.connect().then(() => anon.listTopics()), 'no credentials: refused');
    await anon.disconnect().catch(() => undefined);
    for (const stage of stages) {
      assert.match(await cli(['topics', 'acls', stage, '--principal', `User:${stage}`], env), new RegExp(`ACLs for User:${stage}`));
    }
    const sender = admin('sender');
    await sender.connect();
    try {
      assert.ok((await sender.fetchTopicOffsets(topic(cfg.topicPrefix, 'rendered').name)).length > 0, 'the sender reads rendered');
      await assert.rejects(sender.fetchTopicOffsets(topic(cfg.topicPrefix, 'payloads').name), /authoriz/i,
        'the sender may not read payloads');
    } finally { await sender.disconnect(); }

    const workers: Worker[] = [];
    cleanups.push(async () => { for (const w of workers) await stopWorker(w); });
    for (const stage of stages) workers.push(await startWorker([stage], { ...env, ...as(stage) }));
    const rt = await connectRuntime(cfg, 'test');
    try {
      const audience = writeCsv(Math.random().toString(36).slice(2, 8), 30, []);
      const jobs = await createJobProducer(rt.producer, rt.registry, rt.topicPrefix, rt.crypto);
      const { jobId } = await jobs.sendBulk({ audience: { format: 'csv', uri: audience.path }, payloadSize: 10,
        content: { subject: 'Hi {{ first_name }}', from: 'Shop <news@shop.example>', text: 'Code {{ code }}' } });
      const counts = await waitForJobDone(cfg, jobId, 180_000);
      assert.equal(counts.byType.delivered, 30);
      assert.equal(sink.received.length, 30);
    } finally { await rt.close(); }
  });
