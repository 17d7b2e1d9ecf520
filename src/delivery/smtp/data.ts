/** The message content of DATA (RFC 5321 §4.5.2): CRLF line ends, dot-stuffed, ended by `<CRLF>.<CRLF>`. */

const TAIL = Buffer.from('.\r\n');
const CRLF_TAIL = Buffer.from('\r\n.\r\n');

/**
 * A message's bytes: one buffer, or a by-reference message's segments in order (pieces.ts `spliceList`), slices of
 * its own bytes at even indices and its job's shared template pieces at odd ones.
 */
export type Content = Buffer | readonly Buffer[];

/** The size of a message's content in bytes. */
export function contentLength(c: Content): number {
  if (Buffer.isBuffer(c)) return c.length;
  let n = 0;
  for (const b of c) n += b.length;
  return n;
}

// a piece recurs in every message of its job: its scan is done once and kept while the piece is alive
const pieceScans = new WeakMap<Buffer, boolean>();

/** Every LF in `b` after a CR and none followed by a dot; its first and last bytes are checked where segments join. */
function cleanInside(b: Buffer): boolean {
  for (let i = b.indexOf(0x0a); i !== -1; i = b.indexOf(0x0a, i + 1)) {
    if ((i > 0 && b[i - 1] !== 0x0d) || b[i + 1] === 0x2e) return false;
  }
  return true;
}

/**
 * The body and terminator to write after a 354: the bytes as they are when they need no change (CRLF everywhere, no
 * line starting with a dot: the rendered mail's usual case, so a single buffer is not copied and segments are
 * gathered into `into(size)`, a buffer the caller may reuse), else a normalised copy.
 */
export function dataChunks(content: Content, into?: (size: number) => Buffer): [Buffer, Buffer] {
  const list = Buffer.isBuffer(content) ? [content] : content;
  // the content starts a line, and an LF there has no CR before it
  let prev = 0x0a;
  let clean = true;
  let size = 0;
  for (let k = 0; k < list.length && clean; k++) {
    const b = list[k]!;
    if (!b.length) continue;
    const c = b[0]!;
    if ((c === 0x2e && prev === 0x0a) || (c === 0x0a && prev !== 0x0d)) clean = false;
    else if (k & 1) {
      let s = pieceScans.get(b);
      if (s === undefined) pieceScans.set(b, (s = cleanInside(b)));
      clean = s;
    } else clean = cleanInside(b);
    prev = b[b.length - 1]!;
    size += b.length;
  }
  if (clean) {
    // clean, so a last LF has its CR: the content ends with CRLF (or is empty)
    const tail = prev === 0x0a ? TAIL : CRLF_TAIL;
    if (list.length === 1) return [list[0]!, tail];
    return [gather(list, into ? into(size) : Buffer.allocUnsafe(size)), tail];
  }
  const body = stuff(list.length === 1 ? list[0]! : Buffer.concat(list));
  const ends = body.length >= 2 && body[body.length - 2] === 0x0d && body[body.length - 1] === 0x0a;
  return [body, ends || body.length === 0 ? TAIL : CRLF_TAIL];
}

/** The segments copied one after another into `out` (exactly their size). */
function gather(list: readonly Buffer[], out: Buffer): Buffer {
  let o = 0;
  for (const b of list) o += b.copy(out, o);
  return out;
}

/** A copy with every bare LF made CRLF and a dot doubled at the start of every line, copied between those places. */
function stuff(raw: Buffer): Buffer {
  const out = Buffer.allocUnsafe(raw.length * 2 + 2);
  let n = 0;
  let from = 0;
  if (raw[0] === 0x2e) out[n++] = 0x2e;
  for (let i = raw.indexOf(0x0a); i !== -1; i = raw.indexOf(0x0a, i + 1)) {
    const bare = i === 0 || raw[i - 1] !== 0x0d;
    if (!bare && raw[i + 1] !== 0x2e) continue;
    n += raw.copy(out, n, from, i);
    if (bare) out[n++] = 0x0d;
    out[n++] = 0x0a;
    if (raw[i + 1] === 0x2e) out[n++] = 0x2e;
    from = i + 1;
  }
  n += raw.copy(out, n, from);
  return out.subarray(0, n);
}
