/**
 * Body transfer encodings, written for speed (they run once per message): 7bit when the text is ASCII
 * with short lines, quoted-printable for mostly-ASCII text, base64 otherwise. Output always uses CRLF,
 * and no line exceeds 76 characters (QP, base64) or 998 octets (7bit).
 */

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

/** Reusable bytes for a message's encoded parts; a part encoded into it stays valid until `at` is reset to 0. */
export interface Scratch { buf: Buffer; at: number }

/** A scratch area of `size` bytes to start with (it grows, keeping what was written). */
export const createScratch = (size = 1 << 17): Scratch => ({ buf: Buffer.allocUnsafe(size), at: 0 });

// a part needing more room moves to a fresh buffer: views of parts written before keep the old one alive
function reserve(s: Scratch, n: number): void {
  if (s.at + n > s.buf.length) { s.buf = Buffer.allocUnsafe(Math.max(n, s.buf.length * 2)); s.at = 0; }
}

/**
 * `quotedPrintable(Buffer.from(text, 'utf8'))` straight from the string, into `s`, without the UTF-8 copy; null (and
 * nothing kept) once the text's extra UTF-8 bytes pass half its length, where base64 is the smaller encoding.
 */
function quotedPrintableText(text: string, s: Scratch): Buffer | null {
  const n = text.length;
  const limit = n / 2;
  reserve(s, Math.ceil(n * 9 * 1.05) + 16); // 3 UTF-8 bytes per UTF-16 unit, 3 characters per byte, soft breaks
  const out = s.buf;
  const start = s.at;
  let o = start, col = 0, extra = 0;
  for (let i = 0; i < n; i++) {
    let c = text.charCodeAt(i);
    if (c < 128) {
      let k = CLS[c];
      if (k === 0) {
        if (col === 75) { out[o++] = 61; out[o++] = 13; out[o++] = 10; col = 0; }
        out[o++] = c; col++;
        continue;
      }
      if (k === 3) { out[o++] = 13; out[o++] = 10; col = 0; if (c === 13 && text.charCodeAt(i + 1) === 10) i++; continue; }
      if (k === 2) {
        const d = i + 1 < n ? text.charCodeAt(i + 1) : 10;
        if (d !== 10 && d !== 13) {
          if (col === 75) { out[o++] = 61; out[o++] = 13; out[o++] = 10; col = 0; }
          out[o++] = c; col++;
          continue;
        }
      }
      if (col > 72) { out[o++] = 61; out[o++] = 13; out[o++] = 10; col = 0; }
      out[o++] = 61; out[o++] = HEXC[c >> 4]; out[o++] = HEXC[c & 15]; col += 3;
      continue;
    }
    // UTF-8 as Buffer.from writes it (a lone surrogate becomes U+FFFD), every byte escaped
    let len = 3, b0: number, b1: number, b2 = 0, b3 = 0;
    if (c < 0x800) { len = 2; b0 = 0xc0 | (c >> 6); b1 = 0x80 | (c & 63); } else {
      if (c >= 0xd800 && c <= 0xdfff) {
        const d = text.charCodeAt(i + 1);
        if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
          i++;
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          len = 4;
        } else c = 0xfffd;
      }
      if (len === 4) { b0 = 0xf0 | (c >> 18); b1 = 0x80 | ((c >> 12) & 63); b2 = 0x80 | ((c >> 6) & 63); b3 = 0x80 | (c & 63); }
      else { b0 = 0xe0 | (c >> 12); b1 = 0x80 | ((c >> 6) & 63); b2 = 0x80 | (c & 63); }
    }
    extra += len === 4 ? 2 : len - 1;
    if (extra > limit) return null;
    for (let j = 0; j < len; j++) {
      const b = j === 0 ? b0 : j === 1 ? b1 : j === 2 ? b2 : b3;
      if (col > 72) { out[o++] = 61; out[o++] = 13; out[o++] = 10; col = 0; }
      out[o++] = 61; out[o++] = HEXC[b >> 4]; out[o++] = HEXC[b & 15]; col += 3;
    }
  }
  s.at = o;
  return out.subarray(start, o);
}

/** True when an ASCII string has no NUL and no line over 998 octets. */
function sevenBitSafe(s: string): boolean {
  if (s.length <= 998) return true;
  let start = 0;
  for (;;) {
    const nl = s.indexOf('\n', start);
    if (nl < 0) return s.length - start <= 998;
    if (nl - start > 998) return false;
    start = nl + 1;
  }
}

// not 7bit: NUL or any non-ASCII character
const NOT_7BIT = /[^\x01-\x7f]/;

/** A text part's Content-Transfer-Encoding and body: a latin1 string (7bit, base64) or bytes (QP, a view into a scratch). */
export interface EncodedPart { cte: '7bit' | 'quoted-printable' | 'base64'; body: string | Buffer }

/**
 * Pick and apply the lightest safe encoding for a text part; `avoid` must not appear in 7bit output. A QP body is a
 * view into `scratch`: copy it out before the scratch is reused.
 */
export function encodePart(text: string, avoid: string, scratch: Scratch): EncodedPart {
  if (!NOT_7BIT.test(text) && sevenBitSafe(text)) {
    const body = text.includes('\r') ? crlf(text) : text.replace(/\n/g, '\r\n');
    if (!body.includes(avoid)) return { cte: '7bit', body };
  }
  // extra UTF-8 bytes measure how much is non-ASCII: mostly non-ASCII text is smaller in base64
  const qp = quotedPrintableText(text, scratch);
  if (qp) return { cte: 'quoted-printable', body: qp };
  return { cte: 'base64', body: base64Lines(Buffer.from(crlf(text), 'utf8')) };
}
