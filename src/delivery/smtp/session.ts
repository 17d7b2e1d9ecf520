/**
 * One SMTP client session (RFC 5321) on a connected socket: greeting, EHLO (HELO when refused), STARTTLS when
 * offered (required by `requireTLS`), AUTH PLAIN or LOGIN, then transactions of one sender and one recipient.
 * With PIPELINING (RFC 2920) a transaction's RSET, MAIL, RCPT and DATA go in one write and the content follows the
 * 354, with the next transaction's commands in the same write, so a busy session costs one write and one round trip
 * per message; the first failed reply of a group decides its outcome. Errors carry
 * nodemailer's codes (the transport's classification reads them) and `noSession` when the host gave no SMTP reply
 * or refused the session.
 */
import type net from 'node:net';
import tls from 'node:tls';
import { contentLength, dataChunks, type Content } from './data.js';
import { createReplyReader, extensionsOf, replyText, type Reply } from './reply.js';

/** Why a session or a transaction failed; `reply` is the server's reply when there was one. */
export class SmtpError extends Error {
  constructor(message: string, readonly code: string, readonly reply?: Reply, readonly command?: string,
    public noSession?: 'host' | 'skipped', readonly beforeReply = false) { super(message); }
  /** The reply code, as nodemailer's `responseCode`. */
  get responseCode(): number | undefined { return this.reply?.code || undefined; }
  /** The reply text, as nodemailer's `response`. */
  get response(): string | undefined { return this.reply ? replyText(this.reply) : undefined; }
}

/** Session options. */
export interface SessionOptions {
  /** A connected socket: plain, or already TLS (`secure`). */
  socket: net.Socket; secure: boolean;
  /** TLS server name for STARTTLS; EHLO name. */
  servername: string; name: string;
  requireTLS: boolean; auth?: { user: string; pass: string };
  greetingTimeoutMs: number; socketTimeoutMs: number;
}

/** An open session. */
export interface Session {
  /** TLS is in force (implicit or STARTTLS). */
  readonly tls: boolean;
  /** Transactions that reached the end of DATA. */
  readonly transactions: number;
  /**
   * One message to one recipient; resolves with the reply to the end of DATA (2xx), rejects with an SmtpError.
   * Sends queue in order; a second one waiting while the first's content goes out is pipelined with it.
   */
  send(mailFrom: string, rcptTo: string, raw: Content): Promise<Reply>;
  /** The server offers PIPELINING: a second send in flight saves a round trip. */
  readonly pipelining: boolean;
  /** QUIT and close; a failed send's error or an idle close. */
  quit(): void;
  /** True once the session can take no more transactions. */
  readonly closed: boolean;
}

type Pending = { resolve(r: Reply): void; reject(e: SmtpError): void };
// the largest message a session keeps a buffer for gathering segments into
const MAX_SCRATCH = 1 << 20;
const isOk = (code: number) => code >= 200 && code < 300;

