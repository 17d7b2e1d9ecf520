/**
 * A worker process: runs the named stages (or all) in one process, serves /healthz, /readyz and /metrics, and on
 * SIGTERM/SIGINT stops consuming, finishes the batch in hand, commits and exits.
 */
import express from 'express';
import type { Server } from 'node:http';
import client from 'prom-client';
import { config } from './config/index.js';
import { createClickhouse } from './clickhouse/client.js';
import { logger } from './lib/logger.js';
import { connectRuntime } from './runtime.js';
import type { Stage } from './consumers/shell/index.js';
import { createHealth, type Health } from './consumers/shell/health.js';
import { MailstreamError } from './lib/errors.js';
import { startLagMonitor } from './ops/lag.js';
import { readiness } from './ops/ready.js';
import { startTracing, stopTracing } from './ops/tracing.js';
import { COMPONENTS } from './topics/components.js';

/** Stage names a worker can run. */
export const STAGES = ['scheduler', 'splitter', 'renderer', 'sender', 'event-sink', 'webhooks', 'breaker'] as const;

/** Stages with a priority (transactional) lane. */
const PRIORITY_STAGES = ['renderer', 'sender'];

/** Which lanes of the renderer and sender a worker runs: both, only bulk (with retries) or only the priority lane. */
export type Lanes = 'all' | 'bulk' | 'priority';
/** Lane choices. */
export const LANES: readonly Lanes[] = ['all', 'bulk', 'priority'];

/**
 * Start the stages; resolves with a stop function once all are consuming. With `lanes: 'priority'` only the
 * transactional lanes run, so a separate process (its own event loop and CPU share) serves them while bulk rendering
 * and sending saturate others.
 */
export async function runWorker(names: string[], lanes: Lanes = 'all'): Promise<{ stop(): Promise<void>; port: number }> {
  const wanted = names.includes('all') ? [...STAGES] : names;
  const unknown = wanted.filter((n) => !(STAGES as readonly string[]).includes(n));
  if (unknown.length) throw new MailstreamError('MS_ERR_VALIDATION', `unknown stage ${unknown.join(', ')}; choose from ${STAGES.join(', ')} or all`);
  const laneless = lanes === 'priority' ? wanted.filter((n) => !PRIORITY_STAGES.includes(n)) : [];
  if (laneless.length) throw new MailstreamError('MS_ERR_VALIDATION', `no priority lane in ${laneless.join(', ')}: the priority lanes are the renderer's and the sender's`);
  const cfg = config();
  const log = logger({ worker: wanted.join('+') });
  await startTracing('worker');
  const rt = await connectRuntime(cfg, wanted.join('-'));
  const stages: Stage[] = [];
  const closers: Array<() => Promise<void> | void> = [];
  // one job-control table per process, if a stage stops cancelled jobs (each stage's footprint says so)
  const { createJobControlTable } = await import('./streams/job-control.js');
  const tables = new Set<string>(wanted.flatMap((n) => COMPONENTS[n as (typeof STAGES)[number]].tables));
  const jobs = tables.has('job-control') ? await createJobControlTable(rt.kafka, rt.registry, rt.topicPrefix) : undefined;
  if (jobs) closers.push(jobs.stop);
  // each stage's modules load only when the process runs it
  if (wanted.includes('scheduler')) stages.push((await import('./consumers/scheduler/index.js')).createScheduler(rt, jobs!));
  if (wanted.includes('splitter')) stages.push((await import('./consumers/splitter/index.js')).createSplitter(rt, jobs!));
  if (wanted.includes('renderer')) {
    const templates = await (await import('./streams/templates.js')).createTemplateTable(rt.kafka, rt.registry, rt.topicPrefix);
    closers.push(templates.stop);
    stages.push(...(await import('./consumers/renderer/index.js')).createRenderer(rt, cfg, templates, jobs!));
  }
  if (wanted.includes('sender')) {
    const s = (await import('./consumers/sender/index.js')).createSender(rt, cfg, jobs!);
    stages.push(...s.stages);
    closers.push(s.close);
  }
  if (wanted.includes('breaker')) stages.push((await import('./consumers/breaker/index.js')).createBreakerStage(rt, cfg));
  if (wanted.includes('event-sink')) {
    const ch = createClickhouse(cfg);
    closers.push(() => ch.close());
    stages.push((await import('./consumers/event-sink/index.js')).createEventSink(rt, cfg, ch));
  }
  if (wanted.includes('webhooks')) {
    const table = await (await import('./streams/webhooks.js')).createWebhookTable(rt.kafka, rt.registry, rt.topicPrefix);
    closers.push(table.stop);
    stages.push(...(await import('./consumers/webhooks/index.js')).createWebhookStages(rt, cfg, table));
  }
  const isPriority = (s: Stage) => s.name.endsWith('-priority');
  const running = stages.filter((s) => lanes === 'all' || (lanes === 'priority') === isPriority(s));
  for (const s of running) {
    s.consumer.on(s.consumer.events.CRASH, (e) => {
      if (e.payload.restart) return; // kafkajs rejoins by itself; /readyz is false meanwhile
      // a consumer kafkajs will not restart: exit non-zero so the supervisor starts a fresh process
      log.fatal({ stage: s.name, err: e.payload.error?.message }, 'consumer crashed for good; exiting');
      process.exit(70);
    });
  }
  await Promise.all(running.map((s) => s.start()));
  const health = await createHealth(rt.kafka, running, log);
  // every worker exports the lag of every stage group, so a stage that is down is still seen by the others
  const lag = cfg.lagSampleMs > 0 ? await startLagMonitor(rt.kafka, rt.topicPrefix, cfg.lagSampleMs) : undefined;
  if (lag) closers.unshift(lag.stop);
  readiness(health);
  const server = await serveHealth(cfg.httpPort, health);
  const port = (server.address() as { port: number }).port;
  log.info({ stages: wanted, lanes, port }, 'worker running');
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= (async () => {
    log.info('stopping');
    await Promise.all(running.map((s) => s.stop()));
    for (const c of closers) await c();
    await health.stop();
    await rt.close();
    await stopTracing();
    server.close();
  })());
  return { stop, port };
}

function serveHealth(port: number, health: Health): Promise<Server> {
  const app = express();
  client.collectDefaultMetrics();
  app.get('/healthz', (_req, res) => { const h = health.live(); res.status(h.ok ? 200 : 503).json(h); });
  app.get('/readyz', (_req, res) => { const r = health.ready(); res.status(r.ok ? 200 : 503).json(r); });
  app.get('/metrics', async (_req, res) => { res.type(client.register.contentType).send(await client.register.metrics()); });
  return new Promise((resolve, reject) => {
    const server = app.listen(port, '127.0.0.1', () => resolve(server));
    server.once('error', reject);
  });
}
