/**
 * A scripted SMTP server on a loopback port, for the client's edge cases a real MTA will not produce on demand:
 * each command line gets the reply `answer` returns (several lines for a multi-line reply) or the connection drops;
 * the content after a 354 is collected up to the `.` line. It records every command (and each ending `.`) with the index of the socket
 * chunk it arrived in, so a test can tell pipelined commands (one chunk) from lock-step ones.
 */
import net from 'node:net';

/** What to do with a command: reply lines, or drop the connection without a word. */
export type Answer = string | string[] | 'drop';

/** One received command: its line, its session, and the chunk of that session it arrived in. */
export interface Seen { line: string; session: number; chunk: number }

/** Script: EHLO keywords, and the answer to a command (`default` gives the usual success replies). */
export interface Script {
  extensions?: string[];
  answer?(line: string, ctx: { session: number; content?: string }): Answer | undefined;
}

/** Start the server; `seen` grows as commands arrive, `messages` as contents end. */
export async function startScriptedSmtp(script: Script = {}) {
  const seen: Seen[] = [];
  const messages: string[] = [];
  let sessions = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    const session = ++sessions;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buf = '';
    let chunk = 0;
    let content: string[] | null = null;
    const say = (a: Answer) => { if (a === 'drop') socket.destroy(); else socket.write((Array.isArray(a) ? a : [a]).map((l) => `${l}\r\n`).join('')); };
    const usual = (line: string): Answer => {
      const verb = line.split(/[ :]/)[0]!.toUpperCase();
      if (verb === 'EHLO') return ['250-scripted.test', ...(script.extensions ?? ['PIPELINING']).map((e) => `250-${e}`), '250 8BITMIME'];
      if (verb === 'DATA') return '354 go ahead';
      if (verb === 'QUIT') return '221 bye';
      return '250 2.0.0 ok';
    };
    socket.write('220 scripted.test ESMTP\r\n');
    socket.on('data', (d: Buffer) => {
      chunk++;
      buf += d.toString('latin1');
      for (let nl = buf.indexOf('\r\n'); nl !== -1 && !socket.destroyed; nl = buf.indexOf('\r\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        if (content) {
          if (line !== '.') { content.push(line.startsWith('..') ? line.slice(1) : line); continue; }
          seen.push({ line, session, chunk });
          const text = content.join('\r\n');
          content = null;
          messages.push(text);
          say(script.answer?.('.', { session, content: text }) ?? '250 2.0.0 queued');
          continue;
        }
        seen.push({ line, session, chunk });
        const a = script.answer?.(line, { session }) ?? usual(line);
        if (a !== 'drop' && /^354/.test(Array.isArray(a) ? a[a.length - 1]! : a)) content = [];
        say(a);
        if (/^QUIT/i.test(line)) socket.end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port, seen, messages, sessions: () => sessions,
    /** Close every open session (as a server's idle timeout would). */
    dropAll: () => { for (const s of sockets) s.destroy(); },
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}
