import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSealed, metaOf, open, seal, type EnvelopeMeta } from '../../../src/lib/envelope.js';
import { localKeyProvider, rotateKekFile } from '../../../src/lib/key-provider.js';

const meta: EnvelopeMeta = { k: 'acme:job1', j: 'job1', t: 'acme', c: null, s: 'payload', r: [1, 2] };

test('a sealed value opens with its data key, shows only its metadata, and fails closed when altered or wrong-keyed', () => {
  const dek = randomBytes(32);
  const plain = Buffer.from('\u0000\u0000\u0000\u0000\u0001alice@example.com Dear Alice');
  const sealed = seal(dek, meta, plain);
  assert.ok(isSealed(sealed));
  assert.ok(!sealed.includes(Buffer.from('alice@example.com')));
  assert.deepEqual(metaOf(sealed), meta);
  assert.deepEqual(open(dek, sealed), plain);
  assert.throws(() => open(randomBytes(32), sealed), { code: 'MS_ERR_DECRYPT' });
  const tampered = Buffer.from(sealed);
  tampered[tampered.indexOf(Buffer.from('"r":[1,2]')) + 6] = 0x39; // a row number changed in the clear metadata
  assert.throws(() => open(dek, tampered), { code: 'MS_ERR_DECRYPT' });
  assert.ok(!isSealed(Buffer.from([0, 0, 0, 0, 1, 2])), 'Confluent Avro values are not sealed');
});

test('the local provider: the newest KEK wraps, every KEK in the file unwraps, the context is bound', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'kek-')), 'kek.json');
  assert.throws(() => localKeyProvider(path), { code: 'MS_ERR_CONFIG' });
  const p = localKeyProvider(path, true);
  assert.equal(statSync(path).mode & 0o777, 0o600, 'the key file is readable by its owner only');
  const dek = randomBytes(32);
  const first = await p.wrap(dek, 'acme:job1');
  const second = rotateKekFile(path, new Date(Date.now() + 1000));
  const next = await p.wrap(dek, 'acme:job2');
  assert.equal(next.kekId, second, 'the provider re-reads the file after a rotation');
  assert.notEqual(first.kekId, second);
  assert.deepEqual(await p.unwrap(first.kekId, first.wrapped, 'acme:job1'), dek, 'the older KEK still unwraps');
  assert.deepEqual(await p.unwrap(next.kekId, next.wrapped, 'acme:job2'), dek);
  await assert.rejects(p.unwrap(first.kekId, first.wrapped, 'acme:job2'), { code: 'MS_ERR_DECRYPT' });
  await assert.rejects(p.unwrap('kek-gone', first.wrapped, 'acme:job1'), { code: 'MS_ERR_KEK_UNAVAILABLE' });
  assert.equal(JSON.parse(readFileSync(path, 'utf8')).keys.length, 2);
});

test('IVs from the random block never repeat across its refills, and every value opens', () => {
  const dek = randomBytes(32);
  const ivs = new Set<string>();
  const plain = Buffer.from('hello');
  for (let i = 0; i < 1500; i++) {
    const sealed = seal(dek, meta, plain);
    const end = 5 + sealed.readUInt32BE(1);
    ivs.add(sealed.subarray(end, end + 12).toString('hex'));
    assert.deepEqual(open(dek, sealed), plain);
  }
  assert.equal(ivs.size, 1500);
});
