/**
 * Sender memory benchmark: N messages (default 1,000,000) over 5,000 domains, each with its own MX host, sent
 * direct into Postfix's smtp-sink. The domains come in 25 waves of 200, so earlier destinations go idle and must be
 * evicted. Prints the sender's resident set at each quarter of the run and its peak: flat means per-destination
 * state is bounded by the active destinations, not by how many the run has seen.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClickhouse } from '../src/clickhouse/client.js';
import { startDns, type Zone } from '../test/support/dns.js';
import { startPostfixSink } from './postfix.js';
import { delivered, prefill } from './send.js';
import { peakRssMb, prepare, spawnWorker } from './support.js';

const DOMAINS = 5000;
const WAVES = 25;
const SIZE = 600;

function rssMb(pid: number): number {
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024);
}

/** Run the benchmark and print its figures. */
export async function benchSenderMemory(n = 1_000_000): Promise<Record<string, unknown>> {
  const perWave = DOMAINS / WAVES;
  const domainOf = (row: number) => `mem${Math.floor((row * WAVES) / n) * perWave + (row % perWave)}.example`;
  const zones: Record<string, Zone> = {};
  for (let d = 0; d < DOMAINS; d++) {
    zones[`mem${d}.example`] = { mx: [{ exchange: `mx.mem${d}.example`, priority: 10 }], ttl: 3600 };
    zones[`mx.mem${d}.example`] = { a: ['127.0.0.1'], ttl: 3600 };
  }
  const port = 2527;
  const sink = await startPostfixSink(port);
  const dns = await startDns({ zones });
  const dir = join(import.meta.dirname, '..', '.data', 'bench');
  mkdirSync(dir, { recursive: true });
  const shaping = join(dir, 'memory-shaping.yaml');
  writeFileSync(shaping, [
    'defaults: { max_connections: 1, max_messages_per_connection: 1000, max_message_rate: "50000/s",'
      + ' retry_schedule: { initial: 1s, multiplier: 1, max: 1s }, max_age: 30m, require_tls: false }',
    'bindings: [{ name: loopback, source: 127.0.0.1, ehlo: localhost }]',
    'pools: { default: [{ binding: loopback, weight: 1 }] }',
    'default_pool: default', '',
  ].join('\n'));
  const { cfg, env } = await prepare({
    DELIVERY_MODE: 'direct', DNS_SERVERS: dns.server, SMTP_PORT: String(port), SHAPING_FILE: shaping,
    SENDER_CONCURRENCY: '256', SENDER_IDLE_EVICT_MS: '10000',
  });
  const jobId = `bench-mem-${randomUUID()}`;
  const ch = createClickhouse(cfg);
  try {
    const prefillStart = Date.now();
    await prefill(cfg, jobId, n, domainOf, SIZE);
    const prefillS = (Date.now() - prefillStart) / 1000;
    const started = Date.now();
    const worker = await spawnWorker(['sender', 'event-sink'], env);
    const pid = worker.proc.pid!;
    const samples: Array<{ delivered: number; rssMb: number }> = [];
    try {
      for (let d = await delivered(ch, jobId, n); d.n < n; d = await delivered(ch, jobId, n)) {
        if (Date.now() - started > 60 * 60000) throw new Error(`only ${d.n} of ${n} delivered in 60 minutes`);
        samples.push({ delivered: d.n, rssMb: rssMb(pid) });
        await new Promise((r) => setTimeout(r, 1000));
      }
      const seconds = (Date.now() - started) / 1000;
      const at = (q: number) => samples.find((s) => s.delivered >= q * n)?.rssMb ?? samples.at(-1)?.rssMb ?? 0;
      const result = {
        messages: n, domains: DOMAINS, waves: WAVES, messageBytes: SIZE, prefillSeconds: +prefillS.toFixed(1),
        seconds: +seconds.toFixed(1), msgPerSec: Math.round(n / seconds),
        senderRssMb: { at10pct: at(0.1), at25pct: at(0.25), at50pct: at(0.5), at75pct: at(0.75), atEnd: rssMb(pid) },
        senderPeakRssMb: peakRssMb(pid),
        growth10to100pct: +(rssMb(pid) / Math.max(1, at(0.1))).toFixed(2),
      };
      console.log(JSON.stringify(result, null, 2));
      return result;
    } finally { worker.proc.kill('SIGTERM'); }
  } finally {
    await ch.close();
    sink.kill();
    await dns.close();
  }
}
