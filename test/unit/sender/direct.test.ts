import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createDirectTransport } from '../../../src/consumers/sender/direct.js';
import { parseShaping } from '../../../src/delivery/index.js';
import { startSimulator } from '../../support/simulator.js';
import { startDns } from '../../support/dns.js';

const shaping = parseShaping({
  defaults: {
    max_connections: 2, max_messages_per_connection: 10, retry_schedule: { initial: '1s', multiplier: 1, max: '1s' }, max_age: '1h', require_tls: false,
    adaptive: { rules: [{ match: '5\\.7\\.1', action: 'suspend', duration: '1h' }] },
  },
  bindings: [{ name: 'lo', source: '127.0.0.1', ehlo: 'sender.test' }],
  pools: { default: [{ binding: 'lo' }] }, default_pool: 'default',
});

test('direct transport: DNS answers become classifiable outcomes; a reply matching a suspend rule emits shaping_adjusted and later sends defer without SMTP', async () => {
  const sim = await startSimulator({ domains: { 'blocked.test': { deferPercent: 100, code: 554 } } });
  const dns = await startDns({ zones: {
    'null.test': { mx: [{ exchange: '.', priority: 0 }] }, 'tmp.test': { servfail: true },
    'ok.test': { mx: [{ exchange: 'mx.sim.test', priority: 5 }] }, 'blocked.test': { mx: [{ exchange: 'mx2.sim.test', priority: 5 }] },
    'mx.sim.test': { a: ['127.0.0.1'] }, 'mx2.sim.test': { a: ['127.0.0.1'] },
  } });
  const t = createDirectTransport({ shaping, dnsServers: [dns.server], port: sim.port });
  after(async () => { t.close(); await sim.close(); await dns.close(); });
  const raw = Buffer.from('Subject: x\r\n\r\nhi\r\n');

  const nul = await t.send('a@s.test', 'u@null.test', raw, { domain: 'null.test', ipPool: null });
  assert.deepEqual([nul.code, nul.enhancedCode], [556, '5.1.10']); assert.match(nul.reason!, /^MS_ERR_DNS_PERM/);
  const nx = await t.send('a@s.test', 'u@nowhere.test', raw);
  assert.equal(nx.code, 550); assert.match(nx.reason!, /^MS_ERR_DNS_PERM/);
  const tmp = await t.send('a@s.test', 'u@tmp.test', raw);
  assert.equal(tmp.code, 451); assert.match(tmp.reason!, /^MS_ERR_DNS_TEMP/);

  const ok = await t.send('a@s.test', 'u@ok.test', raw);
  assert.equal(ok.ok, true); assert.equal(ok.mxHost, 'mx.sim.test'); assert.equal(ok.binding, 'lo');
  assert.equal(sim.received[0]!.to, 'u@ok.test');

  const blocked = await t.send('a@s.test', 'u@blocked.test', raw);
  assert.equal(blocked.code, 554);
  assert.equal(blocked.events?.[0]?.type, 'shaping_adjusted');
  const before = sim.stats.connections;
  const held = await t.send('a@s.test', 'v@blocked.test', raw);
  assert.equal(held.code, 451); assert.match(held.reason!, /^MS_SUSPENDED/);
  assert.equal(sim.stats.connections, before);
  // other destinations of the binding are unaffected
  assert.equal((await t.send('a@s.test', 'w@ok.test', raw)).ok, true);
});
