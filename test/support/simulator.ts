/**
 * A mailbox-provider simulator on loopback (smtp-server): per-domain behaviours (deferrals, unknown users,
 * greylisting, per-IP connection caps, rate limits, slow replies, dropped connections) with realistic replies,
 * counting what it received. Deterministic: random behaviours draw from a seeded PRNG.
 */
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
// Internal module, used only to skip the fixed 100 ms greeting pause (see greetAtOnce).
import { SMTPConnection as Conn } from 'smtp-server/lib/smtp-connection.js';

const SMTPConnection = Conn as unknown as { new (...args: unknown[]): any; prototype: Record<string, unknown> };

/** How one recipient domain behaves. */
export interface DomainBehaviour {
  /** Percent of recipients deferred at RCPT with `code` (default 451). */
  deferPercent?: number; code?: number;
  /** Local parts answered 550 5.1.1. */
  rejectUsers?: string[];
  /** First attempt of each (client IP, sender, recipient) is deferred 451 4.7.1; retries after `greylistMs` pass. */
  greylist?: boolean; greylistMs?: number;
  /** More open sessions than this from one client IP get 421 4.7.0 at RCPT (and the connection closes). */
  maxConnectionsPerIp?: number;
  /** More recipients per second than this from one client IP get 421 4.7.28 (and the connection closes). */
  ratePerSec?: number;
  /** Delay before the reply to the end of DATA (ms). */
  delayMs?: number;
  /** Percent of messages whose connection is dropped after DATA, without a reply. */
  dropPercent?: number;
}

/** One accepted recipient of one message. */
export interface Received { from: string; to: string; domain: string; messageId?: string; raw: Buffer; clientIp: string; host: string; at: number }

/** Options. */
export interface SimulatorOptions {
  /** Loopback addresses to listen on, all on one port (default ['127.0.0.1']). */
  addresses?: string[]; port?: number;
  domains?: Record<string, DomainBehaviour>;
  /** STARTTLS: a key/cert pair, true for smtp-server's built-in test certificate, false (default) for none. */
  tls?: { key: string | Buffer; cert: string | Buffer } | boolean;
  /** Server-wide cap on concurrent sessions per client IP, enforced at connect with 421. */
  maxConnectionsPerIp?: number;
  /** Keep smtp-server's fixed 100 ms early-talker pause before the greeting (default false: greet at once). */
  greetPause?: boolean;
  seed?: number;
}

