import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startSmtpSink } from '../support/smtp-sink.js';
import { isolatedPipeline, cli, startWorker, stopWorker, waitForJobDone } from '../support/pipeline.js';
import { writeCsv } from '../support/audience.js';
import { waitFor } from '../support/wait.js';

test('a sender killed with SIGKILL midway and restarted loses no recipient; duplicates are counted and reported', { timeout: 240000 }, async () => {
  // a slow-ish sink so the kill lands mid-stream
  const sink = await startSmtpSink();
  const { cfg, env } = await isolatedPipeline({ SMTP_RELAY_PORT: String(sink.port), SENDER_CONCURRENCY: '8', SMTP_MAX_CONNECTIONS: '2' });
  const rest = await startWorker(['splitter', 'renderer', 'event-sink'], env);
  let sender = await startWorker(['sender'], env);
  after(async () => { await stopWorker(sender); await stopWorker(rest); await sink.close(); });

  const tag = Math.random().toString(36).slice(2, 8);
  const audience = writeCsv(tag, 1000, []);
  const jobId = (await cli(['send', '--template', join(import.meta.dirname, '../fixtures/welcome.mjml'), '--audience', audience.path,
    '--from', 'news@shop.example', '--subject', 'Hi {{ first_name }}', '--payload-size', '20'], env)).trim();

  await waitFor('the sender to be midway', () => sink.received.length >= 300, 120000, 20);
  await stopWorker(sender, 'SIGKILL');
  const atKill = sink.received.length;
  assert.ok(atKill < audience.rows.length, `killed midway (${atKill} received)`);
  sender = await startWorker(['sender'], env);
  const counts = await waitForJobDone(cfg, jobId, 180000);

  const byRcpt = new Map<string, number>();
  for (const m of sink.received) for (const to of m.to) byRcpt.set(to, (byRcpt.get(to) ?? 0) + 1);
  const lost = audience.rows.filter((r) => !byRcpt.has(r.email));
  const duplicatesAtSink = sink.received.length - byRcpt.size;
  console.log(`restart: ${atKill} received before SIGKILL, ${duplicatesAtSink} duplicate deliveries at the sink, ${counts.duplicates} replayed events in ClickHouse`);
  assert.equal(lost.length, 0, `lost: ${lost.slice(0, 5).map((r) => r.email).join(', ')}`);
  assert.equal(counts.byType.delivered, audience.rows.length, 'one distinct delivered event per recipient');
  assert.equal(duplicatesAtSink, sink.received.length - audience.rows.length, 'duplicates are exactly the extra deliveries');
});
