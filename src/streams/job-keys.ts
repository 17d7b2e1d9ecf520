/**
 * The job-keys table (compacted, keyed `<tenant>:<jobId>`) and the record crypto every stage and door uses: a data key
 * per job, made by the first writer of the job, wrapped by the key provider and published before any record sealed
 * under it; readers unwrap it once and keep it in memory only while its record lives. Erasing replaces the key by a
 * marker: from then on its records do not open anywhere, and their readers end their recipients.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Kafka, Producer } from 'kafkajs';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { Config } from '../config/index.js';
import type { JobKey, Job, Payload, RenderedMessage, RenderedParts } from '../generated/types.js';
import { createCodec } from '../lib/codec.js';
import { ENVELOPE_ALG, HEADER_ALG, HEADER_KEK, HEADER_KEY, isSealed, metaOf, open, seal, type EnvelopeMeta }
  from '../lib/envelope.js';
import { MailstreamError } from '../lib/errors.js';
import { localKeyProvider, type KeyProvider } from '../lib/key-provider.js';
import { topic } from '../topics/runtime.js';
import type { TopicName } from '../topics/index.js';
import { createTable, type Table } from './table.js';

/** The topic key of a job's data key: `<tenant>:<jobId>`. */
export const jobKeyId = (tenant: string, jobId: string): string => `${tenant}:${jobId}`;

/** Topics whose values carry recipient data or message content, and so are sealed. */
export const SEALED_TOPICS: ReadonlySet<TopicName> = new Set<TopicName>(
  ['jobs', 'payloads', 'transactional', 'rendered', 'rendered-priority', 'retry', 'rendered-parts']);

/** A job erased while its record was in Kafka: what is readable of the record, to end its recipients. */
export class JobErasedError extends MailstreamError {
  constructor(readonly meta: EnvelopeMeta) { super('MS_ERR_JOB_ERASED', `job ${meta.j} was erased: its data key is destroyed`); }
}

/** A sealed value and the headers that name its key. */
export interface Sealed { value: Buffer; headers: Record<string, string> }

/** Seals and opens record values; what the stage shell and the doors are given. */
export interface RecordCrypto {
  /** Seal an encoded value of `name` (null: the topic is not sealed). */
  seal(name: TopicName, value: unknown, encoded: Buffer): Promise<Sealed | null>;
  /** What seals `value`'s encoding once its key is at hand, synchronously (null: the topic is not sealed). */
  sealer(name: TopicName, value: unknown): Promise<((encoded: Buffer) => Sealed) | null>;
  /** The clear encoded value of a record value (values written in clear pass as they are); JobErasedError once erased. */
  open(value: Buffer): Promise<Buffer>;
  /** Destroy the job's data key on every instance (the erased marker, acknowledged). */
  erase(tenant: string, jobId: string, now?: number): Promise<void>;
  /** Start following the job-keys topic (once); `isErased` answers from it. */
  watch(): Promise<void>;
  /** True once the job's key was erased (false before `watch` or any seal/open). */
  isErased(tenant: string, jobId: string): boolean;
  stop(): Promise<void>;
}

/** The clear metadata of a value of a sealed topic. */
function metaFor(name: TopicName, value: unknown): EnvelopeMeta {
  if (name === 'jobs') {
    const j = value as Job;
    return { k: jobKeyId(j.tenant, j.jobId), j: j.jobId, t: j.tenant, c: j.campaignId, s: 'job', r: [] };
  }
  if (name === 'payloads' || name === 'transactional') {
    const p = value as Payload;
    return { k: jobKeyId(p.tenant, p.jobId), j: p.jobId, t: p.tenant, c: p.campaignId, s: 'payload',
      r: p.recipients.map((r) => r.rowNumber) };
  }
  if (name === 'rendered-parts') {
    const p = value as RenderedParts;
    return { k: jobKeyId(p.tenant, p.jobId), j: p.jobId, t: p.tenant, c: p.campaignId, s: 'parts', r: [] };
  }
  const m = value as RenderedMessage;
  return { k: jobKeyId(m.tenant, m.jobId), j: m.jobId, t: m.tenant, c: m.campaignId, s: 'message', r: [m.rowNumber] };
}

/** The provider `cfg` names. */
export function keyProviderOf(cfg: Pick<Config, 'kekProvider' | 'kekFile' | 'dataDir'>): KeyProvider {
  // the default file is the local stack's own, made on first use; a named file must exist
  return localKeyProvider(cfg.kekFile ?? join(cfg.dataDir, 'keys', 'kek.json'), cfg.kekFile === undefined);
}

