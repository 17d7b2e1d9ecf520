/**
 * A pool of persistent SMTP sessions to one host: messages wait in one FIFO, a free session takes the next, and a
 * new session opens (through the connection gate, then `beforeConnect`) while there are more waiting than free
 * sessions, up to `maxConnections`; past that a pipelining session takes a second message, sent with the first's
 * content. A session retires (QUIT) after `maxMessages` messages or on its idle timeout. A failed open fails the
 * message that asked for it; a message none of whose commands got a reply gets one more try on a fresh session.
 */
import net from 'node:net';
import tls from 'node:tls';
import { openSession, SmtpError, type Session } from '../../delivery/smtp/session.js';
import type { Reply } from '../../delivery/smtp/reply.js';
import type { Content } from '../../delivery/smtp/data.js';
import type { ConnectionGate, RelayOptions } from './transport.js';

/** How long a closed socket's gate slot stays held, so the remote's count of our connections never passes the cap (ms). */
const RELEASE_GRACE_MS = 50;

/** What a sent message resolves with: the final reply and whether TLS carried it. */
export interface Sent { reply: Reply; tls: boolean }

interface Job {
  mailFrom: string; rcptTo: string; raw: Content; retried: boolean; resolve(s: Sent): void; reject(e: SmtpError): void;
}

/** An open session and what it carries: sends in flight, sends given to it so far. */
interface Slot { s: Session; busy: number; given: number; gone: boolean }

/** A session pool for `opts` behind `gate`. */
export function createSessionPool(opts: RelayOptions, gate: ConnectionGate) {
  const queue: Job[] = [];
  const slots = new Set<Slot>();
  let live = 0; // sessions open or opening, not retired
  let closed = false;
  const label = opts.label ?? opts.host;

  const usable = (x: Slot, busy: number) => x.busy === busy && !x.gone && !x.s.closed && x.given < opts.maxMessages;
  const find = (busy: number): Slot | undefined => { for (const x of slots) if (usable(x, busy)) return x; return undefined; };
  const retire = (x: Slot): void => { if (x.gone) return; x.gone = true; slots.delete(x); live--; };

  // an idle session first, then a new one, then a second send on a pipelining session (its envelope rides with the first's content)
  const pump = (): void => {
    while (queue.length) {
      let x = find(0);
      if (!x && live < opts.maxConnections) { live++; void open(queue.shift()!); continue; }
      x ??= [...slots].find((y) => y.s.pipelining && usable(y, 1));
      if (!x) return;
      run(x, queue.shift()!);
    }
  };

  const run = (x: Slot, job: Job): void => {
    x.busy++;
    x.given++;
    x.s.send(job.mailFrom, job.rcptTo, job.raw).then(
      (reply) => job.resolve({ reply, tls: x.s.tls }),
      (err: SmtpError) => {
        // no command of this message got a reply (a reused session the server closed while idle, or the second of a
        // pipelined pair when the connection dropped): nothing of it reached the server, so it gets one more session
        if (err.beforeReply && !job.retried && !closed) { job.retried = true; queue.unshift(job); }
        else job.reject(err);
      },
    ).finally(() => {
      x.busy--;
      if (x.s.closed) retire(x);
      else if (x.busy === 0 && (x.given >= opts.maxMessages || closed)) { x.s.quit(); retire(x); }
      pump();
    });
  };

  const open = async (job: Job): Promise<void> => {
    let slot: Slot;
    try {
      const s = await connect(() => { if (slot) retire(slot); pump(); });
      slot = { s, busy: 0, given: 0, gone: false };
    } catch (err) {
      live--;
      job.reject(err as SmtpError);
      pump();
      return;
    }
    slots.add(slot);
    if (closed) { slot.s.quit(); retire(slot); job.reject(new SmtpError('Connection pool was closed', 'ECONNECTION')); return; }
    run(slot, job);
    pump();
  };

  const connect = async (onClosed: () => void): Promise<Session> => {
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
      // the server counts the old connection until it has read our close: a replacement opened at once overlaps it
      setTimeout(() => gate.release(), RELEASE_GRACE_MS);
      // after the session's own close handler has marked it closed
      setImmediate(onClosed);
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
    send(mailFrom: string, rcptTo: string, raw: Content): Promise<Sent> {
      if (closed) return Promise.reject(new SmtpError('Connection pool was closed', 'ECONNECTION'));
      return new Promise((resolve, reject) => { queue.push({ mailFrom, rcptTo, raw, retried: false, resolve, reject }); pump(); });
    },
    /** QUIT every idle session, the busy ones after their sends; fail what still waits. */
    close(): void {
      closed = true;
      for (const x of [...slots]) if (x.busy === 0) { x.s.quit(); retire(x); }
      for (const j of queue.splice(0)) j.reject(new SmtpError('Connection pool was closed', 'ECONNECTION'));
    },
  };
}
