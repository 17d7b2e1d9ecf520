/**
 * Avro serde in the Confluent wire format (magic 0, 4-byte schema ID, Avro body). Encoding uses the
 * registered ID of our schema; decoding resolves any writer schema the registry knows to our reader schema.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Agent } from 'node:https';
import avro from 'avsc';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { MailstreamError } from './errors.js';

// avsc reads every bytes field (a rendered message's body) into a zero-filled buffer: large ones skip the fill
const { Tap } = createRequire(import.meta.url)('avsc/lib/utils.js') as
  { Tap: { prototype: { pos: number; buf: Buffer; readFixed(len: number): Buffer | undefined } } };
const readFixed = Tap.prototype.readFixed;
// set while a codec decodes a buffer its caller owns alone (an opened value): large fields are then views of it
let borrowLarge = false;
Tap.prototype.readFixed = function readLarge(len) {
  if (len < 1024) return readFixed.call(this, len);
  const pos = this.pos;
  this.pos += len;
  if (this.pos > this.buf.length) return undefined;
  if (borrowLarge) return this.buf.subarray(pos, pos + len);
  // its own allocation: one from node's 8 KB pool would start a new pool every other 4 KB message
  const out = Buffer.allocUnsafeSlow(len);
  this.buf.copy(out, 0, pos, pos + len);
  return out;
};

/** Encoder/decoder for one topic's values. */
export interface Codec<T> {
  encode(value: T): Buffer;
  /** The encoding in the codec's scratch: valid only until its next encode, so consume it at once (e.g. seal it). */
  encodeView(value: T): Buffer;
  /** `owned`: nothing else holds or reuses `buf` (a value just opened), so large bytes fields may be views of it. */
  decode(buf: Buffer, owned?: boolean): T | Promise<T>;
}

/** What a codec needs of a topic (a `ResolvedTopic` fits): its value subject, schema and avsc type. */
export interface CodecTopic { subject: string; schema: unknown; type: avro.Type }

/** Registry credentials and TLS (SCHEMA_REGISTRY_USERNAME, _PASSWORD, _CA). */
export interface RegistryAuth { username?: string | undefined; password?: string | undefined; ca?: string | undefined }

/** A registry client for `url`, with basic auth and a CA bundle for https when given. */
export function createRegistry(url: string, auth: RegistryAuth = {}): SchemaRegistry {
  const agent = auth.ca && url.startsWith('https:') ? new Agent({ ca: readFileSync(auth.ca, 'utf8'), keepAlive: true }) : undefined;
  return new SchemaRegistry({
    host: url, ...(auth.username ? { auth: { username: auth.username, password: auth.password ?? '' } } : {}),
    ...(agent ? { agent } : {}),
  }, { forSchemaOptions: { wrapUnions: false } } as never);
}

/** The registry auth of a config. */
export const registryAuthOf = (cfg: { schemaRegistryUsername?: string | undefined; schemaRegistryPassword?: string | undefined;
  schemaRegistryCa?: string | undefined }): RegistryAuth =>
  ({ username: cfg.schemaRegistryUsername, password: cfg.schemaRegistryPassword, ca: cfg.schemaRegistryCa });

/** A codec for `topic`, encoding with the ID our exact schema is registered under (run `mailstream topics apply` first). */
export async function createCodec<T>(registry: SchemaRegistry, topic: CodecTopic): Promise<Codec<T>> {
  let id: number;
  try { id = await registry.getRegistryIdBySchema(topic.subject, { type: SchemaType.AVRO, schema: JSON.stringify(topic.schema) }); }
  catch (err) {
    throw new MailstreamError('MS_ERR_UNAVAILABLE', `schema subject ${topic.subject} is not registered (run "mailstream topics apply"): ${(err as Error).message}`, { cause: err });
  }
  const own = topic.type;
  const resolvers = new Map<number, avro.Resolver | null>([[id, null]]);
  // one copy per record: avsc writes after the wire header into a scratch buffer that grows to the largest record
  let scratch = Buffer.alloc(0);
  const sized = (n: number): Buffer => {
    scratch = Buffer.allocUnsafe(Math.max(n, 2 * scratch.length, 16384));
    scratch[0] = 0;
    scratch.writeInt32BE(id, 1);
    return scratch;
  };
  sized(0);
  const decodeWith = (buf: Buffer, writerId: number, owned: boolean): T => {
    const resolver = resolvers.get(writerId);
    borrowLarge = owned;
    try { return (resolver ? own.fromBuffer(buf.subarray(5), resolver, true) : own.fromBuffer(buf.subarray(5))) as T; }
    finally { borrowLarge = false; }
  };
  const encodeView = (value: T): Buffer => {
    let end = own.encode(value, scratch, 5);
    if (end < 0) end = own.encode(value, sized(scratch.length - end), 5);
    return scratch.subarray(0, end);
  };
  return {
    encode(value) { return Buffer.from(encodeView(value)); },
    encodeView,
    decode(buf, owned = false) {
      if (buf.length < 5 || buf[0] !== 0) throw new MailstreamError('MS_ERR_AVRO_DECODE', 'not in the Confluent wire format (magic byte 0 + schema ID)');
      const writerId = buf.readInt32BE(1);
      try {
        if (resolvers.has(writerId)) return decodeWith(buf, writerId, owned);
      } catch (err) { throw new MailstreamError('MS_ERR_AVRO_DECODE', (err as Error).message, { cause: err }); }
      return registry.getSchema(writerId).then((writer) => {
        resolvers.set(writerId, own.createResolver(writer as unknown as avro.Type));
        try { return decodeWith(buf, writerId, owned); }
        catch (err) { throw new MailstreamError('MS_ERR_AVRO_DECODE', (err as Error).message, { cause: err }); }
      }, (err) => { throw new MailstreamError('MS_ERR_AVRO_DECODE', `unknown writer schema ID ${writerId}: ${(err as Error).message}`, { cause: err }); });
    },
  };
}
