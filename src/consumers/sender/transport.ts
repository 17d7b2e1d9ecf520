/**
 * SMTP transport to a relay (smarthost) or one MX host: a nodemailer pool of persistent connections with TCP_NODELAY
 * on every socket — without it Nagle's algorithm and delayed ACKs cap a connection near 20 messages/s. Its sockets
 * pass a connection gate, which the pools of every MX host of one queue may share. An outcome says `noSession`
 * when the host gave no SMTP reply or refused the session (421 before any transaction), or when no connection was
 * tried (no free slot, host known down), so another MX host may be tried.
 */
import net from 'node:net';
import nodemailer from 'nodemailer';
import type { Event } from '../../generated/types.js';

/** Outcome of one SMTP transaction. */
export interface SmtpOutcome {
  ok: boolean; code: number | null; enhancedCode: string | null; response: string; mxHost: string; tls: boolean; network?: boolean;
  /** Egress binding used (direct mode). */
  binding?: string;
  /** Error code and text for the event's reason (e.g. MS_ERR_DNS_PERM). */
  reason?: string;
  /** Side events to publish, e.g. shaping_adjusted. */
  events?: Event[];
  /**
   * No session: 'host' — the host gave no SMTP reply (refused, timed out, closed before the greeting) or a 421 before
   * any transaction; 'skipped' — no connection was tried (no free gate slot within slotWaitMs, or hostDown()).
   */
  noSession?: 'host' | 'skipped';
  /** Nothing was sent: the job was cancelled while the message waited for its queue (SendContext.cancelled). */
  cancelled?: boolean;
}
/** Where a message is going, for transports that route by destination. */
export interface SendContext {
  domain: string; ipPool: string | null;
  /** Transactional: ahead of bulk in the destination's line. */
  priority?: boolean;
  /** True once the message's job was cancelled; a transport that queued the message checks it before any SMTP. */
  cancelled?(): boolean;
}
/** Sends one raw message to one recipient. */
export interface SmtpTransport {
  send(mailFrom: string, rcptTo: string, raw: Buffer, ctx?: SendContext): Promise<SmtpOutcome>;
  close(): void;
  /** Operator lift of an adaptive throttle or suspension (direct mode); the shaping_adjusted event, or null when nothing was held. */
  lift?(scope: string, by: string): Event | null;
  /** Destination queues holding state now (direct mode). */
  destinations?(): number;
  /** Forget the queues idle past the idle timeout now (direct mode; a timer also does it). */
  sweep?(): void;
}

/** Options of a relay transport. */
export interface RelayOptions {
  host: string; port: number; secure?: boolean; user?: string; pass?: string; maxConnections: number; maxMessages: number; localAddress?: string; name?: string;
  /** Fail unless STARTTLS is negotiated (default false: opportunistic). */
  requireTLS?: boolean;
  /** Host name reported in outcomes (default `host`, e.g. the MX name when `host` is its IP). */
  label?: string;
  /** Awaited before each new connection (connection-rate limiting). */
  beforeConnect?(): Promise<void>;
  /** Caps open sockets, shared with other transports (default: a gate of `maxConnections` for this one). */
  gate?: ConnectionGate;
  /** Longest wait for a gate slot before the send fails with `noSession` (ms; default: no limit). */
  slotWaitMs?: number;
  /** True when the host is known not to answer: a new connection then fails at once with `noSession`. */
  hostDown?(): boolean;
  /** TCP connect timeout (ms, default 15 000). */
  connectTimeoutMs?: number;
}

/** At most `max` open sockets: nodemailer opens a connection's replacement before the retired one has closed. */
export interface ConnectionGate {
  /** Take a slot; rejects (code ESLOT, noSession 'skipped') when none frees up within `waitMs`. */
  acquire(waitMs?: number): Promise<void>;
  release(): void;
}

type NoSession = NonNullable<SmtpOutcome['noSession']>;
type Tagged = Error & { code?: string; noSession?: NoSession };
/** Mark an error as "no SMTP session": the host gave no reply ('host') or no connection was tried ('skipped'). */
const noSessionError = (err: Tagged, code?: string, kind: NoSession = 'host'): Tagged => Object.assign(err, { noSession: err.noSession ?? kind }, code ? { code } : {});

/** A connection gate of `max` slots, granted in order of request. */
export function createConnectionGate(max: number): ConnectionGate {
  let open = 0;
  const waiters: Array<() => void> = [];
  return {
    async acquire(waitMs) {
      const deadline = waitMs == null ? Infinity : Date.now() + waitMs;
      while (open >= max) {
        const left = deadline - Date.now();
        const woken = await new Promise<boolean>((resolve) => {
          const wake = () => { clearTimeout(timer); resolve(true); };
          const timer = Number.isFinite(left) ? setTimeout(() => { const i = waiters.indexOf(wake); if (i >= 0) waiters.splice(i, 1); resolve(false); }, Math.max(0, left)) : undefined;
          waiters.push(wake);
        });
        if (!woken) throw noSessionError(new Error(`no free connection slot within ${waitMs} ms (all ${max} held)`), 'ESLOT', 'skipped');
      }
      open++;
    },
    release() { open--; waiters.shift()?.(); },
  };
}

