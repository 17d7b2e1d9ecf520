import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createScratch, crlf, encodePart, quotedPrintable, type StaticText, type TextMarks }
  from '../../../src/render/encode.js';

// a small deterministic PRNG, so a failure names a reproducible case
function rng(seed: number): () => number {
  let x = seed;
  return () => { x = (x * 1103515245 + 12345) % 2 ** 31; return x / 2 ** 31; };
}

const PIECES = ['a', 'Z', ' ', '\t', '\r', '\n', '\r\n', '=', '.', '£', '—', '😀', '\ud800', '\udc00', '~', '\x00', '\x7f', 'é', '\x0b', '語'];
const decodeQp = (qp: string): string =>
  Buffer.from(qp.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1')
    .toString('utf8');

test('a text part encodes to the bytes of the UTF-8 reference encoders, whatever its characters', () => {
  const next = rng(16);
  const scratch = createScratch(64); // small, so the scratch grows during the run
  for (let k = 0; k < 5000; k++) {
    const len = Math.floor(next() * 400);
    const plain = next();
    let text = '';
    for (let i = 0; i < len; i++) text += next() < plain ? 'x' : PIECES[Math.floor(next() * PIECES.length)];
    const enc = encodePart(text, '=_ms_avoid', scratch);
    const bytes = Buffer.byteLength(text, 'utf8');
    const body = typeof enc.body === 'string' ? enc.body : enc.body.toString('latin1');
    assert.ok(body[0] !== '.' && !body.includes('\n.'), `a line starts with a dot: ${JSON.stringify(text)}`);
    if (enc.cte === '7bit') {
      assert.equal(bytes, text.length, JSON.stringify(text));
      assert.equal(body, crlf(text));
    } else if (enc.cte === 'base64') {
      assert.ok(bytes - text.length > text.length / 2, JSON.stringify(text));
      assert.equal(Buffer.from(body, 'base64').toString('utf8'), Buffer.from(crlf(text), 'utf8').toString('utf8'));
    } else {
      assert.ok(bytes - text.length <= text.length / 2, JSON.stringify(text));
      assert.equal(body, quotedPrintable(Buffer.from(text, 'utf8')).toString('latin1'), JSON.stringify(text));
    }
  }
});

test('quoted-printable from text keeps lines at 76 and round-trips non-ASCII, "=" and trailing white space', () => {
  const src = `a=b ${'é'.repeat(20)} ${'x'.repeat(200)} end \nnext\tline\t ${'😀'.repeat(5)} £`;
  const enc = encodePart(src, '=_ms_x', createScratch());
  assert.equal(enc.cte, 'quoted-printable');
  const qp = enc.body.toString('latin1');
  assert.ok(qp.split('\r\n').every((l) => l.length <= 76));
  assert.equal(decodeQp(qp), src.replace(/\n/g, '\r\n'));
});

test('ASCII text with a line over 998 octets or the boundary prefix in it is not sent as 7bit', () => {
  assert.equal(encodePart(`${'x'.repeat(999)}\nshort`, '=_ms_x', createScratch()).cte, 'quoted-printable');
  assert.equal(encodePart(`${'x'.repeat(998)}\nshort`, '=_ms_x', createScratch()).cte, '7bit');
  assert.equal(encodePart('see =_ms_x here', '=_ms_x', createScratch()).cte, 'quoted-printable');
});

// RFC 2045 quoted-printable read byte by byte: a line holds at most 75 characters before its soft break ("="), "=",
// bytes outside 33..126 and a dot starting a line are escaped, and a space or tab stays literal unless a line end or the end of input follows it
function referenceQp(bytes: Buffer): string {
  let out = '', line = '';
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (c === 13 || c === 10) {
      out += `${line}\r\n`; line = '';
      if (c === 13 && bytes[i + 1] === 10) i++;
      continue;
    }
    const beforeEnd = i + 1 === bytes.length || bytes[i + 1] === 13 || bytes[i + 1] === 10;
    const literal = (c >= 33 && c <= 126 && c !== 61) || ((c === 32 || c === 9) && !beforeEnd);
    const piece = literal ? String.fromCharCode(c) : `=${c.toString(16).toUpperCase().padStart(2, '0')}`;
    if (line.length + piece.length > 75) { out += `${line}=\r\n`; line = ''; }
    // a dot starting a line is escaped too (allowed for any byte): DATA then needs no dot-stuffing
    line += line === '' && c === 46 ? '=2E' : piece;
  }
  return out + line;
}

