/**
 * Transactional latency under bulk load: a bulk job (default 100,000 recipients, the marketing MJML template) runs
 * through every stage into Postfix's smtp-sink while one transactional message is sent every 100 ms through the
 * producer API (the same call the REST gateway and SMTP injection make). Reported: the transactional messages'
 * accepted → SMTP 250 latency (p50, p99, max, from the delivered events in ClickHouse) and the bulk job's rate.
 */
import { randomUUID } from 'node:crypto';
import { createClickhouse } from '../src/clickhouse/client.js';
import { jobCounts, quote } from '../src/clickhouse/queries.js';
import { createJobProducer } from '../src/producers/jobs.js';
import { connectRuntime } from '../src/runtime.js';
import { startPostfixSink } from './postfix.js';
import { marketingJob, writeBenchAudience, prepare, spawnWorker } from './support.js';

const EVERY_MS = 100;

/** Run the transactional-under-bulk benchmark and print its figures. */
export async function benchPriority(recipients = 100000): Promise<Record<string, unknown>> {
  const port = 2527;
  const sink = await startPostfixSink(port);
  const { cfg, env } = await prepare({ SMTP_RELAY_PORT: String(port), SMTP_MAX_CONNECTIONS: '16', SENDER_CONCURRENCY: '256' });
  // the transactional lanes run in their own process, as the README recommends: bulk rendering and sending then
  // saturate other processes, never the event loop that serves transactional mail
  const workers = [
    await spawnWorker(['splitter', 'event-sink'], env), await spawnWorker(['renderer'], env, ['--lanes', 'bulk']),
    await spawnWorker(['sender'], env, ['--lanes', 'bulk']), await spawnWorker(['renderer', 'sender'], env, ['--lanes', 'priority']),
  ];
  const audience = await writeBenchAudience(recipients, 'jsonl');
  const rt = await connectRuntime(cfg, 'bench');
  const ch = createClickhouse(cfg);
  const campaign = `bench-tx-${randomUUID()}`;
  try {
    const jobs = await createJobProducer(rt.producer, rt.registry, rt.topicPrefix);
    const started = Date.now();
    const { jobId } = await jobs.sendBulk(marketingJob(audience));
    // transactional traffic for as long as the bulk job runs
    let sent = 0;
    let bulk = await jobCounts(ch, jobId);
    let next = Date.now();
    let lastPoll = 0;
    while (!bulk.done) {
      if (Date.now() - started > 30 * 60000) throw new Error('bench job did not finish in 30 minutes');
      await jobs.sendTransactional({
        campaignId: campaign, recipient: { email: `tx${sent}@receipts.example`, data: { order: `A-${sent}` } },
        content: { subject: 'Your order {{ order }}', from: 'Shop <orders@shop.example>', text: 'Thanks for order {{ order }}.' },
      });
      sent++;
      next += EVERY_MS;
      await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
      if (Date.now() - lastPoll > 1000) { lastPoll = Date.now(); bulk = await jobCounts(ch, jobId); }
    }
    const bulkSeconds = (Date.now() - started) / 1000;
    const txStats = async () => (await (await ch.query({
      query: `SELECT count() AS n, quantilesExact(0.5, 0.99)(latency_ms) AS q, max(latency_ms) AS mx FROM events WHERE campaign_id = ${quote(campaign)} AND type = 'delivered'`,
      format: 'JSONEachRow',
    })).json<{ n: string; q: number[]; mx: number }>())[0]!;
    let tx = await txStats();
    for (const until = Date.now() + 60000; Number(tx.n) < sent && Date.now() < until; tx = await txStats()) await new Promise((r) => setTimeout(r, 500));
    const result = {
      bulk: { recipients, delivered: bulk.byType.delivered ?? 0, seconds: +bulkSeconds.toFixed(1), msgPerSec: Math.round((bulk.byType.delivered ?? 0) / bulkSeconds) },
      transactional: { sent, delivered: Number(tx.n), everyMs: EVERY_MS, latencyMs: { p50: Number(tx.q[0]), p99: Number(tx.q[1]), max: Number(tx.mx) } },
    };
    console.log(JSON.stringify(result, null, 2));
    return result;
  } finally {
    await ch.close(); await rt.close();
    for (const w of workers) w.proc.kill('SIGTERM');
    sink.kill();
  }
}
