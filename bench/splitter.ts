/**
 * Splitter memory benchmark: one CSV job of N rows (default 1,000,000) through a splitter worker alone; prints rows/s,
 * peak RSS (VmHWM) and the resident set sampled during the split, so growth with rows shows. The split's end and count
 * come from the worker's `job split` log line, not from ClickHouse, so no event sink has to keep up.
 * SPLITTER_AUDIENCE=<csv> uses that file; else an N-row file is written under BENCH_TMP (default the OS temp dir) and
 * deleted afterwards. SPLITTER_NODE_OPTIONS=<V8 flags> runs the worker with them (e.g. --max-semi-space-size=4).
 * The stack must be running (never started here); the run's topics are dropped at the end.
 */
import { createWriteStream, readFileSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createJobProducer } from '../src/producers/jobs.js';
import { connectRuntime } from '../src/runtime.js';
import { dropTopics, prepareOnRunningStack } from './running-stack.js';
import { spawnWorker } from './support.js';

/** Write an N-row CSV audience (the same 10 flat columns as the other benchmarks) to `path`. */
async function writeCsv(rows: number, path: string): Promise<void> {
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  out.write('email,first_name,last_name,city,tier,points,last_product,product_url,coupon,lang\n');
  let chunk = '';
  for (let i = 0; i < rows; i++) {
    chunk += `user${i}@bench${i % 50}.example,First${i},Last${i},City${i % 97},${['gold', 'silver', 'bronze'][i % 3]},${i % 5000},`
      + `Widget ${i % 40},https://shop.example/p/${i % 40},SAVE${i % 1000},en\n`;
    if (chunk.length > 1 << 20) { if (!out.write(chunk)) await once(out, 'drain'); chunk = ''; }
  }
  out.end(chunk);
  await once(out, 'finish');
}

/** Resident set now and at its peak (VmRSS, VmHWM) of a live process, in MiB. */
function rssOf(pid: number): { rss: number; hwm: number } {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)?.[1] ?? 0);
    return { rss: Math.round(kb('VmRSS') / 1024), hwm: Math.round(kb('VmHWM') / 1024) };
  } catch { return { rss: -1, hwm: -1 }; }
}

/** Run the splitter benchmark and print its figures. */
export async function benchSplitter(rows = 1_000_000): Promise<Record<string, unknown>> {
  const given = process.env.SPLITTER_AUDIENCE;
  const audience = given ?? join(process.env.BENCH_TMP ?? tmpdir(), `mailstream-audience-${rows}-${process.pid}.csv`);
  if (!given) await writeCsv(rows, audience);
  const { cfg, env } = await prepareOnRunningStack({});
  const flags = process.env.SPLITTER_NODE_OPTIONS;
  const splitter = await spawnWorker(['splitter'],
    flags ? { ...env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} ${flags}`.trim() } : env);
  const rt = await connectRuntime(cfg, 'bench');
  let done: { recipients: number; invalid: number; payloads: number; ms: number } | undefined;
  let jobId = '';
  let tail = '';
  splitter.proc.stdout!.on('data', (d: Buffer) => {
    const lines = (tail + d.toString('utf8')).split('\n');
    tail = lines.pop() ?? '';
    for (const l of lines) if (l.includes('"job split"') && jobId && l.includes(jobId)) done = JSON.parse(l);
  });
  try {
    const jobs = await createJobProducer(rt.producer, rt.registry, rt.topicPrefix);
    const pid = splitter.proc.pid!;
    const idle = rssOf(pid);
    const started = Date.now();
    ({ jobId } = await jobs.sendBulk({ content: { subject: 's', from: 'a@shop.example', html: '<p>Hi {{ first_name }}</p>' },
      audience: { format: 'csv', uri: audience }, payloadSize: 100 }));
    const samples: Array<[number, number]> = [];
    let next = 0;
    while (!done) {
      const { rss } = rssOf(pid);
      const s = (Date.now() - started) / 1000;
      if (s >= next) { samples.push([Math.round(s), rss]); next += 10; }
      if (splitter.proc.exitCode != null) throw new Error(`splitter exited ${splitter.proc.exitCode}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const seconds = done.ms / 1000;
    const result = { nodeOptions: flags ?? null, rows: done.recipients + done.invalid, seconds: +seconds.toFixed(1),
      rowsPerSec: Math.round(done.recipients / seconds),
      payloads: done.payloads, idleRssMb: idle.rss, splitterPeakRssMb: rssOf(pid).hwm, rssSamplesMb: samples };
    console.log(JSON.stringify(result));
    return result;
  } finally {
    await rt.close();
    splitter.proc.kill('SIGTERM');
    await once(splitter.proc, 'exit').catch(() => undefined);
    await dropTopics(cfg).catch((err: Error) => console.error(`could not drop the bench topics: ${err.message}`));
    if (!given) rmSync(audience, { force: true });
  }
}