/** Greet, EHLO, STARTTLS and AUTH on `opts.socket`; rejects with an SmtpError (the socket destroyed). */
export async function openSession(opts: SessionOptions): Promise<Session> {
  let socket: net.Socket = opts.socket;
  let secure = opts.secure;
  let pending: Pending[] = [];
  let dead: SmtpError | null = null;
  let replied = 0;
  let transactions = 0;
  let needRset = false;

  const fail = (err: SmtpError): void => {
    if (dead) return;
    // no reply at all from the host: another MX host may be tried
    if (!replied && !err.noSession) err.noSession = 'host';
    dead = err;
    for (const p of pending.splice(0)) p.reject(err);
    socket.destroy();
  };
  const onReply = (r: Reply): void => {
    replied++;
    const p = pending.shift();
    // an unsolicited reply is a server closing the session (e.g. 421 on its idle timeout)
    if (p) p.resolve(r); else fail(new SmtpError(replyText(r), 'EPROTOCOL', r));
  };
  let read = createReplyReader(onReply);
  const onData = (chunk: Buffer): void => {
    try { read(chunk); } catch (e) { fail(new SmtpError((e as Error).message, 'EPROTOCOL')); }
  };
  const onError = (e: NodeJS.ErrnoException): void => fail(new SmtpError(e.message, e.code === 'ETIMEDOUT' ? 'ETIMEDOUT' : 'ECONNECTION'));
  const onClose = (): void => fail(new SmtpError('Connection closed unexpectedly', 'ECONNECTION'));
  const onTimeout = (): void => {
    if (pending.length) fail(new SmtpError(`Timeout: no reply in ${opts.socketTimeoutMs} ms`, 'ETIMEDOUT'));
    else quit();
  };
  const attach = (s: net.Socket): void => {
    s.on('data', onData); s.on('error', onError); s.on('close', onClose);
    s.setTimeout(opts.socketTimeoutMs, onTimeout);
  };
  const detach = (s: net.Socket): void => {
    s.off('data', onData); s.off('error', onError); s.off('close', onClose);
    s.setTimeout(0);
  };
  const expect = (): Promise<Reply> => new Promise((resolve, reject) => {
    if (dead) reject(dead); else pending.push({ resolve, reject });
  });
  const command = (line: string): Promise<Reply> => {
    const r = expect();
    if (!dead) socket.write(`${line}\r\n`);
    return r;
  };
  const refused = (r: Reply, code: string, command: string): SmtpError =>
    new SmtpError(replyText(r), code, r, command, r.code === 421 ? 'host' : undefined);
  const quit = (): void => {
    if (dead) return;
    dead = new SmtpError('Session closed', 'ECONNECTION');
    for (const p of pending.splice(0)) p.reject(dead);
    socket.end('QUIT\r\n');
    // a server that never closes its side does not hold the slot for long
    setTimeout(() => socket.destroy(), 2_000).unref();
  };

  attach(socket);
  try {
    const greetingTimer = setTimeout(() => fail(new SmtpError(`Greeting never received in ${opts.greetingTimeoutMs} ms`,
      'ETIMEDOUT', undefined, 'CONN', 'host')), opts.greetingTimeoutMs);
    const greeting = await expect().finally(() => clearTimeout(greetingTimer));
    if (greeting.code !== 220) throw refused(greeting, 'EPROTOCOL', 'CONN');

    const hello = async (): Promise<Map<string, string>> => {
      const r = await command(`EHLO ${opts.name}`);
      if (r.code === 250) return extensionsOf(r);
      if (r.code === 421) throw refused(r, 'EPROTOCOL', 'EHLO');
      const h = await command(`HELO ${opts.name}`);
      if (h.code !== 250) throw refused(h, 'EPROTOCOL', 'HELO');
      return new Map();
    };
    let ext = await hello();
    if (!secure && ext.has('STARTTLS')) {
      const r = await command('STARTTLS');
      if (r.code === 220) {
        detach(socket);
        socket = await upgrade(socket, opts.servername);
        secure = true;
        read = createReplyReader(onReply);
        attach(socket);
        ext = await hello();
      } else if (opts.requireTLS) throw new SmtpError(`STARTTLS refused: ${replyText(r)}`, 'ETLS', r, 'STARTTLS');
    }
    if (opts.requireTLS && !secure) throw new SmtpError('STARTTLS is required but the server does not offer it', 'ETLS');
    // as nodemailer: credentials are used where the server offers AUTH (a relay without it takes the mail unauthenticated)
    if (opts.auth && ext.has('AUTH')) await authenticate(command, ext.get('AUTH') ?? '', opts.auth);

    const pipelining = ext.has('PIPELINING');
    const sizeOk = ext.has('SIZE');
    const utf8 = ext.has('SMTPUTF8');
    type Outcome = Reply | SmtpError;
    interface Txn { mailFrom: string; rcptTo: string; raw: Content; resolve(r: Reply): void; reject(e: SmtpError): void;
      lines?: string[]; replies?: Promise<Outcome[]> }
    const txns: Txn[] = [];
    let driving = false;
    // a message in segments is gathered here, reused once its write is done (a server may reply before that)
    let scratch: Buffer | undefined;
    let writing = false;
    const into = (size: number): Buffer => {
      if (writing || size > MAX_SCRATCH) return Buffer.allocUnsafe(size);
      if (!scratch || scratch.length < size) scratch = Buffer.allocUnsafe(Math.max(size, 64 << 10));
      return scratch.subarray(0, size);
    };

    const linesOf = (t: Txn, rset: boolean): string[] => {
      const size = sizeOk ? ` SIZE=${contentLength(t.raw)}` : '';
      const params = `${size}${utf8 && /[^\x00-\x7f]/.test(t.mailFrom + t.rcptTo) ? ' SMTPUTF8' : ''}`;
      return [...(rset ? ['RSET'] : []), `MAIL FROM:<${t.mailFrom}>${params}`, `RCPT TO:<${t.rcptTo}>`, 'DATA'];
    };
    // the replies are awaited before the write, so they pair with the commands in order
    const writeEnvelope = (t: Txn, rset: boolean): void => {
      t.lines = linesOf(t, rset);
      const all = t.lines.map(() => expect().catch((e: SmtpError) => e));
      if (!dead) socket.write(`${t.lines.join('\r\n')}\r\n`);
      t.replies = Promise.all(all);
    };
    const lockStep = async (t: Txn): Promise<Outcome[]> => {
      t.lines = linesOf(t, needRset);
      const replies: Outcome[] = [];
      for (const line of t.lines) {
        const r = await command(line).catch((e: SmtpError) => e);
        replies.push(r);
        if (r instanceof SmtpError || !(r.code === 354 || isOk(r.code))) break;
      }
      return replies;
    };
    // the first failed reply of the envelope, or null when DATA got its 354
    const envelopeError = async (t: Txn, replies: Outcome[]): Promise<SmtpError | null> => {
      const last = t.lines!.length - 1;
      for (let i = 0; i < replies.length; i++) {
        const r = replies[i]!;
        if (r instanceof SmtpError) {
          // no reply at all to this transaction: nothing of it reached the server
          return replies.every((x) => x instanceof SmtpError) ? new SmtpError(r.message, r.code, undefined, r.command, r.noSession, true) : r;
        }
        if (i === last ? r.code === 354 : isOk(r.code)) continue;
        // a 354 after a failed RCPT (a lax server): end the empty content so the session stays in step
        const data = replies[last];
        if (i < last && data && !(data instanceof SmtpError) && data.code === 354) await command('.').catch(() => undefined);
        const name = t.lines![i]!.split(/[ :]/)[0]!;
        return new SmtpError(replyText(r), i === last ? 'EMESSAGE' : 'EENVELOPE', r, name === 'RCPT' ? 'RCPT TO' : name === 'MAIL' ? 'MAIL FROM' : name);
      }
      return null;
    };
    // one transaction at a time; with PIPELINING the next one's envelope rides in the same write as this one's content
    const drive = async (): Promise<void> => {
      driving = true;
      while (txns.length) {
        const t = txns[0]!;
        if (!t.replies && pipelining) writeEnvelope(t, needRset);
        const failed = await envelopeError(t, await (t.replies ?? lockStep(t)));
        if (failed) { needRset = true; txns.shift(); t.reject(failed); continue; }
        const [body, tail] = dataChunks(t.raw, into);
        const final = expect().catch((e: SmtpError) => e);
        const next = pipelining ? txns[1] : undefined;
        const reused = scratch !== undefined && body.buffer === scratch.buffer;
        if (reused) writing = true;
        socket.cork(); socket.write(body); socket.write(tail, reused ? () => { writing = false; } : undefined);
        // after the end of the content the server is ready for a new transaction whatever its reply: no RSET
        if (next && !dead) writeEnvelope(next, false);
        socket.uncork();
        const r = await final;
        txns.shift();
        if (r instanceof SmtpError) { t.reject(r); continue; }
        transactions++;
        needRset = false;
        if (isOk(r.code)) t.resolve(r); else t.reject(new SmtpError(replyText(r), 'EMESSAGE', r, 'DATA'));
      }
      driving = false;
    };
    return {
      get tls() { return secure; },
      get transactions() { return transactions; },
      get closed() { return dead !== null; },
      pipelining,
      quit,
      send(mailFrom, rcptTo, raw) {
        if (dead) return Promise.reject(dead);
        return new Promise<Reply>((resolve, reject) => {
          txns.push({ mailFrom, rcptTo, raw, resolve, reject });
          if (!driving) void drive();
        });
      },
    };
  } catch (err) {
    const e = err instanceof SmtpError ? err : new SmtpError((err as Error).message, 'ECONNECTION');
    fail(e);
    throw dead ?? e;
  }
}

