/**
 * API keys: created by the operator (`mailstream keys create`), published as hashes on the compacted api-keys
 * topic, revoked by republishing with `revokedAt`. The key itself is shown once and never stored.
 */
import { randomBytes } from 'node:crypto';
import type { ApiKey } from '../generated/types.js';
import { createCodec } from '../lib/codec.js';
import { MailstreamError } from '../lib/errors.js';
import { createKeyTable, keyIdOf } from '../streams/keys.js';
import { topic } from '../topics/runtime.js';
import type { Runtime } from '../runtime.js';

/** Scopes a key may carry; a key with none may do everything. */
export const SCOPES = ['transmissions:modify', 'transmissions:read', 'templates:modify', 'templates:read',
  'suppression_lists:manage', 'suppression_lists:read',
  'recipient_lists:manage', 'recipient_lists:read', 'message_events:read', 'metrics:read', 'smtp:inject',
  'webhooks:modify', 'webhooks:read'] as const;

/** A tenant name: what every record, key and metric of the tenant carries. */
export const TENANT_RE = /^[a-z0-9][a-z0-9_-]{0,62}$/;

async function publish(rt: Runtime, rec: ApiKey): Promise<void> {
  const t = topic(rt.topicPrefix, 'api-keys');
  const codec = await createCodec<ApiKey>(rt.registry, t);
  await rt.producer.send({ topic: t.name, acks: -1, messages: [{ key: rec.keyId, value: codec.encode(rec) }] });
}

/** Create a key for `tenant`; resolves with the key (shown once) and its stored record. */
export async function createKey(rt: Runtime, o: { tenant: string; label?: string; scopes?: string[] }):
  Promise<{ key: string; record: ApiKey }> {
  if (!TENANT_RE.test(o.tenant)) {
    throw new MailstreamError('MS_ERR_VALIDATION', `tenant "${o.tenant}": lower-case letters, digits, "_" and "-", at most 63`);
  }
  const bad = (o.scopes ?? []).filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (bad.length) throw new MailstreamError('MS_ERR_VALIDATION', `unknown scopes ${bad.join(', ')}; known: ${SCOPES.join(', ')}`);
  const key = randomBytes(20).toString('hex');
  const record: ApiKey = {
    keyId: keyIdOf(key), tenant: o.tenant, label: o.label ?? '', shortKey: key.slice(0, 4), scopes: o.scopes ?? [],
    createdAt: Date.now(), revokedAt: null,
  };
  await publish(rt, record);
  return { key, record };
}

/** Every key record (revoked ones too), read from the topic. */
export async function listKeys(rt: Runtime): Promise<ApiKey[]> {
  const table = await createKeyTable(rt.kafka, rt.registry, rt.topicPrefix);
  try { await table.ready; return table.entries().sort((a, b) => a.createdAt - b.createdAt); } finally { await table.stop(); }
}

/** Revoke the key whose keyId or shortKey is `ref`; refuses an ambiguous or unknown reference. */
export async function revokeKey(rt: Runtime, ref: string): Promise<ApiKey> {
  const matches = (await listKeys(rt)).filter((k) => k.revokedAt == null && (k.keyId === ref || k.shortKey === ref
    || (ref.length >= 8 && k.keyId.startsWith(ref))));
  if (matches.length !== 1) {
    throw new MailstreamError(matches.length ? 'MS_ERR_VALIDATION' : 'MS_ERR_NOT_FOUND',
      matches.length ? `"${ref}" matches ${matches.length} live keys; give the key id` : `no live key "${ref}"`);
  }
  const revoked = { ...matches[0]!, revokedAt: Date.now() };
  await publish(rt, revoked);
  return revoked;
}
