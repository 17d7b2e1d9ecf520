/**
 * Direct delivery: resolve the recipient domain's MX, pick an egress binding, and send through one pooled
 * connection set per queue (`<binding>-><MX site>`), connected by IP from the binding's address with its EHLO
 * name, limited by the shaping file and the adaptive controller. DNS answers become SMTP-like outcomes
 * (dnsReply) so they classify like any reply: NXDOMAIN / null MX bounce, a DNS tempfail defers.
 */
import net from 'node:net';
import { Resolver } from 'node:dns/promises';
import {
  createAdaptive, createDailyCounter, createLimiters, createMxResolver, dnsReply, pickBinding, resolveShaping, scopeOf,
  type EffectiveLimits, type MxResult, type Rate, type Shaping,
} from '../../delivery/index.js';
import { createRelayTransport, type SendContext, type SmtpOutcome, type SmtpTransport } from './transport.js';

/** Options of a direct transport. */
export interface DirectOptions { shaping: Shaping; dnsServers: string[]; port: number; now?: () => number; connectTimeoutMs?: number }

interface Queue { transport: SmtpTransport; maxConnections: number }

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A deferral that never reached SMTP (no binding, suspended queue, unresolvable MX host). */
const localDefer = (text: string, reason: string, mxHost = ''): SmtpOutcome =>
  ({ ok: false, code: 451, enhancedCode: '4.4.0', response: `451 4.4.0 ${text}`, mxHost, tls: false, reason });

/** The outcome of a DNS answer that is not a usable MX set. */
export function dnsOutcome(r: Exclude<MxResult, { kind: 'ok' }>, domain: string): SmtpOutcome {
  const detail = r.kind === 'tempfail' ? r.error : r.kind === 'nxdomain' ? r.detail ?? '' : '';
  const reply = dnsReply(r.kind, domain, detail);
  const code = r.kind === 'tempfail' ? 'MS_ERR_DNS_TEMP' : 'MS_ERR_DNS_PERM';
  return { ok: false, code: reply.code, enhancedCode: reply.enhancedCode, response: reply.response, mxHost: '', tls: false, reason: `${code}: ${reply.response.slice(10)}` };
}

/** A transport that delivers to each domain's MX hosts. */
export function createDirectTransport(opts: DirectOptions): SmtpTransport {
  const now = opts.now ?? Date.now;
  const servers = opts.dnsServers.length ? opts.dnsServers : undefined;
  const mx = createMxResolver({ servers, now });
  const a = new Resolver({ timeout: 5000, tries: 2 });
  if (servers) a.setServers(servers);
  const limiters = createLimiters({ now });
  const adaptive = createAdaptive({ now });
  const daily = createDailyCounter(now);
  const queues = new Map<string, Queue>();

  const take = async (scope: string, rate: Rate | null): Promise<void> => {
    for (let t = limiters.take(scope, rate); !t.ok; t = limiters.take(scope, rate)) await sleep(t.waitMs);
  };
  const addressOf = async (host: string): Promise<string | null> => {
    if (net.isIP(host)) return host;
    try { return (await a.resolve4(host))[0] ?? null; } catch { return null; }
  };

  // One pool per queue; rebuilt (the old one closed once idle) when the adaptive connection limit changes.
  const queueFor = (scope: string, ip: string, mxHost: string, limits: EffectiveLimits, maxConnections: number): SmtpTransport => {
    const q = queues.get(scope);
    if (q && q.maxConnections === maxConnections) return q.transport;
    // the old pool finishes what it has in flight before it is closed
    if (q) setTimeout(() => q.transport.close(), 60_000).unref();
    const transport = createRelayTransport({
      host: ip, port: opts.port, label: mxHost, localAddress: limits.binding.source, name: limits.binding.ehlo,
      maxConnections, maxMessages: limits.maxMessagesPerConnection, requireTLS: limits.requireTls,
      beforeConnect: () => take(`conn:${scope}`, limits.maxConnectionRate),
    });
    queues.set(scope, { transport, maxConnections });
    return transport;
  };

  return {
    async send(mailFrom, rcptTo, raw, ctx?: SendContext) {
      const domain = (ctx?.domain ?? rcptTo.slice(rcptTo.lastIndexOf('@') + 1)).toLowerCase();
      const r = await mx.resolve(domain);
      if (r.kind !== 'ok') return dnsOutcome(r, domain);
      const { shaping } = opts;
      const poolName = ctx?.ipPool && shaping.pools[ctx.ipPool] ? ctx.ipPool : shaping.default_pool;
      const pick = pickBinding({
        pool: shaping.pools[poolName]!, bindings: shaping.bindings, now: now(), random: Math.random,
        sentToday: (b) => daily.get(b), isSuspended: (b) => adaptive.isSuspended({ binding: b, site: r.site }),
      });
      if (!pick.ok && pick.reason === 'all_suspended') return localDefer(`every binding of pool ${poolName} is suspended for ${r.site}`, `MS_SUSPENDED: ${poolName}->${r.site}`, r.hosts[0]!.exchange);
      if (!pick.ok) return localDefer(`no egress binding for ${domain} (${pick.reason})`, `MS_ERR_NO_BINDING: ${pick.reason}`);
      const key = { binding: pick.binding.name, site: r.site, domain };
      const scope = scopeOf(key);
      const mxHost = r.hosts[0]!.exchange;
      const limits = resolveShaping(shaping, { domain, mxHost, binding: pick.binding.name });
      if (adaptive.isSuspended(key)) return { ...localDefer(`queue ${scope} suspended by adaptive shaping`, `MS_SUSPENDED: ${scope}`, mxHost), binding: key.binding };
      const ip = await addressOf(mxHost);
      if (!ip) return { ...dnsOutcome({ kind: 'tempfail', error: `no A record for ${mxHost}` }, domain), mxHost, binding: key.binding };
      const current = adaptive.current(key, limits);
      await take(`msg:${scope}`, current.maxMessageRate);
      const res = await queueFor(scope, ip, mxHost, limits, current.maxConnections).send(mailFrom, rcptTo, raw);
      if (res.ok) daily.add(key.binding);
      const ev = res.network && res.code == null ? null : adaptive.onReply(key, limits, { code: res.code, enhancedCode: res.enhancedCode, response: res.response });
      return { ...res, binding: key.binding, events: ev ? [ev] : undefined };
    },
    close() {
      for (const q of queues.values()) q.transport.close();
    },
    lift: (scope, by) => adaptive.lift(scope, by),
  };
}
