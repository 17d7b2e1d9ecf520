/**
 * The delivery handler shared by the first-attempt and retry stages. A batch is POSTed, signed, when the gate admits
 * it (gate.ts); a failed attempt, or a batch the gate spills (its target failing or slow), is handed to the
 * webhook-retry topic at once, so a slow or dead endpoint never holds up another.
 */
import type { Config } from '../../config/index.js';
import type { Event, Webhook, WebhookBatch } from '../../generated/types.js';
import { codeOf, UnrecoverableError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { makeEvent } from '../../schemas/events.js';
import type { WebhookTable } from '../../streams/webhooks.js';
import type { InputRecord, Output } from '../shell/index.js';
import { afterFailure, BATCH_HEADER, retryTopicOf, sign, SIGNATURE_HEADER, webhookKey, type WebhookRetry } from './handler.js';
import { createGate } from './gate.js';
import { attempts, deliveredEvents, postSeconds } from './metrics.js';
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
  const gate = createGate({ concurrency: cfg.webhooksConcurrency, slowMs: cfg.webhooksSlowMs });
  // batches dead-lettered since the webhook's last success or change (re-enabling), per webhook, on this instance
  const expiredInARow = new Map<string, { n: number; version: number }>();
  const opts = { timeoutMs: cfg.webhooksTimeoutMs, allowPrivate: cfg.webhooksAllowPrivateTargets };

  const toRetry = (key: string, b: WebhookBatch, err: string, t: number): Output[] => {
    const next = afterFailure(b, err, t, retry);
    if (next === 'expired') throw new UnrecoverableError(`batch ${b.batchId} undelivered since ${new Date(b.firstAttemptAt ?? t)
      .toISOString()}: ${err}`, 'MS_ERR_WEBHOOK_EXPIRED');
    return [{ topic: retryTopicOf(next.notBefore - t), key, value: next }];
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
      const pass = await gate.admit(key);
      if (!pass.go) {
        attempts.inc({ outcome: 'spilled' });
        // spilled as a failed attempt, so it backs off: it must not fill the queue that pauses its partition
        return toRetry(key, first, `MS_ERR_WEBHOOK_DELIVERY: not attempted, ${w.target}: ${pass.why}`, t);
      }
      t = now();
      let status = 0; let error = '';
      try {
        const unix = Math.floor(t / 1000);
        const headers = { ...w.customHeaders, ...(await authHeader(w, opts)), [BATCH_HEADER]: b.batchId,
          [SIGNATURE_HEADER]: sign(w.secret, unix, b.body) };
        status = (await post(w.target, b.body, { ...opts, headers })).status;
        if (status < 200 || status > 299) error = `MS_ERR_WEBHOOK_DELIVERY: ${w.target} answered ${status}`;
      } catch (err) { error = `${codeOf(err)}: ${(err as Error).message}`; }
      finally { pass.done(!error); }
      const done = now();
      postSeconds.observe((done - t) / 1000);
      attempts.inc({ outcome: error ? 'failed' : 'delivered' });
      if (!error) deliveredEvents.inc(b.count);
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
      const w = webhooks.get(key);
      const seen = expiredInARow.get(key);
      const n = (seen && seen.version === w?.updatedAt ? seen.n : 0) + 1;
      expiredInARow.set(key, { n, version: w?.updatedAt ?? 0 });
      if (w?.active && n >= cfg.webhooksDisableAfter) {
        const off: Webhook = { ...w, active: false, disabledAt: at, disabledReason: reason.slice(0, 500), updatedAt: at };
        out.push({ topic: 'webhooks', key, value: off }, webhookEvent('webhook_disabled', b, { reason }, at));
        log.warn({ webhook: key, reason }, 'webhook disabled after failing for the whole retry window');
      }
      return out;
    },
  };
}
