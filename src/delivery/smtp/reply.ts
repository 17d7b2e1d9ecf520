/** SMTP replies (RFC 5321 §4.2): lines read off the wire, multi-line replies (`250-…`, `250 …`) gathered into one. */
import { StringDecoder } from 'node:string_decoder';

/** One complete reply: its code and every line, as the server sent them. */
export interface Reply { code: number; lines: string[] }

/** The reply's text as nodemailer reported it: its lines joined with a line feed. */
export const replyText = (r: Reply): string => r.lines.join('\n');

/** A reply line longer than this (bytes) is a protocol error, not something to buffer without end. */
const MAX_LINE = 64 * 1024;

/**
 * A reader fed the socket's chunks; calls `onReply` once per complete reply, in order. Throws on a line past MAX_LINE.
 * A line that does not start with three digits ends a reply with code 0 (a broken server; callers treat it as an error).
 */
export function createReplyReader(onReply: (r: Reply) => void): (chunk: Buffer) => void {
  const decoder = new StringDecoder('utf8');
  let partial = '';
  let lines: string[] = [];
  return (chunk) => {
    let text = partial + decoder.write(chunk);
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      const line = text.slice(start, nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl);
      start = nl + 1;
      lines.push(line);
      const code = /^\d{3}/.test(line) ? Number(line.slice(0, 3)) : 0;
      // `250-` continues the reply; anything else (`250 `, a bare `250`, garbage) ends it
      if (code && line.charCodeAt(3) === 45) continue;
      const done = { code, lines };
      lines = [];
      onReply(done);
    }
    text = text.slice(start);
    if (text.length > MAX_LINE) throw new Error(`SMTP reply line longer than ${MAX_LINE} bytes`);
    partial = text;
  };
}

/** The extensions an EHLO reply advertises (upper-cased keyword → its parameters). */
export function extensionsOf(r: Reply): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of r.lines.slice(1)) {
    const [kw = '', ...params] = line.slice(4).trim().split(/\s+/);
    if (kw) out.set(kw.toUpperCase(), params.join(' '));
  }
  return out;
}
