/** `mailstream_stage_ready`: each stage's readiness (1 or 0) as /readyz sees it, for the "worker not ready" alert. */
import client from 'prom-client';
import type { Health } from '../consumers/shell/health.js';

const watched = new Set<Health>();

new client.Gauge({
  name: 'mailstream_stage_ready', help: 'A stage of this worker is ready: joined its group, holds its assignment, broker up (1/0)',
  labelNames: ['stage'],
  collect() {
    this.reset();
    for (const h of watched) {
      const r = h.ready();
      for (const [stage, ok] of Object.entries(r.stages)) this.set({ stage }, ok && r.broker ? 1 : 0);
    }
  },
});

/** Export `health`'s readiness until the process ends. */
export function readiness(health: Health): void { watched.add(health); }
