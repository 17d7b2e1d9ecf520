/**
 * Sender benchmark: the sender stage alone into Postfix's smtp-sink. The `rendered` topic of a fresh prefix is
 * prefilled with N pre-rendered ~4 KB messages, then the event sink and the sender start, each in its own process, and
 * the clock runs until ClickHouse counts N delivered (it starts once the sender runs); printed with the smtp-source
 * baseline (same sink, same size, 20,000 msgs, 16 sessions). CPU per message is the sender's, the sink's apart.
 * A second run goes direct (test DNS server → 127.0.0.1) with a shaped message rate and prints the achieved rate
 * against the configured one (relay mode does not apply the shaping file).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { createClickhouse } from '../src/clickhouse/client.js';
import { quote } from '../src/clickhouse/queries.js';
import type { RenderedMessage } from '../src/generated/types.js';
import { createCodec } from '../src/lib/codec.js';
import { connectRuntime } from '../src/runtime.js';
import { topic } from '../src/topics/runtime.js';
import { startDns } from '../test/support/dns.js';
import { startPostfixSink, runSmtpSource } from './postfix.js';
import { cpuMs, machineCpuMs, machineSince, prepare, spawnWorker, stackProcesses } from './support.js';

const SIZE = 4000;
const BATCH = 150; // ~600 KB per produce request, under the topic's max.message.bytes

/** A ~4 KB RFC 5322 message for one recipient. */
function rawMessage(jobId: string, i: number, rcpt: string, size = SIZE): Buffer {
  const head = `From: Bench <news@shop.example>\r\nTo: <${rcpt}>\r\nSubject: Bench ${i}\r\nMessage-ID: <${jobId}.${i}@shop.example>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n`;
  const line = `${'Lorem ipsum dolor sit amet, consectetur adipiscing elit '.repeat(1)}${i}\r\n`;
  return Buffer.from(head + line.repeat(Math.max(1, Math.ceil((size - head.length) / line.length))));
}

/** Produce N rendered messages for `jobId`, row i to `domainOf(i)`, streamed (a few batches in memory at a time). */
export async function prefill(cfg: Awaited<ReturnType<typeof prepare>>['cfg'], jobId: string, n: number,
  domainOf: (row: number) => string, size = SIZE): Promise<void> {
  const rt = await connectRuntime(cfg, 'bench');
  try {
    const t = topic(rt.topicPrefix, 'rendered');
    const codec = await createCodec<RenderedMessage>(rt.registry, t);
    const acceptedAt = Date.now();
    const batch = (from: number) => Array.from({ length: Math.min(BATCH, n - from) }, (_, k) => {
      const row = from + k; const domain = domainOf(row); const rcptTo = `user${row}@${domain}`;
      const value: RenderedMessage = {
        messageId: `${jobId}.${row}`, jobId, kind: 'bulk', tenant: 'default', campaignId: null, rowNumber: row,
        mailFrom: 'bounce@shop.example', rcptTo, domain, ipPool: null, raw: rawMessage(jobId, row, rcptTo, size),
        acceptedAt, attempt: 0, notBefore: 0, sandbox: false, skipSuppression: false, parts: null,
      };
      return { key: domain, value: codec.encode(value) };
    });
    for (let i = 0; i < n; i += 4 * BATCH) {
      const sends = [0, 1, 2, 3].map((j) => i + j * BATCH).filter((from) => from < n)
        .map((from) => rt.producer.send({ topic: t.name, acks: -1, messages: batch(from) }));
      await Promise.all(sends);
    }
  } finally { await rt.close(); }
}

/**
 * ClickHouse's count of distinct delivered events for `jobId`, and the span from first to last, in seconds. Polled
 * often, so a plain count (key columns only) goes first and the distinct count runs once that reaches `atLeast`.
 */
export async function delivered(ch: ClickHouseClient, jobId: string, atLeast = 0): Promise<{ n: number; spanS: number }> {
  if (atLeast > 0) {
    const where = `job_id = ${quote(jobId)} AND type = 'delivered'`;
    const rs = await ch.query({ query: `SELECT count() AS n FROM events WHERE ${where}`, format: 'JSONEachRow' });
    const [c] = await rs.json<{ n: string | number }>();
    if (Number(c?.n ?? 0) < atLeast) return { n: Number(c?.n ?? 0), spanS: 0 };
  }
  const rs = await ch.query({ query: `SELECT uniqExact(event_id) AS n, (max(ts_ms) - min(ts_ms)) / 1000 AS s FROM events WHERE job_id = ${quote(jobId)} AND type = 'delivered'`, format: 'JSONEachRow' });
  const [r] = await rs.json<{ n: string | number; s: number }>();
  return { n: Number(r?.n ?? 0), spanS: Number(r?.s ?? 0) };
}

/** Figures of one run: the stage's rate from the worker running to N delivered in ClickHouse, and its CPU per message. */
interface RunResult {
  seconds: number; msgPerSec: number; withStartupMsgPerSec: number; deliveredSpanMsgPerSec: number; cpuMsPerMsg: number;
  eventSinkCpuMsPerMsg: number;
  /** What the stage leans on (broker, registry, ClickHouse, smtp-sink), and every process on the machine. */
  otherCpuMsPerMsg: Record<string, number>; machine: { cpuMsPerMsg: number; idlePct: number };
}

