import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import nodeDns from 'node:dns';
import { createMxResolver, type DnsLike } from '../../../src/delivery/mx.js';
import { createDnsQuery, parseServer } from '../../../src/delivery/dns-query.js';
import { startDns } from '../../support/dns.js';

let dns: Awaited<ReturnType<typeof startDns>>;
before(async () => {
  dns = await startDns({ zones: {
    'example.test': { mx: [{ exchange: 'mx2.example.test', priority: 20 }, { exchange: 'MX1.example.test.', priority: 10 }], a: ['127.0.0.2'] },
    'shared.test': { mx: [{ exchange: 'mx1.example.test', priority: 5 }, { exchange: 'mx2.example.test', priority: 5 }] },
    'nullmx.test': { mx: [{ exchange: '.', priority: 0 }] },
    'noMx.test': { a: ['127.0.0.3'], ttl: 60 },
    'dual.mx.test': { a: ['127.0.0.4'], aaaa: ['::1'], ttl: 60 },
    'six.mx.test': { aaaa: ['::2'] },
    'bare.mx.test': { mx: [{ exchange: 'x.test', priority: 1 }] },
    'flaky.mx.test': { servfail: true },
    'empty.test': {},
    'broken.test': { servfail: true },
    'short.test': { mx: [{ exchange: 'mx.short.test', priority: 10 }], ttl: 1 },
    'long.test': { mx: [{ exchange: 'mx.long.test', priority: 10 }], ttl: 3600 },
    // 30 MX records do not fit a 512-byte UDP answer: truncated, then asked again over TCP
    'big.test': { mx: Array.from({ length: 30 }, (_, i) => ({ exchange: `mx${i}.a-rather-long-mail-exchanger-name.big.test`, priority: i })) },
  }, tcp: true });
});
after(() => dns.close());

test('MX hosts come back by priority, and domains with the same MX hosts share one site key', async () => {
  const r = createMxResolver({ servers: [dns.server], timeoutMs: 500 });
  const a = await r.resolve('Example.Test');
  const b = await r.resolve('shared.test');
  assert.equal(a.kind, 'ok');
  assert.ok(a.kind === 'ok' && b.kind === 'ok');
  assert.deepEqual(a.hosts, [{ exchange: 'mx1.example.test', priority: 10 }, { exchange: 'mx2.example.test', priority: 20 }]);
  assert.equal(a.site, 'mx1.example.test,mx2.example.test');
  assert.equal(b.site, a.site);
});

test('null MX, NXDOMAIN, implicit MX, no records at all and SERVFAIL each have their own kind', async () => {
  let t = 1000;
  const r = createMxResolver({ servers: [dns.server], timeoutMs: 500, now: () => t });
  assert.deepEqual(await r.resolve('nullmx.test'), { kind: 'null_mx' });
  assert.deepEqual(await r.resolve('nope.test'), { kind: 'nxdomain' });
  assert.deepEqual(await r.resolve('nomx.test'), { kind: 'ok', hosts: [{ exchange: 'nomx.test', priority: 0 }], site: 'nomx.test', ttlExpires: 1000 + 60_000, implicit: true });
  assert.deepEqual(await r.resolve('empty.test'), { kind: 'nxdomain', detail: 'no MX, A or AAAA records' });
  assert.deepEqual(await r.resolve('broken.test'), { kind: 'tempfail', error: 'ESERVFAIL' });
});

test('answers are cached until their TTL and concurrent lookups share one query', async () => {
  let t = 0;
  const r = createMxResolver({ servers: [dns.server], timeoutMs: 500, now: () => t, cacheTtlMs: 10_000 });
  const count = () => dns.queries.filter((q) => q.name === 'shared.test').length;
  const before = count();
  await Promise.all([r.resolve('shared.test'), r.resolve('shared.test'), r.resolve('SHARED.test')]);
  assert.equal(count() - before, 1);
  dns.setZone('shared.test', { mx: [{ exchange: 'mx9.example.test', priority: 1 }] });
  assert.equal((await r.resolve('shared.test') as { site: string }).site, 'mx1.example.test,mx2.example.test', 'still cached');
  t += 10_001;
  assert.equal((await r.resolve('shared.test') as { site: string }).site, 'mx9.example.test');
});

