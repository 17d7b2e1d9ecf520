/**
 * Signed tracking tokens for opens, clicks and unsubscribes.
 *
 * Format: `<payload>.<signature>`, both base64url without padding.
 *   payload   = base64url(JSON.stringify({ k, m, j, t, s, i?, u?, r? }))
 *               k: kind — 'c' click, 'o' open, 'u' unsubscribe
 *               m: message ID (always `<job ID>.<row>`), j: job ID, t: tenant, s: issued at (s since the epoch)
 *               i: link index in the HTML (clicks; 0-based, document order)
 *               u: the target URL (clicks) — the redirector only ever redirects to the URL inside a
 *                  verified token, so a token can never be turned into an open redirect
 *               r: recipient address (unsubscribes)
 *   signature = base64url(HMAC-SHA256(tenantKey, payload)) over the payload's base64url text, where
 *               tenantKey = HMAC-SHA256(secret, 'tenant:' + t): a token claiming another tenant never verifies
 * Verification recomputes the HMAC and compares in constant time; anything malformed, a message that is not of the
 * named job, or a token older than the TTL yields null.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** What a token carries. */
export interface TokenPayload {
  /** Kind: 'c' click, 'o' open, 'u' unsubscribe. */
  k: 'c' | 'o' | 'u';
  /** Message ID. */
  m: string;
  /** Job ID. */
  j: string;
  /** Tenant: the signing key is derived from it, and suppressions are per tenant. */
  t: string;
  /** Issued at, seconds since the Unix epoch (the render time). */
  s: number;
  /** Link index (clicks). */
  i?: number;
  /** Target URL (clicks). */
  u?: string;
  /** Recipient address (unsubscribes). */
  r?: string;
}

/** How a verifier judges age: `now` in ms and the longest accepted age in ms (none: any age). */
export interface VerifyOptions { now?: number; ttlMs?: number }

const MAX_TOKEN = 8192;

// every token of a message (a dozen per marketing mail) needs the same derived key: derive it once per secret and tenant
const keys = new Map<string, Map<string, Buffer>>();
const MAX_KEYS = 1024;

/** The per-tenant signing key derived from the deployment secret (cached: callers must not modify it). */
export function tenantKey(secret: string, tenant: string): Buffer {
  let bySecret = keys.get(secret);
  if (!bySecret) keys.set(secret, (bySecret = new Map()));
  let key = bySecret.get(tenant);
  if (!key) {
    key = createHmac('sha256', secret).update(`tenant:${tenant}`).digest();
    // a verified token names its tenant: a long made-up one is derived, never kept
    if (tenant.length > 256) return key;
    if (bySecret.size >= MAX_KEYS) bySecret.delete(bySecret.keys().next().value as string);
    bySecret.set(tenant, key);
  }
  return key;
}

function mac(key: Buffer, body: string): Buffer {
  return createHmac('sha256', key).update(body).digest();
}

/** A token of a payload's JSON text, signed with the tenant's key. */
function sealJson(json: string, key: Buffer): string {
  const body = Buffer.from(json).toString('base64url');
  return `${body}.${createHmac('sha256', key).update(body).digest('base64url')}`;
}

/** Sign a payload into a URL-safe token. */
export function signToken(payload: TokenPayload, secret: string): string {
  return sealJson(JSON.stringify(payload), tenantKey(secret, payload.t));
}

function parse(body: string): TokenPayload | null {
  try {
    const p = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as TokenPayload;
    const ok = p && typeof p === 'object' && typeof p.m === 'string' && typeof p.j === 'string' && typeof p.t === 'string'
      && typeof p.s === 'number' && ['c', 'o', 'u'].includes(p.k);
    return ok ? p : null;
  } catch {
    return null;
  }
}

/** The payload of a token whose signature verifies and which is not expired, else null (constant-time compare). */
export function verifyToken(token: string, secret: string, opts: VerifyOptions = {}): TokenPayload | null {
  if (token.length > MAX_TOKEN) return null;
  const dot = token.indexOf('.');
  if (dot <= 0 || dot !== token.lastIndexOf('.')) return null;
  const body = token.slice(0, dot);
  // the tenant names the key, so the body is read before the signature is checked; nothing else of it is used first
  const p = parse(body);
  const sig = Buffer.from(token.slice(dot + 1), 'base64url');
  const want = mac(tenantKey(secret, p?.t ?? ''), body);
  if (sig.length !== want.length || !timingSafeEqual(sig, want) || !p) return null;
  if (!p.m.startsWith(`${p.j}.`)) return null;
  const now = opts.now ?? Date.now();
  if (opts.ttlMs != null && (p.s * 1000 + opts.ttlMs < now || p.s * 1000 > now + 86_400_000)) return null;
  return p;
}

/** `verifyToken` under the current secret, then each retired one (TRACKING_SECRETS_PREVIOUS), so rotation breaks no link. */
export function verifyTokenAny(token: string, secrets: readonly string[], opts: VerifyOptions = {}): TokenPayload | null {
  for (const s of secrets) { const p = verifyToken(token, s, opts); if (p) return p; }
  return null;
}

/** Per-message tracking context handed to compiled templates. */
export interface Tracker {
  /** The href to emit for link `index`, whose target is the parts joined (HTML-attribute safe). */
  link(index: number, parts: unknown[]): string;
  /** The open pixel markup, or '' when open tracking is off. */
  pixel(): string;
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** HTML-escape a value for an attribute. */
export const escapeAttr = (s: string): string => s.replace(/[&<>"']/g, (c) => ESC[c]);

/** A tracker for one message; with tracking off it returns links unchanged. */
export function createTracker(opts: {
  baseUrl: string; secret: string; messageId: string; jobId: string; tenant: string; now: number; click: boolean; open: boolean;
}): Tracker {
  const base = opts.baseUrl.replace(/\/+$/, '');
  const id = { m: opts.messageId, j: opts.jobId, t: opts.tenant, s: Math.floor(opts.now / 1000) };
  const key = tenantKey(opts.secret, opts.tenant);
  // a click token's JSON up to its link fields, once per message: the same text JSON.stringify writes for each link
  let clickHead: string | undefined;
  return {
    link(index, parts) {
      const url = parts.length === 1 && typeof parts[0] === 'string' ? parts[0] : parts.map((p) => (p == null ? '' : String(p))).join('');
      const target = url.trim();
      if (!opts.click || !/^https?:\/\//i.test(target)) return escapeAttr(url);
      clickHead ??= JSON.stringify({ k: 'c', ...id }).slice(0, -1);
      return `${base}/c/${sealJson(`${clickHead},"i":${JSON.stringify(index)},"u":${JSON.stringify(target)}}`, key)}`;
    },
    pixel() {
      if (!opts.open) return '';
      const t = sealJson(JSON.stringify({ k: 'o', ...id }), key);
      return `<img src="${base}/o/${t}" width="1" height="1" alt="">`;
    },
  };
}
