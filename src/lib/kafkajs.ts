/**
 * kafkajs, with its produce path's two hot spots replaced (each was about a tenth of the renderer's CPU): the record
 * batch CRC-32C is computed natively (@node-rs/crc32, SIMD) instead of one table lookup per byte in JS, and the
 * protocol encoder grows its buffers without zero-filling them (it writes every byte it exposes) and keeps large
 * values by reference instead of copying them at every level (about a fifth of the renderer's CPU). The partitioner's
 * murmur2 runs in 32-bit integer arithmetic instead of kafkajs's emulated 64-bit Longs (same hash, ~3% of the sender's
 * CPU). Import kafkajs's values from here, never from 'kafkajs' itself, so the patch is in place before kafkajs is
 * first loaded.
 */
import { createRequire } from 'node:module';
import { crc32c } from '@node-rs/crc32';

const require = createRequire(import.meta.url);
// kafkajs binds these functions when its modules are first required: seed the module cache before kafkajs loads
function seed(path: string, exports: unknown): string {
  const id = require.resolve(path);
  if (!require.cache[id]) require.cache[id] = { id, filename: id, loaded: true, exports } as never;
  return id;
}
const crcModule = seed('kafkajs/src/protocol/recordBatch/crc32C/index.js', crc32c);

/** Kafka's murmur2 key hash (the Java client's `Utils.murmur2`), as a signed 32-bit integer. */
export function murmur2(key: Buffer | string): number {
  const data = Buffer.isBuffer(key) ? key : Buffer.from(String(key));
  const len = data.length;
  const m = 0x5bd1e995;
  const whole = len & ~3;
  let h = 0x9747b28c ^ len;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    h = Math.imul(h, m) ^ Math.imul(k, m);
  }
  const tail = len & 3;
  if (tail === 3) h ^= data[whole + 2]! << 16;
  if (tail >= 2) h ^= data[whole + 1]! << 8;
  if (tail >= 1) h = Math.imul(h ^ data[whole]!, m);
  h ^= h >>> 13;
  h = Math.imul(h, m);
  return h ^ (h >>> 15);
}

const murmurModule = seed('kafkajs/src/producer/partitioners/default/murmur2.js', murmur2);

// A consumer whose partitions are all paused sleeps its whole maxWaitTime before it looks again, and resume() does
// not cut that short: a lane that drained to half then sat idle for up to 100 ms (the sender at 0 in flight). The
// sleep kafkajs shares (that idle wait and the admin's polling) ends early on `wakeIdleFetches`.
const sleepers = new Set<() => void>();
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => { clearTimeout(timer); sleepers.delete(done); resolve(); };
    const timer = setTimeout(done, ms);
    sleepers.add(done);
  });
}
const sleepModule = seed('kafkajs/src/utils/sleep.js', sleep);
/** End kafkajs's current sleeps now: a partition was resumed, so an idle consumer fetches at once. */
export function wakeIdleFetches(): void { for (const wake of [...sleepers]) wake(); }

// kafkajs groups a send's messages by partition copying each partition's array at every message (quadratic in the
// messages of one send, ~5% of the sender's heap allocation); the same grouping, in order, appending
function groupMessagesPerPartition({ topic, partitionMetadata, messages, partitioner }: { topic: string;
  partitionMetadata: unknown[]; messages: unknown[]; partitioner(a: object): number }): Record<number, unknown[]> {
  const out: Record<number, unknown[]> = {};
  if (partitionMetadata.length === 0) return out;
  for (const message of messages) (out[partitioner({ topic, partitionMetadata, message })] ??= []).push(message);
  return out;
}
const groupModule = seed('kafkajs/src/producer/groupMessagesPerPartition.js', groupMessagesPerPartition);
// kafkajs zero-fills a fresh 512-byte buffer for each encoder it makes, several per record; taken from Node's pool
// instead, unfilled (an encoder exposes only bytes it wrote). Its own modules take the class when they first load.
const encoderId = require.resolve('kafkajs/src/protocol/encoder.js');
const wasLoaded = Boolean(require.cache[encoderId]);
type EncoderClass = new (initialSize?: number) => { buf: Buffer };
const BaseEncoder = require(encoderId) as EncoderClass
  & { nextPowerOfTwo(n: number): number; sizeOfVarLong(v: unknown): number };
