/**
 * REST gateway benchmark: `mailstream gateway` runs as its own process in front of the usual workers (transactional
 * lanes in their own process, as in the priority benchmark) and Postfix's smtp-sink. Reported, in one run:
 * 1. accept throughput and latency: single-recipient transactional POST /api/v1/transmissions from 50 concurrent
 *    clients (at most 5,000 requests or 10 s);
 * 2. accepted → SMTP 250 latency (from the delivered events in ClickHouse) of one transactional transmission
 *    POSTed every 100 ms while a bulk job (default 100,000 recipients, the marketing MJML template) runs;
 * 3. one 100,000-recipient inline (bulk) transmission: its accept time and the gateway's peak resident set;
 * 4. the smtp-source baseline on the same sink, so the figures can be quoted as ratios.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ClickHouseClient } from '@clickhouse/client';
import { createClickhouse } from '../src/clickhouse/client.js';
import { jobCounts, quote } from '../src/clickhouse/queries.js';
import { createJobProducer } from '../src/producers/jobs.js';
import { connectRuntime } from '../src/runtime.js';
import { runSmtpSource, startPostfixSink } from './postfix.js';
import { marketingJob, peakRssMb, prepare, spawnWorker, writeBenchAudience } from './support.js';

const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'bin/mailstream.js');
const CONCURRENCY = 50;
const ACCEPT_MAX_REQUESTS = 5000;
const ACCEPT_MAX_MS = 10000;
const EVERY_MS = 100;
// the gateway streams the body and splits a transmission of more than 10,000 recipients at the door
const INLINE_RECIPIENTS = 100_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Nearest-rank percentile of an ascending array (NaN when empty). */
function pct(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return +sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!.toFixed(1);
}

/** p50, p99 and max of latencies in ms. */
function summary(ms: number[]): { p50: number; p99: number; max: number } {
  const s = [...ms].sort((a, b) => a - b);
  return { p50: pct(s, 0.5), p99: pct(s, 0.99), max: pct(s, 1) };
}

/** A transactional single-recipient transmission body (inline subject, from and text). */
function txBody(campaign: string, i: number): Record<string, unknown> {
  return {
    campaign_id: campaign, options: { transactional: true },
    recipients: [{ address: { email: `tx${i}@receipts.example` }, substitution_data: { order: `A-${i}` } }],
    content: { from: 'Shop <orders@shop.example>', subject: 'Your order {{ order }}', text: 'Thanks for order {{ order }}.' },
  };
}

/** POST a transmission; resolves with the status, the time to the full response (ms) and the response body. */
async function postTransmission(url: string, key: string, body: string): Promise<{ status: number; ms: number; json: unknown }> {
  const t0 = performance.now();
  const res = await fetch(`${url}/transmissions`, {
    method: 'POST', headers: { authorization: key, 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(60000),
  });
  const text = await res.text();
  const ms = performance.now() - t0;
  let json: unknown = null;
  try { json = JSON.parse(text); } catch { json = text.slice(0, 500); }
  return { status: res.status, ms, json };
}

/** Create an API key for `tenant` with the CLI; the key is the last line of its stdout. */
async function createApiKey(env: Record<string, string>, tenant: string): Promise<string> {
  const args = [CLI, 'keys', 'create', '--tenant', tenant, '--label', 'bench-api'];
  const opts = { cwd: ROOT, env: { ...process.env, ...env }, timeout: 60000 };
  const { stdout } = await promisify(execFile)(process.execPath, args, opts);
  const key = stdout.trim().split('\n').at(-1)?.trim();
  if (!key || !/^[0-9a-f]{16,}$/.test(key)) throw new Error(`keys create printed no key: ${stdout.slice(-500)}`);
  return key;
}

/** Spawn `mailstream gateway` and wait for its "gateway listening on <url>" line; resolves with the API base URL. */
async function spawnGateway(env: Record<string, string>): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(process.execPath, [CLI, 'gateway'],
    { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let log = '';
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`gateway did not listen in 60 s: ${log.slice(-2000)}`)), 60000);
      proc.stdout!.on('data', (d) => {
        if (log.length < 1e5) log += d;
        const m = /gateway listening on (\S+)/.exec(log);
        if (m) { clearTimeout(timer); resolve(m[1]!); }
      });
      proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`gateway exited ${code}: ${log.slice(-2000)}`)); });
    });
    return { proc, url };
  } catch (err) { proc.kill('SIGTERM'); throw err; }
}

/** A campaign's delivered count and accepted → 250 latency (ms). */
type CampaignStats = { n: number; p50: number; p99: number; max: number };

