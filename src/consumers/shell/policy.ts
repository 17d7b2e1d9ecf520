/**
 * The one failure policy, read only from `retriable`: a retriable error is retried with capped exponential backoff up
 * to `maxAttempts`, anything else gives up at once. A Kafka client error (a produce or commit the broker refused or
 * missed) is infrastructure, not the record's fault: it is retried without counting an attempt. A `DelayedError`
 * waits until its time, also without counting.
 */
import kafkajs from '../../lib/kafkajs.js';
import { DelayedError, isRetriable } from '../../lib/errors.js';

const { KafkaJSError } = kafkajs; // CJS module: named imports are not detected under ESM

/** Retry limits of every stage (config STAGE_MAX_ATTEMPTS, STAGE_RETRY_MAX_MS). */
export interface RetryPolicy {
  /** Handler calls per record before it is dead-lettered (count, ≥ 1). */
  maxAttempts: number;
  /** First backoff (ms); it doubles per attempt. */
  baseMs: number;
  /** Longest backoff (ms). */
  maxMs: number;
}

/** Defaults matching the config defaults. */
export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 10, baseMs: 200, maxMs: 30_000 };

/** The wait after failed attempt `n` (1-based): baseMs · 2^(n-1), capped at maxMs. */
export function backoff(n: number, p: RetryPolicy): number {
  return Math.min(p.maxMs, p.baseMs * 2 ** Math.min(30, n - 1));
}

/** True for an error of the Kafka client itself. */
export function isKafkaError(err: unknown): boolean {
  return err instanceof KafkaJSError;
}

/** How one record (or batch) ended. */
export type Settled<T> =
  | { kind: 'done'; value: T; attempts: number }
  | { kind: 'failed'; error: unknown; attempts: number }
  | { kind: 'abandoned' };

/** Hooks of `attempt`: a wait that may end early, and whether the work still belongs to this member. */
export interface AttemptHooks {
  /** Sleep `ms` (the runner heartbeats meanwhile and returns early when the work is abandoned). */
  wait(ms: number): Promise<void>;
  /** True once the record was revoked or the stage is stopping: stop trying, the next owner repeats it. */
  abandoned(): boolean;
  now(): number;
  onRetry?(err: unknown, attempt: number, delayMs: number): void;
}

/** Run `fn` under the policy. */
export async function attempt<T>(fn: () => Promise<T>, p: RetryPolicy, hooks: AttemptHooks): Promise<Settled<T>> {
  for (let n = 1, infra = 0; ;) {
    try {
      return { kind: 'done', value: await fn(), attempts: n };
    } catch (err) {
      if (hooks.abandoned()) return { kind: 'abandoned' };
      if (err instanceof DelayedError) { await hooks.wait(Math.max(0, err.until - hooks.now())); continue; }
      if (isKafkaError(err)) {
        const delay = backoff(++infra, p);
        hooks.onRetry?.(err, n, delay);
        await hooks.wait(delay);
        continue;
      }
      if (!isRetriable(err) || n >= p.maxAttempts) return { kind: 'failed', error: err, attempts: n };
      const delay = backoff(n, p);
      hooks.onRetry?.(err, n, delay);
      await hooks.wait(delay);
      n++;
    }
    if (hooks.abandoned()) return { kind: 'abandoned' };
  }
}
