/**
 * Webhook definitions a tenant manages (SparkPost's webhooks API, `mailstream webhooks`): checked (no SSRF: the
 * target must resolve to public addresses unless WEBHOOKS_ALLOW_PRIVATE_TARGETS), tested with a sample batch that
 * must be answered 2xx, and published on the compacted webhooks topic; a tombstone deletes one.
 */
import { randomBytes } from 'node:crypto';
import type { Config } from '../config/index.js';
import type { Webhook } from '../generated/types.js';
import { createCodec } from '../lib/codec.js';
import { MailstreamError } from '../lib/errors.js';
import { resolvePublic, urlProblem } from '../lib/net-guard.js';
import { BATCH_HEADER, batchIdOf, sign, SIGNATURE_HEADER, webhookKey } from '../consumers/webhooks/handler.js';
import { authHeader, post, type Answer } from '../consumers/webhooks/post.js';
import { sampleBatch } from '../consumers/webhooks/samples.js';
import type { WebhookTable } from '../streams/webhooks.js';
import { topic } from '../topics/runtime.js';
import type { Runtime } from '../runtime.js';

/** Refuse `target` unless it is http(s), has no credentials and resolves only to allowed addresses. */
export async function checkTarget(target: string, allowPrivate: boolean): Promise<void> {
  const problem = urlProblem(target, allowPrivate);
  if (problem) throw new MailstreamError('MS_ERR_WEBHOOK_TARGET', `target ${target}: ${problem}`);
  try { await resolvePublic(new URL(target).hostname, allowPrivate); }
  catch (err) { throw new MailstreamError('MS_ERR_WEBHOOK_TARGET', `target ${target}: ${(err as Error).message}`); }
}

/** A new signing secret (shown to the tenant; the receiver keeps it). */
export const newSecret = (): string => `whsec_${randomBytes(24).toString('base64url')}`;

/** POST a signed sample batch (or `body`) to `w`'s target; resolves with the answer, whatever its status. */
export async function sendTest(cfg: Config, w: Webhook, body = JSON.stringify(sampleBatch())): Promise<Answer> {
  await checkTarget(w.target, cfg.webhooksAllowPrivateTargets);
  const opts = { timeoutMs: cfg.webhooksTimeoutMs, allowPrivate: cfg.webhooksAllowPrivateTargets };
  const now = Date.now();
  const headers = { ...w.customHeaders, ...(await authHeader(w, opts)), [BATCH_HEADER]: batchIdOf('test', w.id, String(now)),
    [SIGNATURE_HEADER]: sign(w.secret, Math.floor(now / 1000), body) };
  return post(w.target, body, { ...opts, headers });
}

/** Publish `w` (or delete `key` with null) and wait until `table` shows it. */
export async function writeWebhook(rt: Runtime, table: WebhookTable | undefined, key: string, w: Webhook | null): Promise<void> {
  const t = topic(rt.topicPrefix, 'webhooks');
  const codec = await createCodec<Webhook>(rt.registry, t);
  await rt.producer.send({ topic: t.name, acks: -1, messages: [{ key, value: w && codec.encode(w) }] });
  await table?.until(key, (v) => (w ? v?.updatedAt === w.updatedAt : !v));
}

/** The webhook `id` of `tenant`, or not found. */
export async function findWebhook(table: WebhookTable, tenant: string, id: string): Promise<Webhook> {
  await table.ready;
  const w = table.get(webhookKey(tenant, id));
  if (!w) throw new MailstreamError('MS_ERR_NOT_FOUND', `webhook ${id} does not exist`);
  return w;
}

/** Switch `w` on again after delivery disabled it (or off), keeping everything else. */
export async function setActive(rt: Runtime, table: WebhookTable, w: Webhook, active: boolean): Promise<Webhook> {
  const next: Webhook = { ...w, active, disabledAt: active ? null : w.disabledAt,
    disabledReason: active ? null : w.disabledReason, updatedAt: Math.max(Date.now(), w.updatedAt + 1) };
  await writeWebhook(rt, table, webhookKey(w.tenant, w.id), next);
  return next;
}
