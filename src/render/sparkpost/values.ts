/**
 * Safe value handling: own data properties only (no prototype, no getters, no Proxy traps), and printing that
 * never calls user code (`toString`, `valueOf`, `toJSON` are never invoked).
 */
import { types } from 'node:util';

/** `obj[key]` when it is an own data property of a plain (non-Proxy) object or array; else undefined. */
export function own(obj: unknown, key: string): unknown {
  if (typeof obj !== 'object' || obj === null || types.isProxy(obj)) return undefined;
  const d = Object.getOwnPropertyDescriptor(obj, key);
  return d === undefined ? undefined : d.value;
}

/**
 * `own` for data that came from JSON.parse, which makes neither getters nor proxies: an own-property check and a
 * plain read (an own `__proto__` key from JSON is a data property and shadows the accessor).
 */
export function jsonOwn(obj: unknown, key: string): unknown {
  if (typeof obj !== 'object' || obj === null) return undefined;
  // a key no prototype of JSON values has can only be an own property: read it without the hasOwn call
  if (!INHERITED.has(key)) { const v = (obj as Record<string, unknown>)[key]; return typeof v === 'function' ? undefined : v; }
  return Object.hasOwn(obj, key) ? (obj as Record<string, unknown>)[key] : undefined;
}
/** Every name a JSON object or array inherits (Object.prototype, Array.prototype, `__proto__`). */
const INHERITED: ReadonlySet<string> = new Set([...Object.getOwnPropertyNames(Object.prototype),
  ...Object.getOwnPropertyNames(Array.prototype), '__proto__']);

/** Length for `#x`: arrays and strings; 0 for anything else. */
export function lengthOf(v: unknown): number {
  if (typeof v === 'string') return v.length;
  if (Array.isArray(v) && !types.isProxy(v)) {
    const d = Object.getOwnPropertyDescriptor(v, 'length');
    return typeof d?.value === 'number' ? d.value : 0;
  }
  return 0;
}

/** Text of a value: strings, finite numbers, booleans and bigints print; null, objects and functions print ''. */
export function print(v: unknown): string {
  switch (typeof v) {
    case 'string': return v;
    case 'number': return Number.isFinite(v) ? String(v) : '';
    case 'boolean': return v ? 'true' : 'false';
    case 'bigint': return v.toString();
    default: return '';
  }
}

/** SparkPost's truth: everything but null/undefined and false (0 and '' are true, as in Lua). */
export const truthy = (v: unknown): boolean => v !== null && v !== undefined && v !== false;

const ESC: Record<string, string> = {
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;', '/': '&#x2F;',
};
const ESC_RE = /[&<>"'/]/g;
const ESC_TEST = /[&<>"'/]/;

/** HTML-escape as SparkPost does (`/` included). */
export const escapeHtml = (s: string): string => (ESC_TEST.test(s) ? s.replace(ESC_RE, (c) => ESC[c]) : s);

const UNQUOTED = /[^A-Za-z0-9\u0100-\uFFFF]/g;
/**
 * Escape for an unquoted attribute value (OWASP's rule): every ASCII/Latin-1 character but letters and digits
 * becomes `&#xHH;`, so no space, `=`, quote or backtick can end the value or start another attribute.
 */
export const escapeUnquoted = (s: string): string =>
  s.replace(UNQUOTED, (c) => `&#x${c.charCodeAt(0).toString(16).toUpperCase()};`);

const ATTR: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** Escape for an attribute value, keeping `/` (a URL stays readable). */
export const escapeAttr = (s: string): string => s.replace(/[&<>"']/g, (c) => ATTR[c]);

/** URL-encode a value inside an href (RFC 3986 unreserved characters kept, `!'()*` encoded too). */
export function encodeUrl(s: string): string {
  if (URL_SAFE.test(s)) return s; // the common case (ids, codes): nothing to encode
  let e: string;
  try { e = encodeURIComponent(s); } catch { e = encodeURIComponent(wellFormed(s)); }
  return SUB_DELIMS.test(e) ? e.replace(SUB_DELIMS_G, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`) : e;
}
const URL_SAFE = /^[\w.~-]*$/;
const SUB_DELIMS = /[!'()*]/;
const SUB_DELIMS_G = /[!'()*]/g;

const LONE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/** `s` with lone surrogates replaced by U+FFFD (they make encodeURIComponent throw). */
export const wellFormed = (s: string): string => s.replace(LONE, '\uFFFD');
