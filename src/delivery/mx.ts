/**
 * MX and mail-host address resolution with caching, implicit MX (RFC 5321 §5.1), null MX (RFC 7505) and MX rollup: the `site` key is the
 * sorted list of exchange names, so domains hosted by the same MX hosts share one queue and one set of limits.
 * TTL: an MX answer is cached for its smallest record TTL (an implicit MX for its smallest A/AAAA TTL), at most
 * `cacheTtlMs` (default 5 min) and at least `minTtlMs` (default 5 s, so a TTL of 0 does not mean a query per message);
 * NXDOMAIN and null MX for `negativeTtlMs`; tempfail for `tempfailTtlMs`. The queries go to `servers` ("host:port")
 * or, without them, the system's name servers, through dns-query.ts (node's `resolveMx` reports no TTL).
 * A mail host's A and AAAA records go through the same client and cache rules (`addresses`): IPv4 first, then IPv6,
 * so an IPv6 address is used when there is no A record, or as the next address when the IPv4 ones give no reply.
 */
import { isIP } from 'node:net';
import { createDnsQuery, type ServerSpec } from './dns-query.js';
import { createTtlCache, type Loaded } from './ttl-cache.js';

/** One MX host. */
export interface MxHost { exchange: string; priority: number }
/** A resolution result. */
export type MxResult =
  | { kind: 'ok'; hosts: MxHost[]; site: string; ttlExpires: number; implicit: boolean }
  | { kind: 'null_mx' }
  | { kind: 'nxdomain'; detail?: string }
  | { kind: 'tempfail'; error: string };
/** A mail host's addresses: IPv4 then IPv6 (`none`: no A or AAAA record). */
export type AddressResult = { kind: 'ok'; addresses: string[] } | { kind: 'none' } | { kind: 'tempfail'; error: string };

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
  const cache = createTtlCache<MxResult>({ now, maxEntries: max });
  const hostCache = createTtlCache<AddressResult>({ now, maxEntries: max });

  /** A and AAAA of `name` at once: IPv4 first; `none` only when both say there is no such record. */
  async function lookupAddresses(name: string): Promise<Loaded<AddressResult>> {
    const [a, aaaa] = await Promise.allSettled([dns.resolve4(name, { ttl: true }), dns.resolve6(name, { ttl: true })]);
    const records = [a, aaaa].flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
    if (records.length) return { value: { kind: 'ok', addresses: records.map((r) => r.address) }, ttlMs: clamp(records) };
    const errs = [a, aaaa].map((r) => (r.status === 'rejected' ? code(r.reason) : 'ENODATA'));
    if (errs.every((c) => NO_DATA.has(c) || NO_NAME.has(c))) return { value: { kind: 'none' }, ttlMs: negTtl };
    return { value: { kind: 'tempfail', error: errs.find((c) => !NO_DATA.has(c) && !NO_NAME.has(c))! }, ttlMs: failTtl };
  }

  async function implicit(domain: string): Promise<Loaded<MxResult>> {
    const { value: found, ttlMs } = await lookupAddresses(domain);
    if (found.kind === 'ok') {
      // the domain is its own mail host: its addresses are known already
      hostCache.set(domain, found, ttlMs);
      return { value: { kind: 'ok', hosts: [{ exchange: domain, priority: 0 }], site: domain, ttlExpires: now() + ttlMs, implicit: true }, ttlMs };
    }
    if (found.kind === 'none') return { value: { kind: 'nxdomain', detail: 'no MX, A or AAAA records' }, ttlMs };
    return { value: found, ttlMs };
  }

  async function lookup(domain: string): Promise<Loaded<MxResult>> {
    let mx: Array<MxHost & { ttl: number }>;
    try { mx = await dns.resolveMxTtl(domain); }
    catch (err) {
      const c = code(err);
      if (NO_NAME.has(c)) return { value: { kind: 'nxdomain' }, ttlMs: negTtl };
      if (NO_DATA.has(c)) return implicit(domain);
      return { value: { kind: 'tempfail', error: c }, ttlMs: failTtl };
    }
    // RFC 7505: "." (reported as "") means the domain accepts no mail; ignore it beside real hosts.
    const hosts = mx.map((h) => ({ exchange: h.exchange.toLowerCase().replace(/\.$/, ''), priority: h.priority })).filter((h) => h.exchange !== '');
    if (!hosts.length) return mx.length ? { value: { kind: 'null_mx' }, ttlMs: negTtl } : implicit(domain);
    hosts.sort((x, y) => x.priority - y.priority || x.exchange.localeCompare(y.exchange));
    const ttlMs = clamp(mx);
    return { value: { kind: 'ok', hosts, site: siteOf(hosts), ttlExpires: now() + ttlMs, implicit: false }, ttlMs };
  }
  const normal = (name: string) => name.trim().toLowerCase().replace(/\.$/, '');

  return {
    /** Resolve a domain's mail hosts (cached). */
    resolve(domainIn: string): Promise<MxResult> {
      const domain = normal(domainIn);
      return cache.get(domain, () => lookup(domain));
    },
    /** A mail host's addresses, IPv4 then IPv6 (cached like MX answers; an IP literal is its own address). */
    addresses(hostIn: string): Promise<AddressResult> {
      const host = normal(hostIn);
      if (isIP(host)) return Promise.resolve({ kind: 'ok', addresses: [host] });
      return hostCache.get(host, () => lookupAddresses(host));
    },
    /** Forget every cached answer. */
    clear(): void { cache.clear(); hostCache.clear(); },
    /** Cached domains. */
    size(): number { return cache.size(); },
    /** Cached mail-host addresses. */
    hostsCached(): number { return hostCache.size(); },
  };
}
