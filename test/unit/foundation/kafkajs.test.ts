import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { runInThisContext } from 'node:vm';
import kafkajs, { batchByRef, int32Murmur, linearGrouping, murmur2, nativeCrc, pooledEncoders, quietQueues,
  wakeableSleep, wakeIdleFetches }
  from '../../../src/lib/kafkajs.js';

const require = createRequire(import.meta.url);
// kafkajs's own JS CRC-32C (signed), the reference the native one must match
const jsCrc = require('kafkajs/src/protocol/recordBatch/crc32C/crc32C.js') as (b: Buffer) => number;
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as
  { RecordBatch: (o: object) => Promise<{ buffer: Buffer }> };
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (o: object) => unknown;

test('record batches carry the native CRC-32C, equal to kafkajs\'s own, over records of every size', async () => {
  assert.equal(nativeCrc, true, 'kafkajs was loaded through src/lib/kafkajs.ts');
  assert.equal(typeof kafkajs.Kafka, 'function');
  for (const size of [0, 1, 100, 511, 512, 4096, 30000, 300000]) {
    const value = randomBytes(size);
    const records = [Record({ key: Buffer.from('k'), value, headers: { h: 'v' } }), Record({ offsetDelta: 1, value: randomBytes(7) })];
    const out = (await RecordBatch({ records, firstTimestamp: 1, maxTimestamp: 2, lastOffsetDelta: 1 })).buffer;
    // FirstOffset int64, Length int32, PartitionLeaderEpoch int32, Magic int8, CRC uint32, then the body it covers
    assert.equal(out.readInt32BE(8), out.length - 12, 'the batch length covers the rest');
    assert.equal(out.readUInt32BE(17), jsCrc(out.subarray(21)) >>> 0, `CRC of a batch with a ${size}-byte record`);
    assert.ok(out.subarray(21).includes(value), 'the record bytes are in the batch unchanged');
  }
});

test('a record batch keeps large values by reference: nothing joins them before the request is written', async () => {
  assert.equal(batchByRef, true, 'produce requests take the record batch of src/lib/kafkajs.ts');
  const values = [randomBytes(30000), randomBytes(5000)];
  const records = values.map((value, i) => Record({ offsetDelta: i, value }));
  const batch = await RecordBatch({ records, firstTimestamp: 1, maxTimestamp: 1, lastOffsetDelta: 1 }) as
    { buffer: Buffer; refs?: Array<number | Buffer>; joined?: Buffer };
  assert.deepEqual(batch.refs?.filter((r) => Buffer.isBuffer(r)), values, 'the values themselves, not copies');
  assert.equal(batch.joined, undefined);
  const out = batch.buffer;
  assert.equal(out.readUInt32BE(17), jsCrc(out.subarray(21)) >>> 0, 'the CRC over the pieces is the CRC of the bytes');
});

test('no module but src/lib/kafkajs.ts loads kafkajs itself (types only elsewhere), so the patch always comes first', () => {
  const src = join(import.meta.dirname, '../../../src');
  const files = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  const direct = files.filter((f) => f !== join('lib', 'kafkajs.ts')
    && /^import (?!type )[^;]*from 'kafkajs';/m.test(readFileSync(join(src, f), 'utf8')));
  assert.deepEqual(direct, []);
});

test('keys hash as kafkajs\'s own Java-compatible murmur2 does, so every key keeps its partition', () => {
  assert.equal(int32Murmur, true, 'the default partitioner uses the 32-bit murmur2');
  // kafkajs's original, compiled apart from the module cache that src/lib/kafkajs.ts seeded
  const file = require.resolve('kafkajs/src/producer/partitioners/default/murmur2.js');
  const module = { exports: {} as (k: Buffer | string) => number };
  runInThisContext(`(function (require, module) {${readFileSync(file, 'utf8')}\n})`)(createRequire(file), module);
  const original = module.exports;
  const keys: Array<Buffer | string> = ['', 'a', 'ab', 'abc', 'abcd', 'tenant:job-1', 'gmail.com#3', 'ünïcødé ✓'];
  for (let n = 0; n < 2000; n++) keys.push(randomBytes(n % 67), `t${n}:user${n * 7919}@dest${n % 50}.example`);
  for (const k of keys) assert.equal(murmur2(k), original(k), `murmur2 of ${JSON.stringify(String(k))}`);
  // the Java client's own figures (Kafka's UtilsTest)
  const java = { '21': -973932308, foobar: -790332482, 'a-little-bit-long-string': -985981536,
    'a-little-bit-longer-string': -1486304829, lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8: -58897971,
    abc: 479470107 };
  for (const [k, h] of Object.entries(java)) assert.equal(murmur2(k), h, k);
  // the partition the producer picks for a key: DefaultPartitioner keys by the positive hash modulo partitions
  const pick = kafkajs.Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: 12 }, (_, i) => ({ partitionId: i, leader: 1 }));
  for (const k of keys.slice(0, 200)) {
    const partition = pick({ topic: 't', partitionMetadata, message: { key: k, value: null } } as never);
    assert.equal(partition, (original(k) & 0x7fffffff) % 12);
  }
});

