/**
 * Webhooks wiring, three stages in the shell. `webhooks` reads `events` (fetches wait up to WEBHOOKS_BATCH_WAIT_MS)
 * and writes each webhook's batches to `webhook-batches`: offsets move once the batches are acknowledged, so nothing
 * waits on a target. `webhooks-delivery` POSTs them, one in-memory queue per webhook; a failure goes to the
 * `webhook-retry` topic of its wait (seconds, minutes, hours), whose stage reads each batch when it is due, until the
 * retry window dead-letters it.
 */
import type { Config } from '../../config/index.js';
import type { Event, WebhookBatch } from '../../generated/types.js';
import { MailstreamError } from '../../lib/errors.js';
import { logger } from '../../lib/logger.js';
import type { WebhookTable } from '../../streams/webhooks.js';
import { createStage, type Stage, type StageDeps } from '../shell/index.js';
import { createDeliverer } from './deliver.js';
import { batchesOf, RETRY_TIERS } from './handler.js';

/** The webhooks stages: batching, first attempts, retries. */
export function createWebhookStages(deps: StageDeps, cfg: Config, webhooks: WebhookTable): Stage[] {
  const batcher = createStage<Event>({
    name: 'webhooks', input: 'events', outputs: ['webhook-batches'], partitionsConcurrently: 3,
    maxBytesPerPartition: 4 << 20, consumer: { minBytes: 256 << 10, maxWaitTimeInMs: cfg.webhooksBatchWaitMs },
    strategy: {
      kind: 'batch',
      async handle(records) {
        // every webhook written before these events were fetched is in the table: a new one misses none of its events
        if (!(await webhooks.sync())) throw new MailstreamError('MS_ERR_UNAVAILABLE', 'the webhooks table is not caught up');
        const located = records.map((r) => ({ event: r.value, partition: r.partition, offset: r.offset }));
        return batchesOf(located, webhooks.entries(), cfg.webhooksBatchMax)
          .map((b) => ({ topic: 'webhook-batches' as const, key: b.key, value: b.value }));
      },
    },
  }, deps);
  const deliverer = createDeliverer(cfg, webhooks, logger({ stage: 'webhooks-delivery' }));
  const retries = RETRY_TIERS.map((t) => t.topic);
  const lane = (name: string, input: 'webhook-batches' | (typeof retries)[number], due: boolean) => createStage<WebhookBatch>({
    name, input, outputs: [...retries, 'events', 'webhooks'], partitionsConcurrently: 6,
    failed: (r, reason, at) => deliverer.failed(r, reason, at),
    ...(due ? { dueAt: (r) => r.value.notBefore } : {}),
    strategy: { kind: 'parallel', handle: (r) => deliverer.handle(r), queueOf: (r) => r.key ?? '',
      maxPerQueue: cfg.webhooksConcurrency * 4, maxInFlight: 1000 },
  }, deps);
  return [batcher, lane('webhooks-delivery', 'webhook-batches', false),
    ...retries.map((t) => lane(t.replace('webhook-', 'webhooks-'), t, true))];
}
