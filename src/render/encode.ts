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

// Byte classes for the QP loop: 0 literal, 1 escape, 2 tab (escaped only before a line end), 3 CR/LF. A space is
// literal in the run loop and escaped afterwards when a line end or the end of input follows it.
const CLS = new Uint8Array(256).fill(1);
for (let c = 32; c <= 126; c++) CLS[c] = 0;
CLS[61] = 1; CLS[9] = 2; CLS[10] = 3; CLS[13] = 3;
const HEXC = Buffer.from('0123456789ABCDEF', 'latin1');
// Scratch output for `quotedPrintable`, reused: the result is copied out once.
let qpScratch = Buffer.allocUnsafe(1 << 16);

/** Quoted-printable (RFC 2045) of UTF-8 bytes, soft breaks at 76; CRLF, LF and CR all become CRLF. */
export function quotedPrintable(buf: Buffer): Buffer {
  const need = Math.ceil(buf.length * 3 * 1.05) + 16;
  if (qpScratch.length < need) qpScratch = Buffer.allocUnsafe(need);
  return Buffer.from(qpScratch.subarray(0, qpInto(buf, 0, buf.length, qpScratch, 0)));
}

// the output column where the last qpInto ended
let qpEndCol = 0;

/** Quoted-printable of `src[from, to)` written at `out[o]`, starting at column `col0`; returns the end offset. */
function qpInto(src: Buffer, from: number, to: number, out: Buffer, o: number, col0 = 0): number {
  const sv = new DataView(src.buffer, src.byteOffset, src.length);
  const ov = new DataView(out.buffer, out.byteOffset, out.length);
  const o0 = o;
  let col = col0;
  let i = from;
  while (i < to) {
    // a dot starting a line is escaped, so DATA never has a line to dot-stuff (RFC 5321 4.5.2): the sender sends as is
    if (col === 0 && src[i] === 46) { o = escape(out, o, 0, 46); col = 3; i++; continue; }
    // a run of literal bytes up to the soft-break column, the common case: four bytes a step while all four are
    // in 0x20..0x7e and none is "=" (the three bit tests are the "has a byte less than / more than / equal to" tricks)
    let lim = i + 75 - col;
    if (lim > to) lim = to;
    const start = i;
    while (i + 4 <= lim) {
      const w = sv.getInt32(i, true);
      const x = w ^ 0x3d3d3d3d;
      if ((((w - 0x20202020) & ~w) | ((w + 0x01010101) | w) | ((x - 0x01010101) & ~x)) & 0x80808080) break;
      ov.setInt32(o, w, true); i += 4; o += 4;
    }
    while (i < lim) { const c = src[i]; if (CLS[c] !== 0) break; out[o++] = c; i++; }
    col += i - start;
    if (i >= to) break;
    const c = src[i];
    const k = CLS[c];
    if (k === 0) { out[o++] = 61; out[o++] = 13; out[o++] = 10; col = 0; continue; } // column 75: soft break
    i++;
    if (k === 3) {
      if (o > o0 && out[o - 1] === 32) { o--; col--; o = escape(out, o, col, 32); } // a space before a line end
      out[o++] = 13; out[o++] = 10; col = 0; if (c === 13 && i < to && src[i] === 10) i++;
      continue;
    }
    if (k === 2 && i < to && CLS[src[i]] !== 3) {
      if (col === 75) { out[o++] = 61; out[o++] = 13; out[o++] = 10; col = 0; }
      out[o++] = c; col++;
      continue;
    }
    o = escape(out, o, col, c);
    col = col > 72 ? 3 : col + 3;
  }
  // a space at the very end
  if (o > o0 && out[o - 1] === 32) { o = escape(out, o - 1, col - 1, 32); col = col > 73 ? 3 : col + 2; }
  qpEndCol = col;
  return o;
}

/** Write "=XX" for byte `c` at `out[o]` (column `col`), after a soft break when it would pass column 75. */
function escape(out: Buffer, o: number, col: number, c: number): number {
  if (col > 72) { out[o++] = 61; out[o++] = 13; out[o++] = 10; }
  out[o++] = 61; out[o++] = HEXC[c >> 4]; out[o++] = HEXC[c & 15];
  return o;
}

/** Reusable bytes for a message's encoded parts; a part encoded into it stays valid until `at` is reset to 0. */
export interface Scratch { buf: Buffer; at: number }

/** A scratch area of `size` bytes to start with (it grows, keeping what was written). */
export const createScratch = (size = 1 << 17): Scratch => ({ buf: Buffer.allocUnsafe(size), at: 0 });

