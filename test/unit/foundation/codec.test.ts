import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { createCodec } from '../../../src/lib/codec.js';
import { topic } from '../../../src/topics/runtime.js';

// the registry answers only our own schema's ID here: encode/decode is pure once the ID is known
const registry = { getRegistryIdBySchema: async () => 4242, getSchema: async () => { throw new Error('unknown id'); } };

test('records of every size encode once into the wire format (magic 0, schema ID, Avro body) and decode back', async () => {
  const t = topic('codec-test.', 'rendered');
  const codec = await createCodec<Record<string, unknown>>(registry as unknown as SchemaRegistry, t);
  const sample = (size: number): Record<string, unknown> => {
    const v = t.type.random() as unknown as Record<string, unknown>;
    // the largest bytes or string field carries the size: far past the scratch buffer's first 16 KB
    const key = Object.keys(v).find((k) => Buffer.isBuffer(v[k])) ?? Object.keys(v).find((k) => typeof v[k] === 'string')!;
    v[key] = Buffer.isBuffer(v[key]) ? Buffer.alloc(size, 0x61) : 'a'.repeat(size);
    return v;
  };
  const values = [10, 20000, 100, 300000, 5].map(sample);
  const encoded = values.map((v) => codec.encode(v));
  encoded.forEach((buf, i) => {
    assert.equal(buf[0], 0);
    assert.equal(buf.readInt32BE(1), 4242);
    assert.deepEqual(buf.subarray(5), t.type.toBuffer(values[i]), 'the body is what avsc writes');
    assert.deepEqual(codec.decode(buf), values[i], `record ${i} decodes to what was encoded`);
  });
  assert.deepEqual(await codec.decode(encoded[1]!), t.type.fromBuffer(t.type.toBuffer(values[1])),
    'an earlier record is not overwritten by a later, larger one');
});

test('encodeView gives the same bytes as encode, in scratch that the next encode reuses', async () => {
  const t = topic('codec-test.', 'rendered');
  const codec = await createCodec<Record<string, unknown>>(registry as unknown as SchemaRegistry, t);
  const a = t.type.random() as unknown as Record<string, unknown>;
  const b = t.type.random() as unknown as Record<string, unknown>;
  const view = codec.encodeView(a);
  const copy = Buffer.from(view);
  assert.deepEqual(copy, codec.encode(a));
  codec.encodeView(b);
  assert.deepEqual(codec.decode(copy), a);
  assert.equal(view.buffer, codec.encodeView(b).buffer, 'one scratch for every view: a view must be used at once');
});

test('a large bytes field is a copy of what was decoded, or a view of it when the caller owns the buffer', async () => {
  const t = topic('codec-test.', 'rendered');
  const codec = await createCodec<Record<string, unknown>>(registry as unknown as SchemaRegistry, t);
  const v = t.type.random() as unknown as Record<string, unknown>;
  const key = Object.keys(v).find((k) => Buffer.isBuffer(v[k]))!;
  v[key] = Buffer.alloc(30000, 0x62);
  const small = t.type.clone(v) as Record<string, unknown>;
  small[key] = Buffer.from('tiny');
  const buf = codec.encode(v);
  const copied = (await codec.decode(buf)) as Record<string, Buffer>;
  const viewed = (await codec.decode(buf, true)) as Record<string, Buffer>;
  assert.deepEqual(copied, v);
  assert.deepEqual(viewed, v);
  assert.equal(viewed[key]!.buffer, buf.buffer, 'owned: the field is a view of the decoded buffer');
  assert.notEqual(copied[key]!.buffer, buf.buffer);
  // a buffer the caller shares (a fetch response) is neither pinned nor seen through by the decoded record
  buf.fill(0);
  assert.equal(copied[key]!.every((b) => b === 0x62), true);
  assert.deepEqual(await codec.decode(codec.encode(small), true), small, 'small fields decode as before');
});
