/** Query-string helpers shared by the read routes: comma lists and SparkPost's times. */
import { invalidParam } from './errors.js';

/** A comma-separated list (SparkPost's convention), trimmed, empties dropped. */
export const csv = (v: unknown): string[] => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : []);

/** A time as SparkPost takes it (`YYYY-MM-DDTHH:MM`, UTC unless a zone is given) in ms, or undefined when absent. */
export function time(v: unknown, name: string): number | undefined {
  if (v == null || v === '') return undefined;
  const s = String(v);
  const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(s) ? s : `${s}Z`);
  if (Number.isNaN(ms)) throw invalidParam(`${name}: "${s}" is not a time such as 2026-01-31T08:00`);
  return ms;
}
