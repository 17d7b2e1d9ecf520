/**
 * Direct delivery: resolve the recipient domain's MX, pick an egress binding, and send through one pooled
 * connection set per queue (`<binding>-><MX site>`), connected by IP from the binding's address with its EHLO
 * name, limited by the shaping file and the adaptive controller. The MX hosts are tried in priority order, the next
 * only when one gives no SMTP reply (mx-hosts.ts); each has its own pool behind the queue's one gate. DNS answers
 * become SMTP-like outcomes (dnsReply) so they classify like any reply: NXDOMAIN / null MX bounce, a DNS tempfail defers.
 */
import { isIPv4, isIPv6 } from 'node:net';
import {
  createAdaptive, createDailyCounter, createLimiters, createTokenQueue, createMxResolver, dnsReply, pickBinding, resolveShaping, scopeOf, shardSuffix, shardsOf,
  type EffectiveLimits, type MxHost, type MxResult, type QueueKey, type Shaping,
} from '../../delivery/index.js';
import type { Event } from '../../generated/types.js';
import type { ServerSpec } from '../../delivery/dns-query.js';
import type { Content } from '../../delivery/smtp/data.js';
import { createConnectionGate, createRelayTransport, type ConnectionGate, type SendContext, type SmtpOutcome, type SmtpTransport } from './transport.js';
import { createHostState, orderHosts, tryHosts } from './mx-hosts.js';

/** Options of a direct transport. */
export interface DirectOptions {
  shaping: Shaping; dnsServers: readonly ServerSpec[]; port: number; now?: () => number; connectTimeoutMs?: number;
  /** A queue idle this long (nothing in flight or waiting, no throttle or suspension in force) is forgotten (ms, default 300 000). */
  idleEvictMs?: number;
}

/** One queue: a pool per MX host address of the site, all behind one connection gate. */
interface Queue { gate: ConnectionGate; hosts: Map<string, SmtpTransport>; maxConnections: number }

/** How long a host of a multi-host queue waits for a slot held by the others before the next host is tried (ms). */
const SLOT_WAIT_MS = 2_000;
/** How often idle queues are looked for, at most (ms). */
const SWEEP_MAX_MS = 30_000;

/** A deferral that never reached SMTP (no binding, suspended queue, unresolvable MX host). */
const localDefer = (text: string, reason: string, mxHost = ''): SmtpOutcome =>
  ({ ok: false, code: 451, enhancedCode: '4.4.0', response: `451 4.4.0 ${text}`, mxHost, tls: false, reason });

