/**
 * Envelope encryption of one record value: AES-256-GCM under a job's data key. The value is self-describing (magic,
 * clear routing metadata, IV, ciphertext, tag), so dead-letter replays and scheduled records, which keep no headers,
 * stay readable; the metadata is authenticated as additional data. node:crypto does the cipher work.
 */
import { createCipheriv, createDecipheriv, randomBytes, randomFillSync } from 'node:crypto';
import { MailstreamError } from './errors.js';

/** First byte of a sealed value (a Confluent Avro value starts with 0). */
export const ENVELOPE_MAGIC = 0xe5;
/** The algorithm named in headers and job-key records. */
export const ENVELOPE_ALG = 'AES-256-GCM';
/** Record headers that say how a value is sealed (informative: the value itself carries the same). */
export const HEADER_ALG = 'mailstream-enc';
export const HEADER_KEY = 'mailstream-key';
export const HEADER_KEK = 'mailstream-kek';

/** What stays readable of a sealed record: its data key ID and what a stage needs to end its recipients. */
export interface EnvelopeMeta {
  /** Data key ID: `<tenant>:<jobId>`. */
  k: string;
  /** Job ID, tenant, campaign. */
  j: string; t: string; c: string | null;
  /** What the value is: a job, a payload of recipients, one rendered message, or a job's template pieces. */
  s: 'job' | 'payload' | 'message' | 'parts';
  /** Audience rows of the recipients it carries (message IDs are `<jobId>.<row>`). */
  r: number[];
}

const IV = 12;
const TAG = 16;

// Random IVs drawn from a block filled once per 512 seals: one randomBytes call per IV cost ~13 µs of a render.
const ivPool = { buf: Buffer.allocUnsafe(IV * 512), pos: IV * 512 };
function nextIv(): Buffer {
  if (ivPool.pos === ivPool.buf.length) { randomFillSync(ivPool.buf); ivPool.pos = 0; }
  // a view: seal uses it synchronously, and the block is refilled only 511 seals later
  return ivPool.buf.subarray(ivPool.pos, (ivPool.pos += IV));
}

/** Seal `plain` under `dek` (32 bytes). */
export function seal(dek: Buffer, meta: EnvelopeMeta, plain: Buffer): Buffer {
  const m = JSON.stringify(meta);
  const mLen = Buffer.byteLength(m);
  const aad = Buffer.allocUnsafe(5 + mLen);
  aad[0] = ENVELOPE_MAGIC;
  aad.writeUInt32BE(mLen, 1);
  aad.write(m, 5);
  const iv = nextIv();
  const c = createCipheriv('aes-256-gcm', dek, iv).setAAD(aad);
  const body = c.update(plain);
  const rest = c.final(); // empty for GCM; kept so the value is right whatever the cipher buffers
  return Buffer.concat([aad, iv, body, rest, c.getAuthTag()]);
}

/** True when `buf` is a sealed value. */
export const isSealed = (buf: Buffer): boolean => buf.length > 5 && buf[0] === ENVELOPE_MAGIC;

/** The clear metadata of a sealed value. */
export function metaOf(buf: Buffer): EnvelopeMeta {
  const len = buf.readUInt32BE(1);
  if (5 + len + IV + TAG > buf.length) throw new MailstreamError('MS_ERR_DECRYPT', 'sealed value is truncated');
  try { return JSON.parse(buf.subarray(5, 5 + len).toString()) as EnvelopeMeta; }
  catch { throw new MailstreamError('MS_ERR_DECRYPT', 'sealed value has unreadable metadata'); }
}

/** Open a sealed value with `dek`; a wrong key or any altered byte fails with MS_ERR_DECRYPT. */
export function open(dek: Buffer, buf: Buffer): Buffer {
  const end = 5 + buf.readUInt32BE(1);
  const iv = buf.subarray(end, end + IV);
  const d = createDecipheriv('aes-256-gcm', dek, iv).setAAD(buf.subarray(0, end));
  d.setAuthTag(buf.subarray(buf.length - TAG));
  try {
    const body = d.update(buf.subarray(end + IV, buf.length - TAG));
    const rest = d.final(); // empty for GCM: no second copy of the whole value
    return rest.length ? Buffer.concat([body, rest]) : body;
  }
  catch (err) { throw new MailstreamError('MS_ERR_DECRYPT', 'sealed value does not open with its data key', { cause: err }); }
}

/** Wrap (encrypt) a data key under a KEK, bound to its data key ID: iv ‖ ciphertext ‖ tag. */
export function wrapKey(kek: Buffer, dek: Buffer, context: string): Buffer {
  const iv = randomBytes(IV);
  const c = createCipheriv('aes-256-gcm', kek, iv).setAAD(Buffer.from(context));
  const body = Buffer.concat([c.update(dek), c.final()]);
  return Buffer.concat([iv, body, c.getAuthTag()]);
}

/** Unwrap a data key wrapped by `wrapKey` with the same KEK and context. */
export function unwrapKey(kek: Buffer, wrapped: Buffer, context: string): Buffer {
  const d = createDecipheriv('aes-256-gcm', kek, wrapped.subarray(0, IV)).setAAD(Buffer.from(context));
  d.setAuthTag(wrapped.subarray(wrapped.length - TAG));
  try { return Buffer.concat([d.update(wrapped.subarray(IV, wrapped.length - TAG)), d.final()]); }
  catch (err) { throw new MailstreamError('MS_ERR_DECRYPT', `data key ${context} does not unwrap with its KEK`, { cause: err }); }
}