const smtpError = (code: number, message: string) => Object.assign(new Error(message), { responseCode: code });

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => { a = (a + 0x6d2b79f5) >>> 0; let t = Math.imul(a ^ (a >>> 15), a | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
}

/** Replace smtp-server's connect() so the greeting goes out at once (the stock one always waits 100 ms). */
function greetAtOnce(srv: SMTPServer): void {
  const s = srv as unknown as Record<string, any>;
  if (typeof SMTPConnection?.prototype?._setListeners !== 'function' || typeof SMTPConnection.prototype.connectionReady !== 'function') return;
  s.connect = (socket: unknown, socketOptions: unknown) => {
    const c = new SMTPConnection(s, socket, socketOptions);
    s.connections.add(c);
    c.on('error', (err: Error) => s._onError(err));
    c.on('connect', (data: unknown) => s._onClientConnect(data));
    c._setListeners(() => c.connectionReady());
  };
}

/** Start the simulator; `close()` stops every listener. */
export async function startSimulator(opts: SimulatorOptions = {}) {
  const domains = new Map(Object.entries(opts.domains ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const random = prng(opts.seed ?? 1);
  const received: Received[] = [];
  const stats = { connections: 0, accepted: 0, rejected: 0, deferred: 0, dropped: 0, maxConcurrentByIp: {} as Record<string, number>, concurrentByIp: {} as Record<string, number> };
  const greylist = new Map<string, number>();
  const recent = new Map<string, number[]>();
  const sockets = new Map<string, { destroy(): void; setNoDelay?(on: boolean): void }>();
  const servers: SMTPServer[] = [];

  const ipOf = (s: SMTPServerSession) => s.remoteAddress.replace(/^::ffff:/, '');
  const fail = (code: number, message: string) => { if (code >= 500) stats.rejected++; else stats.deferred++; return smtpError(code, message); };

  function checkRcpt(session: SMTPServerSession, from: string, to: string): Error | null {
    const domain = to.slice(to.lastIndexOf('@') + 1).toLowerCase();
    const b = domains.get(domain);
    if (!b) return null;
    const ip = ipOf(session);
    if (b.maxConnectionsPerIp != null && (stats.concurrentByIp[ip] ?? 0) > b.maxConnectionsPerIp) return fail(421, `4.7.0 [${ip}] Too many concurrent SMTP connections from this IP address; please try again later`);
    if (b.ratePerSec != null) {
      const key = `${domain}|${ip}`; const now = Date.now();
      const times = (recent.get(key) ?? []).filter((t) => now - t < 1000);
      recent.set(key, times);
      if (times.length >= b.ratePerSec) return fail(421, `4.7.28 [${ip}] Our system has detected an unusual rate of unsolicited mail originating from your IP address. To protect our users from spam, mail sent from your IP address has been temporarily rate limited.`);
      times.push(now);
    }
    if (b.rejectUsers?.includes(to.slice(0, to.lastIndexOf('@')).toLowerCase())) return fail(550, '5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient\'s email address for typos or unnecessary spaces.');
    if (b.greylist) {
      const key = `${ip}|${from}|${to}`; const first = greylist.get(key);
      if (first == null || Date.now() - first < (b.greylistMs ?? 0)) { if (first == null) greylist.set(key, Date.now()); return fail(451, '4.7.1 Greylisting in action, please come back later'); }
    }
    if (b.deferPercent && random() * 100 < b.deferPercent) {
      const code = b.code ?? 451;
      return fail(code, code === 421 ? '4.7.0 Temporary System Problem. Try again later.' : code >= 500 ? '5.7.1 Message rejected' : '4.3.0 Mail server temporarily rejected message, try again later');
    }
    return null;
  }

  const base: SMTPServerOptions = {
    logger: false, authOptional: true, hideENHANCEDSTATUSCODES: true, disableReverseLookup: true, size: 100 << 20, maxClients: 10_000, banner: 'mailstream simulator ESMTP',
    disabledCommands: opts.tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
    ...(typeof opts.tls === 'object' ? { key: opts.tls.key, cert: opts.tls.cert } : {}),
    onConnect(session, cb) {
      const ip = ipOf(session);
      stats.connections++;
      const n = (stats.concurrentByIp[ip] = (stats.concurrentByIp[ip] ?? 0) + 1);
      stats.maxConcurrentByIp[ip] = Math.max(stats.maxConcurrentByIp[ip] ?? 0, n);
      for (const srv of servers) for (const c of (srv as unknown as { connections: Set<{ id: string; _socket: { destroy(): void; setNoDelay?(on: boolean): void } }> }).connections) {
        if (c.id === session.id) { sockets.set(session.id, c._socket); c._socket.setNoDelay?.(true); }
      }
      if (opts.maxConnectionsPerIp != null && n > opts.maxConnectionsPerIp) { stats.deferred++; cb(smtpError(421, `4.7.0 [${ip}] Too many concurrent SMTP connections; please try again later`)); return; }
      cb();
    },
    onClose(session) {
      const ip = ipOf(session);
      if (sockets.delete(session.id)) stats.concurrentByIp[ip] = Math.max(0, (stats.concurrentByIp[ip] ?? 1) - 1);
    },
    onRcptTo(addr, session, cb) {
      cb(checkRcpt(session, session.envelope.mailFrom ? session.envelope.mailFrom.address : '', addr.address) ?? undefined);
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        const rcpts = session.envelope.rcptTo.map((r) => r.address);
        const b = rcpts.map((r) => domains.get(r.slice(r.lastIndexOf('@') + 1).toLowerCase())).find((x) => x?.dropPercent || x?.delayMs);
        if (b?.dropPercent && random() * 100 < b.dropPercent) { stats.dropped++; sockets.get(session.id)?.destroy(); return; }
        const head = raw.subarray(0, Math.max(0, raw.indexOf('\r\n\r\n')) || raw.length).toString('latin1');
        const messageId = /^message-id:\s*(<[^>\r\n]+>)/im.exec(head)?.[1];
        const at = Date.now(); const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        for (const to of rcpts) received.push({ from, to, domain: to.slice(to.lastIndexOf('@') + 1).toLowerCase(), messageId, raw, clientIp: ipOf(session), host: session.localAddress, at });
        stats.accepted += rcpts.length;
        const reply = () => cb(null, `2.0.0 OK ${at} - queued as ${session.id}`);
        if (b?.delayMs) setTimeout(reply, b.delayMs); else reply();
      });
    },
  };

  const addresses = opts.addresses ?? ['127.0.0.1'];
  let port = opts.port ?? 0;
  for (let tries = 0; ; tries++) {
    try {
      for (const address of addresses) {
        const srv = new SMTPServer(base);
        srv.on('error', () => {});
        if (!opts.greetPause) greetAtOnce(srv);
        await new Promise<void>((resolve, reject) => { srv.server.once('error', reject); srv.listen(port, address, () => { srv.server.off('error', reject); resolve(); }); });
        servers.push(srv);
        port = (srv.server.address() as { port: number }).port;
      }
      break;
    } catch (err) {
      // The ephemeral port of the first address may be taken on another; start over with a new one.
      await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
      if (opts.port || tries >= 5) throw err;
      port = 0;
    }
  }

  return {
    port, hosts: addresses, received, stats,
    /** Change (or with null, remove) a domain's behaviour at run time. */
    setDomain(name: string, behaviour: DomainBehaviour | null) { if (behaviour) domains.set(name.toLowerCase(), behaviour); else domains.delete(name.toLowerCase()); },
    /** Stop every listener and drop open connections. */
    close: () => Promise.all(servers.map((s) => { for (const sock of sockets.values()) sock.destroy(); return new Promise<void>((r) => s.close(() => r())); })).then(() => undefined),
  };
}

/** The simulator's handle. */
export type Simulator = Awaited<ReturnType<typeof startSimulator>>;
