/**
 * Suppression list entries a tenant manages (SparkPost's suppression-list API): published on the compacted
 * suppressions topic, so every sender refuses the address within a second; a tombstone lifts one.
 */
import type { Suppression } from '../generated/types.js';
import { createCodec } from '../lib/codec.js';
import { suppressionKey } from '../streams/suppressions.js';
import { topic } from '../topics/runtime.js';
import type { Runtime } from '../runtime.js';

/** One entry to add: which message classes it covers, and why. */
export interface SuppressionInput { email: string; transactional: boolean; nonTransactional: boolean; description?: string | null }

/** Add or replace `entries` for `tenant`, all in one acknowledged produce. */
export async function putSuppressions(rt: Runtime, tenant: string, entries: SuppressionInput[], now = Date.now()): Promise<void> {
  const t = topic(rt.topicPrefix, 'suppressions');
  const codec = await createCodec<Suppression>(rt.registry, t);
  const messages = entries.map((e) => {
    const value: Suppression = {
      email: e.email.trim().toLowerCase(), tenant, source: 'manual', reason: e.description ?? null, createdAt: now,
      transactional: e.transactional, nonTransactional: e.nonTransactional,
    };
    return { key: suppressionKey(tenant, e.email), value: codec.encode(value) };
  });
  if (messages.length) await rt.producer.send({ topic: t.name, acks: -1, messages });
}

/** Lift the suppression of `email` for `tenant`. */
export async function deleteSuppression(rt: Runtime, tenant: string, email: string): Promise<void> {
  const t = topic(rt.topicPrefix, 'suppressions');
  await rt.producer.send({ topic: t.name, acks: -1, messages: [{ key: suppressionKey(tenant, email), value: null }] });
}