const ENHANCED = /^\s*\d{3}[ -]?([245]\.\d{1,3}\.\d{1,3})\b/;
const SETUP = new Set(['EHLO', 'HELO', 'LHLO']);

/** A pooled transport to the relay in `opts`. */
export function createRelayTransport(opts: RelayOptions): SmtpTransport {
  const transporter = nodemailer.createTransport({
    pool: true, host: opts.host, port: opts.port, secure: opts.secure ?? false, requireTLS: opts.requireTLS ?? false,
    maxConnections: opts.maxConnections, maxMessages: opts.maxMessages, name: opts.name,
    auth: opts.user ? { user: opts.user, pass: opts.pass ?? '' } : undefined,
    tls: { rejectUnauthorized: false },
    connectionTimeout: 15000, greetingTimeout: 15000, socketTimeout: 60000,
    getSocket: (_o: unknown, cb: (err: Error | null, s?: { connection: net.Socket }) => void) => {
      if (opts.hostDown?.()) { cb(noSessionError(new Error(`${mxHost} gave no SMTP reply to a recent connection`), 'EHOSTDOWN', 'skipped')); return; }
      gate.acquire(opts.slotWaitMs).then(
        () => Promise.resolve(opts.beforeConnect?.()).then(() => connect(cb), (err: Error) => { gate.release(); cb(err); }),
        (err: Error) => cb(err));
    },
  } as never);
  const gate = opts.gate ?? createConnectionGate(opts.maxConnections);
  const connect = (cb: (err: Error | null, s?: { connection: net.Socket }) => void) => {
    const socket = net.connect({ host: opts.host, port: opts.port, localAddress: opts.localAddress });
    socket.once('close', () => gate.release());
    socket.setNoDelay(true);
    // nodemailer's connectionTimeout does not cover a socket handed to it
    const ms = opts.connectTimeoutMs ?? 15_000;
    const timer = setTimeout(() => socket.destroy(Object.assign(new Error(`connect ETIMEDOUT ${opts.host}:${opts.port} after ${ms} ms`), { code: 'ETIMEDOUT' })), ms);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      // an error or a close before the server sent a byte is no SMTP reply (bytesRead: a 'data' listener here would lose the greeting)
      socket.on('error', (err: Tagged) => { if (!socket.bytesRead) noSessionError(err); });
      socket.once('end', () => { if (!socket.bytesRead) socket.destroy(noSessionError(new Error(`${opts.host}:${opts.port} closed the connection before the greeting`), 'ECONNRESET')); });
      cb(null, { connection: socket });
    });
    socket.once('error', (err: Tagged) => { clearTimeout(timer); cb(noSessionError(err)); });
  };
  const mxHost = opts.label ?? opts.host;
  return {
    async send(mailFrom, rcptTo, raw) {
      try {
        const info = await transporter.sendMail({ envelope: { from: mailFrom, to: [rcptTo] }, raw });
        const response = String(info.response ?? '250');
        return { ok: true, code: Number(response.slice(0, 3)) || 250, enhancedCode: ENHANCED.exec(response)?.[1] ?? null, response, mxHost, tls: Boolean(opts.secure || opts.requireTLS) };
      } catch (err) {
        const e = err as { responseCode?: number; response?: string; message: string; code?: string; command?: string; timeoutType?: string; noSession?: NoSession };
        const response = e.response ?? e.message;
        if (opts.requireTLS && e.code === 'ETLS') {
          // our policy refused to send in clear: the remote rejected nothing, so defer (never bounce or suppress), like Postfix's 4.7.4
          const reason = `MS_ERR_TLS_REQUIRED: STARTTLS required by shaping but not negotiated with ${mxHost} (${e.message})`;
          return { ok: false, code: null, enhancedCode: null, response, mxHost, tls: false, network: true, reason };
        }
        // nodemailer: a 421 greeting fails 'CONN' with EPROTOCOL, a 421 to EHLO/HELO fails that command
        const refused = e.responseCode === 421 && (SETUP.has(e.command ?? '') || (e.command === 'CONN' && e.code === 'EPROTOCOL'));
        const noSession = e.noSession ?? (e.timeoutType === 'GREETING_TIMEOUT' || e.timeoutType === 'CONNECT_TIMEOUT' || refused ? 'host' : undefined);
        return { ok: false, code: e.responseCode ?? null, enhancedCode: ENHANCED.exec(response)?.[1] ?? null, response, mxHost, tls: false, network: !e.responseCode, ...(noSession ? { noSession } : {}) };
      }
    },
    close: () => transporter.close(),
  };
}
