import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Resolver } from 'node:dns/promises';
import { startDns } from '../../support/dns.js';

let dns: Awaited<ReturnType<typeof startDns>>;
let r: Resolver;
before(async () => {
  dns = await startDns({ port: 0, zones: {
    'example.test': { mx: [{ exchange: 'mx1.example.test', priority: 10 }], a: ['127.0.0.2'] },
    'nullmx.test': { mx: [{ exchange: '.', priority: 0 }] },
    'noMx.test': { a: ['127.0.0.3'], aaaa: ['::1'] },
  } });
  r = new Resolver({ timeout: 500, tries: 1 });
  r.setServers([`127.0.0.1:${dns.port}`]);
});
after(() => dns.close());

test('the test DNS server answers MX, A and AAAA from its zones to node\'s resolver', async () => {
  assert.deepEqual(await r.resolveMx('example.test'), [{ exchange: 'mx1.example.test', priority: 10 }]);
  assert.deepEqual(await r.resolve4('EXAMPLE.test'), ['127.0.0.2']);
  assert.deepEqual(await r.resolve4('nomx.test', { ttl: true }), [{ address: '127.0.0.3', ttl: 300 }]);
  assert.deepEqual(await r.resolve6('nomx.test'), ['::1']);
});

test('a null MX comes back as exchange "", a missing type as ENODATA and an unknown name as NXDOMAIN (ENOTFOUND)', async () => {
  assert.deepEqual(await r.resolveMx('nullmx.test'), [{ exchange: '', priority: 0 }]);
  await assert.rejects(r.resolveMx('nomx.test'), { code: 'ENODATA' });
  await assert.rejects(r.resolveMx('unknown.test'), { code: 'ENOTFOUND' });
});

test('setZone changes answers at run time and servfail makes a temporary failure', async () => {
  dns.setZone('late.test', { mx: [{ exchange: 'mx.late.test', priority: 5 }] });
  assert.deepEqual(await r.resolveMx('late.test'), [{ exchange: 'mx.late.test', priority: 5 }]);
  dns.setZone('late.test', { servfail: true });
  await assert.rejects(r.resolveMx('late.test'), { code: 'ESERVFAIL' });
  dns.setZone('late.test', null);
  await assert.rejects(r.resolveMx('late.test'), { code: 'ENOTFOUND' });
});
