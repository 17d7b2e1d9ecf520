/**
 * API key authentication as SparkPost does it: `Authorization: <key>`, or Basic with the key as the user and an
 * empty password. The key names the tenant; every route acts for `res.locals.caller.tenant` only.
 */
import type { RequestHandler, Response } from 'express';
import { createTokenBucket, type TokenBucket } from '../../delivery/throttle.js';
import { lookupKey, type KeyTable } from '../../streams/keys.js';
import { ApiError } from './errors.js';

/** Who is calling: the key's tenant, id and scopes (empty: every scope). */
export interface Caller { tenant: string; keyId: string; scopes: string[] }

/** The authenticated caller of a request (set by `authenticate`). */
export const callerOf = (res: Response): Caller => res.locals.caller as Caller;

/** The raw key in an Authorization header value, or undefined. */
export function keyFromHeader(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header.trim());
  if (!m) return header.trim() || undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const user = decoded.includes(':') ? decoded.slice(0, decoded.indexOf(':')) : decoded;
  return user || undefined;
}

/** Most per-key buckets kept; the least recently used is dropped past it (a full bucket loses nothing). */
const MAX_BUCKETS = 10_000;

/** Authenticate every request against the live key table and apply the per-key request rate (429 past it). */
export function authenticate(keys: Pick<KeyTable, 'get'>, ratePerSecond: number, now = () => Date.now()): RequestHandler {
  const buckets = new Map<string, TokenBucket>();
  return (req, res, next) => {
    const key = keyFromHeader(req.get('authorization'));
    const rec = key ? lookupKey(keys, key) : undefined;
    if (!rec) { next(new ApiError('MS_ERR_UNAUTHORIZED', 'missing, unknown or revoked API key')); return; }
    let bucket = buckets.get(rec.keyId);
    if (bucket) buckets.delete(rec.keyId);
    else bucket = createTokenBucket({ count: ratePerSecond, perMs: 1000 }, { now });
    buckets.set(rec.keyId, bucket);
    if (buckets.size > MAX_BUCKETS) buckets.delete(buckets.keys().next().value!);
    const take = bucket.take();
    if (!take.ok) {
      res.setHeader('Retry-After', String(Math.max(1, Math.ceil(take.waitMs / 1000))));
      next(new ApiError('MS_ERR_RATE_LIMITED', `more than ${ratePerSecond} requests per second for this key`));
      return;
    }
    res.locals.caller = { tenant: rec.tenant, keyId: rec.keyId, scopes: rec.scopes } satisfies Caller;
    next();
  };
}

/** Refuse the route (403) unless the caller's key has `scope` (a key without scopes has every scope). */
export function requireScope(scope: string): RequestHandler {
  return (_req, res, next) => {
    const { scopes } = callerOf(res);
    const family = scope.replace(/:.*$/, '');
    const ok = !scopes.length || scopes.includes(scope) || (scope.endsWith(':read') && scopes.includes(`${family}:modify`))
      || (scope.endsWith(':read') && scopes.includes(`${family}:manage`));
    next(ok ? undefined : new ApiError('MS_ERR_FORBIDDEN', `this key lacks the ${scope} scope`));
  };
}
