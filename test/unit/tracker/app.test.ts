import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { createTrackerApp } from '../../../src/producers/tracker/app.js';
import type { Spool, SpoolEntry } from '../../../src/producers/spool.js';
import { signToken } from '../../../src/render/tracking.js';

const entries: SpoolEntry[] = [];
const spool = { append: (e: SpoolEntry) => { entries.push(e); }, pending: () => 0, dropped: () => 0, sent: () => 0, close: async () => {} } as Spool;
const server = createTrackerApp({ secret: 's', ttlMs: 86_400_000, scannerWindowS: 0, spool, now: Date.now }).listen(0, '127.0.0.1');
await new Promise((r) => server.once('listening', r));
after(() => new Promise<void>((r) => server.close(() => r())));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const u = signToken({ k: 'u', m: 'j.1', j: 'j', t: 'acme', s: Math.floor(Date.now() / 1000), r: 'ann@dest.example' }, 's');
const types = () => entries.filter((e) => e.topic === 'events').map((e) => e.value.type);

test('unsubscribe: GET shows the page and records nothing; a bare POST is refused; the page button is a link_unsubscribe', async () => {
  entries.length = 0;
  const page = await fetch(`${base}/u/${u}`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /ann@dest\.example/);
  assert.equal((await fetch(`${base}/u/${u}`, { method: 'POST' })).status, 400);
  assert.deepEqual(entries, []);
  const form = new URLSearchParams({ 'List-Unsubscribe': 'One-Click', via: 'page' });
  assert.equal((await fetch(`${base}/u/${u}`, { method: 'POST', body: form })).status, 200);
  assert.deepEqual(types(), ['link_unsubscribe']);
});

test('unsubscribe: RFC 8058 as multipart/form-data is a list_unsubscribe', async () => {
  entries.length = 0;
  const body = new FormData();
  body.append('List-Unsubscribe', 'One-Click');
  assert.equal((await fetch(`${base}/u/${u}`, { method: 'POST', body })).status, 200);
  assert.deepEqual(types(), ['list_unsubscribe']);
  assert.deepEqual(entries.map((e) => e.topic), ['events', 'suppressions']);
});

test('the open pixel is a no-store GIF; the first open of a message adds initial_open', async () => {
  entries.length = 0;
  const o = signToken({ k: 'o', m: 'j.2', j: 'j', t: 'acme', s: Math.floor(Date.now() / 1000) }, 's');
  const res = await fetch(`${base}/o/${o}`);
  assert.equal(res.headers.get('content-type'), 'image/gif');
  assert.equal(res.headers.get('cache-control'), 'no-store, max-age=0');
  await fetch(`${base}/o/${o}`);
  assert.deepEqual(types(), ['initial_open', 'open', 'open']);
});
