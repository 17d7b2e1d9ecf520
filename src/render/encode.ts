/**
 * Body transfer encodings, written for speed (they run once per message): 7bit when the text is ASCII
 * with short lines, quoted-printable for mostly-ASCII text, base64 otherwise. Output always uses CRLF,
 * and no line exceeds 76 characters (QP, base64) or 998 octets (7bit).
 */

/** An encoded body and its Content-Transfer-Encoding. */
export interface Encoded { cte: '7bit' | 'quoted-printable' | 'base64'; body: Buffer }

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

// Byte classes for the QP loop: 0 literal, 1 escape, 2 space/tab (escaped only before a line end), 3 CR/LF.
const CLS = new Uint8Array(256).fill(1);
for (let c = 33; c <= 126; c++) CLS[c] = 0;
CLS[61] = 1; CLS[32] = 2; CLS[9] = 2; CLS[10] = 3; CLS[13] = 3;
const HEXC = Buffer.from('0123456789ABCDEF', 'latin1');
// Scratch output for the QP loop, reused: the result is copied out once.
let scratch = Buffer.allocUnsafe(1 << 16);

/** Quoted-printable (RFC 2045) of UTF-8 bytes, soft breaks at 76; CRLF, LF and CR all become CRLF. */
export function quotedPrintable(buf: Buffer): Buffer {
  const n = buf.length;
  const need = Math.ceil(n * 3 * 1.05) + 16;
  if (scratch.length < need) scratch = Buffer.allocUnsafe(need);
  const out = scratch;
  let o = 0, col = 0;
  for (let i = 0; i < n; i++) {
    const c = buf[i];
    let k = CLS[c];
    if (k === 0) {
      if (col === 75) { out[o++] = 61; out[o++] = 13; out[o++] = 10; col = 0; }
      out[o++] = c; col++;
      continue;
    }
    if (k === 3) { out[o++] = 13; out[o++] = 10; col = 0; if (c === 13 && buf[i + 1] === 10) i++; continue; }
    if (k === 2) {
      if (i + 1 < n && CLS[buf[i + 1]] !== 3) {
        if (col === 75) { out[o++] = 61; out[o++] = 13; out[o++] = 10; col = 0; }
        out[o++] = c; col++;
        continue;
      }
      k = 1;
    }
    if (col > 72) { out[o++] = 61; out[o++] = 13; out[o++] = 10; col = 0; }
    out[o++] = 61; out[o++] = HEXC[c >> 4]; out[o++] = HEXC[c & 15]; col += 3;
  }
  return Buffer.from(out.subarray(0, o));
}

/** True when an ASCII string has no NUL and no line over 998 octets. */
function sevenBitSafe(s: string): boolean {
  let start = 0;
  for (let i = 0, n = s.length; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 10) { if (i - start > 998) return false; start = i + 1; } else if (c === 0) return false;
  }
  return s.length - start <= 998;
}

/** Pick and apply the lightest safe encoding for a text part; `avoid` must not appear in 7bit output. */
export function encodeText(text: string, avoid: string): Encoded {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes === text.length && sevenBitSafe(text)) {
    const body = text.includes('\r') ? crlf(text) : text.replace(/\n/g, '\r\n');
    if (!body.includes(avoid)) return { cte: '7bit', body: Buffer.from(body, 'latin1') };
  }
  // extra UTF-8 bytes measure how much is non-ASCII: mostly non-ASCII text is smaller in base64
  if (bytes - text.length > text.length / 2) return { cte: 'base64', body: Buffer.from(base64Lines(Buffer.from(crlf(text), 'utf8')), 'latin1') };
  return { cte: 'quoted-printable', body: quotedPrintable(Buffer.from(text, 'utf8')) };
}
