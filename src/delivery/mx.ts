/**
 * MX resolution with caching, implicit MX (RFC 5321 §5.1), null MX (RFC 7505) and MX rollup: the `site` key is the
 * sorted list of exchange names, so domains hosted by the same MX hosts share one queue and one set of limits.
 * TTL: an MX answer is cached for its smallest record TTL (an implicit MX for its smallest A/AAAA TTL), at most
 * `cacheTtlMs` (default 5 min) and at least `minTtlMs` (default 5 s, so a TTL of 0 does not mean a query per message);
 * NXDOMAIN and null MX for `negativeTtlMs`; tempfail for `tempfailTtlMs`. The queries go to `servers` ("host:port")
 * or, without them, the system's name servers, through dns-query.ts (node's `resolveMx` reports no TTL).
 */
import { createDnsQuery, type ServerSpec } from './dns-query.js';

/** One MX host. */
export interface MxHost { exchange: string; priority: number }
/** A resolution result. */
export type MxResult =
  | { kind: 'ok'; hosts: MxHost[]; site: string; ttlExpires: number; implicit: boolean }
  | { kind: 'null_mx' }
  | { kind: 'nxdomain'; detail?: string }
  | { kind: 'tempfail'; error: string };

/** The resolver used (dns-query.ts; injectable for tests). Failures reject with node:dns codes (ENOTFOUND, ENODATA, …). */
export interface DnsLike {
  /** MX records with their TTL (s); a null MX has exchange "" (or "."). */
  resolveMxTtl(domain: string): Promise<Array<MxHost & { ttl: number }>>;
  resolve4(domain: string, opts: { ttl: true }): Promise<Array<{ address: string; ttl: number }>>;
  resolve6(domain: string, opts: { ttl: true }): Promise<Array<{ address: string; ttl: number }>>;
}

/** Options; times in ms. */
export interface MxOptions {
  resolver?: DnsLike; servers?: readonly ServerSpec[]; now?: () => number;
  /** Cap (default 300 000) and floor (default 5 000) of a positive answer's cache time. */
  cacheTtlMs?: number; minTtlMs?: number; negativeTtlMs?: number; tempfailTtlMs?: number; maxEntries?: number; timeoutMs?: number;
}

const code = (err: unknown): string => (err as { code?: string }).code ?? (err as Error).message;
const NO_NAME = new Set(['ENOTFOUND']);
const NO_DATA = new Set(['ENODATA']);

/** The rollup key of a set of MX hosts. */
export const siteOf = (hosts: MxHost[]): string => [...new Set(hosts.map((h) => h.exchange.toLowerCase()))].sort().join(',');

/** A caching MX resolver; concurrent lookups of one domain share a query. */
export function createMxResolver(opts: MxOptions = {}) {
  const now = opts.now ?? Date.now;
  const ttl = opts.cacheTtlMs ?? 300_000;
  const minTtl = Math.min(opts.minTtlMs ?? 5_000, ttl);
  // a record TTL (s) → cache time (ms) within [minTtl, ttl]
  const clamp = (records: Array<{ ttl: number }>) => Math.max(minTtl, Math.min(ttl, ...records.map((r) => r.ttl * 1000)));
  const negTtl = opts.negativeTtlMs ?? 300_000;
  const failTtl = opts.tempfailTtlMs ?? 30_000;
  const max = opts.maxEntries ?? 50_000;
  const dns: DnsLike = opts.resolver ?? createDnsQuery({ servers: opts.servers, timeoutMs: opts.timeoutMs ?? 5000, tries: 2 });
  const cache = new Map<string, { result: MxResult; expires: number }>();
  const inflight = new Map<string, Promise<MxResult>>();

  async function implicit(domain: string): Promise<{ result: MxResult; ttlMs: number }> {
    const [a, aaaa] = await Promise.allSettled([dns.resolve4(domain, { ttl: true }), dns.resolve6(domain, { ttl: true })]);
    const records = [a, aaaa].flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
    if (records.length) {
      const ttlMs = clamp(records);
      return { result: { kind: 'ok', hosts: [{ exchange: domain, priority: 0 }], site: domain, ttlExpires: now() + ttlMs, implicit: true }, ttlMs };
    }
    const errs = [a, aaaa].map((r) => (r.status === 'rejected' ? code(r.reason) : 'ENODATA'));
    if (errs.every((c) => NO_DATA.has(c) || NO_NAME.has(c))) return { result: { kind: 'nxdomain', detail: 'no MX, A or AAAA records' }, ttlMs: negTtl };
    return { result: { kind: 'tempfail', error: errs.find((c) => !NO_DATA.has(c) && !NO_NAME.has(c))! }, ttlMs: failTtl };
  }

  async function lookup(domain: string): Promise<{ result: MxResult; ttlMs: number }> {
    let mx: Array<MxHost & { ttl: number }>;
    try { mx = await dns.resolveMxTtl(domain); }
    catch (err) {
      const c = code(err);
      if (NO_NAME.has(c)) return { result: { kind: 'nxdomain' }, ttlMs: negTtl };
      if (NO_DATA.has(c)) return implicit(domain);
      return { result: { kind: 'tempfail', error: c }, ttlMs: failTtl };
    }
    // RFC 7505: "." (reported as "") means the domain accepts no mail; ignore it beside real hosts.
    const hosts = mx.map((h) => ({ exchange: h.exchange.toLowerCase().replace(/\.$/, ''), priority: h.priority })).filter((h) => h.exchange !== '');
    if (!hosts.length) return mx.length ? { result: { kind: 'null_mx' }, ttlMs: negTtl } : implicit(domain);
    hosts.sort((x, y) => x.priority - y.priority || x.exchange.localeCompare(y.exchange));
    const ttlMs = clamp(mx);
    return { result: { kind: 'ok', hosts, site: siteOf(hosts), ttlExpires: now() + ttlMs, implicit: false }, ttlMs };
  }

  return {
    /** Resolve a domain's mail hosts (cached). */
    resolve(domainIn: string): Promise<MxResult> {
      const domain = domainIn.trim().toLowerCase().replace(/\.$/, '');
      const hit = cache.get(domain);
      if (hit && hit.expires > now()) return Promise.resolve(hit.result);
      const pending = inflight.get(domain);
      if (pending) return pending;
      const p = lookup(domain).then(({ result, ttlMs }) => {
        cache.delete(domain);
        if (cache.size >= max) cache.delete(cache.keys().next().value!);
        cache.set(domain, { result, expires: now() + ttlMs });
        return result;
      }).finally(() => inflight.delete(domain));
      inflight.set(domain, p);
      return p;
    },
    /** Forget every cached answer. */
    clear(): void { cache.clear(); },
    /** Cached domains. */
    size(): number { return cache.size; },
  };
}

/** The resolver's type. */
export type MxResolver = ReturnType<typeof createMxResolver>;
