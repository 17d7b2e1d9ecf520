/**
 * `npm run bench -- analytics [N]`: the event sink's insert rate (events/s from `events` into ClickHouse, rollups and
 * SLO views included) over N pre-produced events, and the cost of tracing: one job end to end with tracing off, then
 * on (spans to a local OTLP receiver), in one run.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { spawnSync, type ChildProcess } from 'node:child_process';
import type { Event } from '../src/generated/types.js';
import { createClickhouse } from '../src/clickhouse/client.js';
import { jobCounts, quote } from '../src/clickhouse/queries.js';
import { createCodec } from '../src/lib/codec.js';
import { makeEvent } from '../src/schemas/events.js';
import { connectRuntime } from '../src/runtime.js';
import { topic } from '../src/topics/runtime.js';
import { startSmtpSink } from '../test/support/smtp-sink.js';
import { loadConfig } from '../src/config/index.js';
import { topicsApply } from '../src/cli/commands/topics.js';
import { migrate } from '../src/clickhouse/migrate.js';
import { spawnWorker, writeBenchAudience } from './support.js';

/** A fresh topic prefix on the running stack (this benchmark never starts one: run it beside `npm start`). */
async function prepare(extra: Record<string, string>) {
  const env = { TOPIC_PREFIX: `bench${randomBytes(3).toString('hex')}.`, HTTP_PORT: '0', LOG_LEVEL: 'warn', ...extra };
  const cfg = loadConfig({ ...process.env, ...env });
  await topicsApply(cfg);
  await migrate(cfg);
  return { cfg, env };
}

const ROOT = join(import.meta.dirname, '..');
const stop = async (p: ChildProcess) => { const exited = new Promise((r) => p.once('exit', r)); p.kill('SIGTERM'); await exited; };
const poll = async (what: () => Promise<boolean>) => { while (!(await what())) await new Promise((r) => setTimeout(r, 200)); };

/** Events per second the event sink inserts. */
async function sinkRate(n: number): Promise<{ n: number; perSecond: number; seconds: number }> {
  const { cfg, env } = await prepare({});
  const rt = await connectRuntime(cfg, 'bench');
  const t = topic(rt.topicPrefix, 'events');
  const codec = await createCodec<Event>(rt.registry, t);
  const jobs = Array.from({ length: 64 }, () => `bench-${randomUUID()}`);
  // a delivery's life: injected, deferred once in ten, delivered (with latency), spread over 64 jobs and 50 domains
  for (let i = 0; i < n; i += 5000) {
    const batch: Event[] = [];
    for (let k = i; k < Math.min(n, i + 5000); k++) {
      const jobId = jobs[k % jobs.length]!;
      const type = k % 3 === 0 ? 'injected' : k % 10 === 1 ? 'deferred' : 'delivered';
      batch.push(makeEvent(type, { jobId, messageId: `${jobId}.${k}`, tenant: 'bench', campaignId: 'c', recipient: `r${k}@b${k % 50}.example`,
        domain: `b${k % 50}.example`, kind: 'bulk', attempt: 1, latencyMs: type === 'delivered' ? 1000 + (k % 5000) : null }));
    }
    await rt.producer.send({ topic: t.name, acks: -1, messages: batch.map((e) => ({ key: e.jobId, value: codec.encode(e) })) });
  }
  const ch = createClickhouse(cfg);
  const count = async () => Number((await (await ch.query({
    query: `SELECT count() AS n FROM events WHERE job_id IN (${jobs.map(quote).join(', ')})`, format: 'JSONEachRow',
  })).json<{ n: string }>())[0]!.n);
  const worker = await spawnWorker(['event-sink'], env);
  const started = Date.now();
  await poll(async () => (await count()) >= n);
  const seconds = (Date.now() - started) / 1000;
  await stop(worker.proc);
  await ch.close(); await rt.close();
  return { n, perSecond: Math.round(n / seconds), seconds };
}

/** One job of `n` recipients end to end, msg/s, with or without tracing; the spans an OTLP receiver got. */
async function endToEnd(n: number, audience: string, tracing: boolean): Promise<{ perSecond: number; spans: number }> {
  let spans = 0;
  const otlp = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => { spans += (body.match(/"spanId"/g) ?? []).length; res.end('{}'); });
  });
  await new Promise<void>((r) => otlp.listen(0, '127.0.0.1', r));
  const sink = await startSmtpSink();
  const endpoint = `http://127.0.0.1:${(otlp.address() as AddressInfo).port}`;
  const otel: Record<string, string> = tracing ? { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_BSP_MAX_QUEUE_SIZE: '65536' } : {};
  const { cfg, env } = await prepare({ SMTP_RELAY_PORT: String(sink.port), ...otel });
  const worker = await spawnWorker(['all'], env);
  const ch = createClickhouse(cfg);
  const sent = spawnSync(process.execPath, [join(ROOT, 'bin/mailstream.js'), 'send', '--template', join(ROOT, 'test/fixtures/welcome.mjml'),
    '--audience', audience, '--from', 'news@shop.example', '--subject', 'Hi'], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8' });
  const jobId = sent.stdout.trim();
  await poll(async () => (await jobCounts(ch, jobId)).done);
  // from the job's acceptance to its last SMTP 250, as ClickHouse recorded them: process start-up left out
  const [span] = await (await ch.query({
    query: `SELECT minIf(ts_ms, type = 'job_accepted') AS a, maxIf(ts_ms, type = 'delivered') AS b FROM events WHERE job_id = ${quote(jobId)}`,
    format: 'JSONEachRow',
  })).json<{ a: string; b: string }>();
  const perSecond = Math.round(n / ((Number(span!.b) - Number(span!.a)) / 1000));
  await stop(worker.proc);
  await ch.close(); await sink.close(); otlp.close();
  return { perSecond, spans };
}

/** Run both and print the figures. */
export async function benchAnalytics(n = 200_000): Promise<void> {
  const sink = await sinkRate(n);
  // the rollup and SLO views are part of every insert; the raw table alone is not measured (the views are shared)
  console.log(`event sink: ${sink.n} events into ClickHouse (events + rollup + SLO views) in ${sink.seconds.toFixed(1)} s: ${sink.perSecond} events/s`);
  const m = Math.max(1000, Math.round(n / 20));
  const audience = await writeBenchAudience(m);
  // alternated, twice each, so warm-up and the neighbours' load fall on both sides; the best of each is printed
  const runs: Record<'off' | 'on', number[]> = { off: [], on: [] };
  let spans = 0;
  for (const tracing of [false, true, false, true]) {
    const r = await endToEnd(m, audience, tracing);
    runs[tracing ? 'on' : 'off'].push(r.perSecond);
    spans = Math.max(spans, r.spans);
  }
  const best = (xs: number[]) => Math.max(...xs);
  const [off, on] = [best(runs.off), best(runs.on)];
  console.log(`tracing: ${m} recipients, job accepted → last SMTP 250, best of two: off ${off} msg/s (${runs.off.join(', ')}),`
    + ` on ${on} msg/s (${runs.on.join(', ')}): ${(((off - on) / off) * 100).toFixed(1)}% slower, ${spans} spans exported`);
}
