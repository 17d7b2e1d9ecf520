/**
 * SMTP transport to a relay (smarthost) or one MX host: a pool of persistent, pipelining SMTP sessions (pool.ts,
 * delivery/smtp/) with TCP_NODELAY on every socket, and the classification of their replies into outcomes. Its sockets
 * pass a connection gate, which the pools of every MX host of one queue may share. An outcome says `noSession`
 * when the host gave no SMTP reply or refused the session (421 before any transaction), or when no connection was
 * tried (no free slot, host known down), so another MX host may be tried.
 */
import type { Event } from '../../generated/types.js';
import { replyText } from '../../delivery/smtp/reply.js';
import type { SmtpError } from '../../delivery/smtp/session.js';
import type { Content } from '../../delivery/smtp/data.js';
import { createSessionPool } from './pool.js';

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
  send(mailFrom: string, rcptTo: string, raw: Content, ctx?: SendContext): Promise<SmtpOutcome>;
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

/** At most `max` open sockets: a pool opens a retired session's replacement before the old socket has closed. */
export interface ConnectionGate {
  /** Take a slot; rejects (code ESLOT, noSession 'skipped') when none frees up within `waitMs`. */
  acquire(waitMs?: number): Promise<void>;
  release(): void;
}

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
        if (!woken) {
          throw Object.assign(new Error(`no free connection slot within ${waitMs} ms (all ${max} held)`),
            { code: 'ESLOT', noSession: 'skipped' as const });
        }
      }
      open++;
    },
    release() { open--; waiters.shift()?.(); },
  };
}

const ENHANCED = /^\s*\d{3}[ -]?([245]\.\d{1,3}\.\d{1,3})\b/;
const SETUP = new Set(['CONN', 'EHLO', 'HELO']);

/** A pooled transport to the relay in `opts`. */
export function createRelayTransport(opts: RelayOptions): SmtpTransport {
  const pool = createSessionPool(opts, opts.gate ?? createConnectionGate(opts.maxConnections));
  const mxHost = opts.label ?? opts.host;
  return {
    async send(mailFrom, rcptTo, raw) {
      try {
        const { reply, tls } = await pool.send(mailFrom, rcptTo, raw);
        const response = replyText(reply);
        return { ok: true, code: reply.code, enhancedCode: ENHANCED.exec(response)?.[1] ?? null, response, mxHost, tls };
      } catch (err) {
        const e = err as SmtpError;
        const response = e.response ?? e.message;
        if (opts.requireTLS && e.code === 'ETLS') {
          // our policy refused to send in clear: the remote rejected nothing, so defer (never bounce or suppress), like Postfix's 4.7.4
          const reason = `MS_ERR_TLS_REQUIRED: STARTTLS required by shaping but not negotiated with ${mxHost} (${e.message})`;
          return { ok: false, code: null, enhancedCode: null, response, mxHost, tls: false, network: true, reason };
        }
        // a 421 to the greeting or to EHLO/HELO refuses the session, not the message
        const noSession = e.noSession ?? (e.responseCode === 421 && SETUP.has(e.command ?? '') ? 'host' : undefined);
        const code = e.responseCode ?? null;
        return { ok: false, code, enhancedCode: ENHANCED.exec(response)?.[1] ?? null, response, mxHost, tls: false, network: code == null,
          ...(noSession ? { noSession } : {}) };
      }
    },
    close: () => pool.close(),
  };
}
