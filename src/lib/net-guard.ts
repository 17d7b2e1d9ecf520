/**
 * SSRF guard for outbound HTTP to customer-given URLs: only http(s) without credentials, and only addresses on the
 * public unicast internet. Loopback, private, link-local (cloud metadata 169.254.169.254), CGNAT, unique-local
 * (fd00:ec2::254), multicast, reserved and IPv4 embedded in IPv6 are refused unless the caller allows them.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/** The special range `ip` belongs to ('unicast' for a public address), or 'invalid'. */
export function addressRange(ip: string): string {
  if (!ipaddr.isValid(ip)) return 'invalid';
  const addr = ipaddr.parse(ip);
  // an IPv4-mapped IPv6 address reaches the IPv4 host: classify that
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) {
    return (addr as ipaddr.IPv6).toIPv4Address().range();
  }
  return addr.range();
}

/** True when `ip` is a public unicast address, safe to connect to on a customer's behalf. */
export const isPublicAddress = (ip: string): boolean => addressRange(ip) === 'unicast';

/** Why `raw` may not be a target URL (scheme, credentials, an IP literal on a non-public range), or undefined. */
export function urlProblem(raw: string, allowPrivate = false): string | undefined {
  let u: URL;
  try { u = new URL(raw); } catch { return 'not a URL'; }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return `scheme ${u.protocol} is not http or https`;
  if (u.username || u.password) return 'credentials in the URL (use auth_type basic)';
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (!allowPrivate && isIP(host) && !isPublicAddress(host)) return `${host} is a ${addressRange(host)} address`;
  if (!allowPrivate && /^localhost$|\.localhost$/i.test(host)) return `${host} is a loopback name`;
  return undefined;
}

/** Resolve `host` to every address; refuses (code EBLOCKED, with the range) when any is not public, unless allowed. */
export async function resolvePublic(host: string, allowPrivate = false): Promise<LookupAddress[]> {
  const bare = host.replace(/^\[|\]$/g, '');
  const addrs = isIP(bare) ? [{ address: bare, family: isIP(bare) }]
    : await new Promise<LookupAddress[]>((resolve, reject) => {
      dnsLookup(bare, { all: true }, (err, a) => (err ? reject(err) : resolve(a)));
    });
  const bad = allowPrivate ? undefined : addrs.find((a) => !isPublicAddress(a.address));
  if (bad) {
    throw Object.assign(new Error(`${host} resolves to ${bad.address}, a ${addressRange(bad.address)} address`), { code: 'EBLOCKED' });
  }
  return addrs;
}

/** A `lookup` for node:http(s) that connects only to checked addresses, so DNS rebinding cannot slip past. */
export function guardedLookup(allowPrivate = false) {
  return (host: string, opts: { all?: boolean; family?: number | string }, cb: (...args: unknown[]) => void): void => {
    resolvePublic(host, allowPrivate).then((addrs) => {
      if (opts.all) cb(null, addrs);
      else cb(null, addrs[0]!.address, addrs[0]!.family);
    }, (err: Error) => cb(err));
  };
}
