/**
 * A pool of persistent SMTP sessions to one host: messages wait in one FIFO, a free session takes the next, and a
 * new session opens (through the connection gate, then `beforeConnect`) while there are more waiting than free
 * sessions, up to `maxConnections`. A session retires (QUIT) after `maxMessages` transactions or on its idle
 * timeout. A failed open fails the message that asked for it; a reused session that drops before any reply to a
 * transaction (the server closed it while idle) gives its message one more try on a fresh session.
 */
import net from 'node:net';
import tls from 'node:tls';
import { openSession, SmtpError, type Session } from '../../delivery/smtp/session.js';
import type { Reply } from '../../delivery/smtp/reply.js';
import type { ConnectionGate, RelayOptions } from './transport.js';

/** What a sent message resolves with: the final reply and whether TLS carried it. */
export interface Sent { reply: Reply; tls: boolean }

interface Job { mailFrom: string; rcptTo: string; raw: Buffer; retried: boolean; resolve(s: Sent): void; reject(e: SmtpError): void }

/** A session pool for `opts` behind `gate`. */
export function createSessionPool(opts: RelayOptions, gate: ConnectionGate) {
  const queue: Job[] = [];
  const idle: Session[] = [];
  let live = 0; // sessions open or opening, not retired
  let closed = false;
  const label = opts.label ?? opts.host;

  const pump = (): void => {
    while (queue.length) {
      const s = idle.pop();
      if (s) { if (s.closed) live--; else run(s, queue.shift()!); continue; }
      if (live >= opts.maxConnections) return;
      live++;
      void open(queue.shift()!);
    }
  };

  const run = (s: Session, job: Job): void => {
    s.send(job.mailFrom, job.rcptTo, job.raw).then(
      (reply) => job.resolve({ reply, tls: s.tls }),
      (err: SmtpError) => {
        // the server closed a reused session while it sat idle: nothing of this message reached it
        if (err.beforeReply && s.transactions > 0 && !job.retried && !closed) { job.retried = true; queue.unshift(job); }
        else job.reject(err);
      },
    ).finally(() => {
      if (s.closed) { live--; pump(); return; }
      if (s.transactions >= opts.maxMessages || closed) { s.quit(); live--; pump(); return; }
      const next = queue.shift();
      if (next) run(s, next); else idle.push(s);
    });
  };

  const open = async (job: Job): Promise<void> => {
    let s: Session;
    try {
      s = await connect();
    } catch (err) {
      live--;
      job.reject(err as SmtpError);
      pump();
      return;
    }
    // a session that dies while idle leaves the idle list
    if (closed) { s.quit(); live--; job.reject(new SmtpError('Connection pool was closed', 'ECONNECTION')); return; }
    run(s, job);
  };

  const connect = async (): Promise<Session> => {
    if (opts.hostDown?.()) {
      throw new SmtpError(`${label} gave no SMTP reply to a recent connection`, 'EHOSTDOWN', undefined, 'CONN', 'skipped');
    }
    try { await gate.acquire(opts.slotWaitMs); } catch (e) {
      throw new SmtpError((e as Error).message, 'ESLOT', undefined, 'CONN', 'skipped');
    }
    let socket: net.Socket;
    try {
      await opts.beforeConnect?.();
      socket = await dial();
    } catch (e) {
      gate.release();
      throw e instanceof SmtpError ? e : new SmtpError((e as Error).message, 'ECONNECTION', undefined, 'CONN', 'host');
    }
    socket.once('close', () => {
      gate.release();
      // after the session's own close handler has marked it closed
      setImmediate(() => {
        const at = idle.findIndex((x) => x.closed);
        if (at >= 0) { idle.splice(at, 1); live--; pump(); }
      });
    });
    return openSession({
      socket, secure: opts.secure ?? false, servername: label, name: opts.name ?? 'localhost', requireTLS: opts.requireTLS ?? false,
      auth: opts.user ? { user: opts.user, pass: opts.pass ?? '' } : undefined,
      greetingTimeoutMs: 15_000, socketTimeoutMs: 60_000,
    });
  };

  // TCP_NODELAY: without it Nagle's algorithm and delayed ACKs cap a connection near 20 messages/s
  const dial = (): Promise<net.Socket> => new Promise((resolve, reject) => {
    const where = { host: opts.host, port: opts.port, localAddress: opts.localAddress };
    const socket = opts.secure ? tls.connect({ ...where, servername: label, rejectUnauthorized: false }) : net.connect(where);
    socket.setNoDelay(true);
    const ms = opts.connectTimeoutMs ?? 15_000;
    const timer = setTimeout(() => socket.destroy(Object.assign(new Error(`connect ETIMEDOUT ${opts.host}:${opts.port} after ${ms} ms`),
      { code: 'ETIMEDOUT' })), ms);
    const onError = (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new SmtpError(e.message, e.code === 'ETIMEDOUT' ? 'ETIMEDOUT' : 'ECONNECTION', undefined, 'CONN', 'host'));
    };
    socket.once('error', onError);
    socket.once(opts.secure ? 'secureConnect' : 'connect', () => { clearTimeout(timer); socket.off('error', onError); resolve(socket); });
  });

  return {
    /** Send one message; resolves with the final 2xx reply, rejects with an SmtpError. */
    send(mailFrom: string, rcptTo: string, raw: Buffer): Promise<Sent> {
      if (closed) return Promise.reject(new SmtpError('Connection pool was closed', 'ECONNECTION'));
      return new Promise((resolve, reject) => { queue.push({ mailFrom, rcptTo, raw, retried: false, resolve, reject }); pump(); });
    },
    /** QUIT every idle session, the busy ones after their transaction; fail what still waits. */
    close(): void {
      closed = true;
      for (const s of idle.splice(0)) { s.quit(); live--; }
      for (const j of queue.splice(0)) j.reject(new SmtpError('Connection pool was closed', 'ECONNECTION'));
    },
  };
}
