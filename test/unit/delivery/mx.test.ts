import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createMxResolver } from '../../../src/delivery/mx.js';
import { startDns } from '../../support/dns.js';

let dns: Awaited<ReturnType<typeof startDns>>;
before(async () => {
  dns = await startDns({ zones: {
    'example.test': { mx: [{ exchange: 'mx2.example.test', priority: 20 }, { exchange: 'MX1.example.test.', priority: 10 }], a: ['127.0.0.2'] },
    'shared.test': { mx: [{ exchange: 'mx1.example.test', priority: 5 }, { exchange: 'mx2.example.test', priority: 5 }] },
    'nullmx.test': { mx: [{ exchange: '.', priority: 0 }] },
    'noMx.test': { a: ['127.0.0.3'], ttl: 60 },
    'empty.test': {},
    'broken.test': { servfail: true },
  } });
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
