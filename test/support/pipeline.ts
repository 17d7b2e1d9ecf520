/** Helpers for integration tests: an isolated topic prefix per test, worker processes, a job's counts. */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rotateKekFile } from '../../src/lib/key-provider.js';
import { logDir, noteSecret } from './log-scan.js';
import { loadConfig, type Config } from '../../src/config/index.js';
import { topicsApply } from '../../src/cli/commands/topics.js';
import { migrate } from '../../src/clickhouse/migrate.js';
import { createClickhouse } from '../../src/clickhouse/client.js';
import { jobCounts, type JobCounts } from '../../src/clickhouse/queries.js';
import { waitFor } from './wait.js';

const ROOT = join(import.meta.dirname, '../..');

/** A new KEK file of one key in a temporary folder (tests never touch the stack's own key file). */
export function tempKekFile(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'kek-')), 'kek.json');
  rotateKekFile(path);
  for (const k of JSON.parse(readFileSync(path, 'utf8')).keys as Array<{ key: string }>) noteSecret(k.key);
  return path;
}

/** A fresh topic prefix with every topic applied (and migrations), its own KEK file, and the env that points workers at it. */
export async function isolatedPipeline(env: Record<string, string> = {}): Promise<{ cfg: Config; env: Record<string, string> }> {
  const all = { TOPIC_PREFIX: `t${randomBytes(4).toString('hex')}.`, HTTP_PORT: '0', LOG_LEVEL: 'warn', KEK_FILE: tempKekFile(), ...env };
  const cfg = loadConfig({ ...process.env, ...all });
  await topicsApply(cfg);
  await migrate(cfg);
  return { cfg, env: all };
}

/** Run `mailstream <args>` to completion; resolves with stdout. */
export function cli(args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [join(ROOT, 'bin/mailstream.js'), ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    let out = ''; let err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`mailstream ${args.join(' ')} exited ${code}: ${err}`))));
  });
}

/** A worker process and the port of its /healthz, /readyz and /metrics server. */
export type Worker = ChildProcess & { port: number };

/** Start `mailstream worker <stages>`; resolves once it logs that it runs. */
export async function startWorker(stages: string[], env: Record<string, string>): Promise<Worker> {
  const p = spawn(process.execPath, [join(ROOT, 'bin/mailstream.js'), 'worker', ...stages], { cwd: ROOT, env: { ...process.env, ...env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'inherit'] });
  let log = '';
  p.stdout!.on('data', (d) => { log += d; if (log.length > 1e6) log = log.slice(-1e5); });
  // the suite keeps every worker's log for the secrets scan (scripts/test.ts)
  const dir = logDir();
  if (dir) p.stdout!.pipe(createWriteStream(join(dir, `worker-${env.TOPIC_PREFIX ?? ''}${Date.now()}-${p.pid}.log`)));
  try {
    await waitFor(`worker ${stages.join(' ')} to start`, () => {
      if (p.exitCode != null) throw new Error(`worker exited ${p.exitCode}: ${log.slice(-2000)}`);
      return /"worker running"/.test(log);
    }, 60000);
  } catch (err) {
    // a worker that did not start is nobody's to stop: it would keep the test process alive
    if (p.exitCode === null) p.kill('SIGKILL');
    throw err;
  }
  const port = Number(/"worker running"/.test(log) && /"port":(\d+)[^\n]*"worker running"/.exec(log)?.[1]);
  return Object.assign(p, { port });
}

/** One sample of a worker's Prometheus metric (summed over series whose labels include `labels`). */
export async function metric(worker: Worker, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${worker.port}/metrics`)).text();
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  return text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .filter((l) => want.every((w) => l.includes(w)))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

/** Stop a worker with `signal` and wait for it to exit. */
export async function stopWorker(p: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (p.exitCode != null || p.signalCode != null) return;
  const exited = new Promise<void>((r) => p.once('exit', () => r()));
  p.kill(signal);
  await exited;
}

/** Wait until ClickHouse says every recipient of `jobId` reached a final state. */
export async function waitForJobDone(cfg: Config, jobId: string, timeoutMs = 120000): Promise<JobCounts> {
  const ch = createClickhouse(cfg);
  try { return await waitFor(`job ${jobId} to finish`, async () => { const c = await jobCounts(ch, jobId); return c.done && c; }, timeoutMs, 500); }
  finally { await ch.close(); }
}
