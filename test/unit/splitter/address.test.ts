import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateAddress } from '../../../src/consumers/splitter/address.js';

test('valid addresses are accepted with the domain lower-cased', () => {
  assert.deepEqual(validateAddress(' Jane.Doe+x@Example.COM '), { ok: true, email: 'Jane.Doe+x@example.com', domain: 'example.com' });
});

test('invalid addresses are refused with a reason', () => {
  for (const bad of ['', 'plain', '@x.com', 'a@', 'a b@x.com', 'a@localhost', 'a@-x.com', 'a..b@x.com', `${'a'.repeat(65)}@x.com`, 'a@x.com\r\nBcc: y@z.com'])
    assert.equal(validateAddress(bad).ok, false, bad);
});
