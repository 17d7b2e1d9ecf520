/**
 * Token-bucket rate limiters, pure with an injected clock. One bucket per scope (e.g. "msg:<binding>-><site>" or
 * "conn:<binding>-><site>"); the rate of a scope may change at any time (the adaptive controller lowers it).
 */
import type { Rate } from './units.js';

/** Result of a take: granted, or how long to wait before trying again. */
export type Take = { ok: true } | { ok: false; waitMs: number };

/** One token bucket. */
export interface TokenBucket {
  /** Take `n` tokens now, or learn how long until they are there. */
  take(n?: number): Take;
  /** Change the rate; tokens above the new burst are dropped. */
  setRate(rate: Rate, burst?: number): void;
  /** Tokens available now. */
  available(): number;
  /** True when the bucket has refilled to its burst (forgetting it then changes nothing). */
  full(): boolean;
}

/** Burst when none is given: one second's worth of the rate, at least one token. */
export const defaultBurst = (rate: Rate): number => Math.max(1, Math.ceil((rate.count * 1000) / rate.perMs));

/** A bucket that starts full. */
export function createTokenBucket(rate: Rate, opts: { now: () => number; burst?: number }): TokenBucket {
  let perMs = rate.count / rate.perMs;
  let burst = opts.burst ?? defaultBurst(rate);
  let tokens = burst;
  let last = opts.now();
  const refill = () => {
    const t = opts.now();
    if (t > last) tokens = Math.min(burst, tokens + (t - last) * perMs);
    last = Math.max(last, t);
  };
  return {
    take(n = 1) {
      refill();
      if (tokens >= n) { tokens -= n; return { ok: true }; }
      return { ok: false, waitMs: Math.ceil((n - tokens) / perMs) };
    },
    setRate(r, b) {
      refill();
      perMs = r.count / r.perMs;
      burst = b ?? defaultBurst(r);
      tokens = Math.min(tokens, burst);
    },
    available() { refill(); return tokens; },
    full() { refill(); return tokens >= burst; },
  };
}

/** Rate limiters keyed by scope. */
export interface Limiters {
  /** Take from the scope's bucket at this rate (a null rate is unlimited). */
  take(scope: string, rate: Rate | null, n?: number): Take;
  /** Forget a scope whose bucket is full again (a queue that went idle); false, and kept, while it refills. */
  drop(scope: string): boolean;
  /** Number of live scopes. */
  size(): number;
}

/** A set of limiters; a scope's bucket is created on first use and re-rated when the rate passed in changes. */
export function createLimiters(opts: { now: () => number }): Limiters {
  const buckets = new Map<string, { bucket: TokenBucket; key: string }>();
  return {
    take(scope, rate, n = 1) {
      if (!rate) return { ok: true };
      const key = `${rate.count}/${rate.perMs}`;
      const entry = buckets.get(scope);
      if (!entry) { const bucket = createTokenBucket(rate, opts); buckets.set(scope, { bucket, key }); return bucket.take(n); }
      if (entry.key !== key) { entry.bucket.setRate(rate); entry.key = key; }
      return entry.bucket.take(n);
    },
    drop(scope) {
      const entry = buckets.get(scope);
      if (entry && !entry.bucket.full()) return false;
      buckets.delete(scope);
      return true;
    },
    size() { return buckets.size; },
  };
}

/** Wait for a token of `scope` at `rate` (null: unlimited); `busy(scope)` is true while callers wait in its line. */
export type TokenQueue = ((scope: string, rate: Rate | null, priority?: boolean) => Promise<void>) & { busy(scope: string): boolean };

/**
 * Waiting in line for tokens: per scope, callers are served first come first served, a priority (transactional)
 * caller ahead of every bulk one, and only one timer runs per scope (until the head's token is there), so hundreds
 * of queued messages of a throttled destination cost one timer, not hundreds of wake-ups per token. The rate is the
 * one the latest caller passed (the adaptive controller may have lowered it meanwhile).
 */
export function createTokenQueue(limiters: Limiters, sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))): TokenQueue {
  interface Line { high: Array<() => void>; low: Array<() => void>; rate: Rate }
  const lines = new Map<string, Line>();
  const pump = async (scope: string, line: Line): Promise<void> => {
    while (line.high.length || line.low.length) {
      const t = limiters.take(scope, line.rate);
      if (t.ok) (line.high.shift() ?? line.low.shift())!();
      else await sleep(t.waitMs);
    }
    lines.delete(scope);
  };
  const take = (scope: string, rate: Rate | null, priority = false): Promise<void> => {
    if (!rate) return Promise.resolve();
    let line = lines.get(scope);
    if (!line && limiters.take(scope, rate).ok) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const fresh = !line;
      line ??= { high: [], low: [], rate };
      line.rate = rate;
      (priority ? line.high : line.low).push(resolve);
      if (fresh) { lines.set(scope, line); void pump(scope, line); }
    });
  };
  return Object.assign(take, { busy: (scope: string) => lines.has(scope) });
}
