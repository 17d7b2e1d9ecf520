/**
 * `Idempotency-Key`: the first 200 answer to a key is stored on the compacted idempotency topic, and the same key
 * within API_IDEMPOTENCY_TTL_MS gets that answer again and creates nothing. Concurrent requests with one key on one
 * instance wait for the first; on two instances at the same instant both may run (documented).
 */
import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import type { IdempotencyRecord } from '../../generated/types.js';
import { createCodec } from '../../lib/codec.js';
import type { Table } from '../../streams/table.js';
import { topic } from '../../topics/runtime.js';
import type { Runtime } from '../../runtime.js';
import { ApiError } from './errors.js';

/** What a request with a key does: replay an earlier answer, or run and then `finish` with its answer. */
export type Idempotent = { replay: { status: number; body: unknown } } | { replay: null; finish(status: number, body: unknown): Promise<void> };

/** The idempotency store of one gateway. */
/** `bodyHash`: of the raw body, when the route read it as a stream (req.body is then empty). */
export interface IdempotencyStore { begin(req: Request, res: Response, tenant: string, bodyHash?: string): Promise<Idempotent> }

/** Longest Idempotency-Key accepted. */
const MAX_KEY = 255;

/** A store over the live idempotency table. */
export function createIdempotencyStore(rt: Runtime, table: Table<IdempotencyRecord>, ttlMs: number, now = () => Date.now()):
  IdempotencyStore {
  const inFlight = new Map<string, Promise<void>>();
  const t = topic(rt.topicPrefix, 'idempotency');
  const codec = createCodec<IdempotencyRecord>(rt.registry, t);
  return {
    async begin(req, res, tenant, bodyHash) {
      const key = req.get('idempotency-key');
      if (!key) return { replay: null, finish: async () => undefined };
      if (key.length > MAX_KEY) throw new ApiError('MS_ERR_VALIDATION', `Idempotency-Key: at most ${MAX_KEY} characters`);
      const id = `${tenant}:${key}`;
      const hash = createHash('sha256')
        .update(`${req.method} ${req.baseUrl}${req.path}\n${bodyHash ?? JSON.stringify(req.body ?? null)}`).digest('hex');
      while (inFlight.has(id)) await inFlight.get(id)!.catch(() => undefined);
      await table.ready;
      const seen = table.get(id);
      if (seen && now() - seen.createdAt < ttlMs) {
        if (seen.requestHash !== hash) {
          throw new ApiError('MS_ERR_VALIDATION', 'Idempotency-Key was used with another request',
            { status: 409, code: '1602', message: 'resource conflict' });
        }
        return { replay: { status: seen.status, body: JSON.parse(seen.body) } };
      }
      let done!: () => void;
      inFlight.set(id, new Promise<void>((r) => { done = r; }));
      // once the first answer is out (or its request failed) the key is free: the next one replays or runs
      const release = () => { if (inFlight.has(id)) { inFlight.delete(id); done(); } };
      res.once('close', release);
      return {
        replay: null,
        async finish(status, body) {
          try {
            const value: IdempotencyRecord = {
              tenant, key, requestHash: hash, status, body: JSON.stringify(body), createdAt: now(),
            };
            await rt.producer.send({ topic: t.name, acks: -1, messages: [{ key: id, value: (await codec).encode(value) }] });
            await table.until(id, (v) => v?.createdAt === value.createdAt && v.requestHash === hash, 5000);
          } finally { release(); }
        },
      };
    },
  };
}