/** Record crypto over the job-keys topic; the table starts on first use, so a process that seals nothing reads nothing. */
export function createRecordCrypto(kafka: Kafka, producer: Pick<Producer, 'send'>, registry: SchemaRegistry, prefix: string,
  provider: KeyProvider): RecordCrypto {
  const t = topic(prefix, 'job-keys');
  let started: Promise<{ table: Table<JobKey>; encode(v: JobKey): Buffer }> | undefined;
  let tableNow: Table<JobKey> | undefined;
  const start = () => (started ??= (async () => {
    const [table, codec] = await Promise.all([createTable<JobKey>(kafka, registry, prefix, 'job-keys'), createCodec<JobKey>(registry, t)]);
    await table.ready;
    tableNow = table;
    return { table, encode: (v: JobKey) => codec.encode(v) };
  })().catch((err: unknown) => { started = undefined; throw err; }));
  // unwrapped data keys live as long as their table record: an erased marker replaces it, and the key is gone
  const unwrapped = new WeakMap<JobKey, Promise<Buffer>>();
  const making = new Map<string, Promise<{ dek: Buffer; kekId: string }>>();
  const unwrap = (rec: JobKey, id: string) => {
    let p = unwrapped.get(rec);
    if (!p) {
      p = provider.unwrap(rec.kekId!, rec.wrappedKey!, id);
      p.catch(() => unwrapped.delete(rec));
      unwrapped.set(rec, p);
    }
    return p;
  };
  // the record for `id`, reading the topic to its end first when this instance has not seen it yet
  const lookup = async (id: string): Promise<JobKey | undefined> => {
    const { table } = await start();
    // a table that could not catch up says nothing about the key: retry, never take the job for erased
    if (!table.has(id) && !(await table.sync())) {
      throw new MailstreamError('MS_ERR_UNAVAILABLE', `job-keys table could not read to its end for ${id}`);
    }
    return table.get(id);
  };
  const make = (id: string, tenant: string, jobId: string) => {
    let p = making.get(id);
    if (!p) {
      p = (async () => {
        const { encode } = await start();
        const dek = randomBytes(32);
        const { kekId, wrapped } = await provider.wrap(dek, id);
        const rec: JobKey = { jobId, tenant, algorithm: ENVELOPE_ALG, provider: provider.name, kekId, wrappedKey: wrapped,
          createdAt: Date.now(), erasedAt: null };
        await producer.send({ topic: t.name, acks: -1, messages: [{ key: id, value: encode(rec) }] });
        return { dek, kekId };
      })();
      making.set(id, p);
      p.finally(() => setTimeout(() => making.delete(id), 60_000).unref()).catch(() => making.delete(id));
    }
    return p;
  };
  const sealer: RecordCrypto['sealer'] = async (name, value) => {
    if (!SEALED_TOPICS.has(name)) return null;
    const meta = metaFor(name, value);
    const rec = await lookup(meta.k);
    let key: { dek: Buffer; kekId: string };
    // sealed for an erased job with a key nobody holds: unreadable, and its reader ends its recipients
    if (rec?.erasedAt != null) key = { dek: randomBytes(32), kekId: 'erased' };
    else if (rec?.wrappedKey) key = { dek: await unwrap(rec, meta.k), kekId: rec.kekId! };
    else key = await make(meta.k, meta.t, meta.j);
    const headers = { [HEADER_ALG]: ENVELOPE_ALG, [HEADER_KEY]: meta.k, [HEADER_KEK]: key.kekId };
    return (encoded: Buffer) => ({ value: seal(key.dek, meta, encoded), headers });
  };
  return {
    async seal(name, value, encoded) { return (await sealer(name, value))?.(encoded) ?? null; },
    sealer,
    async open(value) {
      if (!isSealed(value)) return value;
      const meta = metaOf(value);
      const rec = await lookup(meta.k);
      if (!rec?.wrappedKey || rec.erasedAt != null) throw new JobErasedError(meta);
      return open(await unwrap(rec, meta.k), value);
    },
    async erase(tenant, jobId, now = Date.now()) {
      const { encode, table } = await start();
      const id = jobKeyId(tenant, jobId);
      const rec: JobKey = { jobId, tenant, algorithm: ENVELOPE_ALG, provider: provider.name, kekId: null, wrappedKey: null,
        createdAt: table.get(id)?.createdAt ?? now, erasedAt: now };
      await producer.send({ topic: t.name, acks: -1, messages: [{ key: id, value: encode(rec) }] });
      await table.until(id, (v) => v?.erasedAt != null);
    },
    async watch() { await start(); },
    isErased(tenant, jobId) {
      return tableNow?.get(jobKeyId(tenant, jobId))?.erasedAt != null;
    },
    async stop() { if (started) await (await started).table.stop(); },
  };
}
