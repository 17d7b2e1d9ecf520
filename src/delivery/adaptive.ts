/**
 * Adaptive shaping per (binding, destination site), AIMD style: a throttling reply multiplies connections and rate
 * down and holds them until an expiry; after it, every N successes add a step back towards the configured maximum;
 * a blocking reply suspends the queue for a while. Rules come from the shaping file (first match wins); a 421 that
 * no rule matches still throttles (factor 0.5, 5 min), since 421 means "closing the channel" everywhere.
 * Every change returns one `shaping_adjusted` Event; extensions inside the hold-off window return none.
 */
import type { Event } from '../generated/types.js';
import { makeEvent } from '../schemas/events.js';
import { parseSmtpReply } from './bounce.js';
import type { AdaptiveRule, EffectiveLimits } from './shaping.js';
import { formatRate, perSecond, type Rate } from './units.js';

/** The queue a reply belongs to. */
export interface QueueKey { binding: string; site: string; domain: string }
/** The limits in force for a queue now. */
export interface Current { maxConnections: number; maxMessageRate: Rate | null; suspendedUntil: number | null; throttledUntil: number | null }
/** A reply as the sender saw it. */
export interface Reply { code: number | null; enhancedCode?: string | null; response?: string | null }

interface State {
  conn: number; ratePerSec: number | null; maxConn: number; maxRatePerSec: number | null;
  throttledUntil: number; suspendedUntil: number; lastDecreaseAt: number; successes: number; binding: string; domain: string;
}

const FALLBACK_421: AdaptiveRule = { match: /^421\b/, action: 'throttle', factor: 0.5, duration: 300_000 };
const MIN_RATE_PER_SEC = 1 / 60;

/** The scope name of a queue: "<binding>-><site>". */
export const scopeOf = (k: Pick<QueueKey, 'binding' | 'site'>): string => `${k.binding}->${k.site}`;