/** One run: prefill, start the event sink and then the sender (each in its own process), wait for N delivered. */
async function run(n: number, env: Record<string, string>, domains: string[], sinkPid: number): Promise<RunResult> {
  const { cfg, env: wenv } = await prepare(env);
  const jobId = `bench-send-${randomUUID()}`;
  await prefill(cfg, jobId, n, (row) => domains[row % domains.length]!);
  const ch = createClickhouse(cfg);
  // the sink counts deliveries into ClickHouse in a process of its own, as a deployment runs it: its CPU is not the sender's
  const sink = await spawnWorker(['event-sink'], wenv);
  const sink0 = cpuMs(sink.proc.pid!);
  const spawned = Date.now();
  const worker = await spawnWorker(['sender'], wenv);
  // the stage's rate runs from the worker running (its start-up, mostly loading TypeScript, is reported apart)
  const started = Date.now();
  const cpu0 = cpuMs(worker.proc.pid!);
  const others = await stackProcesses(['smtp-sink', sinkPid]);
  const other0 = others.map(([, pid]) => cpuMs(pid));
  const machine0 = machineCpuMs();
  try {
    for (let d = await delivered(ch, jobId, n); d.n < n; d = await delivered(ch, jobId, n)) {
      if (Date.now() - started > 30 * 60000) throw new Error(`only ${d.n} of ${n} delivered in 30 minutes`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const cpu = cpuMs(worker.proc.pid!) - cpu0;
    const machine = machineSince(machine0);
    const otherCpuMsPerMsg = Object.fromEntries(others.map(([name, pid], i) =>
      [name, +((cpuMs(pid) - other0[i]!) / n).toFixed(3)]));
    const seconds = (Date.now() - started) / 1000;
    const d = await delivered(ch, jobId);
    return { seconds: +seconds.toFixed(1), msgPerSec: Math.round(n / seconds),
      withStartupMsgPerSec: Math.round(n / ((Date.now() - spawned) / 1000)),
      deliveredSpanMsgPerSec: Math.round(n / Math.max(0.001, d.spanS)), cpuMsPerMsg: +(cpu / n).toFixed(3),
      eventSinkCpuMsPerMsg: +((cpuMs(sink.proc.pid!) - sink0) / n).toFixed(3), otherCpuMsPerMsg,
      machine: { cpuMsPerMsg: +(machine.busyMs / n).toFixed(3), idlePct: machine.idlePct } };
  } finally {
    worker.proc.kill('SIGTERM');
    sink.proc.kill('SIGTERM');
    await ch.close();
  }
}

/** Run the sender benchmark (default 50,000 messages) and print its figures. */
export async function benchSend(messages = 50000): Promise<Record<string, unknown>> {
  const port = 2526;
  const sink = await startPostfixSink(port);
  const dns = await startDns({ zones: { 'bench.example': { mx: [{ exchange: 'mx.bench.example', priority: 10 }] }, 'mx.bench.example': { a: ['127.0.0.1'] } } });
  try {
    // 16 connections, as smtp-source's 16 sessions; SENDER_CONCURRENCY at its default (1000)
    const domains = Array.from({ length: 50 }, (_, i) => `bench${i}.example`);
    const relay = await run(messages, { SMTP_RELAY_PORT: String(port), SMTP_MAX_CONNECTIONS: '16' }, domains, sink.pid!);
    const sourceRate = runSmtpSource(port, 20000, 16, SIZE);

    // shaped: direct mode, one destination limited to `rate`/s; ~10 s of traffic
    const rate = 500;
    const dir = join(import.meta.dirname, '..', '.data', 'bench');
    mkdirSync(dir, { recursive: true });
    const shaping = join(dir, 'send-shaping.yaml');
    writeFileSync(shaping, [
      'defaults: { max_connections: 16, max_messages_per_connection: 1000, max_message_rate: "50000/s", retry_schedule: { initial: 1s, multiplier: 1, max: 1s }, max_age: 10m, require_tls: false }',
      `domains: { bench.example: { max_message_rate: "${rate}/s" } }`,
      'bindings: [{ name: loopback, source: 127.0.0.1, ehlo: localhost }]',
      'pools: { default: [{ binding: loopback, weight: 1 }] }',
      'default_pool: default', '',
    ].join('\n'));
    const shapedN = Math.min(messages, rate * 10);
    const direct = { DELIVERY_MODE: 'direct', DNS_SERVERS: dns.server, SMTP_PORT: String(port), SHAPING_FILE: shaping };
    const shaped = await run(shapedN, direct, ['bench.example'], sink.pid!);

    const result = {
      messages, messageBytes: SIZE,
      relay: { ...relay, smtpSourceMsgPerSec: Math.round(sourceRate), senderToSmtpSourceRatio: +(relay.msgPerSec / sourceRate).toFixed(2) },
      shaped: { messages: shapedN, configuredPerSec: rate, achievedPerSec: shaped.deliveredSpanMsgPerSec, wallClockMsgPerSec: shaped.msgPerSec, seconds: shaped.seconds },
    };
    console.log(JSON.stringify(result, null, 2));
    return result;
  } finally {
    sink.kill();
    dns.close();
  }
}
