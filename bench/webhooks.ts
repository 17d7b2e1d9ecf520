/**
 * Webhook delivery: synthetic `delivered` events (default 100,000) produced to `events` and delivered by a
 * `mailstream worker webhooks` process to a local HTTP receiver. Figures, each beside its baseline from this run:
 * events/s delivered, beside the same receiver fed the same batch sizes by direct POSTs (no Kafka); and a healthy
 * webhook's delivery latency while another webhook's endpoint is down, beside its latency with both up.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { Event, Webhook } from '../src/generated/types.js';
import { createCodec } from '../src/lib/codec.js';
import { makeEvent } from '../src/schemas/events.js';
import { post } from '../src/consumers/webhooks/post.js';
import { webhookKey as webhookKeyOf } from '../src/consumers/webhooks/handler.js';
import { toSparkPost } from '../src/consumers/webhooks/sparkpost.js';
import { writeWebhook, newSecret } from '../src/producers/webhooks.js';
import { connectRuntime, type Runtime } from '../src/runtime.js';
import { topic } from '../src/topics/runtime.js';
import { prepare, spawnWorker } from './support.js';

const TENANT = 'bench';

/** A receiver counting events and keeping each event's arrival time. */
async function receiver(): Promise<{ url: string; arrived: Map<string, number>; close(): void; server: Server }> {
  const arrived = new Map<string, number>();
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => { body += d; });
    req.on('end', () => {
      const at = Date.now();
      for (const e of JSON.parse(body) as Array<{ msys: Record<string, { event_id: string }> }>) {
        const id = Object.values(e.msys)[0]!.event_id;
        if (!arrived.has(id)) arrived.set(id, at);
      }
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, arrived, server, close: () => server.close() };
}

const hook = (id: string, target: string): Webhook => ({
  id, tenant: TENANT, name: id, target, events: [], campaigns: [], active: true, customHeaders: {}, authType: 'none',
  authCredentials: '{}', authRequestDetails: '{}', secret: newSecret(), createdAt: 0, updatedAt: Date.now(), disabledAt: null,
  disabledReason: null,
});

/** Produce `n` delivered events of a new job; resolves with their IDs and produce times. */
async function produce(rt: Runtime, n: number, sent: Map<string, number>, chunk = 1000): Promise<void> {
  const t = topic(rt.topicPrefix, 'events');
  const codec = await createCodec<Event>(rt.registry, t);
  const jobId = `bench-${randomUUID()}`;
  for (let i = 0; i < n; i += chunk) {
    const now = Date.now();
    const events = Array.from({ length: Math.min(chunk, n - i) }, (_, k) => makeEvent('delivered', {
      jobId, messageId: `${jobId}.${i + k}`, tenant: TENANT, recipient: `r${i + k}@bench.example`, domain: 'bench.example',
      smtpCode: 250, response: '250 ok', attempt: 1,
    }, now));
    await rt.producer.send({ topic: t.name, acks: -1, messages: events.map((e) => ({ key: jobId, value: codec.encode(e) })) });
    for (const e of events) sent.set(e.eventId, now);
  }
}

const wait = async (what: string, ok: () => boolean, ms: number) => {
  for (const until = Date.now() + ms; !ok();) {
    if (Date.now() > until) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))] ?? NaN;
};
const lags = (ids: string[], sent: Map<string, number>, arrived: Map<string, number>) =>
  ids.map((id) => arrived.get(id)! - sent.get(id)!);

