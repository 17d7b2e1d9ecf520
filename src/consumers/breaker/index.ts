/** Circuit breaker wiring: events → sending-pauses + sending_paused events, one consumer group, in event order. */
import type { Config } from '../../config/index.js';
import type { Event } from '../../generated/types.js';
import { STAGE_TOPICS } from '../../topics/components.js';
import { createStage, type StageDeps } from '../shell/index.js';
import { createBreaker } from './handler.js';

/** The breaker stage; run one instance (its windows are in memory and the events topic is keyed by job). */
export function createBreakerStage(deps: StageDeps, cfg: Config) {
  const handle = createBreaker({
    window: cfg.breakerWindow, minSample: cfg.breakerMinSample, complaintRate: cfg.breakerComplaintRate,
    hardBounceRate: cfg.breakerHardBounceRate,
  });
  return createStage<Event>({
    name: 'breaker', ...STAGE_TOPICS.breaker, partitionsConcurrently: 1,
    strategy: { kind: 'batch', async handle(records) { return records.flatMap((r) => handle(r.value)); } },
  }, deps);
}
