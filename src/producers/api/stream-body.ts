/**
 * `POST /transmissions` bodies read as a stream: recipients are validated one at a time and spilled to a temporary
 * JSONL file, every other top-level field is kept (they are small), so a 100,000-recipient transmission never sits in
 * memory as objects. The parser is @streamparser/json (it keeps a `__proto__` key as data, never as a prototype).
 */
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, rmSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Request } from 'express';
import { JSONParser, TokenType } from '@streamparser/json';
import { ApiError, parseBody } from './errors.js';
import { mapRecipients, recipientShape, type MappedRecipient, type RejectedRecipient } from './transmission.js';

/** Top-level fields kept whole; anything else is ignored, as SparkPost ignores unknown fields. */
const FIELDS = ['content', 'options', 'campaign_id', 'description', 'metadata', 'substitution_data', 'return_path'];
/** Rejected recipients remembered for `rcpt_to_errors`; the rest are only counted. */
const KEEP_REJECTED = 1000;

/** A streamed body: its small fields, and its recipients (in a file when inline). */
export interface StreamedBody {
  fields: Record<string, unknown>;
  /** `recipients` when it was an object ({list_id} or {audience}); null when it was an array. */
  recipientsObject: Record<string, unknown> | null;
  /** JSONL of accepted recipients ({email, name, data, metadata}); delete it with `dispose`. */
  file: string;
  /** The accepted recipients in memory instead, for a small body (then `file` was never written). */
  inMemory?: MappedRecipient[]; accepted: number; rejected: RejectedRecipient[]; rejectedCount: number;
  /** SHA-256 of the raw body, hex (what Idempotency-Key compares). */
  hash: string;
  /** What `recipients` was: absent, an array (spilled), an object, or another value (kept in `fields`). */
  recipientsKind: 'absent' | 'array' | 'object' | 'other';
  dispose(): void;
}

/** A body with a declared length up to this is read whole and parsed with JSON.parse: the fast path of small sends. */
const SMALL_BODY = 256 * 1024;

/** A small body, read whole: the same result as the stream, recipients in memory. */
async function readSmall(req: Request, length: number): Promise<StreamedBody> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (bytes > length) throw new ApiError('MS_ERR_MALFORMED_JSON', 'the body is longer than its Content-Length');
    chunks.push(chunk);
  }
  const raw = Buffer.concat(chunks);
  let doc: unknown;
  // JSON.parse keeps a "__proto__" key as an own property (data), never as a prototype
  try { doc = JSON.parse(raw.toString('utf8')); } catch (err) { throw new ApiError('MS_ERR_MALFORMED_JSON', (err as Error).message); }
  const o = doc && typeof doc === 'object' && !Array.isArray(doc) ? doc as Record<string, unknown> : {};
  const body: StreamedBody = {
    fields: Object.fromEntries(FIELDS.filter((f) => Object.hasOwn(o, f)).map((f) => [f, o[f]])), recipientsObject: null, file: '',
    accepted: 0, rejected: [], rejectedCount: 0, recipientsKind: 'absent', hash: createHash('sha256').update(raw).digest('hex'),
    dispose: () => undefined, inMemory: [],
  };
  const r = o.recipients;
  if (r === undefined) return body;
  if (!Array.isArray(r)) {
    body.recipientsKind = r && typeof r === 'object' ? 'object' : 'other';
    if (body.recipientsKind === 'object') body.recipientsObject = r as Record<string, unknown>; else body.fields.recipients = r;
    return body;
  }
  body.recipientsKind = 'array';
  r.forEach((item, index) => {
    let parsed;
    try { parsed = parseBody(recipientShape, item); } catch (err) { throw err instanceof ApiError ? prefix(err, index) : err; }
    const { accepted, rejected } = mapRecipients([parsed]);
    if (accepted[0]) { body.inMemory!.push(accepted[0]); body.accepted++; return; }
    body.rejectedCount++;
    if (body.rejected.length < KEEP_REJECTED) {
      body.rejected.push({ ...rejected[0]!, index, description: rejected[0]!.description.replace(/^recipient 1/, `recipient ${index + 1}`) });
    }
  });
  return body;
}