class PooledEncoder extends BaseEncoder {
  constructor(initialSize = 511) {
    super(0); // a one-byte buffer, replaced at once
    this.buf = Buffer.allocUnsafe(BaseEncoder.nextPowerOfTwo(initialSize));
  }

  /** A record's timestamp delta, sized without kafkajs's Long objects when it is a small integer (as writeVarLong). */
  static override sizeOfVarLong(value: unknown): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < -0x40000000 || value >= 0x40000000) {
      return BaseEncoder.sizeOfVarLong(value);
    }
    let z = ((value << 1) ^ (value >> 31)) >>> 0;
    let n = 1;
    while (z > 0x7f) { n++; z >>>= 7; }
    return n;
  }
}
require.cache[encoderId]!.exports = PooledEncoder;
const kafkajs = require('kafkajs') as typeof import('kafkajs');

// kafkajs copies a record's value into each encoder it nests in (record, batch body, batch, partition, topic,
// request), growing every one by doubling: about ten copies of a 29 KB rendered message. Values of BY_REF bytes or
// more are kept by reference instead ([inline offset, buffer] pairs in `refs`), and joined when kafkajs asks for
// `buffer`: for the batch CRC, the batch's length-prefixed bytes and the socket write. A joined encoder nests as one
// reference, so three copies.
const BY_REF = 4096;
interface EncoderLike {
  offset: number; buf: Buffer;
  /** Values kept by reference: [inline offset they sit at, value] pairs, in order. */
  refs?: Array<number | Buffer>;
  /** Bytes in `refs`. */
  refBytes?: number;
  /** `buffer` as last joined. */
  joined?: Buffer;
}
type EncoderProto = EncoderLike & { ensureAvailable(n: number): void; writeEncoder(e: EncoderLike): EncoderProto;
  writeUVarInt(v: number): EncoderProto; writeVarLong(v: unknown): EncoderProto;
  writeEncoderArray(es: EncoderLike[]): EncoderProto; writeBufferInternal(b: Buffer): void; size(): number };
const Encoder = require('kafkajs/src/protocol/encoder.js') as
  { prototype: EncoderProto; nextPowerOfTwo(n: number): number };
