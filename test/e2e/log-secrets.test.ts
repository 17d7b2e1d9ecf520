import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClickhouse } from '../../src/clickhouse/client.js';
import { quote } from '../../src/clickhouse/queries.js';
import { createJobProducer } from '../../src/producers/jobs.js';
import { connectRuntime } from '../../src/runtime.js';
import { scanLogs, noteSecret } from '../support/log-scan.js';
import { startSmtpSink } from '../support/smtp-sink.js';
import { isolatedPipeline, startWorker, stopWorker } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

test('a worker configured with a relay password, a tracking secret and a KEK, whose mail is deferred, logs none of them',
  { timeout: 180000 }, async () => {
    process.env.MAILSTREAM_TEST_LOG_DIR ||= mkdtempSync(join(tmpdir(), 'mailstream-test-logs-'));
    const dir = process.env.MAILSTREAM_TEST_LOG_DIR;
    const secrets = { SMTP_RELAY_USER: 'relay-user', SMTP_RELAY_PASS: `relay-pass-${Date.now()}`, TRACKING_SECRET: `trk-${Date.now()}-s3cret` };
    for (const s of [secrets.SMTP_RELAY_PASS, secrets.TRACKING_SECRET]) noteSecret(s);
    const sink = await startSmtpSink({ reply: () => ({ code: 451, message: 'try again later' }) });
    after(() => sink.close());
    const { cfg, env } = await isolatedPipeline({ SMTP_RELAY_PORT: String(sink.port), SHAPING_FILE: 'test/fixtures/delivery/fast-retry.yaml',
      ...secrets });
    const worker = await startWorker(['all'], env);
    const rt = await connectRuntime(cfg, 'test');
    const ch = createClickhouse(cfg);
    after(async () => { await ch.close(); await rt.close(); await stopWorker(worker); });
    const jobs = await createJobProducer(rt.producer, rt.registry, rt.topicPrefix, rt.crypto);
    const { jobId } = await jobs.sendTransactional({ recipient: { email: 'someone@example.test' },
      content: { subject: 'Hi', from: 'Shop <news@shop.example>', text: 'Hello', }, options: { clickTracking: true } });
    // every attempt is deferred, so the retry paths run and log
    await waitFor('a deferral', async () => {
      const rs = await ch.query({ query: `SELECT count() AS n FROM events WHERE job_id = ${quote(jobId)} AND type = 'deferred'`,
        format: 'JSONEachRow' });
      return Number((await rs.json<{ n: string }>())[0]!.n) >= 2;
    }, 120000, 250);
    await stopWorker(worker);
    const mine = readdirSync(dir).filter((f) => f.includes(cfg.topicPrefix));
    assert.equal(mine.length, 1, 'the worker log was kept');
    const log = readFileSync(join(dir, mine[0]!), 'utf8');
    assert.match(log, /"worker running"/, 'the worker log was written');
    assert.deepEqual(scanLogs(dir, Object.values(secrets).filter((s) => s !== 'relay-user')).filter((l) => l.file === mine[0]), []);
  });