/** Read and validate `req`'s JSON body, refusing past `limitBytes` (413) and at the first bad recipient. */
export async function readTransmissionStream(req: Request, limitBytes: number, dir = join(tmpdir(), 'mailstream-gateway')):
  Promise<StreamedBody> {
  const length = Number(req.get('content-length') ?? NaN);
  if (length > limitBytes) throw new ApiError('MS_ERR_BODY_TOO_LARGE', `the body is larger than API_BODY_LIMIT (${limitBytes} bytes)`);
  if (Number.isFinite(length) && length <= SMALL_BODY) return readSmall(req, length);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${randomUUID()}.jsonl`);
  const out: WriteStream = createWriteStream(file);
  const parser = new JSONParser({ paths: ['$.recipients.*', ...FIELDS.map((f) => `$.${f}`)], keepStack: false });
  const body: StreamedBody = {
    fields: {}, recipientsObject: null, file, accepted: 0, rejected: [], rejectedCount: 0, recipientsKind: 'absent', hash: '',
    dispose: () => rmSync(file, { force: true }),
  };
  let failure: unknown;
  let index = 0;
  let pending = '';
  parser.onValue = ({ value, key, stack }) => {
    if (failure) return;
    try {
      if (stack.length === 1) { body.fields[String(key)] = value; return; }
      if (typeof key === 'string') { (body.recipientsObject ??= {})[key] = value; return; }
      const r = parseBody(recipientShape, value);
      const { accepted, rejected } = mapRecipients([r]);
      if (accepted[0]) { pending += `${JSON.stringify(accepted[0])}\n`; body.accepted++; }
      else if (body.rejected.length < KEEP_REJECTED) {
        const description = rejected[0]!.description.replace(/^recipient 1/, `recipient ${index + 1}`);
        body.rejected.push({ ...rejected[0]!, index, description });
      }
      if (!accepted[0]) body.rejectedCount++;
      index++;
    } catch (err) {
      failure = err instanceof ApiError ? prefix(err, index) : err;
    }
  };
  // top-level keys from the tokens: a key at depth 1 is a string right after `{` or `,`; its value's first token types it
  let depth = 0;
  let prev: TokenType | undefined;
  let key: string | undefined;
  let valueOf: string | undefined;
  parser.onToken = ({ token, value }) => {
    if (depth === 1 && token === TokenType.STRING && (prev === TokenType.LEFT_BRACE || prev === TokenType.COMMA)) key = String(value);
    else if (depth === 1 && prev === TokenType.COLON) valueOf = key;
    if (valueOf === 'recipients' && depth === 1 && prev === TokenType.COLON) {
      body.recipientsKind = token === TokenType.LEFT_BRACKET ? 'array' : token === TokenType.LEFT_BRACE ? 'object' : 'other';
      if (body.recipientsKind === 'other') body.fields.recipients = value;
    }
    if (token === TokenType.LEFT_BRACE || token === TokenType.LEFT_BRACKET) depth++;
    if (token === TokenType.RIGHT_BRACE || token === TokenType.RIGHT_BRACKET) depth--;
    prev = token;
  };
  parser.onError = (err) => { failure ??= new ApiError('MS_ERR_MALFORMED_JSON', err.message); };
  let bytes = 0;
  const sha = createHash('sha256');
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      sha.update(chunk);
      if (bytes > limitBytes) throw new ApiError('MS_ERR_BODY_TOO_LARGE', `the body is larger than API_BODY_LIMIT (${limitBytes} bytes)`);
      parser.write(chunk);
      if (failure) throw failure;
      if (pending.length > 1 << 16) { if (!out.write(pending)) await once(out, 'drain'); pending = ''; }
    }
    if (!bytes) throw new ApiError('MS_ERR_MALFORMED_JSON', 'the body is empty');
    if (!parser.isEnded) parser.end();
    if (failure) throw failure;
    out.end(pending);
    await once(out, 'finish');
    body.hash = sha.digest('hex');
    return body;
  } catch (err) {
    out.destroy();
    body.dispose();
    throw err;
  }
}

/** A recipient's validation error names its position in the list. */
function prefix(err: ApiError, index: number): ApiError {
  const path = `recipients.${index}.${err.sparkpost.description?.replace(/^\(body\)[.:]?\s*/, '') ?? ''}`.replace(/\.$/, '');
  const e = new ApiError(err.code, path, { status: err.sparkpost.status, code: err.sparkpost.code, message: err.sparkpost.message });
  return e;
}
