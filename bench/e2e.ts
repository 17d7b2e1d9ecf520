/**
 * End-to-end benchmark: one bulk job (default 100,000 recipients, a realistic MJML template with ~10
 * substitutions, open and click tracking) through every stage on the local stack into Postfix's smtp-sink,
 * measured from job accepted to SMTP 250 to counted in ClickHouse; with the smtp-source baseline on the same
 * sink in the same run. `npm run bench` runs it with DKIM off and with Ed25519 DKIM on and prints one table.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClickhouse } from '../src/clickhouse/client.js';
import { finalRows, jobCounts } from '../src/clickhouse/queries.js';
import { createJobProducer } from '../src/producers/jobs.js';
import { connectRuntime } from '../src/runtime.js';
import { topic } from '../src/topics/runtime.js';
import { startPostfixSink, runSmtpSource } from './postfix.js';
import { cpuMs, machineCpuMs, machineSince, marketingJob, writeBenchAudience, peakRssMb, prepare, spawnWorker,
  stackProcesses, stageRates }
  from './support.js';

/** Figures of one end-to-end run. */
export type E2EResult = {
  recipients: number; delivered: number; seconds: number; endToEndMsgPerSec: number;
  stageMsgPerSec: { splitter: number; renderer: number; sender: number };
  latencyMs: { p50: number; p99: number };
  /** Per worker process (named by its stages), and summed over all of them. */
  cpuMsPerDelivered: Record<string, number>; peakRssMb: Record<string, number>;
  /** The same for what the workers lean on (broker, registry, ClickHouse, smtp-sink) and this harness. */
  otherCpuMsPerDelivered: Record<string, number>;
  /** Every process on the machine, busy CPU per delivered message, and the share of the cores left idle. */
  machine: { cpuMsPerDelivered: number; idlePct: number };
  smtpSourceMsgPerSec: number; audienceBytes: number;
};

/** Run the end-to-end benchmark once and print its figures; `extra` is more worker environment (e.g. ENCRYPTION). */
export async function benchE2E(recipients = 100000, extra: Record<string, string> = {}): Promise<E2EResult> {
  const port = 2525;
  const sink = await startPostfixSink(port);
  const { cfg, env } = await prepare({ SMTP_RELAY_PORT: String(port), SMTP_MAX_CONNECTIONS: '16', SENDER_CONCURRENCY: '256', ...extra });
  const workers = [
    await spawnWorker(['splitter', 'event-sink'], env), await spawnWorker(['renderer'], env), await spawnWorker(['sender'], env),
  ];
  const audience = await writeBenchAudience(recipients, 'jsonl');
  const rt = await connectRuntime(cfg, 'bench');
  const ch = createClickhouse(cfg);
  const admin = rt.kafka.admin();
  await admin.connect();
  try {
    const jobs = await createJobProducer(rt.producer, rt.registry, rt.topicPrefix, rt.crypto);
    const others = await stackProcesses(['smtp-sink', sink.pid!], ['bench harness', process.pid]);
    const cpu0 = workers.map((w) => cpuMs(w.proc.pid!));
    const other0 = others.map(([, pid]) => cpuMs(pid));
    const machine0 = machineCpuMs();
    const started = Date.now();
    const { jobId } = await jobs.sendBulk(marketingJob(audience));
    // the renderer's rate: from its first record on `rendered` to its N-th (the topic of this fresh prefix holds only this job)
    const rendered = topic(rt.topicPrefix, 'rendered').name;
    let firstRendered = 0;
    let lastRendered = 0;
    let counts = await jobCounts(ch, jobId);
    // the benchmark is only meaningful when the mail is actually delivered
    while (!counts.done) {
      await new Promise((r) => setTimeout(r, 250));
      if (!lastRendered) {
        const n = (await admin.fetchTopicOffsets(rendered)).reduce((s, p) => s + Number(p.high), 0);
        if (n > 0 && !firstRendered) firstRendered = Date.now();
        if (n >= recipients) lastRendered = Date.now();
      }
      // jobCounts' uniqExact over the job's events cost ClickHouse ~20% of a core at 4 polls a second: it runs only
      // once a plain count of final events (duplicates included) says the job may be done
      if (await finalRows(ch, jobId) >= recipients) counts = await jobCounts(ch, jobId);
      if (Date.now() - started > 30 * 60000) throw new Error('bench job did not finish in 30 minutes');
    }
    const seconds = (Date.now() - started) / 1000;
    const delivered = counts.byType.delivered ?? 0;
    if (delivered < recipients) console.error(`WARNING: only ${delivered} of ${recipients} delivered: ${JSON.stringify(counts.byType)}`);
    const cpu = workers.map((w, i) => (cpuMs(w.proc.pid!) - cpu0[i]!) / Math.max(1, delivered));
    const other = others.map(([, pid], i) => (cpuMs(pid) - other0[i]!) / Math.max(1, delivered));
    const machine = machineSince(machine0);
    const lat = await (await ch.query({ query: `SELECT quantilesExact(0.5, 0.99)(latency_ms) AS q FROM events WHERE job_id = '${jobId}' AND type = 'delivered'`, format: 'JSONEachRow' })).json<{ q: number[] }>();
    const rates = await stageRates(ch, jobId);
    const renderer = lastRendered ? Math.round(recipients / Math.max(0.25, (lastRendered - firstRendered) / 1000)) : 0;
    const sourceRate = runSmtpSource(port, 20000, 16, 4000);
    const result: E2EResult = {
      recipients, delivered, seconds: +seconds.toFixed(1), endToEndMsgPerSec: Math.round(delivered / seconds),
      stageMsgPerSec: { splitter: rates.splitter, renderer, sender: rates.sender },
      latencyMs: { p50: Number(lat[0]?.q[0]), p99: Number(lat[0]?.q[1]) },
      cpuMsPerDelivered: { ...Object.fromEntries(workers.map((w, i) => [w.name, +cpu[i]!.toFixed(3)])), total: +cpu.reduce((s, x) => s + x, 0).toFixed(3) },
      peakRssMb: Object.fromEntries(workers.map((w) => [w.name, peakRssMb(w.proc.pid!)])),
      otherCpuMsPerDelivered: Object.fromEntries(others.map(([name], i) => [name, +other[i]!.toFixed(3)])),
      machine: { cpuMsPerDelivered: +(machine.busyMs / Math.max(1, delivered)).toFixed(3), idlePct: machine.idlePct },
      smtpSourceMsgPerSec: Math.round(sourceRate), audienceBytes: statSync(audience).size,
    };
    console.error(JSON.stringify({ env: extra, ...result }));
    return result;
  } finally {
    await admin.disconnect();
    await ch.close(); await rt.close();
    for (const w of workers) w.proc.kill('SIGTERM');
    sink.kill();
  }
}

