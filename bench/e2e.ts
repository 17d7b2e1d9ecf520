/**
 * End-to-end benchmark: one bulk job (default 100,000 recipients, a realistic MJML template with ~10
 * substitutions) through every stage on the local stack into Postfix's smtp-sink, measured from job
 * accepted to SMTP 250 to counted in ClickHouse; with the smtp-source baseline on the same sink.
 */
import { statSync } from 'node:fs';
import { createClickhouse } from '../src/clickhouse/client.js';
import { jobCounts } from '../src/clickhouse/queries.js';
import { createJobProducer } from '../src/producers/jobs.js';
import { connectRuntime } from '../src/runtime.js';
import { startPostfixSink, runSmtpSource } from './postfix.js';
import { marketingJob, writeBenchAudience, peakRssMb, prepare, spawnWorker, stageRates } from './support.js';

/** Run the end-to-end benchmark and print its figures; `extra` is more worker environment (e.g. ENCRYPTION). */
export async function benchE2E(recipients = 100000, extra: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const port = 2525;
  const sink = await startPostfixSink(port);
  const { cfg, env } = await prepare({ SMTP_RELAY_PORT: String(port), SMTP_MAX_CONNECTIONS: '16', SENDER_CONCURRENCY: '256', ...extra });
  const workers = [
    await spawnWorker(['splitter', 'event-sink'], env), await spawnWorker(['renderer'], env), await spawnWorker(['sender'], env),
  ];
  const audience = await writeBenchAudience(recipients, 'jsonl');
  const rt = await connectRuntime(cfg, 'bench');
  const ch = createClickhouse(cfg);
  try {
    const jobs = await createJobProducer(rt.producer, rt.registry, rt.topicPrefix, rt.crypto);
    const started = Date.now();
    const { jobId } = await jobs.sendBulk(marketingJob(audience));
    let counts = await jobCounts(ch, jobId);
    // the benchmark is only meaningful when the mail is actually delivered
    while (!counts.done) {
      await new Promise((r) => setTimeout(r, 250));
      counts = await jobCounts(ch, jobId);
      if (Date.now() - started > 30 * 60000) throw new Error('bench job did not finish in 30 minutes');
    }
    const seconds = (Date.now() - started) / 1000;
    if ((counts.byType.delivered ?? 0) < recipients) console.error(`WARNING: only ${counts.byType.delivered ?? 0} of ${recipients} delivered: ${JSON.stringify(counts.byType)}`);
    const lat = await (await ch.query({ query: `SELECT quantilesExact(0.5, 0.99)(latency_ms) AS q FROM events WHERE job_id = '${jobId}' AND type = 'delivered'`, format: 'JSONEachRow' })).json<{ q: number[] }>();
    const rates = await stageRates(ch, jobId);
    const rss = Object.fromEntries(workers.map((w) => [w.name, peakRssMb(w.proc.pid!)]));
    const delivered = counts.byType.delivered ?? 0;
    const size = statSync(audience).size;
    const sourceRate = runSmtpSource(port, 20000, 16, 4000);
    const result = {
      recipients, delivered, seconds: +seconds.toFixed(1), endToEndMsgPerSec: Math.round(delivered / seconds),
      stageMsgPerSec: rates, latencyMs: { p50: Number(lat[0]?.q[0]), p99: Number(lat[0]?.q[1]) }, peakRssMb: rss,
      smtpSourceMsgPerSec: Math.round(sourceRate), senderToSmtpSourceRatio: +(rates.sender / sourceRate).toFixed(2), audienceBytes: size,
    };
    console.log(JSON.stringify(result, null, 2));
    return result;
  } finally {
    await ch.close(); await rt.close();
    for (const w of workers) w.proc.kill('SIGTERM');
    sink.kill();
  }
}