/** Delivered count and accepted → 250 latency of a campaign's messages, from ClickHouse. */
async function campaignStats(ch: ClickHouseClient, campaign: string): Promise<CampaignStats> {
  const rows = await (await ch.query({
    query: 'SELECT count() AS n, quantilesExact(0.5, 0.99)(latency_ms) AS q, max(latency_ms) AS mx FROM events'
      + ` WHERE campaign_id = ${quote(campaign)} AND type = 'delivered'`,
    format: 'JSONEachRow',
  })).json<{ n: string; q: number[]; mx: number }>();
  const r = rows[0];
  return { n: Number(r?.n ?? 0), p50: Number(r?.q[0]), p99: Number(r?.q[1]), max: Number(r?.mx) };
}

/** Wait (at most `ms`) until `want` messages of the campaign are delivered; resolves with its final stats. */
async function waitDelivered(ch: ClickHouseClient, campaign: string, want: number, ms: number): Promise<CampaignStats> {
  let s = await campaignStats(ch, campaign);
  for (const until = Date.now() + ms; s.n < want && Date.now() < until; s = await campaignStats(ch, campaign)) await sleep(500);
  return s;
}

/** Reset a process's peak resident set (VmHWM) to its current one; false where the kernel refuses. */
function resetPeakRss(pid: number): boolean {
  try { writeFileSync(`/proc/${pid}/clear_refs`, '5'); return true; } catch { return false; }
}

