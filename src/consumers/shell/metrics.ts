/** The shell's metrics (`mailstream_stage_*`), read from every running stage of this process when /metrics is scraped. */
import client from 'prom-client';
import type { PauseReason } from './pauser.js';

const REASONS: PauseReason[] = ['queue_full', 'lane_full', 'not_due'];

/** What a running stage reports. */
export interface StageGauges { inFlight(): number; deepest(): number; paused(reason: PauseReason): number }

/** Running stages by name. */
export const live = new Map<string, StageGauges>();

new client.Gauge({
  name: 'mailstream_stage_in_flight', help: 'Records a stage holds in memory (dispatched, not finished)', labelNames: ['stage'],
  collect() { this.reset(); for (const [stage, r] of live) this.set({ stage }, r.inFlight()); },
});
new client.Gauge({
  name: 'mailstream_stage_deepest_queue', help: 'Records held by the fullest destination queue of a parallel stage',
  labelNames: ['stage'],
  collect() { this.reset(); for (const [stage, r] of live) this.set({ stage }, r.deepest()); },
});
new client.Gauge({
  name: 'mailstream_stage_paused_partitions', help: 'Partitions a stage has paused, by reason', labelNames: ['stage', 'reason'],
  collect() {
    this.reset();
    for (const [stage, r] of live) for (const reason of REASONS) this.set({ stage, reason }, r.paused(reason));
  },
});

/** Times a stage paused a partition, by reason. */
export const pauses = new client.Counter({
  name: 'mailstream_stage_pauses_total', help: 'Times a stage paused a partition, by reason', labelNames: ['stage', 'reason'],
});

/** Records a stage dead-lettered, by error code. */
export const deadLettered = new client.Counter({
  name: 'mailstream_stage_dead_lettered_total', help: 'Records a stage dead-lettered, by error code',
  labelNames: ['stage', 'code'],
});
