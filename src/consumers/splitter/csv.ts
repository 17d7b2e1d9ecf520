/**
 * A line-oriented RFC 4180 CSV reader. A quoted field may span lines (up to MAX_SPAN), but a malformed
 * row — an unclosed or stray quote, a wrong column count — is reported with its line number and costs
 * nothing else: a stream parser would swallow every row after an unclosed quote.
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { AudienceRow } from './audience.js';

const MAX_SPAN = 20;

/** Parse one logical CSV record; `open` means a quoted field is still open at the end of the text. */
export function parseCsvRecord(text: string): { fields: string[] } | { open: true } | { error: string } {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (text[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) return { open: true };
        value += text.slice(i, q);
        if (text[q + 1] === '"') { value += '"'; i = q + 2; continue; }
        i = q + 1;
        break;
      }
      fields.push(value);
      if (i < text.length && text[i] !== ',') return { error: `unexpected character after a closing quote at column ${i + 1}` };
    } else {
      const comma = text.indexOf(',', i);
      const end = comma < 0 ? text.length : comma;
      const value = text.slice(i, end);
      if (value.includes('"')) return { error: `stray quote in an unquoted field at column ${i + value.indexOf('"') + 1}` };
      fields.push(value.trim());
      i = end;
    }
    if (i >= text.length) return { fields };
    i++; // past the comma
    if (i === text.length) { fields.push(''); return { fields }; }
  }
}

/** Stream rows from CSV text with a header row; every column becomes a field of the row. */
export async function* readCsvLines(input: Readable): AsyncGenerator<AudienceRow> {
  let header: string[] | undefined;
  let held: Array<{ line: number; text: string }> = []; // lines of a record whose quoted field is still open
  let lineNo = 0;
  let rowNumber = 0;

  // Adds a line; settles the held lines into one good row, or reports the first line malformed and re-reads the rest on their own.
  function* feed(next: { line: number; text: string } | null): Generator<AudienceRow> {
    if (next) held.push(next);
    if (!held.length) return;
    const parsed = parseCsvRecord(held.map((h) => h.text).join('\n'));
    if ('open' in parsed && next && held.length < MAX_SPAN) return;
    if ('fields' in parsed) { const line = held[0].line; held = []; yield* emit(line, parsed.fields); return; }
    const [first, ...rest] = held;
    held = [];
    const why = 'open' in parsed || rest.length ? 'unclosed quote' : parsed.error;
    if (!header) throw new Error(`CSV header (line ${first.line}) is malformed: ${why}`);
    yield { rowNumber: ++rowNumber, error: `malformed CSV row at line ${first.line}: ${why}`, raw: first.text.slice(0, 200) };
    for (const r of rest) yield* feed(r);
    if (!next) yield* feed(null);
  }
  function* emit(line: number, fields: string[]): Generator<AudienceRow> {
    if (!header) { header = fields.map((h) => h.trim()); return; }
    rowNumber++;
    if (fields.length !== header.length) { yield { rowNumber, error: `malformed CSV row at line ${line}: ${fields.length} fields, header has ${header.length}` }; return; }
    const row: Record<string, string> = {};
    for (let k = 0; k < header.length; k++) row[header[k]] = fields[k];
    yield { rowNumber, row };
  }

  for await (const raw of createInterface({ input, crlfDelay: Infinity })) {
    lineNo++;
    const text = lineNo === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    if (!held.length && !text.trim()) continue;
    // the usual line, no quote and nothing held, is one record: parsed here, without a generator per line
    if (header && !held.length && !text.includes('"')) {
      rowNumber++;
      const fields = text.split(',');
      if (fields.length !== header.length) {
        yield { rowNumber, error: `malformed CSV row at line ${lineNo}: ${fields.length} fields, header has ${header.length}` };
        continue;
      }
      const row: Record<string, string> = {};
      for (let k = 0; k < header.length; k++) row[header[k]] = fields[k].trim();
      yield { rowNumber, row };
      continue;
    }
    yield* feed({ line: lineNo, text });
  }
  yield* feed(null);
}
