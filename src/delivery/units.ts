/** Parsers for the human units of the shaping file: durations ("30s", "5m", "3d") and rates ("100/s"). */

/** A rate: `count` events per `perMs` milliseconds. */
export interface Rate { count: number; perMs: number }

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|min|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 };
const RATE = /^(\d+(?:\.\d+)?)\s*\/\s*(s|sec|min|m|h|hr|d)$/;
const PER_MS: Record<string, number> = { s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000, hr: 3_600_000, d: 86_400_000 };

/** Milliseconds of a duration like "500ms", "30s", "5m", "2h", "3d"; null when it does not parse. */
export function parseDuration(raw: string): number | null {
  const m = DURATION.exec(raw.trim());
  return m ? Math.round(Number(m[1]) * UNIT_MS[m[2]!]!) : null;
}

/** A rate like "100/s", "2000/min", "50000/h"; null when it does not parse. */
export function parseRate(raw: string): Rate | null {
  const m = RATE.exec(raw.trim());
  return m && Number(m[1]) > 0 ? { count: Number(m[1]), perMs: PER_MS[m[2]!]! } : null;
}

/** Events per second of a rate. */
export const perSecond = (r: Rate): number => (r.count * 1000) / r.perMs;

/** A rate as "N/s" text, for events and logs. */
export const formatRate = (r: Rate | null): string | null => (r ? `${+perSecond(r).toFixed(3)}/s` : null);
