/**
 * Messages injected over SMTP: sent as received, never evaluated as templates. Compiled once per message (split with
 * mailsplit into its MIME parts); per recipient mailstream adds only its job headers, rewrites the links of UTF-8 or
 * ASCII HTML parts and adds the open pixel when the job's options ask, and signs. Every other byte stays as it came.
 */
import { Readable } from 'node:stream';
import addressparser from 'nodemailer/lib/addressparser';
import { Splitter } from 'mailsplit';
import { MailstreamError } from '../lib/errors.js';
import { quotedPrintable } from './encode.js';
import { domainOf } from './headers.js';
import { cutLinks, type HtmlPiece } from './links.js';

/** An HTML part whose links can be tracked: its header as received and re-encoded (quoted-printable), its body. */
export interface HtmlSlot { header: Buffer; trackedHeader: Buffer; original: Buffer; pieces: HtmlPiece[] }

/** A received message ready to personalise per recipient. */
export interface CompiledVerbatim {
  /** The top-level header section, CRLF-terminated lines, without the blank line: as received, and when tracked. */
  head: Buffer; trackedHead: Buffer;
  /** The top-level header names, lower-cased. */
  headerNames: string[];
  /** The From address (envelope sender when the job names no return path), and its domain. */
  from: string; fromDomain: string;
  /** Everything after the head's blank line: raw bytes, and HTML parts that can carry tracking. */
  segments: Array<Buffer | HtmlSlot>;
  /** Trackable links over every HTML part. */
  links: number;
}

/** The raw bytes of a part, decoded from its transfer encoding (HTML parts only, so small and text-like). */
function decodeBody(raw: Buffer, encoding: string): Buffer {
  if (encoding === 'base64') return Buffer.from(raw.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  if (encoding !== 'quoted-printable') return raw;
  // quoted-printable decode is two regexes; a library would add an untyped dependency for it
  const s = raw.toString('latin1').replace(/=\r?\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  return Buffer.from(s, 'latin1');
}

const TRACKABLE_CHARSETS = new Set(['', 'utf-8', 'utf8', 'us-ascii', 'ascii']);

/** Split a received message into its head and segments; throws MS_ERR_TEMPLATE when it has no usable From. */
export async function compileVerbatim(raw: Buffer): Promise<CompiledVerbatim> {
  const splitter = new Splitter({ ignoreEmbedded: true });
  Readable.from([raw]).pipe(splitter);
  let head: Buffer | undefined;
  let trackedHead: Buffer | undefined;
  let headerNames: string[] = [];
  let fromValue = '';
  const segments: Array<Buffer | HtmlSlot> = [];
  let slot: HtmlSlot | undefined;
  let slotBody: Buffer[] = [];
  let slotEncoding = '';
  const closeSlot = () => {
    if (!slot) return;
    slot.original = Buffer.concat(slotBody);
    slot.pieces = cutLinks(decodeBody(slot.original, slotEncoding).toString('utf8')).pieces;
    slot = undefined;
    slotBody = [];
  };
  // a header section without its blank line, so job headers can be appended to the top one
  const bare = (h: Buffer) => h.subarray(0, h.length - 2);
  for await (const obj of splitter as AsyncIterable<SplitObject>) {
    if (obj.type !== 'node') {
      if (slot && obj.type === 'body') { slotBody.push(obj.value); continue; }
      closeSlot();
      segments.push(obj.value);
      continue;
    }
    closeSlot();
    const html = !obj.multipart && obj.contentType === 'text/html' && TRACKABLE_CHARSETS.has((obj.charset || '').toLowerCase())
      && !/^attachment/i.test(obj.headers.getFirst('content-disposition'));
    const header = obj.getHeaders();
    let tracked = header;
    if (html) {
      slotEncoding = (obj.encoding || '7bit').toLowerCase();
      obj.headers.update('Content-Transfer-Encoding', 'quoted-printable');
      tracked = obj.getHeaders();
    }
    if (obj.root) {
      headerNames = obj.headers.getList().map((h) => h.key.toLowerCase());
      fromValue = obj.headers.getFirst('from');
      head = bare(header);
      trackedHead = bare(tracked);
    }
    const [own, ownTracked] = obj.root ? [Buffer.alloc(0), Buffer.alloc(0)] : [header, tracked];
    if (!html) { segments.push(own); continue; }
    slot = { header: own, trackedHeader: ownTracked, original: Buffer.alloc(0), pieces: [] };
    segments.push(slot);
  }
  closeSlot();
  if (!head) throw new MailstreamError('MS_ERR_TEMPLATE', 'the message has no header');
  const from = addressparser(fromValue, { flatten: true })[0]?.address ?? '';
  if (!/^[^\s@]+@[^\s@]+$/.test(from)) throw new MailstreamError('MS_ERR_TEMPLATE', 'the message has no From address');
  const links = segments.reduce((n, s) => n + (Buffer.isBuffer(s) ? 0 : s.pieces.filter((p) => typeof p === 'object' && 'url' in p).length), 0);
  return { head, trackedHead: trackedHead!, headerNames, from, fromDomain: domainOf(from), segments, links };
}

/** What mailsplit's Splitter emits (it ships no types). */
type SplitObject =
  | { type: 'node'; root: boolean; multipart: string | false; contentType: string | false; charset: string | false;
    encoding: string | false; headers: SplitHeaders; getHeaders(): Buffer }
  | { type: 'body' | 'data'; value: Buffer };
interface SplitHeaders {
  getFirst(key: string): string; update(key: string, value: string): void; getList(): Array<{ key: string; line: string }>;
}

/** The body of a received message for one recipient: links and pixel through `track`, or the bytes as they came. */
export function verbatimBody(t: CompiledVerbatim, track?: { link(i: number, url: string): string; pixel(): string }): Buffer {
  const out: Buffer[] = [];
  let index = 0;
  for (const s of t.segments) {
    if (Buffer.isBuffer(s)) { out.push(s); continue; }
    if (!track) { out.push(s.header, s.original); continue; }
    let html = '';
    for (const p of s.pieces) html += typeof p === 'string' ? p : 'url' in p ? track.link(index++, p.url) : track.pixel();
    out.push(s.trackedHeader, quotedPrintable(Buffer.from(html, 'utf8')));
  }
  return Buffer.concat(out);
}