test('quoted-printable equals a byte-by-byte reading of RFC 2045, around every column and line end', () => {
  const next = rng(2045);
  const alphabet = ['x', 'x', 'x', 'abcd', ' ', ' ', '  ', '\t', '=', '\r', '\n', '\r\n', 'é', '\x00', '~', '\x7f',
    '\xff', '.', '..'];
  const scratch = createScratch(64);
  for (let k = 0; k < 20000; k++) {
    let text = '';
    const len = Math.floor(next() * (k % 10 === 0 ? 2000 : 200));
    const plain = next();
    while (text.length < len) {
      text += next() < plain ? 'y'.repeat(1 + Math.floor(next() * 90)) : alphabet[Math.floor(next() * alphabet.length)];
    }
    const bytes = Buffer.from(text, 'latin1');
    assert.equal(quotedPrintable(bytes).toString('latin1'), referenceQp(bytes), JSON.stringify(text));
    // the same bytes encoded from text (UTF-8) through the scratch, where the output follows the input in one buffer
    const enc = encodePart(text, '=_ms_avoid', scratch);
    if (enc.cte === 'quoted-printable') {
      assert.equal(enc.body.toString('latin1'), referenceQp(Buffer.from(text, 'utf8')), JSON.stringify(text));
    }
  }
});

test('a part with marked literal texts decodes to the same text as encoding it whole, in lines of at most 76', () => {
  const next = rng(2920);
  const scratch = createScratch(64);
  const piece = (len: number, plain: number): string => {
    let s = '';
    while (s.length < len) {
      s += next() < plain ? 'y'.repeat(1 + Math.floor(next() * 90)) : PIECES[Math.floor(next() * PIECES.length)];
    }
    return s;
  };
  // literal texts shared by every "message", as a compiled template's are
  const literals: StaticText[] = Array.from({ length: 12 }, (_, i) => ({
    s: `${i % 3 ? '' : '.'}${piece(64 + Math.floor(next() * 300), 0.6)}${i % 4 ? '' : ' '}`,
    qp: null, qpCol: 0, bytes: 0,
  }));
  let marked = 0;
  for (let k = 0; k < 5000; k++) {
    let text = '';
    const marks: TextMarks = [];
    const n = Math.floor(next() * 8);
    for (let i = 0; i < n; i++) {
      if (next() < 0.7) text += piece(Math.floor(next() * 40), 0.5);
      const t = literals[Math.floor(next() * literals.length)];
      // as the engine does: never a literal that would split a CR LF or a surrogate pair
      const whole = !/[\r\ud800-\udbff]$/.test(t.s) && !/^[\udc00-\udfff]/.test(t.s)
        && !(t.s.startsWith('\n') && text.endsWith('\r'));
      if (whole) marks.push(text.length, t);
      text += t.s;
    }
    if (next() < 0.5) text += piece(Math.floor(next() * 40), 0.5);
    const enc = encodePart(text, '=_ms_avoid', scratch, marks);
    const whole = encodePart(text, '=_ms_avoid', createScratch());
    assert.equal(enc.cte, whole.cte, JSON.stringify(text));
    const body = typeof enc.body === 'string' ? enc.body : enc.body.toString('latin1');
    if (enc.cte !== 'quoted-printable') {
      assert.equal(body, typeof whole.body === 'string' ? whole.body : whole.body.toString('latin1'));
      continue;
    }
    if (marks.length) marked++;
    assert.ok(body.split('\r\n').every((l) => l.length <= 76 && l[0] !== '.'), JSON.stringify(text));
    assert.ok(!/[ \t]\r\n/.test(body) && !/[ \t]$/.test(body), 'no white space before a line end');
    assert.ok(!/[^\x20-\x7e\r\n\t]/.test(body) && !/\r(?!\n)|(?<!\r)\n/.test(body), 'ASCII, CRLF only');
    assert.equal(decodeQp(body), Buffer.from(Buffer.from(crlf(text), 'utf8').toString('utf8'), 'utf8').toString('utf8'),
      JSON.stringify(text));
  }
  assert.ok(marked > 1000, `${marked} parts encoded with marks`);
});