/** Run the REST gateway benchmark and print its figures. */
export async function benchApi(recipients = 100000): Promise<Record<string, unknown>> {
  const port = 2528;
  const sink = await startPostfixSink(port);
  const { cfg, env } = await prepare({ SMTP_RELAY_PORT: String(port), SMTP_MAX_CONNECTIONS: '16', SENDER_CONCURRENCY: '256' });
  const workers = [
    await spawnWorker(['splitter', 'event-sink'], env), await spawnWorker(['renderer'], env, ['--lanes', 'bulk']),
    await spawnWorker(['sender'], env, ['--lanes', 'bulk']),
    await spawnWorker(['renderer', 'sender'], env, ['--lanes', 'priority']),
  ];
  let gateway: ChildProcess | undefined;
  const rt = await connectRuntime(cfg, 'bench');
  const ch = createClickhouse(cfg);
  const run = randomUUID();
  try {
    // the key is published before the gateway starts, so its key table has it once it listens
    const key = await createApiKey(env, 'bench');
    const gw = await spawnGateway({ ...env, API_PORT: '0', API_RATE_LIMIT: '1000000' });
    gateway = gw.proc;
    const audience = await writeBenchAudience(recipients, 'jsonl');

    // 1. accept throughput and latency at concurrency 50
    const acceptCampaign = `bench-api-accept-${run}`;
    const okMs: number[] = [];
    const errors: Record<string, number> = {};
    let issued = 0;
    const t0 = Date.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (issued < ACCEPT_MAX_REQUESTS && Date.now() - t0 < ACCEPT_MAX_MS) {
        const i = issued++;
        try {
          const r = await postTransmission(gw.url, key, JSON.stringify(txBody(acceptCampaign, i)));
          if (r.status === 200) okMs.push(r.ms);
          else errors[r.status] = (errors[r.status] ?? 0) + 1;
        } catch (err) { const k = (err as Error).name; errors[k] = (errors[k] ?? 0) + 1; }
      }
    }));
    const acceptSeconds = (Date.now() - t0) / 1000;
    // let the accepted messages drain before the next phase measures latency
    const acceptDelivered = await waitDelivered(ch, acceptCampaign, okMs.length, 120000);

    // 2. transactional accepted → SMTP 250 while a bulk job runs (the bulk job through the producer API)
    const txCampaign = `bench-api-tx-${run}`;
    const jobs = await createJobProducer(rt.producer, rt.registry, rt.topicPrefix);
    const started = Date.now();
    const { jobId } = await jobs.sendBulk(marketingJob(audience));
    let sent = 0;
    const txAcceptMs: number[] = [];
    const txErrors: Record<string, number> = {};
    let bulk = await jobCounts(ch, jobId);
    let next = Date.now();
    let lastPoll = 0;
    while (!bulk.done) {
      if (Date.now() - started > 30 * 60000) throw new Error('bench job did not finish in 30 minutes');
      const r = await postTransmission(gw.url, key, JSON.stringify(txBody(txCampaign, sent)))
        .catch((err: Error) => ({ status: err.name, ms: 0 }));
      if (r.status === 200) { sent++; txAcceptMs.push(r.ms); } else txErrors[r.status] = (txErrors[r.status] ?? 0) + 1;
      next += EVERY_MS;
      await sleep(Math.max(0, next - Date.now()));
      if (Date.now() - lastPoll > 1000) { lastPoll = Date.now(); bulk = await jobCounts(ch, jobId); }
    }
    const bulkSeconds = (Date.now() - started) / 1000;
    const tx = await waitDelivered(ch, txCampaign, sent, 60000);

    // 3. one 100,000-recipient inline transmission (non-transactional: a bulk job), with the gateway's peak RSS
    const inlineCampaign = `bench-api-inline-${run}`;
    const inlineBody = JSON.stringify({
      campaign_id: inlineCampaign, options: { open_tracking: false, click_tracking: false },
      recipients: Array.from({ length: INLINE_RECIPIENTS }, (_, i) => ({
        address: { email: `user${i}@inline${i % 50}.example`, name: `User ${i}` },
        substitution_data: { first_name: `First${i}`, code: `C${i}` },
      })),
      content: { from: 'Northwind <news@shop.example>', subject: 'Hi {{ first_name }}', text: 'Your code is {{ code }}.' },
    });
    const gatewayPeakBeforeInline = peakRssMb(gateway.pid!);
    const peakReset = resetPeakRss(gateway.pid!);
    const inline = await postTransmission(gw.url, key, inlineBody);
    const gatewayPeakInline = peakRssMb(gateway.pid!);
    if (inline.status !== 200) {
      throw new Error(`inline transmission: HTTP ${inline.status} ${JSON.stringify(inline.json).slice(0, 500)}`);
    }
    const inlineId = String((inline.json as { results: { id: string } }).results.id);
    const inlineStarted = Date.now();
    let inlineCounts = await jobCounts(ch, inlineId, 'bench');
    for (const until = Date.now() + 5 * 60000; !inlineCounts.done && Date.now() < until;) {
      await sleep(500);
      inlineCounts = await jobCounts(ch, inlineId, 'bench');
    }
    const inlineSeconds = (Date.now() - inlineStarted) / 1000;

    // 4. the smtp-source baseline on the same sink
    const sourceRate = runSmtpSource(port, 20000, 16, 4000);
    const acceptPerSec = okMs.length / acceptSeconds;
    const bulkDelivered = bulk.byType.delivered ?? 0;
    const result = {
      accept: {
        concurrency: CONCURRENCY, requests: issued, accepted: okMs.length, errors, seconds: +acceptSeconds.toFixed(1),
        perSec: Math.round(acceptPerSec), latencyMs: summary(okMs), delivered: acceptDelivered.n,
        acceptedTo250Ms: { p50: acceptDelivered.p50, p99: acceptDelivered.p99, max: acceptDelivered.max },
      },
      underBulk: {
        bulk: {
          recipients, delivered: bulkDelivered, seconds: +bulkSeconds.toFixed(1),
          msgPerSec: Math.round(bulkDelivered / bulkSeconds),
        },
        transactional: {
          everyMs: EVERY_MS, sent, errors: txErrors, delivered: tx.n, acceptLatencyMs: summary(txAcceptMs),
          acceptedTo250Ms: { p50: tx.p50, p99: tx.p99, max: tx.max },
        },
      },
      inline: {
        recipients: INLINE_RECIPIENTS, bodyBytes: Buffer.byteLength(inlineBody), acceptMs: +inline.ms.toFixed(1),
        accepted: (inline.json as { results: { total_accepted_recipients: number } }).results.total_accepted_recipients,
        gatewayPeakRssMb: gatewayPeakInline, peakRssResetBeforeRequest: peakReset,
        gatewayPeakRssMbEarlierPhases: gatewayPeakBeforeInline,
        delivered: inlineCounts.byType.delivered ?? 0, deliveredSeconds: +inlineSeconds.toFixed(1),
      },
      peakRssMb: Object.fromEntries(workers.map((w) => [w.name, peakRssMb(w.proc.pid!)])),
      smtpSourceMsgPerSec: Math.round(sourceRate),
      ratios: {
        acceptToSmtpSource: +(acceptPerSec / sourceRate).toFixed(2),
        bulkToSmtpSource: +(bulkDelivered / bulkSeconds / sourceRate).toFixed(2),
      },
    };
    console.log(JSON.stringify(result, null, 2));
    return result;
  } finally {
    await ch.close(); await rt.close();
    gateway?.kill('SIGTERM');
    for (const w of workers) w.proc.kill('SIGTERM');
    sink.kill();
  }
}
