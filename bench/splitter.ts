/** Splitter memory benchmark: one job of N rows (default 1,000,000) through the splitter alone; prints rate and peak RSS. */
import { createClickhouse } from '../src/clickhouse/client.js';
import { jobCounts } from '../src/clickhouse/queries.js';
import { createJobProducer } from '../src/producers/jobs.js';
import { connectRuntime } from '../src/runtime.js';
import { peakRssMb, prepare, spawnWorker, writeBenchAudience } from './support.js';

/** Run the splitter benchmark and print its figures. */
export async function benchSplitter(rows = 1_000_000): Promise<Record<string, unknown>> {
  const { cfg, env } = await prepare({});
  const audience = await writeBenchAudience(rows);
  const splitter = await spawnWorker(['splitter'], env);
  const sink = await spawnWorker(['event-sink'], env);
  const rt = await connectRuntime(cfg, 'bench');
  const ch = createClickhouse(cfg);
  try {
    const jobs = await createJobProducer(rt.producer, rt.registry, rt.topicPrefix);
    const started = Date.now();
    const { jobId } = await jobs.sendBulk({ content: { subject: 's', from: 'a@shop.example', html: '<p>Hi {{ first_name }}</p>' }, audience: { format: 'csv', uri: audience }, payloadSize: 100 });
    let peak = 0;
    for (;;) {
      peak = Math.max(peak, peakRssMb(splitter.proc.pid!));
      const c = await jobCounts(ch, jobId);
      if (c.recipients != null) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const seconds = (Date.now() - started) / 1000;
    const result = { rows, seconds: +seconds.toFixed(1), rowsPerSec: Math.round(rows / seconds), splitterPeakRssMb: peakRssMb(splitter.proc.pid!) };
    console.log(JSON.stringify(result, null, 2));
    return result;
  } finally {
    await ch.close(); await rt.close();
    splitter.proc.kill('SIGTERM'); sink.proc.kill('SIGTERM');
  }
}
