import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { erasedRecipient, tenantErasureKey } from '../../../src/clickhouse/erase.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

test('an erased address is an HMAC under its tenant\'s key: stable within a tenant, different across tenants and secrets, '
  + 'never its plain SHA-256', () => {
  const a = 'alice@example.test';
  const h = erasedRecipient('s3cret-one', 'acme', a);
  assert.match(h, /^[0-9a-f]{64}$/);
  assert.equal(erasedRecipient('s3cret-one', 'acme', a), h, 'same address, same tenant: same hash');
  assert.equal(h, createHmac('sha256', tenantErasureKey('s3cret-one', 'acme')).update(a).digest('hex'));
  assert.notEqual(erasedRecipient('s3cret-one', 'globex', a), h, 'another tenant hashes it differently');
  assert.notEqual(erasedRecipient('s3cret-two', 'acme', a), h, 'another secret hashes it differently');
  assert.notEqual(h, sha(a), 'a dictionary of plain SHA-256 misses it');
  assert.equal(erasedRecipient('s3cret-one', 'acme', h), h, 'a hash is not hashed again');
  assert.equal(erasedRecipient('s3cret-one', 'acme', ''), '', 'no address stays empty');
});
