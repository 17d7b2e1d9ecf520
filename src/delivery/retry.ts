/**
 * When to try a deferred message again: exponential backoff with a cap, and expiry after `maxAgeMs` counted from
 * when the message was first accepted. As in KumoMTA, a message whose next attempt would fall after its expiry is
 * expired now rather than held for one more doomed try.
 */

/** Backoff schedule; times in ms. */
export interface RetrySchedule { initialMs: number; multiplier: number; maxMs: number }

/** The decision. */
export type NextAttempt = { kind: 'retry'; notBefore: number; delayMs: number } | { kind: 'expired'; ageMs: number };

/**
 * Next attempt after attempt number `attempt` (1-based) failed temporarily. `jitter` (0..1, default 0) spreads
 * retries by ±jitter×delay using `random` (0 ≤ r < 1), so a burst of deferrals does not come back as a burst.
 */
export function nextAttempt(input: {
  attempt: number; acceptedAt: number; now: number; schedule: RetrySchedule; maxAgeMs: number; jitter?: number; random?: () => number;
}): NextAttempt {
  const { attempt, acceptedAt, now, schedule, maxAgeMs } = input;
  const ageMs = now - acceptedAt;
  if (ageMs >= maxAgeMs) return { kind: 'expired', ageMs };
  const exp = schedule.initialMs * schedule.multiplier ** Math.max(0, attempt - 1);
  let delayMs = Math.min(schedule.maxMs, exp);
  if (input.jitter) delayMs = Math.round(delayMs * (1 + input.jitter * (2 * (input.random ?? Math.random)() - 1)));
  const notBefore = now + Math.max(0, delayMs);
  if (notBefore > acceptedAt + maxAgeMs) return { kind: 'expired', ageMs };
  return { kind: 'retry', notBefore, delayMs };
}
