/**
 * Body transfer encodings, written for speed (they run once per message): 7bit when the text is ASCII
 * with short lines, quoted-printable for mostly-ASCII text, base64 otherwise. Output always uses CRLF,
 * and no line exceeds 76 characters (QP, base64) or 998 octets (7bit).
 */

/** An encoded body and its Content-Transfer-Encoding. */
export interface Encoded { cte: '7bit' | 'quoted-printable' | 'base64'; body: string }

const HEX = Array.from({ length: 256 }, (_, i) => `=${i.toString(16).toUpperCase().padStart(2, '0')}`);

/** Normalise line ends to CRLF. */
export const crlf = (s: string): string => (/\r(?!\n)|(?<!\r)\n/.test(s) ? s.replace(/\r\n|\r|\n/g, '\r\n') : s);

/** Base64 in 76-character lines. */
export function base64Lines(buf: Buffer): string {
  const b = buf.toString('base64');
  if (b.length <= 76) return b;
  const out: string[] = [];
  for (let i = 0; i < b.length; i += 76) out.push(b.slice(i, i + 76));
  return out.join('\r\n');
}

/** Quoted-printable (RFC 2045) of UTF-8 text with CRLF line ends, soft breaks at 76. */
export function quotedPrintable(text: string): string {
  const buf = Buffer.from(text, 'utf8');
  let out = '';
  let line = '';
  const n = buf.length;
  for (let i = 0; i < n; i++) {
    const c = buf[i];
    if (c === 13 && buf[i + 1] === 10) { out += line + '\r\n'; line = ''; i++; continue; }
    let enc: string;
    if ((c >= 33 && c <= 126 && c !== 61) || ((c === 32 || c === 9) && i + 1 < n && buf[i + 1] !== 13)) {
      // fast path: copy a run of safe characters at once
      let j = i + 1;
      while (j < n && j - i < 76) {
        const d = buf[j];
        if (!((d >= 33 && d <= 126 && d !== 61) || ((d === 32 || d === 9) && j + 1 < n && buf[j + 1] !== 13))) break;
        j++;
      }
      enc = buf.toString('latin1', i, j);
      i = j - 1;
    } else enc = HEX[c];
    while (line.length + enc.length > 75) {
      // split a run across soft breaks; never split an =XX escape
      if (enc.charCodeAt(0) === 61) { out += line + '=\r\n'; line = ''; break; }
      const room = 75 - line.length;
      out += line + enc.slice(0, room) + '=\r\n';
      line = '';
      enc = enc.slice(room);
    }
    line += enc;
  }
  return out + line;
}

/** Pick and apply the lightest safe encoding for a text part; `avoid` must not appear in 7bit output. */
export function encodeText(text: string, avoid: string): Encoded {
  const body = crlf(text);
  // eslint-disable-next-line no-control-regex
  const ascii = !/[^\x00-\x7f]/.test(body) && !body.includes('\0');
  if (ascii && !/[^\r\n]{999}/.test(body) && !body.includes(avoid)) return { cte: '7bit', body };
  let high = 0;
  if (!ascii) for (let i = 0; i < body.length; i++) if (body.charCodeAt(i) > 127) high++;
  if (high > body.length / 3) return { cte: 'base64', body: base64Lines(Buffer.from(body, 'utf8')) };
  return { cte: 'quoted-printable', body: quotedPrintable(body) };
}
