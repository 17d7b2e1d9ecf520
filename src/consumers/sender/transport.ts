/**
 * SMTP transport to a relay (smarthost): a nodemailer pool of persistent connections with TCP_NODELAY
 * on every socket — without it Nagle's algorithm and delayed ACKs cap a connection near 20 messages/s.
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
}
/** Where a message is going, for transports that route by destination. */
export interface SendContext { domain: string; ipPool: string | null }
/** Sends one raw message to one recipient. */
export interface SmtpTransport {
  send(mailFrom: string, rcptTo: string, raw: Buffer, ctx?: SendContext): Promise<SmtpOutcome>;
  close(): void;
  /** Operator lift of an adaptive throttle or suspension (direct mode); the shaping_adjusted event, or null when nothing was held. */
  lift?(scope: string, by: string): Event | null;
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
}

const ENHANCED = /^\s*\d{3}[ -]?([245]\.\d{1,3}\.\d{1,3})\b/;

/** A pooled transport to the relay in `opts`. */
export function createRelayTransport(opts: RelayOptions): SmtpTransport {
  const transporter = nodemailer.createTransport({
    pool: true, host: opts.host, port: opts.port, secure: opts.secure ?? false, requireTLS: opts.requireTLS ?? false,
    maxConnections: opts.maxConnections, maxMessages: opts.maxMessages, name: opts.name,
    auth: opts.user ? { user: opts.user, pass: opts.pass ?? '' } : undefined,
    tls: { rejectUnauthorized: false },
    connectionTimeout: 15000, greetingTimeout: 15000, socketTimeout: 60000,
    getSocket: (_o: unknown, cb: (err: Error | null, s?: { connection: net.Socket }) => void) => {
      slot().then(() => opts.beforeConnect?.()).then(() => connect(cb), (err: Error) => { release(); cb(err); });
    },
  } as never);
  // nodemailer opens a connection's replacement before the retired one has closed; this gate keeps open sockets ≤ maxConnections
  let open = 0;
  const waiters: Array<() => void> = [];
  const slot = async (): Promise<void> => { while (open >= opts.maxConnections) await new Promise<void>((r) => waiters.push(r)); open++; };
  const release = () => { open--; waiters.shift()?.(); };
  const connect = (cb: (err: Error | null, s?: { connection: net.Socket }) => void) => {
    const socket = net.connect({ host: opts.host, port: opts.port, localAddress: opts.localAddress });
    socket.once('close', release);
    socket.setNoDelay(true);
    socket.once('connect', () => { socket.removeAllListeners('error'); cb(null, { connection: socket }); });
    socket.once('error', (err) => cb(err));
  };
  const mxHost = opts.label ?? opts.host;
  return {
    async send(mailFrom, rcptTo, raw) {
      try {
        const info = await transporter.sendMail({ envelope: { from: mailFrom, to: [rcptTo] }, raw });
        const response = String(info.response ?? '250');
        return { ok: true, code: Number(response.slice(0, 3)) || 250, enhancedCode: ENHANCED.exec(response)?.[1] ?? null, response, mxHost, tls: Boolean(opts.secure || opts.requireTLS) };
      } catch (err) {
        const e = err as { responseCode?: number; response?: string; message: string; code?: string };
        const response = e.response ?? e.message;
        if (opts.requireTLS && e.code === 'ETLS') {
          // our policy refused to send in clear: the remote rejected nothing, so defer (never bounce or suppress), like Postfix's 4.7.4
          const reason = `MS_ERR_TLS_REQUIRED: STARTTLS required by shaping but not negotiated with ${mxHost} (${e.message})`;
          return { ok: false, code: null, enhancedCode: null, response, mxHost, tls: false, network: true, reason };
        }
        return { ok: false, code: e.responseCode ?? null, enhancedCode: ENHANCED.exec(response)?.[1] ?? null, response, mxHost, tls: false, network: !e.responseCode };
      }
    },
    close: () => transporter.close(),
  };
}
