/**
 * MIME assembly for one message, by hand because it runs once per message and MailComposer is slow:
 * multipart/alternative (text, then HTML), wrapped in multipart/related for inline (cid) images and
 * multipart/mixed for attachments. Boundaries derive from the message ID, so a replay is byte-identical.
 */
import { createHash } from 'node:crypto';
import { MailstreamError } from '../lib/errors.js';
import { base64Lines, createScratch, encodePart, type StaticText, type TextMarks } from './encode.js';
import type { Pieces } from './pieces.js';

/** A file to attach; with `cid` it is an inline part referenced from the HTML as `cid:<cid>`. */
export interface Attachment { filename: string; contentType: string; content: Buffer; cid?: string | null }

/** Everything the MIME body needs. */
export interface MimeInput {
  /** Header block already built (each line ending in CRLF), without MIME-Version and Content-* fields. */
  headers: string;
  text: string | null;
  html: string | null;
  /** Where the HTML's and the text's literal template texts sit (see encode.ts). */
  htmlMarks?: TextMarks | undefined;
  textMarks?: TextMarks | undefined;
  attachments?: Attachment[];
  /** Seed for deterministic boundaries, e.g. the message ID. */
  seed: string;
  /** Bulk by reference: the marked texts are left out of the message and indexed here (see pieces.ts). */
  pieces?: Pieces | undefined;
}

/** A built message: with pieces, `raw` lacks them and `splices` says where they go ((offset, index) pairs). */
export interface BuiltMime { raw: Buffer; splices: number[] | null }

/** QP bytes that leave literal texts out, with (offset in `b`, text) pairs. */
interface Holed { b: Buffer; refs: TextMarks }
/** A body piece: ASCII text, or bytes (possibly a view into the scratch), or bytes with texts left out. */
type Chunk = string | Buffer | Holed;
interface Entity { head: string; body: Chunk[] }

// the encoded parts of the message being built; copied once into the message, then reused by the next one
let scratch = createScratch();
const SCRATCH_KEEP = 1 << 22;

function leaf(type: string, content: string, avoid: string, marks?: TextMarks, byRef = false): Entity {
  const refs: TextMarks | undefined = byRef && marks?.length ? [] : undefined;
  const enc = encodePart(content, avoid, scratch, marks, refs);
  const body: Chunk = refs?.length ? { b: enc.body as Buffer, refs } : enc.body;
  return { head: `Content-Type: ${type}; charset=utf-8\r\nContent-Transfer-Encoding: ${enc.cte}\r\n`, body: [body] };
}

function param(key: string, value: string): string {
  if (/^[\x20-\x7e]*$/.test(value)) return `${key}="${value.replace(/["\\]/g, '\\$&')}"`;
  return `${key}*=utf-8''${encodeURIComponent(value).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;
}

function fileEntity(a: Attachment): Entity {
  if (!/^[\w.+-]+\/[\w.+-]+$/.test(a.contentType)) throw new MailstreamError('MS_ERR_VALIDATION', `attachment ${a.filename}: invalid content type ${JSON.stringify(a.contentType)}`);
  if (/[\r\n\0]/.test(a.filename) || (a.cid && !/^[^\s<>@]+(@[^\s<>@]+)?$/.test(a.cid))) throw new MailstreamError('MS_ERR_VALIDATION', `attachment ${JSON.stringify(a.filename)}: invalid filename or cid`);
  const disp = a.cid ? 'inline' : 'attachment';
  const head = `Content-Type: ${a.contentType}; ${param('name', a.filename)}\r\nContent-Transfer-Encoding: base64\r\n`
    + `Content-Disposition: ${disp}; ${param('filename', a.filename)}\r\n${a.cid ? `Content-ID: <${a.cid}>\r\n` : ''}`;
  return { head, body: [base64Lines(a.content)] };
}

function multipart(type: string, boundary: string, parts: Entity[]): Entity {
  const body: Chunk[] = [];
  let sep = `--${boundary}\r\n`;
  for (const p of parts) {
    body.push(`${sep}${p.head}\r\n`, ...p.body);
    sep = `\r\n--${boundary}\r\n`;
  }
  body.push(`\r\n--${boundary}--\r\n`);
  return { head: `Content-Type: multipart/${type}; boundary="${boundary}"\r\n`, body };
}

/** Build the complete RFC 5322 message (CRLF line ends) as a Buffer. */
export function buildMime(input: MimeInput): Buffer {
  return buildMimeParts({ ...input, pieces: undefined }).raw;
}

/** Build the message; with `input.pieces`, the marked texts of a QP part are left out and indexed there. */
export function buildMimeParts(input: MimeInput): BuiltMime {
  scratch.at = 0;
  try {
    return assemble(input);
  } finally {
    if (scratch.buf.length > SCRATCH_KEEP) scratch = createScratch(); // one huge message does not pin its size
  }
}

function assemble(input: MimeInput): BuiltMime {
  const tag = createHash('sha1').update(input.seed).digest('hex').slice(0, 16);
  const b = (n: number): string => `=_ms_${tag}_${n}`;
  const prefix = `=_ms_${tag}`;
  const alts: Entity[] = [];
  const byRef = input.pieces !== undefined;
  if (input.text != null) alts.push(leaf('text/plain', input.text, prefix, input.textMarks, byRef));
  if (input.html != null) alts.push(leaf('text/html', input.html, prefix, input.htmlMarks, byRef));
  if (!alts.length) alts.push(leaf('text/plain', '', prefix));
  let root = alts.length === 1 ? alts[0] : multipart('alternative', b(1), alts);
  const files = input.attachments ?? [];
  const inline = files.filter((a) => a.cid);
  const attached = files.filter((a) => !a.cid);
  if (inline.length) root = multipart('related', b(2), [root, ...inline.map(fileEntity)]);
  if (attached.length) root = multipart('mixed', b(3), [root, ...attached.map(fileEntity)]);
  const head = `${input.headers}MIME-Version: 1.0\r\n${root.head}\r\n`;
  // one allocation and one copy of every piece: the header block as UTF-8, the rest ASCII (latin1) or bytes
  let size = Buffer.byteLength(head, 'utf8');
  for (const c of root.body) size += typeof c === 'string' || Buffer.isBuffer(c) ? c.length : c.b.length;
  const out = Buffer.allocUnsafe(size);
  let o = out.write(head, 0, 'utf8');
  let splices: number[] | null = null;
  for (const c of root.body) {
    if (typeof c === 'string') o += out.write(c, o, 'latin1');
    else if (Buffer.isBuffer(c)) o += c.copy(out, o);
    else {
      splices ??= [];
      for (let i = 0; i < c.refs.length; i += 2) {
        splices.push(o + (c.refs[i] as number), input.pieces!.indexOf(c.refs[i + 1] as StaticText));
      }
      o += c.b.copy(out, o);
    }
  }
  return { raw: out, splices };
}
