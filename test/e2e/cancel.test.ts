import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createClickhouse } from '../../src/clickhouse/client.js';
import { FINAL_TYPES, quote } from '../../src/clickhouse/queries.js';
import { createJobProducer } from '../../src/producers/jobs.js';
import { connectRuntime } from '../../src/runtime.js';
import { startSmtpSink } from '../support/smtp-sink.js';
import { isolatedPipeline, cli, startWorker, stopWorker, waitForJobDone } from '../support/pipeline.js';
import { writeCsv } from '../support/audience.js';
import { waitFor } from '../support/wait.js';

const RECIPIENTS = 5000;

test('a bulk job cancelled midway ends done: the rest cancelled once each, nothing sent for them, no one delivered twice',
  { timeout: 300000 }, async () => {
    // a slow sink (40 ms per DATA reply, 4 connections: ~100 msg/s) so the job is still running when it is cancelled
    const sink = await startSmtpSink({ dataDelayMs: 40 });
    const { cfg, env } = await isolatedPipeline({
      SMTP_RELAY_PORT: String(sink.port), SMTP_MAX_CONNECTIONS: '4', SENDER_CONCURRENCY: '64',
    });
    const worker = await startWorker(['all'], env);
    const rt = await connectRuntime(cfg, 'test');
    const ch = createClickhouse(cfg);
    after(async () => { await ch.close(); await rt.close(); await stopWorker(worker); await sink.close(); });

    const tag = Math.random().toString(36).slice(2, 8);
    const audience = writeCsv(tag, RECIPIENTS, []);
    const jobs = await createJobProducer(rt.producer, rt.registry, rt.topicPrefix);
    const { jobId } = await jobs.sendBulk({
      audience: { format: 'csv', uri: audience.path }, payloadSize: 50,
      content: { subject: 'Hi {{ first_name }}', from: 'Shop <news@shop.example>', text: 'Your code is {{ code }}.' },
    });

    await waitFor('some recipients to be delivered', () => sink.received.length >= 200, 180000, 20);
    assert.match(await cli(['job', jobId, '--cancel'], env), new RegExp(`job ${jobId} \\(tenant default\\) cancelled`));
    const counts = await waitForJobDone(cfg, jobId, 180000);

    // every recipient ends in exactly one final state: delivered before the cancel, cancelled after it
    const delivered = counts.byType.delivered ?? 0;
    const cancelled = counts.byType.cancelled ?? 0;
    const finals = FINAL_TYPES.reduce((s, t) => s + (counts.byType[t] ?? 0), 0);
    console.log(`cancel: ${delivered} delivered, ${cancelled} cancelled of ${RECIPIENTS}`);
    assert.equal(counts.recipients, RECIPIENTS);
    assert.equal(finals, RECIPIENTS);
    assert.ok(delivered > 0, 'some were delivered before the cancel');
    assert.ok(cancelled > 0, 'the rest were cancelled');
    assert.equal(counts.duplicates, 0);
    const rs = await ch.query({
      query: `SELECT recipient FROM events WHERE job_id = ${quote(jobId)}
        AND type IN (${FINAL_TYPES.map(quote).join(', ')}) GROUP BY recipient HAVING uniqExact(event_id) > 1`,
      format: 'JSONEachRow',
    });
    assert.deepEqual(await rs.json(), [], 'no recipient has two final events');

    // the sink got each delivered recipient once, and nothing for a recipient whose final event is cancelled
    const byRcpt = new Map<string, number>();
    for (const m of sink.received) for (const to of m.to) byRcpt.set(to, (byRcpt.get(to) ?? 0) + 1);
    assert.deepEqual([...byRcpt].filter(([, n]) => n > 1), [], 'no recipient delivered twice');
    assert.equal(sink.received.length, delivered);
    const cancelledRs = await ch.query({
      query: `SELECT DISTINCT recipient FROM events WHERE job_id = ${quote(jobId)} AND type = 'cancelled'`,
      format: 'JSONEachRow',
    });
    const cancelledRcpts = (await cancelledRs.json<{ recipient: string }>()).map((r) => r.recipient);
    const where = await ch.query({
      query: `SELECT reason, count() AS n FROM events WHERE job_id = ${quote(jobId)} AND type = 'cancelled' GROUP BY reason`,
      format: 'JSONEachRow',
    });
    console.log(`cancel: ${JSON.stringify(await where.json())}`);
    assert.equal(cancelledRcpts.length, cancelled);
    assert.deepEqual(cancelledRcpts.filter((r) => byRcpt.has(r)), [], 'no cancelled recipient reached the sink');
  });
