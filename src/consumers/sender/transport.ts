/**
 * SMTP transport to a relay (smarthost): a nodemailer pool of persistent connections with TCP_NODELAY
 * on every socket — without it Nagle's algorithm and delayed ACKs cap a connection near 20 messages/s.
 */
import net from 'node:net';
import nodemailer from 'nodemailer';

/** Outcome of one SMTP transaction. */
export interface SmtpOutcome { ok: boolean; code: number | null; enhancedCode: string | null; response: string; mxHost: string; tls: boolean; network?: boolean }
/** Sends one raw message to one recipient. */
export interface SmtpTransport { send(mailFrom: string, rcptTo: string, raw: Buffer): Promise<SmtpOutcome>; close(): void }

/** Options of a relay transport. */
export interface RelayOptions { host: string; port: number; secure?: boolean; user?: string; pass?: string; maxConnections: number; maxMessages: number; localAddress?: string; name?: string }

const ENHANCED = /^\s*\d{3}[ -]?([245]\.\d{1,3}\.\d{1,3})\b/;

/** A pooled transport to the relay in `opts`. */
export function createRelayTransport(opts: RelayOptions): SmtpTransport {
  const transporter = nodemailer.createTransport({
    pool: true, host: opts.host, port: opts.port, secure: opts.secure ?? false,
    maxConnections: opts.maxConnections, maxMessages: opts.maxMessages, name: opts.name,
    auth: opts.user ? { user: opts.user, pass: opts.pass ?? '' } : undefined,
    tls: { rejectUnauthorized: false },
    connectionTimeout: 15000, greetingTimeout: 15000, socketTimeout: 60000,
    getSocket: (_o: unknown, cb: (err: Error | null, s?: { connection: net.Socket }) => void) => {
      const socket = net.connect({ host: opts.host, port: opts.port, localAddress: opts.localAddress });
      socket.setNoDelay(true);
      socket.once('connect', () => { socket.removeAllListeners('error'); cb(null, { connection: socket }); });
      socket.once('error', (err) => cb(err));
    },
  } as never);
  return {
    async send(mailFrom, rcptTo, raw) {
      try {
        const info = await transporter.sendMail({ envelope: { from: mailFrom, to: [rcptTo] }, raw });
        const response = String(info.response ?? '250');
        return { ok: true, code: Number(response.slice(0, 3)) || 250, enhancedCode: ENHANCED.exec(response)?.[1] ?? null, response, mxHost: opts.host, tls: Boolean(opts.secure) };
      } catch (err) {
        const e = err as { responseCode?: number; response?: string; message: string; code?: string };
        const response = e.response ?? e.message;
        return { ok: false, code: e.responseCode ?? null, enhancedCode: ENHANCED.exec(response)?.[1] ?? null, response, mxHost: opts.host, tls: Boolean(opts.secure), network: !e.responseCode };
      }
    },
    close: () => transporter.close(),
  };
}
