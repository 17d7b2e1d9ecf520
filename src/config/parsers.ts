/** zod parsers from one environment string to a typed value; each message says what a valid value looks like. */
import net from 'node:net';
import { z } from 'zod';
import { catalogue } from '../lib/errors.js';

/** Any string. */
export const str = z.string();
/** A string; empty means unset. */
export const optStr = z.string().transform((s) => (s === '' ? undefined : s));

/** A comma-separated list of secrets (empty: none). */
export const secretList = z.string().transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean));

/** An integer within [min, max]. */
export const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.string().trim()
  .regex(/^-?\d+$/, 'must be an integer')
  .transform(Number)
  .pipe(z.number().int('must be an integer').min(min, `must be between ${min} and ${max}`)
    .max(max, `must be between ${min} and ${max}`));

/** true|1|yes or false|0|no, any case. */
export const bool = z.string().regex(/^(true|1|yes|false|0|no)$/i, 'must be true or false')
  .transform((s) => /^(true|1|yes)$/i.test(s));

/** An http(s) URL, without its trailing slash. */
export const url = z.string().transform((raw, ctx) => {
  let u: URL;
  try { u = new URL(raw); } catch { ctx.addIssue({ code: 'custom', message: 'must be a URL' }); return z.NEVER; }
  if (!/^https?:$/.test(u.protocol)) { ctx.addIssue({ code: 'custom', message: 'must be an http(s) URL' }); return z.NEVER; }
  return raw.replace(/\/$/, '');
});

/** One of `values`. */
export const oneOf = <const T extends readonly [string, ...string[]]>(...values: T) =>
  z.enum(values, { error: `must be one of ${values.join(', ')}` });

/** Letters, digits, ".", "_" and "-" (a Kafka topic name part). */
export const topicPrefix = z.string().regex(/^[A-Za-z0-9._-]*$/, 'may hold only letters, digits, ".", "_" and "-"');

const list = (raw: string) => raw.split(',').map((s) => s.trim()).filter(Boolean);

/** Kafka bootstrap servers: comma-separated host:port, at least one. */
export const brokers = z.string().transform((raw, ctx) => {
  const all = list(raw);
  const bad = all.filter((b) => !/^[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/.test(b));
  if (!all.length) ctx.addIssue({ code: 'custom', message: 'must list at least one host:port' });
  else if (bad.length) ctx.addIssue({ code: 'custom', message: `not host:port: ${bad.join(', ')}` });
  return all;
});

/** One DNS server: an IP address and a UDP/TCP port. */
export interface NameServer { host: string; port: number }

/** Parse "1.2.3.4", "1.2.3.4:5353", "::1" or "[::1]:5353" (port 53 by default); null when malformed. */
export function parseNameServer(s: string): NameServer | null {
  const m = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(s) ?? (net.isIPv6(s) ? [s, s, undefined] : /^([^:]+)(?::(\d{1,5}))?$/.exec(s));
  if (!m || !net.isIP(m[1]!)) return null;
  const port = Number(m[2] ?? 53);
  return port >= 1 && port <= 65535 ? { host: m[1]!, port } : null;
}

/** DNS servers: comma-separated ip[:port] (empty: the system resolver). */
export const nameServers = z.string().transform((raw, ctx) => {
  const parsed = list(raw).map((s) => [s, parseNameServer(s)] as const);
  const bad = parsed.filter(([, ns]) => !ns).map(([s]) => s);
  if (bad.length) ctx.addIssue({ code: 'custom', message: `not ip[:port]: ${bad.join(', ')}` });
  return parsed.map(([, ns]) => ns!);
});

/** One DKIM key entry, its file not yet read. */
export interface DkimKeyEntry { domain: string; selector: string; algorithm: 'rsa-sha256' | 'ed25519-sha256'; path: string }

const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
// RFC 6376 §3.1: a selector is one or more dot-separated sub-domain labels
const SELECTOR = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const ALGORITHMS: Record<string, DkimKeyEntry['algorithm']> = {
  rsa: 'rsa-sha256', 'rsa-sha256': 'rsa-sha256', ed25519: 'ed25519-sha256', 'ed25519-sha256': 'ed25519-sha256',
};

/** Parse one `domain:selector:rsa|ed25519:/path` entry; returns the problem when it is malformed. */
export function parseDkimEntry(entry: string): DkimKeyEntry | string {
  const [domain = '', selector = '', alg = '', ...rest] = entry.split(':');
  const path = rest.join(':');
  const algorithm = ALGORITHMS[alg.toLowerCase()];
  const why = !DOMAIN.test(domain) ? `domain "${domain}" is not a domain name`
    : !SELECTOR.test(selector) ? `selector "${selector}" is not a valid selector`
    : !algorithm ? `key type "${alg}" is not rsa or ed25519`
    : !path ? 'no key file path' : null;
  if (why) return `"${entry}": ${why} (expected domain:selector:rsa|ed25519:/path/key.pem)`;
  return { domain: domain.toLowerCase(), selector, algorithm: algorithm!, path };
}

/** DKIM keys: comma-separated domain:selector:rsa|ed25519:/path/key.pem (empty: no signing). */
export const dkimKeys = z.string().transform((raw, ctx) => {
  const parsed = list(raw).map(parseDkimEntry);
  for (const p of parsed) if (typeof p === 'string') ctx.addIssue({ code: 'custom', message: p });
  return parsed.filter((p): p is DkimKeyEntry => typeof p !== 'string');
});

/** `key=ERROR_CODE` pairs, comma-separated, into a map (test-only fault injection); each code must be in the catalogue. */
export const faults = z.string().transform((raw, ctx) => {
  const out: Record<string, string> = {};
  for (const item of list(raw)) {
    const eq = item.lastIndexOf('=');
    const code = item.slice(eq + 1);
    if (eq <= 0 || !(code in catalogue)) ctx.addIssue({ code: 'custom', message: `${item}: must be key=<error code from the catalogue>` });
    else out[item.slice(0, eq)] = code;
  }
  return out;
});

/** A network whose clients may inject over SMTP without AUTH, as one tenant (Postfix's mynetworks, per tenant). */
export interface TrustedClient { address: string; prefix: number; family: 'ipv4' | 'ipv6'; tenant: string }

/** Trusted SMTP clients: comma-separated `ip[/prefix]=tenant` (empty: every client must AUTH). */
export const trustedClients = z.string().transform((raw, ctx) => list(raw).flatMap((entry): TrustedClient[] => {
  const m = /^([^/=]+)(?:\/(\d{1,3}))?=([A-Za-z0-9._-]{1,64})$/.exec(entry);
  const family = m ? (net.isIP(m[1]!) === 4 ? 'ipv4' : net.isIP(m[1]!) === 6 ? 'ipv6' : null) : null;
  const prefix = m?.[2] === undefined ? (family === 'ipv6' ? 128 : 32) : Number(m[2]);
  if (!m || !family || prefix > (family === 'ipv6' ? 128 : 32)) {
    ctx.addIssue({ code: 'custom', message: `"${entry}" is not ip[/prefix]=tenant` });
    return [];
  }
  return [{ address: m[1]!, prefix, family, tenant: m[3]! }];
}));

/** A ratio between 0 and 1, e.g. 0.003. */
export const ratio = z.string().trim().regex(/^(0(\.\d+)?|1(\.0+)?)$/, 'a number from 0 to 1').transform(Number);
