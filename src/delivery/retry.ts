/**
 * When to try a deferred message again: exponential backoff with a cap, and expiry after `maxAgeMs` counted from
 * when the message was first accepted. As in KumoMTA, a message whose next attempt would fall after its expiry is
 * expired now rather than held for one more doomed try.
 */

/** Backoff schedule; times in ms. */
export interface RetrySchedule { initialMs: number; multiplier: number; maxMs: number }

/** The decision. */
export type NextAttempt = { kind: 'retry'; notBefore: number; delayMs: number } | { kind: 'expired'; ageMs: number };

/** Next attempt after attempt number `attempt` (1-based) failed temporarily. */
export function nextAttempt(input: {
  attempt: number; acceptedAt: number; now: number; schedule: RetrySchedule; maxAgeMs: number;
}): NextAttempt {
  const { attempt, acceptedAt, now, schedule, maxAgeMs } = input;
  const ageMs = now - acceptedAt;
  if (ageMs >= maxAgeMs) return { kind: 'expired', ageMs };
  const exp = schedule.initialMs * schedule.multiplier ** Math.max(0, attempt - 1);
  const delayMs = Math.min(schedule.maxMs, exp);
  const notBefore = now + delayMs;
  if (notBefore > acceptedAt + maxAgeMs) return { kind: 'expired', ageMs };
  return { kind: 'retry', notBefore, delayMs };
}
