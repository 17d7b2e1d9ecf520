/**
 * Which MX host a message goes to (RFC 5321 §5.1): hosts by priority, equal priorities in random order, hosts that
 * recently gave no SMTP reply moved last. The random order is drawn once per queue and host, not per message, so
 * one pool carries a queue's traffic (RFC 5321 lets a sender favour "an easily reached address") and the pools of
 * one queue do not wait on each other's connection slots; other senders and bindings draw their own order.
 * A message moves on to the next host only when one gives no SMTP reply or refuses the session (`noSession`:
 * refused, timed out, closed before the greeting, 421 before any transaction, no address); any other reply is
 * final. When no host answered, the deferral names every host tried.
 */
import type { MxHost } from '../../delivery/index.js';
import type { SmtpOutcome } from './transport.js';

/** Exchange names in the order to try: by priority, ties by `rank`, then the hosts `isDown` (in the same order). */
export function orderHosts(hosts: MxHost[], rank: (exchange: string) => number, isDown: (exchange: string) => boolean = () => false): string[] {
  const sorted = [...hosts].sort((x, y) => x.priority - y.priority || rank(x.exchange) - rank(y.exchange));
  const order = [...new Set(sorted.map((h) => h.exchange))];
  return [...order.filter((h) => !isDown(h)), ...order.filter(isDown)];
}

/**
 * Per (queue, host) key ("<scope> <host>"): a random rank, drawn once, and whether it gave no SMTP reply within the
 * last `downMs` (default 60 s). Held per queue so an idle queue's hosts are forgotten with it (`forget`).
 */
export function createHostState(now: () => number, random: () => number = Math.random, downMs = 60_000, maxEntries = 50_000) {
  const queues = new Map<string, Map<string, { rank: number; downUntil: number }>>();
  let size = 0;
  const get = (key: string) => {
    const at = key.lastIndexOf(' ');
    const [scope, host] = [key.slice(0, at), key.slice(at + 1)];
    let q = queues.get(scope);
    let h = q?.get(host);
    if (!h) {
      // the cap still bounds a run whose queues never go idle: the oldest queue's hosts go first
      if (size >= maxEntries) { const [oldest, hosts] = queues.entries().next().value!; size -= hosts.size; queues.delete(oldest); }
      if (!q || !queues.has(scope)) queues.set(scope, (q = new Map()));
      q.set(host, (h = { rank: random(), downUntil: 0 }));
      size++;
    }
    return h;
  };
  return {
    /** The key's random rank (0 ≤ r < 1). */
    rank: (key: string): number => get(key).rank,
    /** True while the key is remembered as down. */
    isDown: (key: string): boolean => get(key).downUntil > now(),
    /** The host gave no SMTP reply. */
    failed: (key: string): void => { get(key).downUntil = now() + downMs; },
    /** The host answered. */
    answered: (key: string): void => { get(key).downUntil = 0; },
    /** Forget a queue's hosts unless one is still down; false, and kept, then. */
    forget(scope: string): boolean {
      const q = queues.get(scope);
      if (!q) return true;
      const t = now();
      for (const h of q.values()) if (h.downUntil > t) return false;
      size -= q.size;
      queues.delete(scope);
      return true;
    },
    /** (queue, host) keys held. */
    size: (): number => size,
  };
}

/** Try `hosts` in order: the outcome of the first that gives an SMTP reply, else noHostAnswered. */
export async function tryHosts(domain: string, hosts: string[], attempt: (host: string) => Promise<SmtpOutcome>): Promise<SmtpOutcome> {
  const failed: SmtpOutcome[] = [];
  for (const host of hosts) {
    const res = await attempt(host);
    if (!res.noSession) return res;
    failed.push(res);
  }
  return noHostAnswered(domain, failed);
}

/** The deferral when no MX host gave an SMTP reply: each host tried and why; a DNS failure when none had an address. */
export function noHostAnswered(domain: string, failed: SmtpOutcome[]): SmtpOutcome {
  const why = failed.map((f) => `${f.mxHost}: ${f.response.split(/\r?\n/)[0]!.slice(0, 200)}`).join('; ');
  const dns = failed.length > 0 && failed.every((f) => f.reason?.startsWith('MS_ERR_DNS_TEMP'));
  const [enhanced, code] = dns ? ['4.4.3', 'MS_ERR_DNS_TEMP'] : ['4.4.1', 'MS_ERR_SMTP_TEMP'];
  const text = `no MX host of ${domain} answered (${why || 'no hosts'})`;
  return { ok: false, code: 451, enhancedCode: enhanced, response: `451 ${enhanced} ${text}`, mxHost: failed.at(-1)?.mxHost ?? '', tls: false, network: true, reason: `${code}: ${text}` };
}
