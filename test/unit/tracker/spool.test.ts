import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Event } from '../../../src/generated/types.js';
import { makeEvent } from '../../../src/schemas/events.js';
import { createSpool, type SpoolEntry } from '../../../src/producers/spool.js';

const dir = mkdtempSync(join(tmpdir(), 'spool-unit-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const entry = (n: number): SpoolEntry => ({ topic: 'events', key: 'j', value: makeEvent('click', { jobId: 'j', messageId: `j.${n}` }, 1) });
const until = async (f: () => boolean) => { for (let i = 0; i < 500 && !f(); i++) await new Promise((r) => setImmediate(r)); assert.ok(f()); };

test('entries are sent in order and the file is cut back only after the send resolves', async () => {
  const file = join(dir, 'a.jsonl');
  const sent: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const spool = createSpool({ file, maxBytes: 1 << 20, send: async (b) => { await gate; sent.push(...b.map((e) => (e.value as Event).messageId!)); } });
  for (let i = 1; i <= 3; i++) spool.append(entry(i));
  await new Promise((r) => setImmediate(r));
  assert.equal(readFileSync(file, 'utf8').trim().split('\n').length, 3, 'written at the end of the turn, before any send');
  release();
  await until(() => spool.pending() === 0);
  assert.deepEqual(sent, ['j.1', 'j.2', 'j.3']);
  assert.equal(readFileSync(file, 'utf8'), '');
  await spool.close();
});

test('a failing send keeps everything; a new spool on the same file recovers it (a torn last line is skipped)', async () => {
  const file = join(dir, 'b.jsonl');
  const down = createSpool({ file, maxBytes: 1 << 20, retryMs: 5, send: () => Promise.reject(new Error('broker down')) });
  for (let i = 1; i <= 4; i++) down.append(entry(i));
  await down.close(10);
  appendFileSync(file, '{"topic":"ev');
  const got: string[] = [];
  const up = createSpool({ file, maxBytes: 1 << 20, send: async (b) => { got.push(...b.map((e) => (e.value as Event).messageId!)); } });
  await until(() => up.pending() === 0);
  assert.deepEqual(got, ['j.1', 'j.2', 'j.3', 'j.4']);
  await up.close();
});

test('past its byte bound the spool drops the oldest entries and counts them', async () => {
  const file = join(dir, 'c.jsonl');
  const size = JSON.stringify(entry(10)).length + 1;
  const spool = createSpool({ file, maxBytes: size * 10, retryMs: 5, send: () => Promise.reject(new Error('broker down')) });
  for (let i = 1; i <= 25; i++) spool.append(entry(i));
  assert.equal(spool.pending(), 10);
  assert.equal(spool.dropped(), 15);
  await spool.close(10);
  const kept = readFileSync(file, 'utf8').trim().split('\n').map((l) => ((JSON.parse(l) as SpoolEntry).value as Event).messageId);
  assert.deepEqual(kept, Array.from({ length: 10 }, (_, i) => `j.${i + 16}`));
});
