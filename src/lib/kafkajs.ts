/**
 * kafkajs, with its produce path's two hot spots replaced (each was about a tenth of the renderer's CPU): the record
 * batch CRC-32C is computed natively (@node-rs/crc32, SIMD) instead of one table lookup per byte in JS, and the
 * protocol encoder grows its buffers without zero-filling them (it writes every byte it exposes). The partitioner's
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
const kafkajs = require('kafkajs') as typeof import('kafkajs');

interface EncoderLike { offset: number; buf: Buffer }
const Encoder = require('kafkajs/src/protocol/encoder.js') as { prototype: EncoderLike & { ensureAvailable(n: number): void };
  nextPowerOfTwo(n: number): number };
Encoder.prototype.ensureAvailable = function ensureAvailable(this: EncoderLike, length: number): void {
  if (this.offset + length <= this.buf.length) return;
  const grown = Buffer.allocUnsafe(Encoder.nextPowerOfTwo(this.offset + length));
  this.buf.copy(grown, 0, 0, this.offset);
  this.buf = grown;
};

/** True when record batches get the native CRC (false if kafkajs was loaded before this module). */
export const nativeCrc = require(crcModule) === crc32c;
/** True when the default partitioner hashes with `murmur2` above. */
export const int32Murmur = require(murmurModule) === murmur2;

export default kafkajs;
