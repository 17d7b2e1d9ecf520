import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { addressRange, isPublicAddress, resolvePublic, urlProblem } from '../../../src/lib/net-guard.js';
import { post } from '../../../src/consumers/webhooks/post.js';

test('only public unicast addresses are allowed', () => {
  for (const ip of ['127.0.0.1', '10.0.0.1', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1',
    '255.255.255.255', '::1', '::', 'fe80::1', 'fd00:ec2::254', 'fc00::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', 'ff02::1', 'nonsense']) {
    assert.ok(!isPublicAddress(ip), `${ip} (${addressRange(ip)})`);
  }
  for (const ip of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8']) assert.ok(isPublicAddress(ip), ip);
});

test('target URLs: http(s) only, no credentials, no private literals or localhost unless allowed', () => {
  assert.equal(urlProblem('https://hooks.example/x'), undefined);
  assert.match(urlProblem('ftp://hooks.example/')!, /scheme/);
  assert.match(urlProblem('http://u:p@hooks.example/')!, /credentials/);
  assert.match(urlProblem('http://127.0.0.1:9/')!, /loopback/);
  assert.match(urlProblem('http://[fd00:ec2::254]/')!, /uniqueLocal/);
  assert.match(urlProblem('http://localhost/')!, /loopback/);
  assert.equal(urlProblem('http://127.0.0.1:9/', true), undefined);
});

test('a name resolving to loopback is refused at resolution, and at connect time by the delivery POST', async () => {
  await assert.rejects(resolvePublic('localhost'), /loopback/);
  const server = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  try {
    await assert.rejects(post(`http://127.0.0.1:${port}/`, '[]', { timeoutMs: 2000, allowPrivate: false }),
      (e: { code: string }) => e.code === 'MS_ERR_WEBHOOK_TARGET');
    // a name that passes the URL check (this host's own, on a private address) still meets the guard in the lookup
    await assert.rejects(post(`http://${hostname()}:${port}/`, '[]', { timeoutMs: 2000, allowPrivate: false }),
      (e: { code: string; message: string }) => e.code === 'MS_ERR_WEBHOOK_TARGET' && /resolves to/.test(e.message));
    await assert.rejects(post('http://no-such-host.invalid/', '[]', { timeoutMs: 2000, allowPrivate: false }),
      (e: { code: string; retriable: boolean }) => e.code === 'MS_ERR_WEBHOOK_DELIVERY' && e.retriable, 'a DNS failure is retriable');
    assert.equal((await post(`http://127.0.0.1:${port}/`, '[]', { timeoutMs: 2000, allowPrivate: true })).status, 200);
  } finally { server.close(); }
});
