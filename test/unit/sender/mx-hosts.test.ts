import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHostState, noHostAnswered, orderHosts } from '../../../src/consumers/sender/mx-hosts.js';
import { createConnectionGate } from '../../../src/consumers/sender/transport.js';
import type { SmtpOutcome } from '../../../src/consumers/sender/transport.js';

const mx = [{ exchange: 'c.test', priority: 10 }, { exchange: 'a.test', priority: 20 }, { exchange: 'b.test', priority: 10 }, { exchange: 'd.test', priority: 5 }];

test('MX hosts are tried by priority, equal priorities by rank, hosts that are down last', () => {
  const rank = (h: string) => ({ 'b.test': 0.1, 'c.test': 0.9 } as Record<string, number>)[h] ?? 0.5;
  assert.deepEqual(orderHosts(mx, rank), ['d.test', 'b.test', 'c.test', 'a.test']);
  assert.deepEqual(orderHosts(mx, (h) => 1 - rank(h)), ['d.test', 'c.test', 'b.test', 'a.test']);
  assert.deepEqual(orderHosts(mx, rank, (h) => h === 'd.test' || h === 'b.test'), ['c.test', 'a.test', 'd.test', 'b.test']);
  assert.deepEqual(orderHosts([{ exchange: 'x.test', priority: 10 }, { exchange: 'x.test', priority: 20 }], rank), ['x.test']);
});

test('equal-priority hosts are shuffled per queue: each queue keeps its draw, different queues draw both orders', () => {
  let seed = 7;
  const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const state = createHostState(() => 0, random);
  const orderOf = (scope: string) => orderHosts(mx, (h) => state.rank(`${scope} ${h}`)).join(',');
  const first = orderOf('q1');
  assert.equal(orderOf('q1'), first, 'stable within a queue');
  const seen = new Set(Array.from({ length: 40 }, (_, i) => orderOf(`q${i}`)));
  assert.deepEqual([...seen].sort(), ['d.test,b.test,c.test,a.test', 'd.test,c.test,b.test,a.test']);
});

test('a host that gave no SMTP reply is down for a minute, or until it answers', () => {
  let t = 0;
  const state = createHostState(() => t);
  state.failed('q mx1');
  assert.equal(state.isDown('q mx1'), true);
  assert.equal(state.isDown('q mx2'), false);
  t = 60_001;
  assert.equal(state.isDown('q mx1'), false);
  state.failed('q mx1'); state.answered('q mx1');
  assert.equal(state.isDown('q mx1'), false);
});

test('when no host answered, the deferral (451, network) names each host and why; DNS only when no host had an address', () => {
  const f = (mxHost: string, response: string, reason?: string): SmtpOutcome => ({ ok: false, code: null, enhancedCode: null, response, mxHost, tls: false, network: true, noSession: 'host', reason });
  const out = noHostAnswered('d.test', [f('mx1.d.test', 'connect ECONNREFUSED 127.0.0.9:25'), f('mx2.d.test', '421 4.7.0 busy\nmore')]);
  assert.deepEqual([out.code, out.enhancedCode, out.network, out.mxHost, out.noSession], [451, '4.4.1', true, 'mx2.d.test', undefined]);
  assert.equal(out.response, '451 4.4.1 no MX host of d.test answered (mx1.d.test: connect ECONNREFUSED 127.0.0.9:25; mx2.d.test: 421 4.7.0 busy)');
  assert.match(out.reason!, /^MS_ERR_SMTP_TEMP: no MX host of d\.test/);
  const dns = noHostAnswered('d.test', [f('mx1.d.test', '451 4.4.3 d.test: DNS lookup failed', 'MS_ERR_DNS_TEMP: d.test: DNS lookup failed')]);
  assert.equal(dns.enhancedCode, '4.4.3'); assert.match(dns.reason!, /^MS_ERR_DNS_TEMP/);
});

test('a connection gate grants at most max slots, in order, and a bounded wait fails as "skipped"', async () => {
  const gate = createConnectionGate(1);
  await gate.acquire();
  await assert.rejects(gate.acquire(20), (err: Error & { code?: string; noSession?: string }) => err.code === 'ESLOT' && err.noSession === 'skipped');
  const order: number[] = [];
  const a = gate.acquire().then(() => order.push(1));
  const b = gate.acquire(1000).then(() => order.push(2));
  gate.release(); await a;
  gate.release(); await b;
  assert.deepEqual(order, [1, 2]);
});
