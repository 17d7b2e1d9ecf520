/**
 * `npm run bench -- tracker [N]`: click redirects per second at concurrency 100 and their latency (p50, p99), against
 * `mailstream tracker` in its own process, once with Kafka up and once with the broker unreachable (a closed local
 * port), when every click goes to the spool only. Figures are printed beside each other.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { signToken } from '../src/render/tracking.js';
import { prepare } from './support.js';
import { closedPort } from '../test/support/ports.js';

const ROOT = join(import.meta.dirname, '..');

/** Start `mailstream tracker` with `env`; resolves with its URL once it listens. */
async function spawnTracker(env: Record<string, string>): Promise<{ url: string; proc: ChildProcess }> {
  const proc = spawn(process.execPath, [join(ROOT, 'bin/mailstream.js'), 'tracker'], { cwd: ROOT, env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    proc.stdout!.on('data', (d) => { out += d; const m = /tracker listening on (\S+)/.exec(out); if (m) resolve(m[1]!); });
    proc.once('exit', (code) => reject(new Error(`tracker exited ${code}: ${out}`)));
  });
  return { url, proc };
}

/** `total` GETs of click URLs, `concurrency` at a time over keep-alive sockets; per-request latency in ms. */
async function load(url: string, tokens: string[], total: number, concurrency: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const target = new URL(url);
  const lat: number[] = [];
  let next = 0; let errors = 0;
  const one = (path: string) => new Promise<void>((resolve) => {
    const t0 = performance.now();
    const req = request({ host: target.hostname, port: target.port, path, agent }, (res) => {
      if (res.statusCode !== 302) errors++;
      res.resume();
      res.on('end', () => { lat.push(performance.now() - t0); resolve(); });
    });
    req.on('error', () => { errors++; resolve(); });
    req.end();
  });
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < total) { const i = next++; await one(`/c/${tokens[i % tokens.length]}`); }
  }));
  const secs = (performance.now() - started) / 1000;
  agent.destroy();
  lat.sort((a, b) => a - b);
  const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]!;
  return { rps: total / secs, p50: q(0.5), p99: q(0.99), errors };
}

/** Run the benchmark with `total` clicks per phase (default 20,000). */
export async function benchTracker(total = 20_000): Promise<void> {
  const spool = mkdtempSync(join(tmpdir(), 'mailstream-bench-spool-'));
  const { cfg, env } = await prepare({ TRACKER_PORT: '0', SPOOL_DIR: spool });
  const job = `bench${randomBytes(4).toString('hex')}`;
  const s = Math.floor(Date.now() / 1000);
  const tokens = Array.from({ length: 1000 }, (_, i) =>
    signToken({ k: 'c', m: `${job}.${i + 1}`, j: job, t: 'bench', s, i: 0, u: `https://shop.example/p/${i}` }, cfg.trackingSecret));
  const phases = [
    ['Kafka up', env],
    ['Kafka stopped', { ...env, KAFKA_BROKERS: `127.0.0.1:${await closedPort()}`, TOPIC_PREFIX: `${env.TOPIC_PREFIX}down.` }],
  ] as const;
  const rows: Array<[string, Awaited<ReturnType<typeof load>>]> = [];
  for (const [name, e] of phases) {
    const t = await spawnTracker(e);
    await load(t.url, tokens, 2000, 100); // warm-up: JIT, sockets, the producer's first connection
    rows.push([name, await load(t.url, tokens, total, 100)]);
    t.proc.kill('SIGTERM');
    await new Promise((r) => t.proc.once('exit', r));
  }
  rmSync(spool, { recursive: true, force: true });
  console.log(`\ntracker click redirects, ${total} per phase, concurrency 100 (keep-alive), tracker in its own process`);
  console.log(`${''.padEnd(16)}${rows.map(([n]) => n.padStart(16)).join('')}`);
  console.log(`${'redirects/s'.padEnd(16)}${rows.map(([, r]) => r.rps.toFixed(0).padStart(16)).join('')}`);
  console.log(`${'p50 ms'.padEnd(16)}${rows.map(([, r]) => r.p50.toFixed(2).padStart(16)).join('')}`);
  console.log(`${'p99 ms'.padEnd(16)}${rows.map(([, r]) => r.p99.toFixed(2).padStart(16)).join('')}`);
  console.log(`${'errors'.padEnd(16)}${rows.map(([, r]) => String(r.errors).padStart(16)).join('')}`);
}