/** The controller: `onReply` after every SMTP reply, `current` before dispatching, `lift` for operators. */
export function createAdaptive(opts: { now: () => number }) {
  const states = new Map<string, State>();
  let seq = 0;

  const toRate = (perSec: number | null): Rate | null => (perSec == null ? null : { count: perSec, perMs: 1000 });
  const snap = (s: Pick<State, 'conn' | 'ratePerSec' | 'suspendedUntil'>, now: number) =>
    ({ connections: s.conn, rate: formatRate(toRate(s.ratePerSec)), suspended: s.suspendedUntil > now });

  function event(scope: string, s: State, old: object, reason: string, expiresAt: number | null): Event {
    const now = opts.now();
    const detail = { scope, old, new: snap(s, now), reason, expiresAt };
    return makeEvent('shaping_adjusted', { jobId: '', eventId: `shaping:${scope}:${now}:${++seq}`, domain: s.domain, binding: s.binding, reason, detail: JSON.stringify(detail) }, now);
  }

  function stateOf(key: QueueKey, limits: EffectiveLimits): State {
    const scope = scopeOf(key);
    const maxRatePerSec = limits.maxMessageRate ? perSecond(limits.maxMessageRate) : null;
    let s = states.get(scope);
    if (!s) {
      s = { conn: limits.maxConnections, ratePerSec: maxRatePerSec, maxConn: limits.maxConnections, maxRatePerSec, throttledUntil: 0, suspendedUntil: 0, lastDecreaseAt: -Infinity, successes: 0, binding: key.binding, domain: key.domain };
      states.set(scope, s);
    }
    // The configured maximum may have changed since (reload); never exceed it.
    s.maxConn = limits.maxConnections; s.maxRatePerSec = maxRatePerSec; s.domain = key.domain;
    s.conn = Math.min(s.conn, s.maxConn);
    if (s.ratePerSec != null && maxRatePerSec != null) s.ratePerSec = Math.min(s.ratePerSec, maxRatePerSec);
    return s;
  }

  function onSuccess(key: QueueKey, limits: EffectiveLimits): Event | null {
    const scope = scopeOf(key);
    const s = states.get(scope);
    const now = opts.now();
    if (!s || now < s.throttledUntil || now < s.suspendedUntil) return null;
    stateOf(key, limits);
    if (++s.successes < limits.adaptive.successesToRecover) return null;
    s.successes = 0;
    const old = snap(s, now);
    s.conn = Math.min(s.maxConn, s.conn + limits.adaptive.connectionStep);
    if (s.ratePerSec != null && s.maxRatePerSec != null) s.ratePerSec = Math.min(s.maxRatePerSec, s.ratePerSec + (s.maxRatePerSec * limits.adaptive.rateStepPercent) / 100);
    const recovered = s.conn >= s.maxConn && s.ratePerSec === s.maxRatePerSec;
    if (recovered) states.delete(scope);
    return event(scope, s, old, recovered ? 'recovered to the configured maximum' : `additive increase after ${limits.adaptive.successesToRecover} successes`, null);
  }

  function onReply(key: QueueKey, limits: EffectiveLimits, reply: Reply): Event | null {
    if (reply.code != null && reply.code < 400) return onSuccess(key, limits);
    const p = parseSmtpReply(reply.response ?? '');
    const code = reply.code ?? p.code;
    const line = [code, reply.enhancedCode ?? p.enhancedCode, p.text || reply.response].filter(Boolean).join(' ');
    const rule = limits.adaptive.rules.find((r) => r.match.test(line)) ?? (code === 421 ? FALLBACK_421 : undefined);
    if (!rule) return null;
    const scope = scopeOf(key);
    const s = stateOf(key, limits);
    const now = opts.now();
    const old = snap(s, now);
    const why = `${rule.action} on /${rule.match.source}/: ${line.slice(0, 200)}`;
    s.successes = 0;
    if (rule.action === 'suspend') {
      const was = s.suspendedUntil > now;
      s.suspendedUntil = Math.max(s.suspendedUntil, now + rule.duration);
      return was ? null : event(scope, s, old, why, s.suspendedUntil);
    }
    s.throttledUntil = Math.max(s.throttledUntil, now + rule.duration);
    // Parallel connections report the same throttle at once; decrease once per hold-off window.
    if (now - s.lastDecreaseAt < limits.adaptive.decreaseHoldoffMs) return null;
    s.lastDecreaseAt = now;
    s.conn = Math.max(1, Math.floor(s.conn * rule.factor!));
    if (s.ratePerSec != null) s.ratePerSec = Math.max(MIN_RATE_PER_SEC, s.ratePerSec * rule.factor!);
    return event(scope, s, old, why, s.throttledUntil);
  }

  return {
    onReply,
    onSuccess,
    /** Limits in force for a queue now (the configured ones when nothing was adjusted). */
    current(key: Pick<QueueKey, 'binding' | 'site'>, limits: EffectiveLimits): Current {
      const s = states.get(scopeOf(key));
      const now = opts.now();
      if (!s) return { maxConnections: limits.maxConnections, maxMessageRate: limits.maxMessageRate, suspendedUntil: null, throttledUntil: null };
      const cap = limits.maxMessageRate ? perSecond(limits.maxMessageRate) : null;
      const rate = s.ratePerSec == null || cap == null ? limits.maxMessageRate : toRate(Math.min(s.ratePerSec, cap));
      return { maxConnections: Math.min(s.conn, limits.maxConnections), maxMessageRate: rate, suspendedUntil: s.suspendedUntil > now ? s.suspendedUntil : null, throttledUntil: s.throttledUntil > now ? s.throttledUntil : null };
    },
    /** True while the queue is suspended. */
    isSuspended(key: Pick<QueueKey, 'binding' | 'site'>): boolean { return (states.get(scopeOf(key))?.suspendedUntil ?? 0) > opts.now(); },
    /** Operator override: drop every adjustment and suspension of a scope ("<binding>-><site>"). */
    lift(scope: string, by = 'operator'): Event | null {
      const s = states.get(scope);
      if (!s) return null;
      const old = snap(s, opts.now());
      states.delete(scope);
      Object.assign(s, { conn: s.maxConn, ratePerSec: s.maxRatePerSec, suspendedUntil: 0 });
      return event(scope, s, old, `lifted by ${by}`, null);
    },
    /** True while a throttle or suspension of the scope is in force (its queue must keep its state). */
    inForce(scope: string): boolean {
      const s = states.get(scope);
      const now = opts.now();
      return Boolean(s && (s.throttledUntil > now || s.suspendedUntil > now));
    },
    /** Forget a scope that is back to its configured limits with nothing in force; false, and kept, otherwise. */
    evict(scope: string): boolean {
      const s = states.get(scope);
      if (!s) return true;
      const now = opts.now();
      if (s.throttledUntil > now || s.suspendedUntil > now || s.conn < s.maxConn || s.ratePerSec !== s.maxRatePerSec) return false;
      states.delete(scope);
      return true;
    },
    /** Scopes with an adjustment in force, for status pages. */
    scopes(): string[] { return [...states.keys()]; },
  };
}
