/** The message content of DATA (RFC 5321 §4.5.2): CRLF line ends, dot-stuffed, ended by `<CRLF>.<CRLF>`. */

const TAIL = Buffer.from('.\r\n');
const CRLF_TAIL = Buffer.from('\r\n.\r\n');

/**
 * The chunks to write after a 354: the raw message itself when it needs no change (CRLF everywhere, no line starting
 * with a dot — the rendered mail's usual case, so no copy is made), else a normalised copy; then the terminator.
 */
export function dataChunks(raw: Buffer): [Buffer, Buffer] {
  let clean = raw[0] !== 0x2e;
  for (let i = raw.indexOf(0x0a); clean && i !== -1; i = raw.indexOf(0x0a, i + 1)) {
    if (i === 0 || raw[i - 1] !== 0x0d || raw[i + 1] === 0x2e) clean = false;
  }
  const body = clean ? raw : stuff(raw);
  const ends = body.length >= 2 && body[body.length - 2] === 0x0d && body[body.length - 1] === 0x0a;
  return [body, ends || body.length === 0 ? TAIL : CRLF_TAIL];
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