/** Each address with the binding's source of its family; addresses of a family the binding has no source for are left out. */
export function reachable(addresses: string[], binding: { source: string; source6?: string }): Array<[ip: string, local: string]> {
  const v6 = isIPv6(binding.source) ? binding.source : binding.source6;
  const v4 = isIPv4(binding.source) ? binding.source : undefined;
  return addresses.flatMap((ip): Array<[string, string]> => {
    const local = isIPv6(ip) ? v6 : v4;
    return local ? [[ip, local]] : [];
  });
}

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
  const mx = createMxResolver({ servers: opts.dnsServers, now });
  const limiters = createLimiters({ now });
  const adaptive = createAdaptive({ now });
  const daily = createDailyCounter(now);
  const queues = new Map<string, Queue>();

  const take = createTokenQueue(limiters);

  const mxHosts = createHostState(now);
  // sends in flight and the last use of every queue scope that holds any state (pools, buckets, adaptive, hosts)
  const activity = new Map<string, { active: number; last: number }>();
  const idleMs = opts.idleEvictMs ?? 300_000;

  /** Forget each part of every idle queue that can be forgotten; a scope leaves `activity` once nothing of it is held. */
  const sweep = (): void => {
    const t = now();
    for (const [scope, a] of activity) {
      if (a.active > 0 || t - a.last < idleMs || adaptive.inForce(scope)) continue;
      if (take.busy(`msg:${scope}`) || take.busy(`conn:${scope}`)) continue;
      const q = queues.get(scope);
      // closing the pools ends their idle connections (QUIT) rather than waiting for the remote's timeout
      if (q) { for (const tr of q.hosts.values()) tr.close(); queues.delete(scope); }
      const gone = [limiters.drop(`msg:${scope}`), limiters.drop(`conn:${scope}`), adaptive.evict(scope), mxHosts.forget(scope)];
      if (gone.every(Boolean)) activity.delete(scope);
    }
  };
  const timer = setInterval(sweep, Math.min(SWEEP_MAX_MS, Math.max(50, idleMs / 2)));
  timer.unref();

  // One gate per queue and one pool per MX host behind it; rebuilt (the old pools closed once idle) when the adaptive connection limit changes.
  const queueFor = (scope: string, ip: string, local: string, mxHost: string, limits: EffectiveLimits, maxConnections: number, hostCount = 1): SmtpTransport => {
    let q = queues.get(scope);
    if (!q || q.maxConnections !== maxConnections) {
      // the old pools finish what they have in flight before they are closed
      const old = q;
      if (old) setTimeout(() => { for (const t of old.hosts.values()) t.close(); }, 60_000).unref();
      q = { gate: createConnectionGate(maxConnections), hosts: new Map(), maxConnections };
      queues.set(scope, q);
    }
    // one pool per host address: a changed or next (IPv6) address gets its own
    const poolKey = `${mxHost} ${ip}`;
    let transport = q.hosts.get(poolKey);
    if (!transport) {
      transport = createRelayTransport({
        host: ip, port: opts.port, label: mxHost, localAddress: local, name: limits.binding.ehlo,
        maxConnections, maxMessages: limits.maxMessagesPerConnection, requireTLS: limits.requireTls,
        beforeConnect: () => take(`conn:${scope}`, limits.maxConnectionRate),
        gate: q.gate, connectTimeoutMs: opts.connectTimeoutMs, slotWaitMs: hostCount > 1 ? SLOT_WAIT_MS : undefined,
        // messages already queued in this pool move on at once when the host was found down meanwhile
        hostDown: hostCount > 1 ? () => mxHosts.isDown(`${scope} ${mxHost}`) : undefined,
      });
      q.hosts.set(poolKey, transport);
    }
    return transport;
  };

  return {
    async send(mailFrom, rcptTo, raw, ctx?: SendContext) {
      const domain = (ctx?.domain ?? rcptTo.slice(rcptTo.lastIndexOf('@') + 1)).toLowerCase();
      const r = await mx.resolve(domain);
      if (r.kind !== 'ok') return dnsOutcome(r, domain);
      const { shaping } = opts;
      const poolName = ctx?.ipPool && shaping.pools[ctx.ipPool] ? ctx.ipPool : shaping.default_pool;
      // a sharded domain gets one queue per shard (`<binding>-><site>#<shard>`): own pool, limiters and adaptive state
      const site = `${r.site}${shardSuffix(rcptTo, shardsOf(shaping, domain))}`;
      const pick = pickBinding({
        pool: shaping.pools[poolName]!, bindings: shaping.bindings, now: now(), random: Math.random,
        sentToday: (b) => daily.get(b), isSuspended: (b) => adaptive.isSuspended({ binding: b, site }),
      });
      // the reason names the suspended scopes, as `mailstream shaping lift` takes them
      if (!pick.ok && pick.reason === 'all_suspended') return localDefer(`every binding of pool ${poolName} is suspended for ${site}`, `MS_SUSPENDED: ${shaping.pools[poolName]!.map((m) => `${m.binding}->${site}`).join(', ')}`, r.hosts[0]!.exchange);
      if (!pick.ok) return localDefer(`no egress binding for ${domain} (${pick.reason})`, `MS_ERR_NO_BINDING: ${pick.reason}`);
      const key = { binding: pick.binding.name, site, domain };
      const scope = scopeOf(key);
      const mxHost = r.hosts[0]!.exchange;
      const limits = resolveShaping(shaping, { domain, mxHost, binding: pick.binding.name });
      const used = activity.get(scope) ?? { active: 0, last: 0 };
      activity.set(scope, used);
      used.active++;
      try {
        return await sendOn(key, scope, mxHost, limits, r.hosts, mailFrom, rcptTo, raw, ctx);
      } finally {
        used.active--;
        used.last = now();
      }
    },
    close() {
      clearInterval(timer);
      for (const q of queues.values()) for (const t of q.hosts.values()) t.close();
    },
    lift: (scope, by) => adaptive.lift(scope, by),
    destinations: () => activity.size,
    sweep,
  };

  /** One message on queue `scope`: suspension, message rate, then the MX hosts in order. */
  async function sendOn(
    key: QueueKey, scope: string, mxHost: string, limits: EffectiveLimits, mxList: MxHost[],
    mailFrom: string, rcptTo: string, raw: Content, ctx?: SendContext,
  ): Promise<SmtpOutcome> {
    const { domain } = key;
    if (adaptive.isSuspended(key)) return { ...localDefer(`queue ${scope} suspended by adaptive shaping`, `MS_SUSPENDED: ${scope}`, mxHost), binding: key.binding };
    const current = adaptive.current(key, limits);
    await take(`msg:${scope}`, current.maxMessageRate, ctx?.priority);
    // a throttled queue may hold a message for minutes: its job may have been cancelled meanwhile
    if (ctx?.cancelled?.()) {
      const held = localDefer('not sent: the job was cancelled', 'MS_CANCELLED: the job was cancelled', mxHost);
      return { ...held, binding: key.binding, cancelled: true };
    }
    // every MX host of the site shares the queue's gate, limiters and adaptive state; the next one only when this one gave no SMTP reply
    const events: Event[] = [];
    const hosts = orderHosts(mxList, (h) => mxHosts.rank(`${scope} ${h}`), (h) => mxHosts.isDown(`${scope} ${h}`));
    const res = await tryHosts(domain, hosts, async (host) => {
      const found = await mx.addresses(host);
      if (found.kind !== 'ok') {
        const why = found.kind === 'none' ? `no A or AAAA record for ${host}` : `${found.error} resolving ${host}`;
        return { ...dnsOutcome({ kind: 'tempfail', error: why }, domain), mxHost: host, noSession: 'host' as const };
      }
      const routes = reachable(found.addresses, limits.binding);
      if (!routes.length) {
        return { ...localDefer(`no address of ${host} is reachable from binding ${limits.binding.name}`, `MS_ERR_NO_BINDING: ${host} has no address of the binding's family`, host), noSession: 'host' as const };
      }
      // the host's next address (IPv6 after IPv4) only when this one gave no SMTP reply
      let out!: SmtpOutcome;
      for (const [ip, local] of routes) {
        out = await queueFor(scope, ip, local, host, limits, current.maxConnections, mxList.length).send(mailFrom, rcptTo, raw);
        if (out.noSession !== 'host') break;
      }
      if (out.noSession === 'host') mxHosts.failed(`${scope} ${host}`); else if (!out.noSession) mxHosts.answered(`${scope} ${host}`);
      const ev = out.network && out.code == null ? null : adaptive.onReply(key, limits, { code: out.code, enhancedCode: out.enhancedCode, response: out.response });
      if (ev) events.push(ev);
      return out;
    });
    if (res.ok) daily.add(key.binding);
    return { ...res, binding: key.binding, events: events.length ? events : undefined };
  }
}
