/**
 * The one pause/resume of the shell: a partition is paused with why (a full queue, a full lane, or a record not due
 * yet, then with a timer), seeked back to the record it could not take when there is one, and resumed when that clears.
 */
import type { Consumer } from 'kafkajs';
import { wakeIdleFetches } from '../../lib/kafkajs.js';
import { pauses } from './metrics.js';

/** Why a partition is paused. */
export type PauseReason = 'queue_full' | 'lane_full' | 'not_due';
/** The lane-wide queue name: a partition waiting on it resumes when the whole lane drained to half. */
export const LANE = '\u0000all';

interface Waiting { queue?: string; timer?: NodeJS.Timeout }
type Why = { queue: string } | { untilMs: number; now: number };

/** Pause bookkeeping for one stage's input topic. */
export function createPauser(consumer: Pick<Consumer, 'pause' | 'resume' | 'seek'>, topic: string, stage: string) {
  const paused = new Map<number, Waiting>();
  let stopping = false;
  const reasonOf = (w: Waiting): PauseReason =>
    (w.queue === undefined ? 'not_due' : w.queue === LANE ? 'lane_full' : 'queue_full');

  const resume = (partition: number): void => {
    const w = paused.get(partition);
    if (!w) return;
    if (w.timer) clearTimeout(w.timer);
    paused.delete(partition);
    if (stopping) return;
    consumer.resume([{ topic, partitions: [partition] }]);
    wakeIdleFetches();
  };

  // `offset` null: nothing to fetch again, the partition goes on from its last resolved offset
  const pause = (partition: number, offset: string | null, why: Why): void => {
    consumer.pause([{ topic, partitions: [partition] }]);
    if (offset !== null) consumer.seek({ topic, partition, offset });
    let w: Waiting;
    if ('queue' in why) w = { queue: why.queue };
    else {
      // re-checked at least every 30 s, so a clock jump never strands a partition
      w = { timer: setTimeout(() => resume(partition), Math.min(30_000, Math.max(0, why.untilMs - why.now))) };
      w.timer!.unref();
    }
    paused.set(partition, w);
    pauses.inc({ stage, reason: reasonOf(w) });
  };

  return {
    pause,
    resume,
    isPaused: (partition: number) => paused.has(partition),
    /** Pause again at the client: a consumer kafkajs restarted after a crash forgot its pauses. */
    reassert(partition: number): void { consumer.pause([{ topic, partitions: [partition] }]); },
    /** Resume the partitions waiting on `queue` (or on the lane, when `laneOk`). */
    drained(queue: string, queueOk: boolean, laneOk: boolean): void {
      for (const [p, w] of paused) if ((w.queue === LANE && laneOk) || (w.queue === queue && queueOk)) resume(p);
    },
    /** Forget partitions no longer assigned. */
    retain(mine: Set<number>): void { for (const p of [...paused.keys()]) if (!mine.has(p)) resume(p); },
    /** Paused partitions by reason. */
    count: (reason: PauseReason) => [...paused.values()].filter((w) => reasonOf(w) === reason).length,
    /** Stop resuming; clear timers. */
    stop(): void { stopping = true; for (const w of paused.values()) if (w.timer) clearTimeout(w.timer); },
  };
}
