import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadShaping, parseShaping, providerOf, resolveShaping } from '../../../src/delivery/shaping.js';
import { ConfigError } from '../../../src/lib/errors.js';

const shipped = join(import.meta.dirname, '../../../infra/shaping.yaml');
const base = () => ({
  defaults: { max_connections: 5, max_messages_per_connection: 100, retry_schedule: { initial: '5m', multiplier: 2, max: '4h' }, max_age: '3d', require_tls: false },
  providers: { gmail: { match: ['.google.com'], max_connections: 20, max_message_rate: '100/s', adaptive: { rules: [{ match: '4\\.7\\.28', action: 'throttle', factor: 0.5, duration: '30m' }] } } },
  domains: { 'Special.Example.': { max_connections: 2, adaptive: { rules: [{ match: 'special', action: 'suspend', duration: '1h' }] } } },
  bindings: [{ name: 'b1', source: '127.0.0.1', ehlo: 'localhost' }],
  pools: { default: [{ binding: 'b1', weight: 1 }] },
  default_pool: 'default',
});

test('the shipped infra/shaping.yaml validates and knows Gmail, Outlook and Yahoo by MX host', () => {
  const s = loadShaping(shipped);
  assert.equal(providerOf(s, 'gmail-smtp-in.l.google.com.'), 'gmail');
  assert.equal(providerOf(s, 'hotmail-com.olc.protection.outlook.com'), 'outlook');
  assert.equal(providerOf(s, 'mta5.am0.yahoodns.net'), 'yahoo');
  assert.equal(providerOf(s, 'mx.example.test'), null);
  assert.equal(resolveShaping(s, { domain: 'x.test', mxHost: 'mx.x.test' }).binding.source, '127.0.0.1');
});

test('resolution order is domain override > provider > defaults, with rules most specific first', () => {
  const s = parseShaping(base());
  const gmail = resolveShaping(s, { domain: 'gmail.com', mxHost: 'alt1.gmail-smtp-in.l.google.com', binding: 'b1' });
  assert.equal(gmail.provider, 'gmail');
  assert.equal(gmail.maxConnections, 20);
  assert.deepEqual(gmail.maxMessageRate, { count: 100, perMs: 1000 });
  assert.equal(gmail.maxAgeMs, 3 * 86_400_000);
  assert.deepEqual(gmail.retry, { initialMs: 300_000, multiplier: 2, maxMs: 14_400_000 });
  const special = resolveShaping(s, { domain: 'Special.Example', mxHost: 'aspmx.l.google.com' });
  assert.equal(special.maxConnections, 2);
  assert.deepEqual(special.adaptive.rules.map((r) => r.action), ['suspend', 'throttle']);
  assert.equal(resolveShaping(s, { domain: 'other.test', mxHost: null }).maxMessageRate, null);
});

test('a bad file fails at start-up naming every bad key path', () => {
  const doc = base() as any;
  doc.providers.gmail.max_message_rate = 'fast';
  doc.defaults.max_age = 'forever';
  doc.providers.gmail.max_conections = 3;
  doc.pools.default[0].binding = 'nope';
  doc.providers.gmail.adaptive.rules[0].match = '(';
  assert.throws(() => parseShaping(doc), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    const p = err.problems.join('\n');
    assert.match(p, /providers\.gmail\.max_message_rate: must look like "N\/s", "N\/min" or "N\/h"/);
    assert.match(p, /defaults\.max_age: must look like/);
    assert.match(p, /providers\.gmail: Unrecognized key: "max_conections"/);
    assert.match(p, /providers\.gmail\.adaptive\.rules\[0\]\.match: must be a valid regular expression/);
    return true;
  });
  const ok = base() as any; ok.pools.default[0].binding = 'nope';
  assert.throws(() => parseShaping(ok), /pools\.default\[0\]\.binding: unknown binding "nope"/);
});

test('a domain split into K shards gets 1/K of its connections (rounded up, at least 1) and rates per shard', () => {
  const doc = base() as any;
  doc.domains['big.example'] = { shards: 4, max_connections: 10, max_message_rate: '100/s', max_connection_rate: '8/min' };
  doc.domains['tiny.example'] = { shards: 3, max_connections: 2 };
  const s = parseShaping(doc);
  const big = resolveShaping(s, { domain: 'Big.Example', mxHost: 'mx.big.example' });
  assert.equal(big.shards, 4);
  assert.equal(big.maxConnections, 3);
  assert.deepEqual(big.maxMessageRate, { count: 25, perMs: 1000 });
  assert.deepEqual(big.maxConnectionRate, { count: 2, perMs: 60_000 });
  // inherited limits are divided too: gmail's 20 connections and 100/s over the domain's 4 shards
  const viaProvider = resolveShaping(parseShaping({ ...base(), domains: { 'gmail.com': { shards: 4 } } }), { domain: 'gmail.com', mxHost: 'aspmx.l.google.com' });
  assert.deepEqual([viaProvider.maxConnections, viaProvider.maxMessageRate], [5, { count: 25, perMs: 1000 }]);
  assert.equal(resolveShaping(s, { domain: 'tiny.example' }).maxConnections, 1);
  const plain = resolveShaping(s, { domain: 'other.example', mxHost: 'aspmx.l.google.com' });
  assert.deepEqual([plain.shards, plain.maxConnections, plain.maxMessageRate], [1, 20, { count: 100, perMs: 1000 }]);
});

test('shards is a domain setting: a whole positive count, refused on providers and defaults naming the key', () => {
  const doc = base() as any;
  doc.domains['a.example'] = { shards: 0 };
  doc.domains['b.example'] = { shards: 1.5 };
  doc.providers.gmail.shards = 2;
  doc.defaults.shards = 2;
  assert.throws(() => parseShaping(doc), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    const p = err.problems.join('\n');
    assert.match(p, /domains\.a\.example\.shards: Too small/);
    assert.match(p, /domains\.b\.example\.shards: Invalid input: expected int/);
    assert.match(p, /providers\.gmail\.shards: shards is a domain setting \(domains\.<name>\.shards\)/);
    assert.match(p, /defaults\.shards: shards is a domain setting/);
    return true;
  });
});