const proto = Encoder.prototype;
proto.ensureAvailable = function ensureAvailable(this: EncoderLike, length: number): void {
  if (this.offset + length <= this.buf.length) return;
  const grown = Buffer.allocUnsafe(Encoder.nextPowerOfTwo(this.offset + length));
  this.buf.copy(grown, 0, 0, this.offset);
  this.buf = grown;
};
function copyIn(e: EncoderProto, b: Buffer, from: number, to: number): void {
  e.ensureAvailable(to - from);
  e.offset += b.copy(e.buf, e.offset, from, to);
}
function keep(e: EncoderLike, at: number, b: Buffer): void {
  (e.refs ??= []).push(at, b);
  e.refBytes = (e.refBytes ?? 0) + b.length;
}
proto.writeBufferInternal = function writeBufferInternal(this: EncoderProto, b: Buffer): void {
  if (b.length >= BY_REF) keep(this, this.offset, b);
  else copyIn(this, b, 0, b.length);
};
function nest(e: EncoderProto, child: EncoderLike): void {
  if (!child.refs) { copyIn(e, child.buf, 0, child.offset); return; }
  const size = child.offset + child.refBytes!;
  if (child.joined?.length === size) { e.writeBufferInternal(child.joined); return; }
  const base = e.offset;
  for (let i = 0; i < child.refs.length; i += 2) {
    keep(e, base + (child.refs[i] as number), child.refs[i + 1] as Buffer);
  }
  copyIn(e, child.buf, 0, child.offset);
}
proto.writeEncoder = function writeEncoder(this: EncoderProto, value: EncoderLike): EncoderProto {
  if (value == null || !Buffer.isBuffer(value.buf)) throw new Error('value should be an instance of Encoder');
  nest(this, value);
  return this;
};
proto.writeEncoderArray = function writeEncoderArray(this: EncoderProto, values: EncoderLike[]): EncoderProto {
  if (!Array.isArray(values) || values.some((v) => v == null || !Buffer.isBuffer(v.buf))) {
    throw new Error('all values should be an instance of Encoder[]');
  }
  for (const v of values) nest(this, v);
  return this;
};
proto.size = function size(this: EncoderLike): number { return this.offset + (this.refBytes ?? 0); };
// kafkajs builds each varint in an array and copies it in through Buffer.from, a varlong through Long objects: a
// tenth of the sender's heap allocation (several per record). Written into the buffer directly, same bytes (LEB128).
proto.writeUVarInt = function writeUVarInt(this: EncoderProto, value: number): EncoderProto {
  this.ensureAvailable(5);
  let v = value >>> 0;
  while (v > 0x7f) { this.buf[this.offset++] = (v & 0x7f) | 0x80; v >>>= 7; }
  this.buf[this.offset++] = v;
  return this;
};
const writeVarLong = proto.writeVarLong;
proto.writeVarLong = function (this: EncoderProto, value: unknown): EncoderProto {
  // a small integer's 64-bit zigzag equals its 32-bit one; anything else (a Long, a string, a large number) as kafkajs
  if (typeof value === 'number' && Number.isInteger(value) && value >= -0x40000000 && value < 0x40000000) {
    return this.writeUVarInt((value << 1) ^ (value >> 31));
  }
  return writeVarLong.call(this, value);
};
Object.defineProperty(proto, 'buffer', {
  configurable: true,
  get(this: EncoderLike): Buffer {
    if (!this.refs) return this.buf.subarray(0, this.offset);
    const size = this.offset + this.refBytes!;
    if (this.joined?.length === size) return this.joined; // every write makes the encoder longer
    const out = Buffer.allocUnsafe(size);
    let o = 0, from = 0;
    for (let i = 0; i < this.refs.length; i += 2) {
      const at = this.refs[i] as number;
      o += this.buf.copy(out, o, from, at);
      o += (this.refs[i + 1] as Buffer).copy(out, o);
      from = at;
    }
    this.buf.copy(out, o, from, this.offset);
    return (this.joined = out);
  },
});

// kafkajs joins a record batch twice before the request does (for its CRC, and to length-prefix it): two more copies of
// every rendered message. The same batch, with the CRC run over the encoder's pieces and the batch nested by reference.
const batchModule = require('kafkajs/src/protocol/recordBatch/v0/index.js') as
  { RecordBatch: (a: RecordBatchArgs) => Promise<EncoderLike>; MAGIC_BYTE: number };
interface RecordBatchArgs {
  compression?: number; firstOffset?: unknown; firstTimestamp?: number; maxTimestamp?: number;
  partitionLeaderEpoch?: number; lastOffsetDelta?: number; transactional?: boolean; producerId?: unknown;
  producerEpoch?: number; firstSequence?: number; records?: EncoderLike[];
}
type Enc = EncoderProto & { writeInt8(v: number): Enc; writeInt16(v: number): Enc; writeInt32(v: number): Enc;
  writeUInt32(v: number): Enc; writeInt64(v: unknown): Enc; writeArray(a: unknown[], type?: string): Enc };
const NewEncoder = Encoder as unknown as new () => Enc;
const Long = require('kafkajs/src/utils/long.js') as { fromInt(n: number): unknown; fromValue(n: number): unknown };
const originalBatch = batchModule.RecordBatch;

