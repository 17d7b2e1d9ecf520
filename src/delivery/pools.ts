/**
 * Egress pools: pick a binding (source IP) from a weighted pool, deterministically given a random source,
 * skipping bindings that are suspended for the destination or have reached today's warm-up cap.
 */
import type { BindingSpec } from './shaping-schema.js';

/** A pool member. */
export interface PoolMember { binding: string; weight: number }
/** The pick. */
export type BindingPick = { ok: true; binding: BindingSpec } | { ok: false; reason: 'empty_pool' | 'all_suspended' | 'all_at_daily_cap' };

const DAY_MS = 86_400_000;

/**
 * Today's warm-up cap of a binding (messages per UTC day): the cap of the last step whose `day` has been reached,
 * day 1 being `warmup_start`. Infinity without a schedule or past its last step; 0 before the start date.
 */
export function dailyCap(b: BindingSpec, now: number): number {
  if (!b.warmup || !b.warmup_start) return Infinity;
  const day = Math.floor((now - Date.parse(`${b.warmup_start}T00:00:00Z`)) / DAY_MS) + 1;
  if (day < 1) return 0;
  const steps = [...b.warmup].sort((x, y) => x.day - y.day);
  if (day > steps[steps.length - 1]!.day) return Infinity;
  return [...steps].reverse().find((s) => s.day <= day)?.daily_cap ?? 0;
}

/** Pick a binding: weighted by `weight` among the eligible members, with `random()` in [0, 1). */
export function pickBinding(input: {
  pool: readonly PoolMember[]; bindings: readonly BindingSpec[]; now: number; random: () => number;
  sentToday: (binding: string) => number; isSuspended?: (binding: string) => boolean;
}): BindingPick {
  const members = input.pool.filter((m) => m.weight > 0)
    .map((m) => ({ m, b: input.bindings.find((b) => b.name === m.binding) }))
    .filter((x): x is { m: PoolMember; b: BindingSpec } => x.b != null);
  if (!members.length) return { ok: false, reason: 'empty_pool' };
  const awake = members.filter((x) => !input.isSuspended?.(x.b.name));
  if (!awake.length) return { ok: false, reason: 'all_suspended' };
  const open = awake.filter((x) => input.sentToday(x.b.name) < dailyCap(x.b, input.now));
  if (!open.length) return { ok: false, reason: 'all_at_daily_cap' };
  const total = open.reduce((s, x) => s + x.m.weight, 0);
  let r = input.random() * total;
  for (const x of open) { if ((r -= x.m.weight) < 0) return { ok: true, binding: x.b }; }
  return { ok: true, binding: open[open.length - 1]!.b };
}

/** Messages sent per binding in the current UTC day; resets itself at midnight. */
export function createDailyCounter(now: () => number) {
  let day = Math.floor(now() / DAY_MS);
  const counts = new Map<string, number>();
  const roll = () => { const d = Math.floor(now() / DAY_MS); if (d !== day) { day = d; counts.clear(); } };
  return {
    /** Count one (or n) sent messages. */
    add(binding: string, n = 1): void { roll(); counts.set(binding, (counts.get(binding) ?? 0) + n); },
    /** Sent today. */
    get(binding: string): number { roll(); return counts.get(binding) ?? 0; },
  };
}

/** A seeded PRNG (mulberry32) for deterministic picks in tests and simulations. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
