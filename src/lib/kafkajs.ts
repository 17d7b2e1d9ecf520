/**
 * kafkajs, with its produce path's two hot spots replaced (each was about a tenth of the renderer's CPU): the record
 * batch CRC-32C is computed natively (@node-rs/crc32, SIMD) instead of one table lookup per byte in JS, and the
 * protocol encoder grows its buffers without zero-filling them (it writes every byte it exposes). Import kafkajs's
 * values from here, never from 'kafkajs' itself, so the patch is in place before kafkajs is first loaded.
 */
import { createRequire } from 'node:module';
import { crc32c } from '@node-rs/crc32';

const require = createRequire(import.meta.url);
const crcModule = require.resolve('kafkajs/src/protocol/recordBatch/crc32C/index.js');
// the record batch encoder binds its CRC function when first required: seed the module cache before kafkajs loads
if (!require.cache[crcModule]) require.cache[crcModule] = { id: crcModule, filename: crcModule, loaded: true, exports: crc32c } as never;
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

export default kafkajs;
