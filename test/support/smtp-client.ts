/**
 * A bare SMTP client over a socket, for scenarios a real client library would smooth over: bare LF, 8-bit bytes
 * without BODY=8BITMIME, over-long lines, a client that vanishes mid-DATA. It upgrades with STARTTLS and authenticates.
 */
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';

/** One reply: its code and its lines joined. */
export interface Reply { code: number; text: string }

/** A connected session: send a command or bytes, read the next reply. */
export interface RawSmtp {
  cmd(line: string): Promise<Reply>;
  write(bytes: Buffer | string): void;
  reply(): Promise<Reply>;
  starttls(): Promise<void>;
  /** EHLO, STARTTLS, EHLO and AUTH PLAIN as SMTP_Injection with `key`; throws unless 235. */
  login(key: string): Promise<void>;
  destroy(): void;
  quit(): Promise<void>;
}

/** Connect to host:port and read the greeting. */
export async function rawSmtp(port: number, host = '127.0.0.1'): Promise<RawSmtp> {
  let sock: Socket | TLSSocket = connect(port, host);
  let buf = '';
  const waiting: Array<(r: Reply) => void> = [];
  const ready: Reply[] = [];
  const onData = (d: Buffer) => {
    buf += d.toString('latin1');
    for (;;) {
      const m = /^(\d{3}) (.*)\r\n/m.exec(buf);
      if (!m) return;
      const end = m.index + m[0].length;
      const text = buf.slice(0, end).split('\r\n').filter(Boolean).map((l) => l.slice(4)).join('\n');
      buf = buf.slice(end);
      const r = { code: Number(m[1]), text };
      const w = waiting.shift();
      if (w) w(r); else ready.push(r);
    }
  };
  sock.on('data', onData);
  sock.on('error', () => undefined);
  const reply = () => new Promise<Reply>((resolve) => { const r = ready.shift(); if (r) resolve(r); else waiting.push(resolve); });
  const greeting = await reply();
  if (greeting.code !== 220) throw new Error(`greeting ${greeting.code} ${greeting.text}`);
  const cmd = (line: string) => { sock.write(`${line}\r\n`); return reply(); };
  const starttls = async () => {
    const r = await cmd('STARTTLS');
    if (r.code !== 220) throw new Error(`STARTTLS: ${r.code} ${r.text}`);
    sock.removeListener('data', onData);
    sock = await new Promise<TLSSocket>((resolve, reject) => {
      const t = tlsConnect({ socket: sock as Socket, rejectUnauthorized: false, servername: 'localhost' }, () => resolve(t));
      t.once('error', reject);
    });
    sock.on('data', onData);
    sock.on('error', () => undefined);
  };
  return {
    cmd, reply, starttls, write: (b) => { sock.write(b); },
    async login(key) {
      await cmd('EHLO client.example');
      await starttls();
      await cmd('EHLO client.example');
      const r = await cmd(`AUTH PLAIN ${Buffer.from(`\0SMTP_Injection\0${key}`).toString('base64')}`);
      if (r.code !== 235) throw new Error(`AUTH: ${r.code} ${r.text}`);
    },
    destroy: () => { sock.destroy(); },
    async quit() { await cmd('QUIT').catch(() => undefined); sock.end(); },
  };
}