/** The TLS session over `plain` after a 220 to STARTTLS (certificates are not checked: opportunistic, like MTAs). */
function upgrade(plain: net.Socket, servername: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ socket: plain, servername: servername.replace(/\.$/, ''), rejectUnauthorized: false });
    const onErr = (e: Error) => reject(new SmtpError(`TLS handshake failed: ${e.message}`, 'ETLS', undefined, 'STARTTLS'));
    s.once('error', onErr);
    s.once('secureConnect', () => { s.off('error', onErr); resolve(s); });
  });
}

/** AUTH PLAIN when offered (or the list is empty), else LOGIN; rejects EAUTH with the server's reply. */
async function authenticate(command: (line: string) => Promise<Reply>, offered: string, auth: { user: string; pass: string }):
  Promise<void> {
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  const methods = offered.toUpperCase().split(/\s+/);
  let r: Reply;
  if (methods.includes('PLAIN') || !methods.includes('LOGIN')) r = await command(`AUTH PLAIN ${b64(`\0${auth.user}\0${auth.pass}`)}`);
  else {
    r = await command('AUTH LOGIN');
    if (r.code === 334) r = await command(b64(auth.user));
    if (r.code === 334) r = await command(b64(auth.pass));
  }
  if (r.code !== 235) throw new SmtpError(replyText(r), 'EAUTH', r, 'AUTH');
}