/** CRC-32C of an encoder's bytes, inline and by reference, without joining them. */
export function encoderCrc(e: EncoderLike): number {
  if (!e.refs) return crc32c(e.buf.subarray(0, e.offset));
  let crc = 0, from = 0;
  for (let i = 0; i < e.refs.length; i += 2) {
    const at = e.refs[i] as number;
    crc = crc32c(e.buf.subarray(from, at), crc);
    crc = crc32c(e.refs[i + 1] as Buffer, crc);
    from = at;
  }
  return crc32c(e.buf.subarray(from, e.offset), crc);
}

batchModule.RecordBatch = async function RecordBatch(args: RecordBatchArgs): Promise<EncoderLike> {
  const { compression = 0, records = [] } = args;
  if (compression !== 0) return originalBatch(args);
  const body = new NewEncoder()
    .writeInt16(args.transactional ? 16 : 0)
    .writeInt32(args.lastOffsetDelta ?? 0)
    .writeInt64(args.firstTimestamp ?? Date.now())
    .writeInt64(args.maxTimestamp ?? Date.now())
    .writeInt64(args.producerId ?? Long.fromValue(-1))
    .writeInt16(args.producerEpoch ?? 0)
    .writeInt32(args.firstSequence ?? 0);
  body.writeArray(records, records.every((r) => typeof r === typeof records[0]) ? typeof records[0] : undefined);
  const batch = new NewEncoder().writeInt32(args.partitionLeaderEpoch ?? 0).writeInt8(batchModule.MAGIC_BYTE)
    .writeUInt32(encoderCrc(body)).writeEncoder(body) as Enc;
  return new NewEncoder().writeInt64(args.firstOffset ?? Long.fromInt(0)).writeInt32(batch.size()).writeEncoder(batch);
};
// kafkajs 2.2.4's request queue re-arms a timer after every check even with nothing pending and no throttle, at a
// negative delay (1 ms): every broker connection of every client spun 1,000 wake-ups a second (tulios/kafkajs#1556,
// #1704; 56-119 ms of CPU a second per idle worker here). Nothing pending and no throttle: no timer; a push that
// cannot go out at once, and every fulfilled request, check the queue again.
interface QueueLike { pending: unknown[]; throttledUntil: number; throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void }
const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as
  { prototype: QueueLike & { scheduleCheckPendingRequests(): void } };
const spinning = RequestQueue.prototype.scheduleCheckPendingRequests;
function scheduleCheckPendingRequests(this: QueueLike): void {
  if (this.throttleCheckTimeoutId) return;
  const wait = this.throttledUntil - Date.now();
  if (!this.pending.length && wait <= 0) return;
  // a throttle about to end, or requests waiting on the in-flight limit: look again after the same 10 ms as kafkajs
  this.throttleCheckTimeoutId = setTimeout(() => {
    this.throttleCheckTimeoutId = null;
    this.checkPendingRequests();
  }, wait > 0 ? wait : 10);
}
RequestQueue.prototype.scheduleCheckPendingRequests = scheduleCheckPendingRequests;

/** True when produce requests encode record batches as above (the request module takes the function when it loads). */
export const batchByRef = !require.cache[require.resolve('kafkajs/src/protocol/requests/produce/v3/request.js')];

/** True when kafkajs's encoders start from pooled, unfilled buffers. */
export const pooledEncoders = !wasLoaded && require(encoderId) === PooledEncoder;

/** True when record batches get the native CRC (false if kafkajs was loaded before this module). */
export const nativeCrc = require(crcModule) === crc32c;
/** True when the default partitioner hashes with `murmur2` above. */
export const int32Murmur = require(murmurModule) === murmur2;
/** True when kafkajs sleeps in `sleep` above (its idle consumers can be woken). */
export const wakeableSleep = require(sleepModule) === sleep;
/** True when sends are grouped by partition with the linear grouping above. */
export const linearGrouping = require(groupModule) === groupMessagesPerPartition;

/** True when kafkajs's request queues arm a timer only while a request waits or a throttle runs. */
export const quietQueues = RequestQueue.prototype.scheduleCheckPendingRequests !== spinning;

export default kafkajs;
