import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig, specs } from '../../../src/config/index.js';
import { ConfigError } from '../../../src/lib/errors.js';

const problemsOf = (env: NodeJS.ProcessEnv): ConfigError => {
  try { loadConfig(env); } catch (e) { if (e instanceof ConfigError) return e; throw e; }
  assert.fail('loadConfig accepted a bad environment');
};

test('defaults load, typed and frozen', () => {
  const cfg = loadConfig({});
  assert.deepEqual(cfg.kafkaBrokers, ['127.0.0.1:9092']);
  assert.equal(cfg.smtpRelayPort, 1025);
  assert.deepEqual(cfg.dnsServers, []);
  assert.deepEqual(cfg.dkimKeys, []);
  assert.ok(Object.isFrozen(cfg) && Object.isFrozen(cfg.kafkaBrokers));
});

test('every problem is reported at once, naming each variable', () => {
  const err = problemsOf({
    KAFKA_BROKERS: 'nohostport', SMTP_RELAY_PORT: 'abc', CLICKHOUSE_URL: 'ftp://x', LOG_LEVEL: 'loud',
    DNS_SERVERS: '10.0.0.1,not-an-ip', DKIM_KEYS: 'shop.example:s1:dsa:/k.pem', SMTP_PORT: '70000',
  });
  const names = ['KAFKA_BROKERS', 'SMTP_RELAY_PORT', 'CLICKHOUSE_URL', 'LOG_LEVEL', 'DNS_SERVERS', 'DKIM_KEYS', 'SMTP_PORT'];
  assert.equal(err.problems.length, names.length);
  for (const name of names) assert.match(err.message, new RegExp(name));
  assert.match(err.message, /not ip\[:port\]: not-an-ip/);
  assert.match(err.message, /key type "dsa" is not rsa or ed25519/);
  assert.equal(err.retriable, false);
});

test('DNS_SERVERS parses into hosts and ports (53 by default, IPv6 bracketed with a port)', () => {
  const cfg = loadConfig({ DNS_SERVERS: '127.0.0.1:5353, 10.0.0.2, ::1, [2001:db8::1]:5300' });
  assert.deepEqual(cfg.dnsServers, [
    { host: '127.0.0.1', port: 5353 }, { host: '10.0.0.2', port: 53 }, { host: '::1', port: 53 }, { host: '2001:db8::1', port: 5300 },
  ]);
  assert.match(problemsOf({ DNS_SERVERS: 'ns.example:53,1.2.3.4:99999' }).message, /not ip\[:port\]: ns.example:53, 1.2.3.4:99999/);
});

test('DKIM_KEYS parses into domain, selector, algorithm and path; every bad entry is named', () => {
  const cfg = loadConfig({ DKIM_KEYS: 'Shop.Example:r1:rsa:/k/r.pem,shop.example:e1.2025:ed25519:C:/keys/e.pem' });
  assert.deepEqual(cfg.dkimKeys, [
    { domain: 'shop.example', selector: 'r1', algorithm: 'rsa-sha256', path: '/k/r.pem' },
    { domain: 'shop.example', selector: 'e1.2025', algorithm: 'ed25519-sha256', path: 'C:/keys/e.pem' },
  ]);
  const err = problemsOf({ DKIM_KEYS: 'not a domain:s:rsa:/k.pem, shop.example:_bad:rsa:/k.pem, shop.example:s:rsa:' });
  assert.equal(err.problems.length, 3);
  assert.match(err.message, /domain "not a domain" is not a domain name/);
  assert.match(err.message, /selector "_bad" is not a valid selector/);
  assert.match(err.message, /no key file path/);
});

test('every variable has a unit, a documented default that parses, and a unique name', () => {
  for (const s of specs) {
    assert.ok(s.doc.length > 10, `${s.env} has a doc`);
    assert.ok(s.unit.length > 0, `${s.env} has a unit`);
    assert.ok(s.schema.safeParse(s.default).success, `${s.env} default parses`);
  }
  assert.equal(new Set(specs.map((s) => s.env)).size, specs.length);
  assert.equal(new Set(specs.map((s) => s.key)).size, specs.length);
});
