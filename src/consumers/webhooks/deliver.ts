/**
 * The delivery handler shared by the first-attempt and retry stages. A batch is POSTed, signed, at most
 * WEBHOOKS_CONCURRENCY at a time per webhook; a failed or spilled batch is handed to the webhook-retry topic at
 * once, so the handler never waits on a target and one dead endpoint never holds up another.
 */
import type { Config } from '../../config/index.js';
import type { Event, Webhook, WebhookBatch } from '../../generated/types.js';
import { codeOf, UnrecoverableError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { makeEvent } from '../../schemas/events.js';
import type { WebhookTable } from '../../streams/webhooks.js';
import type { InputRecord, Output } from '../shell/index.js';
import { afterFailure, BATCH_HEADER, sign, SIGNATURE_HEADER, webhookKey, type WebhookRetry } from './handler.js';
import { authHeader, post } from './post.js';

/** The outcome event of one attempt (webhook_batch) or of a batch or webhook given up on. */
export function webhookEvent(type: 'webhook_batch' | 'webhook_failed' | 'webhook_disabled', b: Pick<WebhookBatch,
  'tenant' | 'webhookId' | 'batchId' | 'attempt' | 'count'>, detail: Record<string, unknown>, now: number): Output {
  const e: Event = makeEvent(type, {
    jobId: '', tenant: b.tenant, attempt: b.attempt, count: b.count, reason: (detail.reason as string | undefined) ?? null,
    eventId: `webhook:${b.tenant}:${b.webhookId}:${b.batchId}:${type}:${b.attempt}`,
    detail: JSON.stringify({ webhook_id: b.webhookId, batch_id: b.batchId, ...detail }),
  }, now);
  return { topic: 'events', key: webhookKey(b.tenant, b.webhookId), value: e };
}

/** A delivery handler over the live webhooks table. */
export function createDeliverer(cfg: Config, webhooks: WebhookTable, log: Logger, now = Date.now) {
  const retry: WebhookRetry = {
    baseMs: cfg.webhooksRetryBaseMs, maxMs: cfg.webhooksRetryMaxMs, windowMs: cfg.webhooksRetryWindowMs,
  };
  // per webhook: POSTs in flight, batches waiting for a slot, and whether its last attempt failed
  const slots = new Map<string, { inFlight: number; waiting: Array<() => void>; failing: boolean }>();
  const slot = (key: string) => slots.get(key) ?? slots.set(key, { inFlight: 0, waiting: [], failing: false }).get(key)!;
  // batches dead-lettered since the webhook's last success, per webhook (this instance's view)
  const expiredInARow = new Map<string, number>();
  const opts = { timeoutMs: cfg.webhooksTimeoutMs, allowPrivate: cfg.webhooksAllowPrivateTargets };

  const toRetry = (key: string, b: WebhookBatch, err: string, t: number): Output[] => {
    const next = afterFailure(b, err, t, retry);
    if (next === 'expired') throw new UnrecoverableError(`batch ${b.batchId} undelivered since ${new Date(b.firstAttemptAt ?? t)
      .toISOString()}: ${err}`, 'MS_ERR_WEBHOOK_EXPIRED');
    return [{ topic: 'webhook-retry', key, value: next }];
  };

  return {
    async handle(r: InputRecord<WebhookBatch>): Promise<Output[]> {
      const b = r.value;
      const key = webhookKey(b.tenant, b.webhookId);
      await webhooks.ready;
      const w = webhooks.get(key);
      if (!w) return []; // deleted: nobody wants it any more
      if (!w.active) {
        if (w.disabledAt == null) return []; // switched off by the tenant
        throw new UnrecoverableError(`webhook ${b.webhookId} is disabled`, 'MS_ERR_WEBHOOK_EXPIRED');
      }
      let t = now();
      const first = { ...b, firstAttemptAt: b.firstAttemptAt ?? t };
      const q = slot(key);
      // a failing target gets one probe at a time; a healthy one WEBHOOKS_CONCURRENCY, with a short wait for a slot
      const limit = q.failing ? 1 : cfg.webhooksConcurrency;
      if (q.inFlight >= limit && (q.failing || q.waiting.length >= 2 * cfg.webhooksConcurrency)) {
        // spill as a failed attempt (so it backs off): it must not fill the queue that pauses its partition
        return toRetry(key, first, `MS_ERR_WEBHOOK_DELIVERY: ${q.inFlight} POSTs to ${w.target} in flight`, t);
      }
      while (q.inFlight >= limit) await new Promise<void>((r) => q.waiting.push(r));
      q.inFlight++;
      t = now();
      let status = 0; let error = '';
      try {
        const unix = Math.floor(t / 1000);
        const headers = { ...w.customHeaders, ...(await authHeader(w, opts)), [BATCH_HEADER]: b.batchId,
          [SIGNATURE_HEADER]: sign(w.secret, unix, b.body) };
        status = (await post(w.target, b.body, { ...opts, headers })).status;
        if (status < 200 || status > 299) error = `MS_ERR_WEBHOOK_DELIVERY: ${w.target} answered ${status}`;
      } catch (err) { error = `${codeOf(err)}: ${(err as Error).message}`; }
      finally {
        q.inFlight--;
        q.failing = Boolean(error);
        const woken = q.waiting.shift();
        woken?.();
        if (!woken && !q.inFlight && !q.failing) slots.delete(key);
      }
      const done = now();
      const outcome = webhookEvent('webhook_batch', first, { response_code: status ? String(status) : '',
        failure_code: error ? (status ? String(status) : 'no_answer') : '', reason: error || undefined,
        latency_ms: done - t, replay: b.replay }, done);
      if (!error) { expiredInARow.delete(key); return [outcome]; }
      log.debug({ webhook: key, batchId: b.batchId, attempt: b.attempt, err: error }, 'webhook attempt failed');
      return [outcome, ...toRetry(key, first, error, done)];
    },

    /** A batch given up on: webhook_failed, and webhook_disabled (with the webhook switched off) once it keeps failing. */
    failed(r: InputRecord<WebhookBatch>, reason: string, at: number): Output[] {
      const b = r.value;
      const key = webhookKey(b.tenant, b.webhookId);
      const out: Output[] = [webhookEvent('webhook_failed', b, { reason }, at)];
      const n = (expiredInARow.get(key) ?? 0) + 1;
      expiredInARow.set(key, n);
      const w = webhooks.get(key);
      if (w?.active && n >= cfg.webhooksDisableAfter) {
        const off: Webhook = { ...w, active: false, disabledAt: at, disabledReason: reason.slice(0, 500), updatedAt: at };
        out.push({ topic: 'webhooks', key, value: off }, webhookEvent('webhook_disabled', b, { reason }, at));
        log.warn({ webhook: key, reason }, 'webhook disabled after failing for the whole retry window');
      }
      return out;
    },
  };
}
