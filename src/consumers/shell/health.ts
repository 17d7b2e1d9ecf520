/**
 * Liveness and readiness of a worker. Live: the event loop turns (its delay stays under a few seconds). Ready: every
 * stage's consumer joined its group and holds its assignment (not crashed, not rebalancing), and the broker answered
 * a metadata request within the last probe.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Kafka } from 'kafkajs';
import type { Stage } from './types.js';

const PROBE_EVERY_MS = 5000;
const PROBE_TIMEOUT_MS = 5000;
const MAX_LOOP_DELAY_MS = 5000;

/** The health state of a worker process; `stop` ends the probes. */
export interface Health {
  live(): { ok: boolean; eventLoopDelayMs: number };
  ready(): { ok: boolean; broker: boolean; stages: Record<string, boolean> };
  stop(): Promise<void>;
}

/** Start probing the broker of `kafka` and watching the event loop. */
export async function createHealth(kafka: Kafka, stages: Stage[]): Promise<Health> {
  const loop = monitorEventLoopDelay({ resolution: 50 });
  loop.enable();
  const admin = kafka.admin();
  await admin.connect();
  let broker = true;
  let pending: Promise<unknown> | undefined;
  const probe = async () => {
    // a probe still hanging from last time is itself the answer: the broker does not reply
    if (pending) { broker = false; return; }
    const call = admin.describeCluster().finally(() => { pending = undefined; });
    pending = call;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error('timeout')), PROBE_TIMEOUT_MS); });
    try { await Promise.race([call, timeout]); broker = true; } catch { broker = false; } finally { clearTimeout(timer); }
  };
  const ticker = setInterval(() => { void probe(); }, PROBE_EVERY_MS);
  ticker.unref();
  return {
    live() {
      const eventLoopDelayMs = Math.round(loop.max / 1e6);
      loop.reset();
      return { ok: eventLoopDelayMs < MAX_LOOP_DELAY_MS, eventLoopDelayMs };
    },
    ready() {
      const byStage = Object.fromEntries(stages.map((s) => [s.name, s.ready()]));
      return { ok: broker && Object.values(byStage).every(Boolean), broker, stages: byStage };
    },
    async stop() { clearInterval(ticker); loop.disable(); await admin.disconnect().catch(() => undefined); },
  };
}
