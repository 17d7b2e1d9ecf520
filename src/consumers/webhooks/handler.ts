/**
 * The webhooks stages' pure core: which webhooks an event goes to, how events become batches (deterministic batch
 * IDs, so every attempt of a batch carries the same X-MessageSystems-Batch-ID), the signature, and what follows a
 * failed attempt (the next one after an exponential backoff, or dead-letter once the retry window has passed).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Event, Webhook, WebhookBatch } from '../../generated/types.js';
import { sparkpostType, toSparkPost } from './sparkpost.js';

/** The header carrying the signature: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
export const SIGNATURE_HEADER = 'X-Mailstream-Signature';
/** SparkPost's batch ID header. */
export const BATCH_HEADER = 'X-MessageSystems-Batch-ID';

/** The table key of a webhook. */
export const webhookKey = (tenant: string, id: string): string => `${tenant}:${id}`;

/** True when `w` wants `e`: same tenant, active, not older than `w`, its event type and campaign filters pass. */
export function wants(w: Webhook, e: Event): boolean {
  const type = sparkpostType(e);
  if (!type || !w.active || w.tenant !== e.tenant || e.ts < w.createdAt) return false;
  if (w.events.length && !w.events.includes(type)) return false;
  return !w.campaigns.length || (e.campaignId != null && w.campaigns.includes(e.campaignId));
}

/** A UUID-shaped ID from a hash of `parts`: the same input gives the same batch ID. */
export function batchIdOf(...parts: string[]): string {
  const h = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** An event with where it was read from, which names its batch. */
export interface Located { event: Event; partition: number; offset: string }

/**
 * The batches of one fetched slice of events: per webhook, in event order, at most `maxSize` events each. The ID
 * hashes the webhook and the first and last source offsets, so a slice read again yields the same IDs.
 */
export function batchesOf(events: Located[], webhooks: Webhook[], maxSize: number, o: { replay?: boolean } = {}):
  Array<{ key: string; value: WebhookBatch }> {
  const byTenant = new Map<string, Webhook[]>();
  for (const w of webhooks) if (w.active) (byTenant.get(w.tenant) ?? byTenant.set(w.tenant, []).get(w.tenant)!).push(w);
  const pending = new Map<string, { w: Webhook; items: Located[] }>();
  const out: Array<{ key: string; value: WebhookBatch }> = [];
  const close = (w: Webhook, items: Located[]) => {
    const key = webhookKey(w.tenant, w.id);
    const first = items[0]!; const last = items.at(-1)!;
    const body = JSON.stringify(items.map((l) => toSparkPost(l.event)));
    const batchId = batchIdOf(key, String(w.createdAt), `${first.partition}:${first.offset}`, `${last.partition}:${last.offset}`,
      String(items.length), o.replay ? 'replay' : '');
    out.push({ key, value: { batchId, tenant: w.tenant, webhookId: w.id, body, count: items.length, attempt: 1,
      firstAttemptAt: null, notBefore: 0, lastError: null, replay: Boolean(o.replay) } });
  };
  for (const l of events) {
    for (const w of byTenant.get(l.event.tenant ?? '') ?? []) {
      if (!wants(w, l.event)) continue;
      const key = webhookKey(w.tenant, w.id);
      const p = pending.get(key) ?? pending.set(key, { w, items: [] }).get(key)!;
      p.items.push(l);
      if (p.items.length >= maxSize) { close(w, p.items); p.items = []; }
    }
  }
  for (const { w, items } of pending.values()) if (items.length) close(w, items);
  return out;
}

/** The signature header value of `body` sent at `unixSeconds`. */
export function sign(secret: string, unixSeconds: number, body: string): string {
  return `t=${unixSeconds},v1=${createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex')}`;
}

/** What a receiver checks: the HMAC matches and the timestamp is within `toleranceS` of now (no replays). */
export function verify(secret: string, header: string, body: string, toleranceS = 300, nowMs = Date.now()): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!m || Math.abs(nowMs / 1000 - Number(m[1])) > toleranceS) return false;
  const want = Buffer.from(sign(secret, Number(m[1]), body).slice(-64), 'hex');
  return timingSafeEqual(want, Buffer.from(m[2]!, 'hex'));
}

/** The retry topics by how long a batch waits: a batch is never queued behind one due much later than itself. */
export const RETRY_TIERS = [
  { topic: 'webhook-retry', belowMs: 30_000 }, { topic: 'webhook-retry-minutes', belowMs: 600_000 },
  { topic: 'webhook-retry-hours', belowMs: Infinity },
] as const;

/** The retry topic of a batch due `delayMs` from now. */
export const retryTopicOf = (delayMs: number): (typeof RETRY_TIERS)[number]['topic'] =>
  RETRY_TIERS.find((t) => delayMs < t.belowMs)!.topic;

/** Retry limits of webhook batches (config WEBHOOKS_RETRY_*). */
export interface WebhookRetry { baseMs: number; maxMs: number; windowMs: number }

/** After attempt `batch.attempt` failed at `now`: the batch's next attempt, or 'expired' once the window has passed. */
export function afterFailure(batch: WebhookBatch, error: string, now: number, p: WebhookRetry): WebhookBatch | 'expired' {
  const first = batch.firstAttemptAt ?? now;
  if (now - first >= p.windowMs) return 'expired';
  const delay = Math.min(p.maxMs, p.baseMs * 2 ** Math.min(30, batch.attempt - 1));
  return { ...batch, attempt: batch.attempt + 1, firstAttemptAt: first, notBefore: now + delay, lastError: error.slice(0, 500) };
}
