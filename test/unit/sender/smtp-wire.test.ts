import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReplyReader, extensionsOf, type Reply } from '../../../src/delivery/smtp/reply.js';
import { dataChunks } from '../../../src/delivery/smtp/data.js';

test('replies are gathered whole across chunk boundaries, multi-line ones included, in order', () => {
  const got: Reply[] = [];
  const read = createReplyReader((r) => got.push(r));
  for (const c of ['250-mx.test hi\r\n250-PIPE', 'LINING\r\n250-SIZE 1000\r', '\n250 8BITMIME\r\n55', '0 5.1.1 no\r\n354 go\n']) read(Buffer.from(c));
  assert.deepEqual(got.map((r) => r.code), [250, 550, 354]);
  assert.deepEqual(got[0]!.lines, ['250-mx.test hi', '250-PIPELINING', '250-SIZE 1000', '250 8BITMIME']);
  assert.deepEqual([...extensionsOf(got[0]!)], [['PIPELINING', ''], ['SIZE', '1000'], ['8BITMIME', '']]);
  assert.throws(() => read(Buffer.alloc(70 * 1024, 0x41)), /longer than/);
});

test('clean CRLF content is written as it is (no copy); dots are stuffed and bare LFs made CRLF otherwise', () => {
  const clean = Buffer.from('Subject: a\r\n\r\nbody\r\n');
  const [body, tail] = dataChunks(clean);
  assert.equal(body, clean);
  assert.equal(tail.toString(), '.\r\n');
  const [stuffed, t2] = dataChunks(Buffer.from('.a\r\nb\n.c\r\nd'));
  assert.equal(stuffed.toString(), '..a\r\nb\r\n..c\r\nd');
  assert.equal(t2.toString(), '\r\n.\r\n');
});

test('dot-stuffing and LF to CRLF agree with a byte-by-byte reading of RFC 5321 on edge cases and random content', () => {
  // the rule byte by byte: a dot starting a line is doubled, an LF without its CR gets one
  const reference = (raw: Buffer): Buffer => {
    const out: number[] = [];
    raw.forEach((c, i) => {
      if ((i === 0 || raw[i - 1] === 0x0a) && c === 0x2e) out.push(0x2e);
      if (c === 0x0a && (i === 0 || raw[i - 1] !== 0x0d)) out.push(0x0d);
      out.push(c);
    });
    return Buffer.from(out);
  };
  const cases = ['\n', '\n.', '.', '..\r\n..\n.', 'a\n\n.b\r\n\r\n.c\n', 'x\r\n.', 'x\r\n.\r\n.\r\n', '\r\n\n\r'];
  const alphabet = ['.', '\r', '\n', 'a', '\r\n', '\r\n.'];
  for (let k = 0; k < 500; k++) cases.push(Array.from({ length: k % 40 }, () => alphabet[Math.floor(Math.random() * 6)]).join(''));
  for (const c of cases) {
    const raw = Buffer.from(c);
    assert.deepEqual(dataChunks(raw)[0], reference(raw), JSON.stringify(c));
  }
});

test('a message in segments is checked where they join and gathered into the given buffer when it is clean', () => {
  const piece = Buffer.from('b\r\nc\r\n');
  const scratch = Buffer.alloc(64);
  const into = (n: number) => scratch.subarray(0, n);
  const [body, tail] = dataChunks([Buffer.from('a\r\n'), piece, Buffer.from(''), Buffer.from('.x')], into);
  // the join put a dot at the start of a line: stuffed, in a fresh copy
  assert.equal(body.toString(), 'a\r\nb\r\nc\r\n..x');
  assert.equal(tail.toString(), '\r\n.\r\n');
  const [clean, t2] = dataChunks([Buffer.from('a\r\n'), piece, Buffer.from('d\r\n')], into);
  assert.equal(clean.toString(), 'a\r\nb\r\nc\r\nd\r\n');
  assert.equal(clean.buffer, scratch.buffer);
  assert.equal(t2.toString(), '.\r\n');
  // a CR and its LF split over two segments is one line end; an LF after anything else gets its CR
  assert.equal(dataChunks([Buffer.from('a\r'), Buffer.from('\nb\r\n')])[0].toString(), 'a\r\nb\r\n');
  assert.equal(dataChunks([Buffer.from('a'), Buffer.from('\nb\r\n')])[0].toString(), 'a\r\nb\r\n');
});

test('segments give the same bytes on the wire as the message whole, however the content is cut', () => {
  const alphabet = ['.', '\r', '\n', 'a', '\r\n', '\r\n.', ' '];
  for (let k = 0; k < 400; k++) {
    const raw = Buffer.from(Array.from({ length: k % 50 }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join(''));
    const cuts = [...new Set(Array.from({ length: k % 7 }, () => Math.floor(Math.random() * (raw.length + 1))))].sort((a, b) => a - b);
    const parts = [0, ...cuts, raw.length].slice(1).map((end, i, all) => raw.subarray(i ? all[i - 1] : 0, end));
    // a piece's scan is kept: the same piece in a second message is judged by its place again
    for (let twice = 0; twice < 2; twice++) {
      assert.deepEqual(dataChunks(parts).map(String), dataChunks(raw).map(String), JSON.stringify({ raw: String(raw), cuts }));
    }
  }
});