/** An Ed25519 DKIM key for the benchmark's From domain, as a DKIM_KEYS entry. */
function ed25519Key(): string {
  const dir = join(import.meta.dirname, '..', '.data', 'bench');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'dkim-ed25519.pem');
  writeFileSync(path, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }));
  return `shop.example:bench:ed25519:${path}`;
}

/** `npm run bench`: DKIM off, then Ed25519 DKIM on; one table of both runs with their same-run smtp-source ratios. */
export async function benchE2EReport(recipients = 100000): Promise<void> {
  const runs: Array<[string, E2EResult]> = [
    ['dkim off', await benchE2E(recipients)],
    ['dkim ed25519', await benchE2E(recipients, { DKIM_KEYS: ed25519Key() })],
  ];
  console.log(formatTable(recipients, runs));
}

/** One row per figure, one column per run; every rate also as a ratio of that run's smtp-source rate. */
export function formatTable(recipients: number, runs: Array<[string, E2EResult]>): string {
  const rows: string[][] = [];
  const add = (label: string, f: (r: E2EResult) => string) => rows.push([label, ...runs.map(([, r]) => f(r))]);
  const rate = (v: number, r: E2EResult) => `${v} (${(v / r.smtpSourceMsgPerSec).toFixed(2)}x)`;
  add('smtp-source msg/s (baseline)', (r) => String(r.smtpSourceMsgPerSec));
  add('end to end msg/s (x smtp-source)', (r) => rate(r.endToEndMsgPerSec, r));
  for (const s of ['splitter', 'renderer', 'sender'] as const) add(`  ${s} stage msg/s`, (r) => rate(r.stageMsgPerSec[s], r));
  add('delivered / seconds', (r) => `${r.delivered} / ${r.seconds}`);
  add('latency p50 / p99 ms', (r) => `${r.latencyMs.p50} / ${r.latencyMs.p99}`);
  for (const p of Object.keys(runs[0]![1].cpuMsPerDelivered)) add(`CPU ms/delivered ${p}`, (r) => String(r.cpuMsPerDelivered[p]));
  for (const p of Object.keys(runs[0]![1].otherCpuMsPerDelivered)) {
    add(`CPU ms/delivered ${p}`, (r) => String(r.otherCpuMsPerDelivered[p]));
  }
  add('CPU ms/delivered, whole machine', (r) => String(r.machine.cpuMsPerDelivered));
  add('machine idle during the job', (r) => `${r.machine.idlePct}%`);
  for (const p of Object.keys(runs[0]![1].peakRssMb)) add(`peak RSS MB ${p}`, (r) => String(r.peakRssMb[p]));
  const widths = [0, ...runs.map((_, i) => i + 1)].map((c) => Math.max(...[['', ...runs.map(([n]) => n)], ...rows].map((r) => r[c]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i ? c.padStart(widths[i]!) : c.padEnd(widths[0]!))).join('  ');
  return [`end to end, ${recipients} recipients, marketing MJML, open+click tracking, into smtp-sink`,
    line(['', ...runs.map(([n]) => n)]), ...rows.map(line)].join('\n');
}
