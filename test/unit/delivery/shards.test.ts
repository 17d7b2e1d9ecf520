import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { fnv1a, partitionKey, shardOf, shardSuffix } from '../../../src/delivery/shards.js';
import { parseShaping } from '../../../src/delivery/shaping.js';
import { retryOrExpire } from '../../../src/consumers/sender/handler.js';
import { createDirectTransport } from '../../../src/consumers/sender/direct.js';
import type { RenderedMessage } from '../../../src/generated/types.js';
import { startSimulator } from '../../support/simulator.js';
import { startDns } from '../../support/dns.js';

const addresses = Array.from({ length: 10_000 }, (_, i) => `user${i}.${(i * 7919).toString(36)}@gmail.com`);

test('the shard of a recipient is stable, case-insensitive and pinned to FNV-1a (so other implementations can agree)', () => {
  assert.equal(fnv1a(''), (0x811c9dc5 ^ (0x811c9dc5 >>> 16)) >>> 0);
  for (const a of addresses.slice(0, 100)) {
    assert.equal(shardOf(a, 4), shardOf(a, 4));
    assert.equal(shardOf(a.toUpperCase(), 4), shardOf(a, 4));
  }
  // golden values: changing the hash would move every sharded domain's keys
  assert.deepEqual(['a@gmail.com', 'b@gmail.com', 'Zoë@example.test'].map((a) => shardOf(a, 8)), [5, 7, 6]);
});

test('10k addresses spread roughly evenly over K shards (within 10% of the mean)', () => {
  for (const k of [2, 3, 4, 8, 16]) {
    const counts = new Array<number>(k).fill(0);
    for (const a of addresses) counts[shardOf(a, k)]!++;
    const mean = addresses.length / k;
    for (const c of counts) assert.ok(Math.abs(c - mean) < mean * 0.1, `K=${k}: ${counts.join(',')}`);
  }
});

test('K = 1 keys by the plain domain; K > 1 by <domain>#<shard>', () => {
  assert.equal(partitionKey('gmail.com', 'x@gmail.com', 1), 'gmail.com');
  assert.equal(shardSuffix('x@gmail.com', 1), '');
  assert.equal(shardOf('x@gmail.com', 1), 0);
  const keys = new Set(addresses.slice(0, 200).map((a) => partitionKey('gmail.com', a, 3)));
  assert.deepEqual([...keys].sort(), ['gmail.com#0', 'gmail.com#1', 'gmail.com#2']);
  assert.equal(partitionKey('gmail.com', 'x@gmail.com', 3), `gmail.com#${shardOf('x@gmail.com', 3)}`);
});

test('a deferred message of a sharded domain goes back on retry under its shard key, an unsharded one under its domain', () => {
  const msg: RenderedMessage = { messageId: 'j.1', jobId: 'j', kind: 'bulk', tenant: 't', campaignId: null,
    rowNumber: 1, mailFrom: 'a@s.example', rcptTo: 'U@big.example', domain: 'big.example', ipPool: null,
    raw: Buffer.from('x'), acceptedAt: 1000, attempt: 0, notBefore: 0, sandbox: false, skipSuppression: false,
    parts: null };
  const schedule = { initialMs: 1000, multiplier: 1, maxMs: 1000 };
  assert.equal(retryOrExpire(msg, 1, 2000, { schedule, maxAgeMs: 60_000, shards: 4 })[0]!.key, partitionKey('big.example', 'u@big.example', 4));
  assert.equal(retryOrExpire(msg, 1, 2000, { schedule, maxAgeMs: 60_000 })[0]!.key, 'big.example');
});

test('direct transport: each shard of a sharded domain is its own queue — a suspension of one shard leaves the other sending', async () => {
  const shaping = parseShaping({
    defaults: {
      max_connections: 2, max_messages_per_connection: 10, retry_schedule: { initial: '1s', multiplier: 1, max: '1s' }, max_age: '1h', require_tls: false,
      adaptive: { rules: [{ match: '5\\.1\\.1', action: 'suspend', duration: '1h' }] },
    },
    domains: { 'big.test': { shards: 2 } },
    bindings: [{ name: 'lo', source: '127.0.0.1', ehlo: 'sender.test' }],
    pools: { default: [{ binding: 'lo' }] }, default_pool: 'default',
  });
  const local = Array.from({ length: 50 }, (_, i) => `u${i}`);
  const on = (shard: number) => local.filter((l) => shardOf(`${l}@big.test`, 2) === shard);
  const [bad, same] = on(0) as [string, string];
  const other = on(1)[0]!;
  const sim = await startSimulator({ domains: { 'big.test': { rejectUsers: [bad] } } });
  const dns = await startDns({ zones: { 'big.test': { mx: [{ exchange: 'mx.big.test', priority: 5 }] }, 'mx.big.test': { a: ['127.0.0.1'] } } });
  const t = createDirectTransport({ shaping, dnsServers: [dns.server], port: sim.port });
  after(async () => { t.close(); await sim.close(); await dns.close(); });
  const raw = Buffer.from('Subject: x\r\n\r\nhi\r\n');

  const rejected = await t.send('a@s.test', `${bad}@big.test`, raw, { domain: 'big.test', ipPool: null });
  assert.equal(rejected.code, 550);
  assert.equal(JSON.parse(rejected.events![0]!.detail!).scope, 'lo->mx.big.test#0');
  const held = await t.send('a@s.test', `${same}@big.test`, raw, { domain: 'big.test', ipPool: null });
  assert.match(held.reason!, /^MS_SUSPENDED: lo->mx\.big\.test#0/);
  assert.equal((await t.send('a@s.test', `${other}@big.test`, raw, { domain: 'big.test', ipPool: null })).ok, true);
  assert.deepEqual(sim.received.map((r) => r.to), [`${other}@big.test`]);
});