test('an MX answer is cached for its record TTL: a 1 s TTL is asked again once expired (after the 5 s floor by default)', async () => {
  let t = 0;
  const count = () => dns.queries.filter((q) => q.name === 'short.test').length;
  const exact = createMxResolver({ servers: [dns.server], timeoutMs: 500, now: () => t, minTtlMs: 0 });
  const first = count();
  assert.equal((await exact.resolve('short.test') as { ttlExpires: number }).ttlExpires, 1000);
  t = 999; await exact.resolve('short.test');
  assert.equal(count() - first, 1, 'cached within the TTL');
  t = 1001; await exact.resolve('short.test');
  assert.equal(count() - first, 2, 'asked again after the TTL');

  t = 0;
  const floored = createMxResolver({ servers: [dns.server], timeoutMs: 500, now: () => t });
  const second = count();
  await floored.resolve('short.test');
  t = 4999; await floored.resolve('short.test');
  assert.equal(count() - second, 1, 'a TTL below the floor is cached for the floor');
  t = 5001; await floored.resolve('short.test');
  assert.equal(count() - second, 2);
});

test('a long MX TTL is capped by cacheTtlMs', async () => {
  let t = 0;
  const count = () => dns.queries.filter((q) => q.name === 'long.test').length;
  const r = createMxResolver({ servers: [dns.server], timeoutMs: 500, now: () => t, cacheTtlMs: 10_000 });
  const first = count();
  assert.equal((await r.resolve('long.test') as { ttlExpires: number }).ttlExpires, 10_000, 'min(3600 s, cacheTtlMs)');
  t = 9_999; await r.resolve('long.test');
  assert.equal(count() - first, 1);
  t = 10_001; await r.resolve('long.test');
  assert.equal(count() - first, 2);
});

test('without configured servers the system\'s are asked (dns.getServers())', async () => {
  const saved = nodeDns.getServers();
  nodeDns.setServers([dns.server]);
  try {
    const r = await createMxResolver({ timeoutMs: 500 }).resolve('example.test');
    assert.equal(r.kind === 'ok' && r.site, 'mx1.example.test,mx2.example.test');
  } finally { nodeDns.setServers(saved); }
});

test('a server that never answers is a tempfail (ETIMEOUT); the next configured server is asked', async () => {
  const silent = '127.0.0.1:9';
  assert.deepEqual(await createMxResolver({ servers: [silent], timeoutMs: 100 }).resolve('example.test'), { kind: 'tempfail', error: 'ETIMEOUT' });
  const r = await createMxResolver({ servers: [silent, dns.server], timeoutMs: 100 }).resolve('example.test');
  assert.equal(r.kind, 'ok');
});

test('an MX answer too big for UDP is fetched again over TCP', async () => {
  const r = await createMxResolver({ servers: [dns.server], timeoutMs: 500 }).resolve('big.test');
  assert.ok(r.kind === 'ok');
  assert.equal(r.hosts.length, 30);
  assert.deepEqual(r.hosts[0], { exchange: 'mx0.a-rather-long-mail-exchanger-name.big.test', priority: 0 });
  assert.ok(dns.queries.some((q) => q.name === 'big.test' && q.tcp));
});

test('an injected DnsLike drives the cache with its TTLs; a null MX among real hosts is ignored', async () => {
  let t = 0; let calls = 0;
  const fake: DnsLike = {
    resolveMxTtl: async () => { calls++; return [{ exchange: 'b.fake.test', priority: 5, ttl: 30 }, { exchange: '', priority: 0, ttl: 20 }, { exchange: 'A.fake.test.', priority: 5, ttl: 60 }]; },
    resolve4: async () => [], resolve6: async () => [],
  };
  const r = createMxResolver({ resolver: fake, now: () => t });
  assert.deepEqual(await r.resolve('fake.test'), { kind: 'ok', hosts: [{ exchange: 'a.fake.test', priority: 5 }, { exchange: 'b.fake.test', priority: 5 }], site: 'a.fake.test,b.fake.test', ttlExpires: 20_000, implicit: false });
  t = 19_999; await r.resolve('fake.test');
  t = 20_001; await r.resolve('fake.test');
  assert.equal(calls, 2);
});