/** Run the webhooks benchmark and print its figures. */
export async function benchWebhooks(n = 100_000): Promise<Record<string, unknown>> {
  const { cfg, env } = await prepare({ WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true', WEBHOOKS_RETRY_BASE_MS: '1000' });
  const rt = await connectRuntime(cfg, 'bench');
  const [main, healthy] = [await receiver(), await receiver()];
  const worker = await spawnWorker(['webhooks'], env);
  try {
    // baseline: the same receiver, the same batch size, POSTed directly, WEBHOOKS_CONCURRENCY at a time
    const batch = cfg.webhooksBatchMax;
    const body = (k: number) => JSON.stringify(Array.from({ length: batch }, (_, i) => toSparkPost(makeEvent('delivered', {
      jobId: 'direct', messageId: `direct.${k}.${i}`, tenant: TENANT, recipient: `r${i}@bench.example`, smtpCode: 250 }))));
    const bodies = Array.from({ length: Math.ceil(n / batch) }, (_, k) => body(k));
    let next = 0;
    const t0 = Date.now();
    await Promise.all(Array.from({ length: cfg.webhooksConcurrency }, async () => {
      while (next < bodies.length) await post(main.url, bodies[next++]!, { timeoutMs: 10_000, allowPrivate: true });
    }));
    const directRate = (bodies.length * batch) / ((Date.now() - t0) / 1000);
    main.arrived.clear();

    // throughput: one webhook, n events through Kafka and the three stages
    await writeWebhook(rt, undefined, webhookKeyOf(TENANT, 'main'), hook('main', main.url));
    const sent = new Map<string, number>();
    const t1 = Date.now();
    await produce(rt, n, sent);
    await wait(`${n} events at the receiver`, () => main.arrived.size >= n, 15 * 60_000);
    const rate = n / ((Math.max(...main.arrived.values()) - t1) / 1000);

    // latency of a healthy webhook: first with both endpoints up, then with the other's down (connection refused)
    await writeWebhook(rt, undefined, webhookKeyOf(TENANT, 'main'), { ...hook('main', main.url), active: false });
    await writeWebhook(rt, undefined, webhookKeyOf(TENANT, 'healthy'), hook('healthy', healthy.url));
    await writeWebhook(rt, undefined, webhookKeyOf(TENANT, 'other'), hook('other', main.url));
    const round = async () => {
      const s = new Map<string, number>();
      for (let k = 0; k < 20; k++) { await produce(rt, 100, s); await new Promise((r) => setTimeout(r, 100)); }
      await wait('the healthy webhook', () => [...s.keys()].every((id) => healthy.arrived.has(id)), 120_000);
      return lags([...s.keys()], s, healthy.arrived);
    };
    const up = await round();
    await new Promise<void>((r) => { main.server.close(() => r()); main.server.closeAllConnections(); });
    const down = await round();
    // and with the other's endpoint accepting connections but never answering (each POST waits WEBHOOKS_TIMEOUT_MS)
    const stuck = createServer(() => undefined);
    await new Promise<void>((r) => stuck.listen(0, '127.0.0.1', r));
    await writeWebhook(rt, undefined, webhookKeyOf(TENANT, 'other'), hook('other',
      `http://127.0.0.1:${(stuck.address() as AddressInfo).port}/hook`));
    const hung = await round();
    stuck.closeAllConnections(); stuck.close();
    const figures = {
      events: n, batchMax: batch, batchWaitMs: cfg.webhooksBatchWaitMs,
      deliveredPerSecond: Math.round(rate), directPostBaselinePerSecond: Math.round(directRate),
      healthyLatencyMs: { p50: pct(down, 0.5), p99: pct(down, 0.99), max: Math.max(...down) },
      healthyLatencyBaselineMs: { p50: pct(up, 0.5), p99: pct(up, 0.99), max: Math.max(...up) },
      addedLatencyMs: { p50: pct(down, 0.5) - pct(up, 0.5), p99: pct(down, 0.99) - pct(up, 0.99) },
      healthyLatencyOtherHangingMs: { p50: pct(hung, 0.5), p99: pct(hung, 0.99), max: Math.max(...hung) },
    };
    console.log(`webhooks: ${figures.deliveredPerSecond} events/s delivered through Kafka (baseline: ${figures.directPostBaselinePerSecond}`
      + ` events/s POSTed directly to the same receiver, batches of ${batch})`);
    console.log(`healthy webhook while another endpoint is down: p50 ${figures.healthyLatencyMs.p50} ms, p99 ${figures.healthyLatencyMs.p99} ms`
      + ` (baseline, both up: p50 ${figures.healthyLatencyBaselineMs.p50} ms, p99 ${figures.healthyLatencyBaselineMs.p99} ms;`
      + ` added p50 ${figures.addedLatencyMs.p50} ms, p99 ${figures.addedLatencyMs.p99} ms; WEBHOOKS_BATCH_WAIT_MS ${cfg.webhooksBatchWaitMs})`);
    console.log(`healthy webhook while another endpoint hangs: p50 ${pct(hung, 0.5)} ms, p99 ${pct(hung, 0.99)} ms (same baseline)`);
    console.log(JSON.stringify(figures));
    return figures;
  } finally {
    worker.proc.kill('SIGTERM');
    main.close(); healthy.close();
    await rt.close();
  }
}
