/**
 * DKIM signing (RFC 6376, relaxed/relaxed) with RSA-SHA256 and Ed25519-SHA256 (RFC 8463), one
 * DKIM-Signature per configured key of the From domain, so a domain can carry both at once.
 * Ed25519 per RFC 8463 §3: PureEdDSA over the SHA-256 hash of the canonicalised header data.
 */
import { createHash, createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { DkimKeyEntry } from '../config/index.js';
import { MailstreamError } from '../lib/errors.js';

/** One signing key. */
export interface DkimKey { domain: string; selector: string; algorithm: 'rsa-sha256' | 'ed25519-sha256'; privateKeyPem: string }

/** Signs messages for the domains it has keys for. */
export interface DkimSigner {
  /** `raw` with a DKIM-Signature prepended per key of `fromDomain` (unchanged when there is none); `now` sets t=. */
  sign(raw: Buffer, fromDomain: string, now?: number): Buffer;
  /**
   * The DKIM-Signature fields `sign` would prepend, CRLF-ended ('' when `fromDomain` has no key); `raw` may be a
   * by-reference message's segments (pieces at odd indices, their scans kept), hashed where they lie.
   */
  signature(raw: Buffer | readonly Buffer[], fromDomain: string, now?: number): string;
}

/** Headers signed when present (lower-case). */
export const SIGNED_HEADERS = ['from', 'to', 'cc', 'reply-to', 'subject', 'date', 'message-id', 'mime-version', 'content-type',
  'list-unsubscribe', 'list-unsubscribe-post', 'feedback-id', 'x-mailstream-job', 'x-mailstream-campaign'];

/** Relaxed body canonicalisation (RFC 6376 §3.4.4) of an ASCII/latin1 body. */
export function relaxedBody(body: string): string {
  let b = /[ \t]{2}|\t| \r\n| $/.test(body) ? body.replace(/[ \t]+/g, ' ').replace(/ (?=\r\n|$)/g, '') : body;
  let end = b.length;
  while (end >= 2 && b.charCodeAt(end - 1) === 10 && b.charCodeAt(end - 2) === 13) end -= 2;
  if (end < b.length) b = b.slice(0, end);
  return b.length ? `${b}\r\n` : '';
}

// the canonical body of the message being signed; reused, so signing allocates nothing per message for it
let canonical = Buffer.allocUnsafe(1 << 16);

/**
 * Relaxed body canonicalisation of `src[0, end)` into `canonical`, byte by byte (an indented HTML body has hundreds of
 * double spaces: a string and two regular expressions cost several times this): each run of spaces and tabs becomes
 * one space, and none is kept before a CRLF or at the end. Returns the length written.
 */
function relaxInto(src: Buffer, end: number): number {
  if (canonical.length < end) canonical = Buffer.allocUnsafe(end * 2);
  const out = canonical;
  const sv = new DataView(src.buffer, src.byteOffset, src.length);
  const ov = new DataView(out.buffer, out.byteOffset, out.length);
  let o = 0;
  let ws = false;
  for (let i = 0; i < end; i++) {
    // four bytes a step while none is a space or a tab (the "has a zero byte" test on the word xor each)
    while (!ws && i + 4 <= end) {
      const w = sv.getInt32(i, true);
      const a = w ^ 0x20202020, t = w ^ 0x09090909;
      if ((((a - 0x01010101) & ~a) | ((t - 0x01010101) & ~t)) & 0x80808080) break;
      ov.setInt32(o, w, true); i += 4; o += 4;
    }
    if (i >= end) break;
    const c = src[i]!;
    if (c === 32 || c === 9) { ws = true; continue; }
    if (ws) { ws = false; if (c !== 13 || src[i + 1] !== 10) out[o++] = 32; }
    out[o++] = c;
  }
  return o;
}

/** No tab, double space or space before a CR inside `b` (native searches); its ends are checked where it joins. */
function plainInside(b: Buffer): boolean {
  return b.indexOf(9) < 0 && b.indexOf('  ', 0, 'latin1') < 0 && b.indexOf(' \r', 0, 'latin1') < 0;
}

// a template piece recurs in every message of its job: its scan is done once and kept while the piece is alive
const pieceScans = new WeakMap<Buffer, boolean>();

/**
 * SHA-256 of the relaxed body of segments hashed one after another, without joining them, when they are canonical
 * together (no double space or space before CR across a join, no empty lines at the end beyond the last segment's own);
 * undefined otherwise, for the caller to join them.
 */
function segmentsHash(list: readonly Buffer[]): string | undefined {
  let last = list.length - 1;
  while (last > 0 && !list[last]!.length) last--;
  const tail = list[last]!;
  let end = tail.length;
  while (end >= 2 && tail[end - 1] === 10 && tail[end - 2] === 13) end -= 2;
  // the trailing empty lines may reach into an earlier segment, or the body ends in a space: the plain path decides
  if (end <= 1 || tail[end - 1] === 32) return undefined;
  let prev = -1;
  for (let k = 0; k <= last; k++) {
    const b = k === last ? tail.subarray(0, end) : list[k]!;
    if (!b.length) continue;
    if (prev === 32 && (b[0] === 32 || b[0] === 13)) return undefined;
    // a piece is kept by itself; the trimmed last segment is a view of this message only
    const piece = k & 1 && b === list[k];
    let clean = piece ? pieceScans.get(b) : undefined;
    if (clean === undefined) {
      clean = plainInside(b);
      if (piece) pieceScans.set(b, clean);
    }
    if (!clean) return undefined;
    prev = b[b.length - 1]!;
  }
  const h = createHash('sha256');
  for (let k = 0; k < last; k++) if (list[k]!.length) h.update(list[k]!);
  return h.update(tail.subarray(0, end)).update('\r\n').digest('base64');
}

/** SHA-256 of the relaxed body, hashing the bytes directly when they are already canonical. */
function bodyHash(body: Buffer): string {
  let end = body.length;
  while (end >= 2 && body[end - 1] === 10 && body[end - 2] === 13) end -= 2;
  const h = createHash('sha256');
  // canonical already when it has no tab, no double space and no space before CR or at the end (native searches)
  const b = body.subarray(0, end);
  const clean = plainInside(b) && b[end - 1] !== 32;
  let n = end;
  let bytes = body;
  if (!clean) {
    n = relaxInto(body, end);
    bytes = canonical;
    // what the spaces dropped at the end uncovered: more empty lines, ignored as well
    while (n >= 2 && bytes[n - 1] === 10 && bytes[n - 2] === 13) n -= 2;
  }
  if (n > 0) h.update(bytes.subarray(0, n)).update('\r\n');
  return h.digest('base64');
}

/** Relaxed header canonicalisation of one field (name and value as they appear). */
export function relaxedHeader(name: string, value: string): string {
  return `${name.trim().toLowerCase()}:${value.replace(/\r\n/g, '').replace(/[ \t]+/g, ' ').trim()}`;
}

/** Header fields of a raw message, in order, and the body bytes; `complete` when the header's end was found. */
function splitMessage(raw: Buffer): { fields: Array<[string, string]>; body: Buffer; complete: boolean } {
  let end = raw.indexOf('\r\n\r\n');
  const complete = end >= 0;
  if (end < 0) end = raw.length;
  const fields: Array<[string, string]> = [];
  for (const line of raw.toString('latin1', 0, end).split(/\r\n(?![ \t])/)) {
    const c = line.indexOf(':');
    if (c > 0) fields.push([line.slice(0, c), line.slice(c + 1)]);
  }
  return { fields, body: raw.subarray(Math.min(end + 4, raw.length)), complete };
}

interface LoadedKey { key: DkimKey; obj: KeyObject }

/** A signer for the given keys (PEM, PKCS#1/PKCS#8). */
export function createDkimSigner(keys: DkimKey[]): DkimSigner {
  const byDomain = new Map<string, LoadedKey[]>();
  for (const key of keys) {
    const obj = createPrivateKey(key.privateKeyPem);
    const want = key.algorithm === 'rsa-sha256' ? 'rsa' : 'ed25519';
    if (obj.asymmetricKeyType !== want) throw new MailstreamError('MS_ERR_CONFIG', `DKIM key ${key.domain}:${key.selector}: expected a ${want} key, got ${obj.asymmetricKeyType}`);
    const d = key.domain.toLowerCase();
    byDomain.set(d, [...(byDomain.get(d) ?? []), { key, obj }]);
  }
  const signature = (raw: Buffer | readonly Buffer[], fromDomain: string, now?: number): string => {
    const keysFor = byDomain.get(fromDomain.toLowerCase());
    if (!keysFor?.length) return '';
    // segments: the header lies in the first (pieces are body text), so only the body is hashed across them
    const whole = Buffer.isBuffer(raw) || raw.length === 1;
    const { fields, body, complete } = splitMessage(Buffer.isBuffer(raw) ? raw : raw[0]!);
    let bh = whole ? bodyHash(body) : complete ? segmentsHash([body, ...raw.slice(1)]) : undefined;
    bh ??= bodyHash(splitMessage(Buffer.concat(raw as Buffer[])).body);
    const names: string[] = [];
    let canon = '';
    for (const h of SIGNED_HEADERS) {
      for (let i = fields.length - 1; i >= 0; i--) {
        if (fields[i][0].toLowerCase() !== h) continue;
        names.push(h);
        canon += `${relaxedHeader(fields[i][0], fields[i][1])}\r\n`;
        break;
      }
    }
    const sigs = keysFor.map(({ key, obj }) => {
      const t = now != null ? ` t=${Math.floor(now / 1000)};` : '';
      const value = ` v=1; a=${key.algorithm}; c=relaxed/relaxed; d=${key.domain}; s=${key.selector};${t}\r\n`
        + `\th=${names.join(':')};\r\n\tbh=${bh};\r\n\tb=`;
      const data = Buffer.from(canon + relaxedHeader('DKIM-Signature', value), 'latin1');
      const b = key.algorithm === 'rsa-sha256' ? sign('sha256', data, obj)
        : sign(null, createHash('sha256').update(data).digest(), obj);
      return `DKIM-Signature:${value}${b.toString('base64').replace(/(.{72})(?=.)/g, '$1\r\n\t')}\r\n`;
    });
    return sigs.join('');
  };
  return {
    signature,
    sign(raw, fromDomain, now) {
      const sigs = signature(raw, fromDomain, now);
      return sigs ? Buffer.concat([Buffer.from(sigs, 'latin1'), raw]) : raw;
    },
  };
}

/** One entry's key read from its file and checked against its named type, or the problem, naming the entry. */
export function readDkimKey(entry: DkimKeyEntry): DkimKey | string {
  const name = `DKIM key ${entry.domain}:${entry.selector} (${entry.path})`;
  let privateKeyPem: string;
  let key: KeyObject;
  try { privateKeyPem = readFileSync(entry.path, 'utf8'); } catch (err) { return `${name}: cannot read: ${(err as Error).message}`; }
  try { key = createPrivateKey(privateKeyPem); } catch (err) { return `${name}: not a private key: ${(err as Error).message}`; }
  const want = entry.algorithm === 'rsa-sha256' ? 'rsa' : 'ed25519';
  if (key.asymmetricKeyType !== want) return `${name}: is an ${key.asymmetricKeyType ?? 'unknown'} key, not ${want}`;
  return { domain: entry.domain, selector: entry.selector, algorithm: entry.algorithm, privateKeyPem };
}

/** Read the key files of the parsed `DKIM_KEYS` entries; throws MS_ERR_CONFIG naming the first bad one. */
export function loadDkimKeys(entries: readonly DkimKeyEntry[]): DkimKey[] {
  return entries.map((entry) => {
    const key = readDkimKey(entry);
    if (typeof key === 'string') throw new MailstreamError('MS_ERR_CONFIG', key);
    return key;
  });
}
