/**
 * A stub resolver that reports record TTLs (node's `resolveMx` does not): one question per query over UDP, again
 * over TCP when the answer is truncated, to the given "host:port" servers or else the system's (`dns.getServers()`),
 * each server in turn for `tries` rounds. Failures reject like node:dns, with `code` ENOTFOUND (NXDOMAIN), ENODATA
 * (no record of the type), ESERVFAIL, EREFUSED or ETIMEOUT, so callers classify both the same way.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { randomInt } from 'node:crypto';
// the default export: node rebinds getServers() on dns.setServers(), which a named import would miss
import nodeDns from 'node:dns';
import dns2 from 'dns2';

const { Packet } = dns2;
type Reply = InstanceType<typeof Packet>;

/** One name server. */
export interface NameServer { host: string; port: number }
/** A name server as "host[:port]" text or already parsed (DNS_SERVERS is parsed at config load). */
export type ServerSpec = string | NameServer;
/** Options; `timeoutMs` is per query. */
export interface DnsQueryOptions { servers?: readonly ServerSpec[]; timeoutMs?: number; tries?: number }
/** A record and its TTL in seconds. */
export type WithTtl<T> = T & { ttl: number };

const RCODES: Record<number, string> = { 1: 'EFORMERR', 2: 'ESERVFAIL', 3: 'ENOTFOUND', 4: 'ENOTIMP', 5: 'EREFUSED' };
const dnsError = (code: string, name: string): Error => Object.assign(new Error(`query ${code} ${name}`), { code });

/** Parse "1.2.3.4", "1.2.3.4:5353", "::1", "[::1]:5353" or "ns.example:53" (default port 53). */
export function parseServer(s: string): NameServer {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (v6) return { host: v6[1]!, port: Number(v6[2] ?? 53) };
  if (net.isIPv6(s)) return { host: s, port: 53 };
  const [host, port] = s.split(':');
  return { host: host!, port: Number(port ?? 53) };
}

function udpQuery(ns: NameServer, query: Buffer, id: number, timeoutMs: number): Promise<Reply> {
  const socket = dgram.createSocket(net.isIPv6(ns.host) ? 'udp6' : 'udp4');
  let timer: NodeJS.Timeout | undefined;
  return new Promise<Reply>((resolve, reject) => {
    timer = setTimeout(() => reject(dnsError('ETIMEOUT', ns.host)), timeoutMs);
    socket.on('message', (msg, from) => {
      // only the server asked may answer (a spoofed or late reply to a reused port is dropped)
      if (from.port !== ns.port || (net.isIP(ns.host) && from.address !== ns.host)) return;
      try { const reply = Packet.parse(msg); if (reply.header.id === id) resolve(reply); } catch { /* not a DNS reply */ }
    });
    socket.on('error', reject);
    socket.send(query, ns.port, ns.host, (err) => { if (err) reject(err); });
  }).finally(() => { clearTimeout(timer); socket.close(); });
}

function tcpQuery(ns: NameServer, query: Buffer, timeoutMs: number): Promise<Reply> {
  const socket = net.connect({ host: ns.host, port: ns.port });
  socket.setTimeout(timeoutMs, () => socket.destroy(dnsError('ETIMEOUT', ns.host)));
  const len = Buffer.alloc(2); len.writeUInt16BE(query.length);
  socket.write(Buffer.concat([len, query]));
  return new Promise<Reply>((resolve, reject) => {
    let buf = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length < 2 || buf.length < 2 + buf.readUInt16BE(0)) return;
      socket.end();
      try { resolve(Packet.parse(buf.subarray(2, 2 + buf.readUInt16BE(0)))); } catch (err) { reject(err); }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(dnsError('ECONNREFUSED', ns.host)));
  });
}

/** Ask one server one question. */
async function ask(ns: NameServer, name: string, type: number, timeoutMs: number): Promise<Reply> {
  const q = new Packet();
  q.header.id = randomInt(0x10000);
  q.header.rd = 1;
  q.questions.push({ name, type, class: Packet.CLASS.IN } as never);
  const query = q.toBuffer();
  const reply = await udpQuery(ns, query, q.header.id, timeoutMs);
  return reply.header.tc ? tcpQuery(ns, query, timeoutMs) : reply;
}

/** A resolver for MX, A and AAAA records with their TTLs. */
export function createDnsQuery(opts: DnsQueryOptions = {}) {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const tries = opts.tries ?? 2;
  const servers = () => (opts.servers?.length ? opts.servers : nodeDns.getServers()).map((s) => (typeof s === 'string' ? parseServer(s) : s));

  /** Records of `type` for `name`: the first server that answers (NOERROR or NXDOMAIN) decides. */
  async function records(name: string, type: number): Promise<Reply['answers']> {
    const list = servers();
    const done = new Set<number>();
    let last = 'ECONNREFUSED';
    for (let round = 0; round < tries; round++) {
      for (const [i, ns] of list.entries()) {
        if (done.has(i)) continue;
        let reply: Reply;
        try { reply = await ask(ns, name, type, timeoutMs); }
        catch (err) { last = (err as { code?: string }).code ?? 'ECONNREFUSED'; continue; }
        const rcode = reply.header.rcode;
        if (rcode === 0) {
          const found = reply.answers.filter((a) => a.type === type);
          if (!found.length) throw dnsError('ENODATA', name);
          return found;
        }
        if (rcode === 3) throw dnsError('ENOTFOUND', name);
        // SERVFAIL, REFUSED…: another server may know better; this one is not asked again
        last = RCODES[rcode] ?? 'ESERVFAIL';
        done.add(i);
      }
    }
    throw dnsError(last, name);
  }

  const addresses = async (name: string, type: number) => (await records(name, type)).map((a) => ({ address: a.address!, ttl: a.ttl }));
  return {
    /** MX records; a null MX (RFC 7505) has exchange "". */
    resolveMxTtl: async (name: string): Promise<Array<WithTtl<{ exchange: string; priority: number }>>> =>
      (await records(name, Packet.TYPE.MX)).map((a) => ({ exchange: a.exchange ?? '', priority: a.priority ?? 0, ttl: a.ttl })),
    /** A records. */
    resolve4: (name: string, _opts?: { ttl: true }) => addresses(name, Packet.TYPE.A),
    /** AAAA records. */
    resolve6: (name: string, _opts?: { ttl: true }) => addresses(name, Packet.TYPE.AAAA),
  };
}