test('mail-host addresses: A then AAAA from one cached lookup; AAAA alone when there is no A; none and tempfail', async () => {
  let t = 0;
  const r = createMxResolver({ servers: [dns.server], timeoutMs: 500, now: () => t });
  const asked = (name: string) => dns.queries.filter((q) => q.name === name).map((q) => q.type);
  assert.deepEqual(await r.addresses('Dual.MX.test.'), { kind: 'ok', addresses: ['127.0.0.4', '::1'] });
  assert.deepEqual(asked('dual.mx.test').sort(), [1, 28], 'one A and one AAAA query');
  await Promise.all([r.addresses('dual.mx.test'), r.addresses('dual.mx.test')]);
  t = 59_999; await r.addresses('dual.mx.test');
  assert.equal(asked('dual.mx.test').length, 2, 'cached for the record TTL (60 s)');
  t = 60_001; await r.addresses('dual.mx.test');
  assert.equal(asked('dual.mx.test').length, 4, 'asked again once expired');
  assert.deepEqual(await r.addresses('six.mx.test'), { kind: 'ok', addresses: ['::2'] });
  assert.deepEqual(await r.addresses('bare.mx.test'), { kind: 'none' });
  assert.deepEqual(await r.addresses('missing.mx.test'), { kind: 'none' });
  assert.deepEqual(await r.addresses('flaky.mx.test'), { kind: 'tempfail', error: 'ESERVFAIL' });
  assert.deepEqual(await r.addresses('127.0.0.7'), { kind: 'ok', addresses: ['127.0.0.7'] });
  assert.equal(r.hostsCached(), 5, 'the IP literal is not cached');
});

test('an implicit MX (A/AAAA only) also fills the host-address cache: delivering to it asks nothing more', async () => {
  const r = createMxResolver({ servers: [dns.server], timeoutMs: 500 });
  const before = dns.queries.filter((q) => q.name === 'nomx.test').length;
  assert.equal((await r.resolve('nomx.test')).kind, 'ok');
  assert.deepEqual(await r.addresses('nomx.test'), { kind: 'ok', addresses: ['127.0.0.3'] });
  assert.equal(dns.queries.filter((q) => q.name === 'nomx.test').length - before, 3, 'MX, A and AAAA once each');
});

test('expired answers are swept from the cache, so many one-off domains do not pile up', async () => {
  let t = 0;
  const names = Array.from({ length: 40 }, (_, i) => `gone${i}.test`);
  const fake: DnsLike = {
    resolveMxTtl: async (d) => [{ exchange: `mx.${d}`, priority: 1, ttl: 1 }],
    resolve4: async () => [{ address: '127.0.0.1', ttl: 1 }], resolve6: async () => [],
  };
  const { createTtlCache } = await import('../../../src/delivery/ttl-cache.js');
  const cache = createTtlCache<number>({ now: () => t, maxEntries: 1000, sweepEvery: 10 });
  for (const [i, n] of names.entries()) { t = i * 1000; await cache.get(n, async () => ({ value: i, ttlMs: 5_000 })); }
  assert.ok(cache.size() <= 15, `live entries only (${cache.size()})`);
  const r = createMxResolver({ resolver: fake, now: () => t, minTtlMs: 1000, maxEntries: 10 });
  for (const n of names) await r.resolve(n);
  assert.equal(r.size(), 10, 'capped at maxEntries');
});

test('name servers parse as host, host:port, IPv6 and [IPv6]:port', async () => {
  assert.deepEqual(parseServer('10.0.0.1'), { host: '10.0.0.1', port: 53 });
  assert.deepEqual(parseServer('127.0.0.1:5353'), { host: '127.0.0.1', port: 5353 });
  assert.deepEqual(parseServer('::1'), { host: '::1', port: 53 });
  assert.deepEqual(parseServer('[::1]:5353'), { host: '::1', port: 5353 });
  const q = createDnsQuery({ servers: [dns.server], timeoutMs: 500 });
  assert.deepEqual(await q.resolve4('example.test'), [{ address: '127.0.0.2', ttl: 300 }]);
  await assert.rejects(q.resolveMxTtl('nomx.test'), { code: 'ENODATA' });
  await assert.rejects(q.resolveMxTtl('nope.test'), { code: 'ENOTFOUND' });
});