// a part needing more room moves to a fresh buffer: views of parts written before keep the old one alive
function reserve(s: Scratch, n: number): void {
  if (s.at + n > s.buf.length) { s.buf = Buffer.allocUnsafe(Math.max(n, s.buf.length * 2)); s.at = 0; }
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

/** A text part's Content-Transfer-Encoding and body: a latin1 string (7bit, base64) or bytes (QP, a view into a scratch). */
export interface EncodedPart { cte: '7bit' | 'quoted-printable' | 'base64'; body: string | Buffer }

/**
 * Literal template text that recurs in every message (the engine marks where it put it): its quoted-printable from
 * column 0 is worked out once, on first use, and copied into each message after that.
 */
export interface StaticText { s: string; qp: Buffer | null; qpCol: number; bytes: number }

/** Where literal texts sit in a rendered part: [offset, text] pairs, in order, none overlapping. */
export type TextMarks = Array<number | StaticText>;

function prepare(t: StaticText): Buffer {
  const b = Buffer.from(t.s, 'utf8');
  const out = Buffer.allocUnsafe(Math.ceil(b.length * 3 * 1.05) + 16);
  t.qp = Buffer.from(out.subarray(0, qpInto(b, 0, b.length, out, 0)));
  t.qpCol = qpEndCol;
  t.bytes = b.length;
  return t.qp;
}

/**
 * Quoted-printable of a part whose marked literal texts are copied in already encoded: each starts at column 0 (after
 * a soft break where needed), so its encoding never depends on what precedes it; the text between is encoded as
 * usual. Decodes to the same text as encoding it whole. Null when the part is not for QP (ASCII, or mostly not).
 * With `refs`, the texts are left out instead and `refs` gets (offset in the body, text) pairs.
 */
function encodeMarked(text: string, marks: TextMarks, scratch: Scratch, refs?: TextMarks): EncodedPart | null {
  const n = text.length;
  let literal = 0, literalBytes = 0, qpBytes = 0;
  for (let i = 1; i < marks.length; i += 2) {
    const t = marks[i] as StaticText;
    qpBytes += (t.qp ?? prepare(t)).length;
    literal += t.s.length; literalBytes += t.bytes;
  }
  const dynamic = n - literal;
  reserve(scratch, dynamic * 3 + Math.ceil(dynamic * 9 * 1.05) + qpBytes + 3 * marks.length + 16);
  const buf = scratch.buf;
  // the text between the literals, as UTF-8, one region after another: its size decides the encoding
  const from = scratch.at;
  let w = from, pos = 0;
  const ends: number[] = [];
  for (let i = 0; i < marks.length; i += 2) {
    const at = marks[i] as number;
    if (at > pos) w += buf.write(text.slice(pos, at), w, 'utf8');
    ends.push(w);
    pos = at + (marks[i + 1] as StaticText).s.length;
  }
  if (pos < n) w += buf.write(text.slice(pos), w, 'utf8');
  const bytes = w - from + literalBytes;
  if (bytes === n || bytes - n > n / 2) return null;
  let o = w, col = 0, r = from;
  for (let i = 0; i < marks.length; i += 2) {
    const end = ends[i >> 1];
    if (end > r) { o = qpInto(buf, r, end, buf, o, col); col = qpEndCol; }
    r = end;
    const t = marks[i + 1] as StaticText;
    if (col !== 0) { buf[o++] = 61; buf[o++] = 13; buf[o++] = 10; }
    // by reference: the body leaves the piece out and says where it goes
    if (refs) refs.push(o - w, t);
    else o += t.qp!.copy(buf, o);
    col = t.qpCol;
  }
  if (w > r) o = qpInto(buf, r, w, buf, o, col);
  scratch.at = o;
  return { cte: 'quoted-printable', body: buf.subarray(w, o) };
}

/**
 * Pick and apply the lightest safe encoding for a text part; `avoid` must not appear in 7bit output, and no line of
 * the result starts with a dot. A QP body is a view into `scratch`: copy it out before the scratch is reused.
 * `marks` (from the template engine) lets a QP part copy its literal texts in already encoded, or with `refs` leave
 * them out (see encodeMarked); `refs` stays empty when the part is not QP.
 */
export function encodePart(text: string, avoid: string, scratch: Scratch, marks?: TextMarks, refs?: TextMarks):
  EncodedPart {
  if (marks?.length) {
    const at = scratch.at;
    const enc = encodeMarked(text, marks, scratch, refs);
    if (enc) return enc;
    scratch.at = at;
  }
  // the UTF-8 bytes and their QP both go into the scratch: no per-part allocation, and the QP is never copied
  const n = text.length;
  reserve(scratch, n * 3 + Math.ceil(n * 9 * 1.05) + 16);
  const buf = scratch.buf;
  const from = scratch.at;
  const to = from + buf.write(text, from, 'utf8');
  // as many bytes as characters: ASCII (the write told us, no scan of the text), 7bit when no NUL and no long line
  if (to - from === n && buf.subarray(from, to).indexOf(0) < 0 && sevenBitSafe(text)) {
    const body = text.includes('\r') ? crlf(text) : text.replace(/\n/g, '\r\n');
    if (!body.includes(avoid) && body[0] !== '.' && !body.includes('\n.')) return { cte: '7bit', body };
  }
  // extra UTF-8 bytes measure how much is non-ASCII: mostly non-ASCII text is smaller in base64
  if (to - from - n <= n / 2) {
    const end = qpInto(buf, from, to, buf, to);
    scratch.at = end;
    return { cte: 'quoted-printable', body: buf.subarray(to, end) };
  }
  const lines = crlf(text);
  return { cte: 'base64', body: base64Lines(lines === text ? buf.subarray(from, to) : Buffer.from(lines, 'utf8')) };
}