test('produce requests are byte for byte what kafkajs itself encodes, large values by reference or not', async () => {
  const requestPath = 'kafkajs/src/protocol/request.js';
  const producePath = 'kafkajs/src/protocol/requests/produce/v3/request.js';
  const patched = { request: require(requestPath), produce: require(producePath) };
  // kafkajs's own protocol modules, loaded afresh from disk apart from the patched ones, then the cache put back
  const dir = join(require.resolve('kafkajs/src/protocol/encoder.js'), '..');
  const saved = Object.entries(require.cache).filter(([id]) => id.startsWith(dir));
  for (const [id] of saved) delete require.cache[id];
  let original: typeof patched;
  try {
    original = { request: require(requestPath), produce: require(producePath) };
  } finally {
    for (const id of Object.keys(require.cache)) if (id.startsWith(dir)) delete require.cache[id];
    for (const [id, m] of saved) require.cache[id] = m;
  }
  assert.notEqual(original.produce, patched.produce);
  const sizes = [0, 1, 100, 4095, 4096, 4097, 30000, 300000];
  const messages = (p: number) => sizes.map((n, i) => ({
    key: i % 2 ? Buffer.from(`k${p}.${i}`) : null, value: randomBytes(n),
    headers: i % 3 ? { trace: `t${i}`, big: randomBytes(i * 1000) } : undefined, timestamp: 1_700_000_000_000 + i,
  }));
  const topicData = [
    { topic: 'rendered', partitions: [{ partition: 0, messages: messages(0) }, { partition: 7, messages: messages(7) }]
    },
    { topic: 'events', partitions: [{ partition: 3, messages: [{ key: 'j', value: randomBytes(60), timestamp: 1 }] }] },
  ];
  const wire = async (m: typeof patched): Promise<Buffer> => {
    const produce = m.produce({ acks: -1, timeout: 30000, compression: 0, topicData });
    const request = { ...produce, apiKey: 0, apiVersion: 3 };
    const encoded = await m.request({ correlationId: 9, clientId: 'mailstream', request });
    assert.equal(encoded.size(), encoded.buffer.length);
    return encoded.buffer;
  };
  const [ours, theirs] = [await wire(patched), await wire(original)];
  assert.equal(ours.length, theirs.length);
  assert.ok(ours.equals(theirs), 'the same request bytes');
});

test('kafkajs\'s sleep (an idle consumer\'s wait for a resumed partition) ends early on wakeIdleFetches', async () => {
  assert.equal(wakeableSleep, true, 'kafkajs sleeps in the wakeable sleep');
  const sleep = require('kafkajs/src/utils/sleep.js') as (ms: number) => Promise<void>;
  const started = Date.now();
  const slept = sleep(60_000);
  setImmediate(wakeIdleFetches);
  await slept;
  assert.ok(Date.now() - started < 5000, 'woken long before its 60 s');
  const t0 = Date.now();
  await sleep(20);
  assert.ok(Date.now() - t0 >= 15, 'unwoken, a sleep lasts its time');
});

/** A kafkajs module as kafkajs ships it: loaded afresh from disk apart from the patched cache, the cache put back. */
function pristine<T>(path: string): T {
  const dir = join(require.resolve('kafkajs/package.json'), '..');
  const saved = Object.entries(require.cache).filter(([id]) => id.startsWith(dir));
  for (const [id] of saved) delete require.cache[id];
  try { return require(path) as T; } finally {
    for (const id of Object.keys(require.cache)) if (id.startsWith(dir)) delete require.cache[id];
    for (const [id, m] of saved) require.cache[id] = m;
  }
}

