import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createClickhouse } from '../../src/clickhouse/client.js';
import { erasedRecipient } from '../../src/clickhouse/erase.js';
import { FINAL_TYPES, quote } from '../../src/clickhouse/queries.js';
import { createKafka } from '../../src/lib/kafka.js';
import { createJobProducer } from '../../src/producers/jobs.js';
import { connectRuntime } from '../../src/runtime.js';
import { topic } from '../../src/topics/runtime.js';
import type { TopicName } from '../../src/topics/index.js';
import { writeCsv } from '../support/audience.js';
import { noteSecret } from '../support/log-scan.js';
import { startSmtpSink } from '../support/smtp-sink.js';
import { isolatedPipeline, cli, startWorker, stopWorker, waitForJobDone } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

const RECIPIENTS = 3000;

/** Every value of `name` under the prefix, read from the beginning. */
async function values(cfg: Parameters<typeof createKafka>[0] & { topicPrefix: string }, name: TopicName): Promise<Buffer[]> {
  const kafka = createKafka(cfg, 'test-erase');
  const t = topic(cfg.topicPrefix, name).name;
  const admin = kafka.admin();
  await admin.connect();
  const total = (await admin.fetchTopicOffsets(t)).reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  await admin.disconnect();
  const consumer = kafka.consumer({ groupId: `${cfg.topicPrefix}erase-${randomBytes(4).toString('hex')}` });
  const out: Buffer[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [t], fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => { if (message.value) out.push(message.value); } });
  await waitFor(`${name} read`, () => out.length >= total, 60000, 50);
  await consumer.disconnect();
  return out;
}

test('a job erased midway: nothing more is sent, every recipient ends once, its records no longer open, ClickHouse keeps '
  + 'only keyed hashes of its addresses', { timeout: 300000 }, async () => {
  // a slow sink (~100 msg/s) so the job is still running when it is erased
  const sink = await startSmtpSink({ dataDelayMs: 40 });
  after(() => sink.close());
  const secret = `erasure-${randomBytes(12).toString('hex')}`;
  noteSecret(secret);
  const { cfg, env } = await isolatedPipeline({ SMTP_RELAY_PORT: String(sink.port), SMTP_MAX_CONNECTIONS: '4', SENDER_CONCURRENCY: '64',
    ERASURE_SECRET: secret });
  const worker = await startWorker(['all'], env);
  const rt = await connectRuntime(cfg, 'test');
  const ch = createClickhouse(cfg);
  after(async () => { await ch.close(); await rt.close(); await stopWorker(worker); });

  const tag = Math.random().toString(36).slice(2, 8);
  const audience = writeCsv(tag, RECIPIENTS, []);
  const jobs = await createJobProducer(rt.producer, rt.registry, rt.topicPrefix, rt.crypto);
  const { jobId } = await jobs.sendBulk({
    audience: { format: 'csv', uri: audience.path }, payloadSize: 50,
    content: { subject: 'Hi {{ first_name }}', from: 'Shop <news@shop.example>', text: 'Your code is {{ code }}.' },
  });
  await waitFor('some recipients to be delivered', () => sink.received.length >= 150, 180000, 20);
  assert.match(await cli(['job', jobId, '--erase'], env), new RegExp(`job ${jobId} \\(tenant default\\) erased`));
  const counts = await waitForJobDone(cfg, jobId, 180000);

  // what was not yet sent is not sent: each recipient has one final event, the rest ended cancelled
  const delivered = counts.byType.delivered ?? 0;
  const finals = FINAL_TYPES.reduce((s, t) => s + (counts.byType[t] ?? 0), 0);
  console.log(`erase: ${delivered} delivered, ${counts.byType.cancelled ?? 0} cancelled of ${RECIPIENTS}`);
  assert.equal(counts.recipients, RECIPIENTS);
  assert.equal(finals, RECIPIENTS);
  assert.ok(delivered > 0 && delivered < RECIPIENTS, 'some were delivered before the erase, not all');
  assert.equal(sink.received.length, delivered, 'the sink got only what was delivered');
  assert.equal(counts.duplicates, 0);

  // nothing of the job opens any more, with a fresh process's keyring
  const fresh = await connectRuntime(cfg, 'test-fresh');
  try {
    for (const name of ['jobs', 'payloads', 'rendered'] as TopicName[]) {
      const all = await values(cfg, name);
      assert.ok(all.length > 0, `${name} still holds the job's records`);
      for (const v of all) await assert.rejects(fresh.crypto.open(v), { code: 'MS_ERR_JOB_ERASED' }, `a ${name} record opened`);
    }
  } finally { await fresh.close(); }

  // ClickHouse: the job's recipient fields are hashes (or empty), none of its addresses in clear, counts intact
  await waitFor('events of the job to settle', async () => {
    const rs = await ch.query({ query: `SELECT count() AS n FROM events WHERE job_id = ${quote(jobId)} AND recipient LIKE '%@%'`,
      format: 'JSONEachRow' });
    return Number((await rs.json<{ n: string }>())[0]!.n) === 0;
  }, 60000, 500);
  const rs = await ch.query({ query: `SELECT DISTINCT recipient FROM events WHERE job_id = ${quote(jobId)}`, format: 'JSONEachRow' });
  const stored = (await rs.json<{ recipient: string }>()).map((r) => r.recipient);
  assert.deepEqual(stored.filter((r) => r !== '' && !/^[0-9a-f]{64}$/.test(r)), [], 'every stored recipient is a hash');
  assert.ok(stored.length > 1, 'delivered recipients are kept, as hashes');
  // keyed: each is the HMAC under the tenant's key (equality kept), none is an address's plain SHA-256 (a dictionary misses)
  const sha = (a: string) => createHash('sha256').update(a).digest('hex');
  const keyed = new Set(audience.rows.map((r) => erasedRecipient(secret, 'default', r.email)));
  const plain = new Set(audience.rows.map((r) => sha(r.email)));
  const hashes = stored.filter((r) => r !== '');
  assert.deepEqual(hashes.filter((h) => !keyed.has(h)), [], 'every stored hash is a recipient\'s keyed hash');
  assert.deepEqual(hashes.filter((h) => plain.has(h)), [], 'no stored hash is a plain SHA-256 of an address');
  const why = await ch.query({ query: `SELECT substring(reason, 1, 40) AS why, count() AS n FROM events
    WHERE job_id = ${quote(jobId)} AND type = 'cancelled' GROUP BY why`, format: 'JSONEachRow' });
  console.log(`erase: cancelled by ${JSON.stringify(await why.json())}`);
});
