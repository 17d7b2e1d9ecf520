/**
 * Eta personalisation: one engine that HTML-escapes (HTML part) and one that does not (text part, headers).
 * Templates see their data as `it` and mailstream's per-message helpers as `__ms` (tracking links, pixel).
 * Lenient mode prints null/undefined as ''; strict mode renders over a Proxy that throws on a missing key.
 */
import { Eta, type TemplateFunction } from 'eta';
import { MailstreamError } from '../lib/errors.js';
import type { Tracker } from './tracking.js';

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const text = (v: unknown): string => (v == null ? '' : String(v));
const escape = (v: unknown): string => {
  const s = text(v);
  return /[&<>"']/.test(s) ? s.replace(/[&<>"']/g, (c) => ESC[c]) : s;
};

const common = {
  autoTrim: false as const, cache: false, autoFilter: true, filterFunction: text,
  functionHeader: 'const __ms = options && options.ms;',
};
const engines = {
  html: new Eta({ ...common, autoEscape: true, escapeFunction: escape }),
  text: new Eta({ ...common, autoEscape: false, escapeFunction: text }),
};

/** Output mode of a template: `html` escapes interpolations, `text` does not. */
export type Mode = keyof typeof engines;

/** A compiled template: data and the per-message helpers in, string out. */
export type Render = (data: object, ms?: Tracker) => string;

/** The engine for a mode (for parsing and error localisation). */
export const engine = (mode: Mode): Eta => engines[mode];

/** Compile an Eta template once; throws Eta's error (syntax) for the caller to wrap. */
export function compileEta(src: string, mode: Mode): Render {
  const eta = engines[mode];
  if (!src.includes('<%')) return () => src; // fast path: nothing to personalise
  const fn: TemplateFunction = eta.compile(src);
  return (data, ms) => fn.call(eta, data, { ms } as never);
}

const isPlain = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);

/** Deep-merge `over` onto `base` (objects merge key by key; arrays and scalars replace). */
export function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isPlain(v) && isPlain(out[k]) ? deepMerge(out[k] as Record<string, unknown>, v) : v;
  return out;
}

/** A read-only view of `data` that throws MS_ERR_TEMPLATE naming the path of any missing variable. */
export function strictData(data: object, path = 'it'): object {
  const cache = new Map<PropertyKey, unknown>();
  return new Proxy(data, {
    get(target, key, recv) {
      if (typeof key !== 'string' || key in target) {
        const v = Reflect.get(target, key, recv);
        if (typeof key !== 'string' || typeof v !== 'object' || v === null || !Object.hasOwn(target, key)) return v;
        if (!cache.has(key)) cache.set(key, strictData(v, `${path}.${key}`));
        return cache.get(key);
      }
      throw new MailstreamError('MS_ERR_TEMPLATE', `missing variable ${path}.${key}`);
    },
  });
}

/** Run a compiled template, turning runtime failures into MS_ERR_TEMPLATE errors naming the part. */
export function run(render: Render, data: object, part: string, ms?: Tracker): string {
  try {
    return render(data, ms);
  } catch (err) {
    if (err instanceof MailstreamError) throw new MailstreamError(err.code, `${part}: ${err.message}`);
    throw new MailstreamError('MS_ERR_TEMPLATE', `${part}: ${(err as Error).message}`, { cause: err });
  }
}
