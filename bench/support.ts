/** Shared benchmark plumbing: an isolated pipeline, worker processes, audiences, per-stage rates, peak RSS. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import type { ClickHouseClient } from '@clickhouse/client';
import { ensureStack, stackStatus } from '../infra/local/stack.js';
import { loadConfig, type Config } from '../src/config/index.js';
import { topicsApply } from '../src/cli/commands/topics.js';
import { migrate } from '../src/clickhouse/migrate.js';
import { GLOBAL } from './render.js';

const ROOT = join(import.meta.dirname, '..');

/** Bring the stack up and apply a fresh topic prefix; returns the config and env for workers. */
export async function prepare(extra: Record<string, string>): Promise<{ cfg: Config; env: Record<string, string> }> {
  // BENCH_SHARED_STACK=1: the stack is someone else's (a shared machine); use it as it is, never start it
  if (!process.env.BENCH_SHARED_STACK) await ensureStack();
  const env = { TOPIC_PREFIX: `bench${randomBytes(3).toString('hex')}.`, HTTP_PORT: '0', LOG_LEVEL: 'warn', ...extra };
  const cfg = loadConfig({ ...process.env, ...env });
  // a broker still propagating the metadata of topics just created answers UNKNOWN_TOPIC_OR_PARTITION for a moment
  for (let n = 1; ; n++) {
    try { await topicsApply(cfg); break; } catch (err) {
      if (n >= 3 || !(err as { retriable?: boolean }).retriable) throw err;
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
  await migrate(cfg);
  return { cfg, env };
}

/** Spawn `mailstream worker <stages>` and wait until it runs. */
export async function spawnWorker(stages: string[], env: Record<string, string>, args: string[] = []): Promise<{ name: string; proc: ChildProcess }> {
  mkdirSync(join(ROOT, '.data', 'bench'), { recursive: true });
  // BENCH_PROFILE=1 writes each worker's V8 CPU profile to .data/bench/profiles/ (open in Chrome DevTools)
  const prof = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${join(ROOT, '.data', 'bench', 'profiles')}`] : [];
  const proc = spawn(process.execPath, [...prof, join(ROOT, 'bin/mailstream.js'), 'worker', ...stages, ...args], { cwd: ROOT, env: { ...process.env, ...env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'inherit'] });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    proc.stdout!.on('data', (d) => { if (log.length < 1e5) { log += d; if (/"worker running"/.test(log)) resolve(); } });
    proc.once('exit', (code) => reject(new Error(`worker ${stages.join('+')} exited ${code}: ${log.slice(-2000)}`)));
  });
  proc.stdout!.pipe(createWriteStream(join(ROOT, '.data', 'bench', `${[...stages, ...args].join('+').replace(/[^\w+.-]/g, '')}.log`)));
  return { name: [...stages, ...args].join('+'), proc };
}

/** Write an N-row audience: CSV with 10 flat columns, or JSONL with the nested fields the marketing template reads. */
export async function writeBenchAudience(rows: number, format: 'csv' | 'jsonl' = 'csv'): Promise<string> {
  const dir = join(ROOT, '.data', 'bench');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `audience-${rows}.${format}`);
  const out = createWriteStream(path);
  if (format === 'csv') out.write('email,first_name,last_name,city,tier,points,last_product,product_url,coupon,lang\n');
  for (let i = 0; i < rows; i++) {
    const line = format === 'csv'
      ? `user${i}@bench${i % 50}.example,First${i},Last${i},City${i % 97},${['gold', 'silver', 'bronze'][i % 3]},${i % 5000},Widget ${i % 40},https://shop.example/p/${i % 40},SAVE${i % 1000},en\n`
      : `${JSON.stringify({ email: `user${i}@bench${i % 50}.example`, firstName: `Alex${i}`, code: `SPRING${i}`, userId: `u${i}`, viewId: `v${i}`, loyalty: { points: i % 3 } })}\n`;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return path;
}

/** Per-stage throughput from event timestamps: splitter (injected) and sender (delivered), msg/s. */
export async function stageRates(ch: ClickHouseClient, jobId: string): Promise<{ splitter: number; sender: number }> {
  const rs = await ch.query({ query: `SELECT type, count() AS n, (max(ts_ms) - min(ts_ms)) / 1000 AS s FROM events WHERE job_id = '${jobId}' AND type IN ('injected', 'delivered') GROUP BY type`, format: 'JSONEachRow' });
  const rows = await rs.json<{ type: string; n: string; s: number }>();
  const rate = (t: string) => { const r = rows.find((x) => x.type === t); return r ? Math.round(Number(r.n) / Math.max(0.001, Number(r.s))) : 0; };
  return { splitter: rate('injected'), sender: rate('delivered') };
}

const TICK_MS = 1000 / (Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100);

/** CPU time (user + system) a live process has used so far, in ms, from /proc/<pid>/stat; -1 once it is gone. */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after the command name (which may hold spaces): utime and stime are the 14th and 15th fields
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_MS;
  } catch { return -1; }
}

/** CPU time of the whole machine so far (every core, every process), busy and in all, in ms, from /proc/stat. */
export function machineCpuMs(): { busy: number; total: number } {
  // cpu  user nice system idle iowait irq softirq steal ...: idle and iowait are the not-busy part
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: (total - f[3]! - f[4]!) * TICK_MS, total: total * TICK_MS };
}

/** The machine's busy CPU (ms) since `from` (a `machineCpuMs` reading), and the share of the cores left idle (%). */
export function machineSince(from: { busy: number; total: number }): { busyMs: number; idlePct: number } {
  const now = machineCpuMs();
  const busyMs = now.busy - from.busy;
  return { busyMs, idlePct: Math.round(100 * (1 - busyMs / Math.max(1, now.total - from.total))) };
}

/** The local stack's processes a benchmark leans on (MailDev aside), as [name, pid], then `extra`. */
export async function stackProcesses(...extra: Array<[string, number]>): Promise<Array<[string, number]>> {
  const up = (await stackStatus()).filter((c) => c.pid && c.name !== 'maildev');
  return [...up.map((c) => [c.name, c.pid!] as [string, number]), ...extra];
}

/** Peak resident set of a live process (VmHWM), in MiB. */
export function peakRssMb(pid: number): number {
  try { return Math.round(Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024); }
  catch { return -1; }
}

/** The bulk request both end-to-end benchmarks send: the marketing MJML template, ~10 substitutions, open and click tracking. */
export function marketingJob(audience: string): Record<string, unknown> {
  const mjml = readFileSync(join(import.meta.dirname, 'fixtures/marketing.mjml'), 'utf8');
  return {
    content: { subject: '{{ firstName }}, {{ discount }}% off ends {{ saleEnds }}', from: 'Northwind <news@shop.example>', mjml },
    audience: { format: 'jsonl', uri: audience }, payloadSize: 100, globalData: GLOBAL,
    options: { openTracking: true, clickTracking: true },
  };
}
