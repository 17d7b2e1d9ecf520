/** The scheduler's pure core: which held jobs are due now (a cancelled job is due at once: nothing of it will send). */
import type { ScheduledSend } from '../../generated/types.js';

/** The entries due at `now`, earliest first. */
export function dueEntries(entries: Iterable<ScheduledSend>, now: number,
  cancelled: (tenant: string, jobId: string) => boolean = () => false): ScheduledSend[] {
  return [...entries].filter((e) => e.dueAt <= now || cancelled(e.tenant, e.jobId)).sort((a, b) => a.dueAt - b.dueAt);
}

/** Milliseconds until the next entry is due (capped), for the timer. */
export function nextWakeMs(entries: Iterable<ScheduledSend>, now: number, capMs = 1000): number {
  let next = now + capMs;
  for (const e of entries) next = Math.min(next, e.dueAt);
  return Math.max(10, next - now);
}
