import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { parseCsvRecord, readCsvLines } from '../../../src/consumers/splitter/csv.js';

const rows = async (text: string) => { const out = []; for await (const r of readCsvLines(Readable.from([text]))) out.push(r); return out; };

test('quoted fields with commas, doubled quotes and line breaks parse', () => {
  assert.deepEqual(parseCsvRecord('a,"b,c","say ""hi""",'), { fields: ['a', 'b,c', 'say "hi"', ''] });
  assert.deepEqual(parseCsvRecord('"open'), { open: true });
});

test('every column becomes a field; a multi-line quoted field is one row', async () => {
  const r = await rows('email,note\r\nA@x.example,"two\nlines"\r\nb@x.example,plain\n');
  assert.deepEqual(r, [{ rowNumber: 1, row: { email: 'A@x.example', note: 'two\nlines' } }, { rowNumber: 2, row: { email: 'b@x.example', note: 'plain' } }]);
});

test('malformed rows are reported with their line and cost no other row', async () => {
  const text = 'email,name\nu1@x.example,One\nu2@x.example,"unclosed\nu3@x.example,Three\nu4@x.example,a"b\nu5@x.example,Five,extra\nu6@x.example,Six\n';
  const r = await rows(text);
  assert.deepEqual(r.filter((x) => 'row' in x).map((x) => ('row' in x ? x.row.email : '')), ['u1@x.example', 'u3@x.example', 'u6@x.example']);
  assert.deepEqual(r.filter((x) => 'error' in x).map((x) => ('error' in x ? x.error.match(/line \d+/)![0] : '')), ['line 3', 'line 5', 'line 6']);
  assert.deepEqual(r.map((x) => x.rowNumber), [1, 2, 3, 4, 5, 6]);
});

test('a line without quotes reads as parseCsvRecord reads it: fields trimmed, empty ones kept, row numbers in order', async () => {
  const lines = [' a@x.example , One ,', 'b@x.example,,', 'c@x.example, "q" ,z', 'd@x.example,  ,  last  '];
  const r = await rows(`email,name,tag\r\n${lines.join('\r\n')}\r\n`);
  const want = lines.map((l, i) => {
    const p = parseCsvRecord(l);
    return 'fields' in p ? { rowNumber: i + 1, row: { email: p.fields[0], name: p.fields[1], tag: p.fields[2] } }
      : { rowNumber: i + 1, error: `malformed CSV row at line ${i + 2}: ${'error' in p ? p.error : 'unclosed quote'}` };
  });
  assert.deepEqual(r.map((x) => ('raw' in x ? { rowNumber: x.rowNumber, error: x.error } : x)), want);
});
