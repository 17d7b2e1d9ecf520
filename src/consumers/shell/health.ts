/**
 * Liveness and readiness of a worker. Live: the event loop turns (its delay stays under a few seconds). Ready: every
 * stage's consumer joined its group and holds its assignment (not crashed, not rebalancing), and the broker answered
 * a metadata request within the last probe.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Kafka } from 'kafkajs';
import type { Stage } from './types.js';
import type { Logger } from '../../lib/logger.js';

const PROBE_EVERY_MS = 5000;
const PROBE_TIMEOUT_MS = 5000;
const MAX_LOOP_DELAY_MS = 5000;
// a call kafkajs is still retrying (or that hangs) this long is dropped: a fresh client answers once the broker is back
const ABANDON_AFTER_MS = 30000;

/** The health state of a worker process; `stop` ends the probes. */
export interface Health {
  live(): { ok: boolean; eventLoopDelayMs: number };
  ready(): { ok: boolean; broker: boolean; stages: Record<string, boolean> };
  stop(): Promise<void>;
}

/** Start probing the broker of `kafka` and watching the event loop; readiness changes are logged through `log`. */
export async function createHealth(kafka: Kafka, stages: Stage[], log?: Logger): Promise<Health> {
  const loop = monitorEventLoopDelay({ resolution: 50 });
  loop.enable();
  let admin = kafka.admin();
  await admin.connect();
  let broker = true;
  let pending: { call: Promise<unknown>; since: number } | undefined;
  const probe = async () => {
    if (pending) {
      // a probe still hanging from last time is itself the answer: the broker does not reply
      broker = false;
      if (Date.now() - pending.since < ABANDON_AFTER_MS) return;
      log?.warn({ ms: Date.now() - pending.since }, 'broker probe unanswered; probing on a new admin client');
      pending = undefined;
      const old = admin;
      admin = kafka.admin();
      void old.disconnect().catch(() => undefined);
    }
    const mine = { call: admin.describeCluster(), since: Date.now() };
    pending = mine;
    mine.call.catch(() => undefined).finally(() => { if (pending === mine) pending = undefined; });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error('timeout')), PROBE_TIMEOUT_MS);
    });
    try { await Promise.race([mine.call, timeout]); broker = true; }
    catch { broker = false; }
    finally { clearTimeout(timer); }
  };
  let last = '';
  const ready = () => {
    const byStage = Object.fromEntries(stages.map((s) => [s.name, s.ready()]));
    const r = { ok: broker && Object.values(byStage).every(Boolean), broker, stages: byStage };
    // one line per change, so a worker that stays unready says which part is missing
    const now = JSON.stringify(r);
    if (now !== last && last) log?.[r.ok ? 'info' : 'warn'](r, r.ok ? 'worker ready' : 'worker not ready');
    last = now;
    return r;
  };
  ready(); // the state at start is what the first change is logged against
  // after each probe, so a change of the broker's answer or of a stage is logged within one probe period
  const ticker = setInterval(() => { void probe().then(ready); }, PROBE_EVERY_MS);
  ticker.unref();
  return {
    live() {
      const eventLoopDelayMs = Math.round(loop.max / 1e6);
      loop.reset();
      return { ok: eventLoopDelayMs < MAX_LOOP_DELAY_MS, eventLoopDelayMs };
    },
    ready,
    async stop() {
      clearInterval(ticker); loop.disable();
      await admin.disconnect().catch(() => undefined);
    },
  };
}