test('varints and varlongs are the bytes kafkajs writes, at every edge and for Longs and strings', () => {
  type Enc = { writeVarInt(v: unknown): Enc; writeUVarInt(v: unknown): Enc; writeVarLong(v: unknown): Enc;
    buffer: Buffer };
  const Patched = require('kafkajs/src/protocol/encoder.js') as new () => Enc;
  const Original = pristine<new () => Enc>('kafkajs/src/protocol/encoder.js');
  assert.notEqual(Patched, Original);
  assert.equal(pooledEncoders, true, 'kafkajs makes its encoders from the pooled class');
  const Long = require('long') as { fromString(s: string): unknown };
  const ints = [0, 1, -1, 63, -64, 64, 127, 128, 255, 16383, 16384, 2 ** 20, 2 ** 28, 2 ** 30 - 1, 2 ** 30, -(2 ** 30),
    -(2 ** 30) - 1, 2 ** 31 - 1, -(2 ** 31), 1_700_000_000_000, -1_700_000_000_000, 2 ** 53 - 1];
  for (let i = 0; i < 2000; i++) ints.push(Math.floor((Math.random() - 0.5) * 2 ** (1 + (i % 52))));
  for (const v of ints) {
    const longs = [v, String(v), Long.fromString(String(v))];
    for (const l of longs) {
      const [ours, theirs] = [new Patched().writeVarLong(l).buffer, new Original().writeVarLong(l).buffer];
      assert.ok(ours.equals(theirs), `varlong ${typeof l} ${v}`);
    }
    for (const l of longs) {
      const size = (E: unknown) => (E as { sizeOfVarLong(x: unknown): number }).sizeOfVarLong(l);
      assert.equal(size(Patched), size(Original), `size of varlong ${typeof l} ${v}`);
    }
    if (Math.abs(v) > 2 ** 31) continue;
    assert.ok(new Patched().writeVarInt(v).buffer.equals(new Original().writeVarInt(v).buffer), `varint ${v}`);
    assert.ok(new Patched().writeUVarInt(v).buffer.equals(new Original().writeUVarInt(v).buffer), `uvarint ${v}`);
  }
});

test('a send is grouped by partition as kafkajs groups it, each partition\'s messages in their order', () => {
  assert.equal(linearGrouping, true, 'kafkajs groups with the linear grouping');
  type Group = (a: object) => Record<number, unknown[]>;
  const ours = require('kafkajs/src/producer/groupMessagesPerPartition.js') as Group;
  const theirs = pristine<Group>('kafkajs/src/producer/groupMessagesPerPartition.js');
  const partitionMetadata = Array.from({ length: 6 }, (_, i) => ({ partitionId: i, leader: 1 }));
  const messages = Array.from({ length: 500 }, (_, i) => ({ key: `k${i % 37}`, value: `v${i}` }));
  const partitioner = ({ message }: { message: { key: string } }) => (murmur2(message.key) & 0x7fffffff) % 6;
  const args = { topic: 't', partitionMetadata, messages, partitioner };
  assert.deepEqual(ours(args), theirs(args));
  assert.deepEqual(ours({ ...args, partitionMetadata: [] }), theirs({ ...args, partitionMetadata: [] }));
});

test('an idle request queue arms no timer; one with a request waiting, or throttled, checks again', async () => {
  assert.equal(quietQueues, true, 'kafkajs request queues schedule through src/lib/kafkajs.ts');
  const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as new (o: object) => {
    pending: unknown[]; throttledUntil: number; throttleCheckTimeoutId: NodeJS.Timeout | null;
    inflight: Map<number, unknown>; scheduleCheckPendingRequests(): void; checkPendingRequests(): void };
  const logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
  const q = new RequestQueue({ maxInFlightRequests: 1, requestTimeout: 1000, enforceRequestTimeout: false,
    clientId: 't', broker: 'b:1', logger });
  // what every fulfilled request does: check, send nothing, schedule the next check (kafkajs: in 1 ms, forever)
  q.checkPendingRequests();
  assert.equal(q.throttleCheckTimeoutId, null, 'nothing pending, no throttle: no timer');
  let sent = 0;
  q.inflight.set(1, {});
  q.pending.push({ send: () => { sent++; }, expectResponse: true, correlationId: 2 });
  q.scheduleCheckPendingRequests();
  assert.notEqual(q.throttleCheckTimeoutId, null, 'a waiting request is looked at again');
  q.inflight.clear();
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(sent, 1, 'and sent once the in-flight slot is free');
  assert.equal(q.throttleCheckTimeoutId, null);
  q.throttledUntil = Date.now() + 30;
  q.scheduleCheckPendingRequests();
  assert.notEqual(q.throttleCheckTimeoutId, null, 'a throttle is waited out');
  clearTimeout(q.throttleCheckTimeoutId!);
});
