import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keyFromHeader } from '../../../src/producers/api/auth.js';
import { ApiError } from '../../../src/producers/api/errors.js';
import { fromString, mapRecipients, parseTransmission, toProducerRequest } from '../../../src/producers/api/transmission.js';

const content = { from: { email: 'news@shop.example', name: 'Shop "North"' }, subject: 's', html: '<p>h</p>' };
const sparkCode = (code: string) => (err: unknown) => err instanceof ApiError && err.sparkpost.code === code;

test('one recipient or transactional goes to the priority lane, more recipients to a bulk job; tracking defaults on', () => {
  const one = parseTransmission({ recipients: [{ address: 'a@dest.example' }], content });
  const { accepted } = mapRecipients(one.recipients as never);
  const p = toProducerRequest(one, 'acme', 'j1', accepted);
  assert.equal(p.lane, 'priority');
  assert.equal(p.request.kind, 'bulk');
  assert.deepEqual((p.request.options as Record<string, unknown>).openTracking, true);
  const many = parseTransmission({ recipients: [{ address: 'a@dest.example' }, { address: 'b@dest.example' }], content });
  const bulk = toProducerRequest(many, 'acme', 'j2', mapRecipients(many.recipients as never).accepted);
  assert.equal(bulk.lane, 'bulk');
  assert.equal((bulk.request.audience as { format: string }).format, 'recipients');
  const tx = parseTransmission({ ...many, options: { transactional: true, open_tracking: false } });
  const t = toProducerRequest(tx, 'acme', 'j3', mapRecipients(tx.recipients as never).accepted);
  assert.deepEqual([t.lane, t.request.kind, (t.request.options as { openTracking: boolean }).openTracking], ['priority', 'transactional', false]);
});

test('recipients: name, substitution data and metadata carried; bad addresses rejected one by one with 2000', () => {
  const { accepted, rejected } = mapRecipients([
    { address: { email: 'Ann@Dest.example', name: 'Ann' }, substitution_data: { a: 1 }, metadata: { m: 2 } },
    { address: 'nope' },
  ]);
  assert.deepEqual(accepted, [{ email: 'Ann@dest.example', name: 'Ann', data: { a: 1 }, metadata: { m: 2 } }]);
  assert.deepEqual(rejected.map((r) => [r.index, r.code]), [[1, '2000']]);
});

test('From as an object becomes a quoted mailbox; a name with a line break is refused', () => {
  assert.equal(fromString(content.from), '"Shop \\"North\\"" <news@shop.example>');
  assert.equal(fromString('a@b.example'), 'a@b.example');
  assert.throws(() => parseTransmission({ recipients: [{ address: { email: 'a@dest.example', name: 'x\r\nBcc: y' } }], content }), sparkCode('1300'));
});

test('missing fields are 1400, wrong ones 1300; email_rfc822 stands for the whole content', () => {
  assert.throws(() => parseTransmission({ content }), sparkCode('1400'));
  assert.throws(() => parseTransmission({ recipients: [{}], content }), sparkCode('1400'));
  assert.throws(() => parseTransmission({ recipients: 'x', content }), sparkCode('1300'));
  const raw = parseTransmission({ recipients: [{ address: 'a@dest.example' }], content: { email_rfc822: 'From: a@shop.example\r\n\r\nhi' } });
  assert.deepEqual(toProducerRequest(raw, 'acme', 'j', mapRecipients(raw.recipients as never).accepted).request.content,
    { rfc822: 'From: a@shop.example\r\n\r\nhi' }, 'email_rfc822 needs no from, subject or body fields');
  const t = parseTransmission({ recipients: [{ address: 'a@dest.example' }, { address: 'b@dest.example' }],
    content: { ...content, attachments: [{ name: 'a.txt', type: 'text/plain', data: 'eA==' }] } });
  assert.throws(() => toProducerRequest(t, 'acme', 'j', mapRecipients(t.recipients as never).accepted), sparkCode('1300'));
});

test('Authorization: the raw key, or Basic with the key as user and an empty password', () => {
  assert.equal(keyFromHeader('abc123'), 'abc123');
  assert.equal(keyFromHeader(`Basic ${Buffer.from('abc123:').toString('base64')}`), 'abc123');
  assert.equal(keyFromHeader(undefined), undefined);
  assert.equal(keyFromHeader(`Basic ${Buffer.from(':pw').toString('base64')}`), undefined);
});
