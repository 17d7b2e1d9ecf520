/**
 * Signed tracking tokens for opens, clicks and unsubscribes.
 *
 * Format: `<payload>.<signature>`, both base64url without padding.
 *   payload   = base64url(JSON.stringify({ k, m, j, i?, u? }))
 *               k: kind — 'c' click, 'o' open, 'u' unsubscribe
 *               m: message ID, j: job ID
 *               i: link index in the HTML (clicks; 0-based, document order)
 *               u: the target URL (clicks) — the redirector only ever redirects to the URL inside a
 *                  verified token, so a token can never be turned into an open redirect
 *               r: recipient address, t: tenant (unsubscribes)
 *   signature = base64url(HMAC-SHA256(secret, payload)) over the payload's base64url text
 * Verification recomputes the HMAC and compares in constant time; anything malformed yields null.
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
  /** Link index (clicks). */
  i?: number;
  /** Target URL (clicks). */
  u?: string;
  /** Recipient address (unsubscribes). */
  r?: string;
  /** Tenant (unsubscribes: suppressions are per tenant). */
  t?: string;
}

function mac(secret: string, body: string): Buffer {
  return createHmac('sha256', secret).update(body).digest();
}

/** Sign a payload into a URL-safe token. */
export function signToken(payload: TokenPayload, secret: string): string {
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${body}.${mac(secret, body).toString('base64url')}`;
}

/** The payload of a token whose signature verifies, else null (constant-time compare). */
export function verifyToken(token: string, secret: string): TokenPayload | null {
  const dot = token.indexOf('.');
  if (dot <= 0 || dot !== token.lastIndexOf('.')) return null;
  const body = token.slice(0, dot);
  const sig = Buffer.from(token.slice(dot + 1), 'base64url');
  const want = mac(secret, body);
  if (sig.length !== want.length || !timingSafeEqual(sig, want)) return null;
  try {
    const p = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as TokenPayload;
    return p && typeof p === 'object' && typeof p.m === 'string' && typeof p.j === 'string' ? p : null;
  } catch {
    return null;
  }
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
export function createTracker(opts: { baseUrl: string; secret: string; messageId: string; jobId: string; click: boolean; open: boolean }): Tracker {
  const base = opts.baseUrl.replace(/\/+$/, '');
  return {
    link(index, parts) {
      const url = parts.length === 1 && typeof parts[0] === 'string' ? parts[0] : parts.map((p) => (p == null ? '' : String(p))).join('');
      const target = url.trim();
      if (!opts.click || !/^https?:\/\//i.test(target)) return escapeAttr(url);
      return `${base}/c/${signToken({ k: 'c', m: opts.messageId, j: opts.jobId, i: index, u: target }, opts.secret)}`;
    },
    pixel() {
      if (!opts.open) return '';
      const t = signToken({ k: 'o', m: opts.messageId, j: opts.jobId }, opts.secret);
      return `<img src="${base}/o/${t}" width="1" height="1" alt="">`;
    },
  };
}
