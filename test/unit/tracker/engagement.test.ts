import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clickEvent, machineReason, openEvents, unsubscribeEntries, type Hit } from '../../../src/producers/tracker/engagement.js';
import type { TokenPayload } from '../../../src/render/tracking.js';

const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const s = 1_700_000_000;
const hit = (over: Partial<Hit> = {}): Hit => ({ method: 'GET', userAgent: CHROME, ip: '203.0.113.7', now: s * 1000 + 3_600_000, ...over });
const p: TokenPayload = { k: 'c', m: 'j1.1', j: 'j1', t: 'acme', s, i: 2, u: 'https://shop.example/x' };

test('machine-made engagement: HEAD, Apple privacy proxy, scanner agents, a hit within the window; a person is null', () => {
  assert.equal(machineReason(hit(), s, 10), null);
  assert.equal(machineReason(hit({ method: 'HEAD' }), s, 10), 'head');
  assert.equal(machineReason(hit({ userAgent: 'Mozilla/5.0' }), s, 10), 'apple_mpp');
  assert.equal(machineReason(hit({ ip: '17.58.1.2' }), s, 10), 'apple_mpp');
  for (const ua of ['Barracuda Sentinel (EE)', 'python-requests/2.31', 'Mozilla/5.0 (compatible; Proofpoint URL Defense)', ''])
    assert.equal(machineReason(hit({ userAgent: ua }), s, 10), 'scanner_agent', ua);
  assert.equal(machineReason(hit({ now: s * 1000 + 4000 }), s, 10), 'too_fast');
  assert.equal(machineReason(hit({ now: s * 1000 + 4000 }), s, 0), null);
});

test('a click event names the message, job, tenant, URL and user agent; every click is its own event', () => {
  const a = clickEvent(p, hit(), 10);
  const b = clickEvent(p, hit(), 10);
  assert.equal(a.topic, 'events');
  assert.notEqual(a.value.eventId, b.value.eventId);
  const e = a.value;
  assert.deepEqual([e.type, e.messageId, e.jobId, e.tenant, e.url], ['click', 'j1.1', 'j1', 'acme', 'https://shop.example/x']);
  assert.deepEqual(JSON.parse(e.detail!), { user_agent: CHROME, machine: false, machine_reason: null, link_index: 2 });
});

test('the first open adds an initial_open with a deterministic ID (other instances dedupe it)', () => {
  const o = { ...p, k: 'o' as const };
  const first = openEvents(o, hit({ userAgent: 'Mozilla/5.0' }), true, 10).map((e) => e.value);
  assert.deepEqual(first.map((e) => e.type), ['initial_open', 'open']);
  assert.equal(first[0]!.eventId, 'j1.1:initial_open');
  assert.equal(JSON.parse((first[1] as { detail: string }).detail).machine_reason, 'apple_mpp');
  assert.deepEqual(openEvents(o, hit(), false, 10).map((e) => e.value.type), ['open']);
});

test('an unsubscribe is one event and a non_transactional suppression of the address for the token\'s tenant', () => {
  const [event, sup] = unsubscribeEntries({ ...p, k: 'u', r: 'Ann@Dest.Example' }, 'list_unsubscribe', hit(), 'one_click');
  assert.equal(event.value.type, 'list_unsubscribe');
  assert.equal(event.value.eventId, 'j1.1:list_unsubscribe');
  assert.equal(sup.key, 'acme:ann@dest.example');
  assert.deepEqual([sup.value.source, sup.value.transactional, sup.value.nonTransactional],
    ['unsubscribe', false, true]);
});
