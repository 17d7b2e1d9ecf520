/**
 * The signed VERP return path of bulk mail, `b-<token>@<BOUNCE_DOMAIN>`, so an asynchronous bounce names its message,
 * job and tenant. The token is base32 (lower case: some MTAs fold the local part's case) of
 *   [0][job ID as 6 bytes time + 5 bytes random] | [1][length][job ID UTF-8],  then the row (varint),
 *   [length][tenant UTF-8], and the first 8 bytes of HMAC-SHA256(tenantKey, those bytes + lower-cased recipient).
 * The recipient is bound, not carried: a bounce verifies only together with the address it reports, so a valid
 * return path cannot suppress another address. With mailstream's job IDs and a tenant name of up to 14 bytes the
 * local part stays within RFC 5321's 64 octets; longer tenant names pass it (most MTAs accept up to 255).
 */
import { createHmac } from 'node:crypto';
import { timingSafeEqual } from 'node:crypto';
import { tenantKey } from './tracking.js';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const COMPACT_JOB = /^[0-9a-z]{9}[0-9a-f]{10}$/;

/** What a return path names. */
export interface ReturnPathIds { jobId: string; messageId: string; tenant: string }

function base32(buf: Buffer): string {
  let out = ''; let bits = 0; let value = 0;
  for (const b of buf) {
    value = (value << 8) | b; bits += 8;
    while (bits >= 5) { out += ALPHABET[(value >>> (bits - 5)) & 31]; bits -= 5; }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

function unbase32(s: string): Buffer | null {
  const out: number[] = []; let bits = 0; let value = 0;
  for (const c of s) {
    const v = ALPHABET.indexOf(c);
    if (v < 0) return null;
    value = ((value << 5) | v) & 0xffff; bits += 5;
    if (bits >= 8) { out.push((value >>> (bits - 8)) & 255); bits -= 8; }
  }
  return Buffer.from(out);
}

const sig = (secret: string, tenant: string, body: Buffer, rcpt: string) =>
  createHmac('sha256', tenantKey(secret, tenant)).update(body).update(rcpt.trim().toLowerCase()).digest().subarray(0, 8);

function encodeJob(jobId: string): Buffer {
  if (COMPACT_JOB.test(jobId)) {
    const time = Buffer.alloc(6);
    time.writeUIntBE(parseInt(jobId.slice(0, 9), 36), 0, 6);
    return Buffer.concat([Buffer.from([0]), time, Buffer.from(jobId.slice(9), 'hex')]);
  }
  const b = Buffer.from(jobId, 'utf8');
  return Buffer.concat([Buffer.from([1, b.length]), b]);
}

function varint(n: number): Buffer {
  const out: number[] = [];
  do { let b = n & 127; n = Math.floor(n / 128); if (n) b |= 128; out.push(b); } while (n);
  return Buffer.from(out);
}

/** The return path of one message to `rcpt`, or null when the message ID is not `<job>.<row>`. */
export function returnPath(ids: ReturnPathIds, rcpt: string, secret: string, domain: string): string | null {
  const row = ids.messageId.startsWith(`${ids.jobId}.`) ? Number(ids.messageId.slice(ids.jobId.length + 1)) : NaN;
  if (!Number.isSafeInteger(row) || row < 0) return null;
  const tenant = Buffer.from(ids.tenant, 'utf8');
  if (tenant.length > 255 || Buffer.byteLength(ids.jobId) > 255) return null;
  const body = Buffer.concat([encodeJob(ids.jobId), varint(row), Buffer.from([tenant.length]), tenant]);
  return `b-${base32(Buffer.concat([body, sig(secret, ids.tenant, body, rcpt)]))}@${domain}`;
}

/** The IDs of a return path's local part (`b-…`, any case) when it verifies for `rcpt`, else null. */
export function verifyReturnPath(address: string, rcpt: string, secret: string): ReturnPathIds | null {
  const local = address.split('@')[0]!.toLowerCase();
  if (!local.startsWith('b-') || local.length > 600) return null;
  const buf = unbase32(local.slice(2));
  if (!buf || buf.length < 12) return null;
  try {
    let at = 0; let jobId: string;
    if (buf[0] === 0) {
      jobId = buf.readUIntBE(1, 6).toString(36).padStart(9, '0') + buf.subarray(7, 12).toString('hex'); at = 12;
    } else if (buf[0] === 1) {
      jobId = buf.subarray(2, 2 + buf[1]!).toString('utf8'); at = 2 + buf[1]!;
    } else return null;
    let row = 0; let mul = 1;
    for (;;) { const b = buf[at++]!; row += (b & 127) * mul; mul *= 128; if (!(b & 128)) break; if (at > buf.length) return null; }
    const tlen = buf[at++]!;
    const tenant = buf.subarray(at, at + tlen).toString('utf8'); at += tlen;
    const body = buf.subarray(0, at);
    const got = buf.subarray(at);
    const want = sig(secret, tenant, body, rcpt);
    if (got.length !== want.length || !timingSafeEqual(got, want)) return null;
    return { jobId, messageId: `${jobId}.${row}`, tenant };
  } catch {
    return null;
  }
}
