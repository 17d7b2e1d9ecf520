import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig, specs } from '../../../src/config/index.js';
import { ConfigError } from '../../../src/lib/errors.js';

test('defaults load, typed and frozen', () => {
  const cfg = loadConfig({});
  assert.deepEqual(cfg.kafkaBrokers, ['127.0.0.1:9092']);
  assert.equal(cfg.smtpRelayPort, 1025);
  assert.ok(Object.isFrozen(cfg) && Object.isFrozen(cfg.kafkaBrokers));
});

test('every problem is reported at once, naming each variable', () => {
  const err = (() => { try { loadConfig({ KAFKA_BROKERS: 'nohostport', SMTP_RELAY_PORT: 'abc', CLICKHOUSE_URL: 'ftp://x', LOG_LEVEL: 'loud' }); } catch (e) { return e; } })();
  assert.ok(err instanceof ConfigError);
  assert.equal(err.problems.length, 4);
  for (const name of ['KAFKA_BROKERS', 'SMTP_RELAY_PORT', 'CLICKHOUSE_URL', 'LOG_LEVEL']) assert.match(err.message, new RegExp(name));
  assert.equal(err.retriable, false);
});

test('every variable has a documented default that parses', () => {
  for (const s of specs) {
    assert.ok(s.doc.length > 10, `${s.env} has a doc`);
    assert.ok(s.parse(s.default).ok, `${s.env} default parses`);
  }
});
