/**
 * Audience readers: stream rows from where the customer's data lives (CSV, JSONL, SQL, inline) in flat
 * memory. No fixed schema: every column or field of a row becomes substitution data.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import pg from 'pg';
import type { Audience } from '../../generated/types.js';
import { MailstreamError } from '../../lib/errors.js';
import { readCsvLines } from './csv.js';

/** One audience row, or the reason it could not be read. */
export type AudienceRow = { rowNumber: number; row: Record<string, unknown>; recipient?: RecipientFields }
  | { rowNumber: number; error: string; raw?: string };

/** What a `recipients` row says beyond its substitution data: the address, display name and metadata. */
export interface RecipientFields { email: unknown; name: string | null; metadata: Record<string, unknown>; headerTo?: string | null }

/** Open `audience` and stream its rows; an unreadable source throws MS_ERR_AUDIENCE_UNREADABLE. */
export function readAudience(audience: Audience): AsyncGenerator<AudienceRow> {
  // the reader itself, not a generator delegating to it: one layer less of promises per row
  switch (audience.format) {
    case 'csv': return fromSource(audience, readCsvLines);
    case 'jsonl': return fromSource(audience, readJsonl);
    case 'sql': return readSql(audience);
    case 'inline': return readInline(audience);
    case 'recipients': return readRecipients(audience);
  }
}

// a reader left early (a cancelled job) closes only its readline interface: the file or HTTP stream is destroyed here
async function* fromSource(audience: Audience, read: (input: Readable) => AsyncGenerator<AudienceRow>):
  AsyncGenerator<AudienceRow> {
  const input = await openSource(audience);
  try { yield* read(input); } finally { input.destroy(); }
}

async function openSource(audience: Audience): Promise<Readable> {
  const uri = audience.uri;
  if (!uri) throw new MailstreamError('MS_ERR_AUDIENCE_UNREADABLE', `audience.uri is required for format ${audience.format}`);
  if (/^https?:\/\//.test(uri)) {
    const res = await fetch(uri).catch((err: Error) => { throw unreadable(uri, err.message); });
    if (!res.ok || !res.body) throw unreadable(uri, `HTTP ${res.status}`);
    return Readable.fromWeb(res.body as never);
  }
  const path = uri.replace(/^file:\/\//, '');
  const stream = createReadStream(path);
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (err) => reject(unreadable(uri, err.message)));
  });
  return stream;
}

const unreadable = (uri: string, why: string) => new MailstreamError('MS_ERR_AUDIENCE_UNREADABLE', `cannot read audience ${uri}: ${why}`);

async function* readJsonl(input: Readable): AsyncGenerator<AudienceRow> {
  let rowNumber = 0;
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    rowNumber++;
    if (!line.trim()) continue;
    let row: unknown;
    try { row = JSON.parse(line); } catch (err) { yield { rowNumber, error: `malformed JSON line: ${(err as Error).message}`, raw: line.slice(0, 200) }; continue; }
    if (!row || typeof row !== 'object' || Array.isArray(row)) { yield { rowNumber, error: 'JSON line is not an object', raw: line.slice(0, 200) }; continue; }
    yield { rowNumber, row: row as Record<string, unknown> };
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** The job's inline JSON array, each element with its 1-based row number (`format` names the source in errors). */
function* inlineArray(audience: Audience, format: string): Generator<{ rowNumber: number; item: unknown }> {
  let rows: unknown;
  try { rows = JSON.parse(audience.inline ?? '[]'); } catch (err) { throw unreadable(format, (err as Error).message); }
  if (!Array.isArray(rows)) throw unreadable(format, 'must be a JSON array of objects');
  for (let i = 0; i < rows.length; i++) yield { rowNumber: i + 1, item: rows[i] };
}

async function* readInline(audience: Audience): AsyncGenerator<AudienceRow> {
  for (const { rowNumber, item } of inlineArray(audience, 'inline')) {
    yield isObject(item) ? { rowNumber, row: item } : { rowNumber, error: 'recipient is not an object' };
  }
}

/** Recipients as the producer API validated them: `{ email, name, data, metadata }`, data as substitution data. */
async function* readRecipients(audience: Audience): AsyncGenerator<AudienceRow> {
  for (const { rowNumber, item: r } of inlineArray(audience, 'recipients')) {
    if (!isObject(r)) { yield { rowNumber, error: 'recipient is not an object' }; continue; }
    const recipient = { email: r.email, name: typeof r.name === 'string' ? r.name : null, metadata: isObject(r.metadata) ? r.metadata : {},
      headerTo: typeof r.headerTo === 'string' ? r.headerTo : null };
    yield { rowNumber, row: isObject(r.data) ? r.data : {}, recipient };
  }
}

/** Reads a SQL audience through a server-side cursor, so a table of any size streams in batches of 1,000 rows. */
async function* readSql(audience: Audience): AsyncGenerator<AudienceRow> {
  if (!audience.uri || !audience.query) throw new MailstreamError('MS_ERR_AUDIENCE_UNREADABLE', 'a sql audience needs uri (connection string) and query');
  const client = new pg.Client({ connectionString: audience.uri });
  try { await client.connect(); } catch (err) { throw unreadable(redact(audience.uri), (err as Error).message); }
  try {
    await client.query('BEGIN READ ONLY');
    try { await client.query(`DECLARE mailstream_audience NO SCROLL CURSOR FOR ${audience.query}`); }
    catch (err) { throw unreadable(redact(audience.uri), `query failed: ${(err as Error).message}`); }
    let rowNumber = 0;
    for (;;) {
      const res = await client.query('FETCH 1000 FROM mailstream_audience');
      if (!res.rows.length) break;
      for (const row of res.rows) yield { rowNumber: ++rowNumber, row };
    }
    await client.query('COMMIT');
  } finally {
    await client.end().catch(() => undefined);
  }
}

const redact = (uri: string) => uri.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
