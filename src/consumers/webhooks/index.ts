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
import { STAGE_TOPICS } from '../../topics/components.js';
import { createStage, type Stage, type StageDeps } from '../shell/index.js';
import { createDeliverer } from './deliver.js';
import { batchesOf, RETRY_TIERS } from './handler.js';

/** The webhooks stages: batching, first attempts, retries. */
export function createWebhookStages(deps: StageDeps, cfg: Config, webhooks: WebhookTable): Stage[] {
  const batcher = createStage<Event>({
    name: 'webhooks', ...STAGE_TOPICS.webhooks, partitionsConcurrently: 3,
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
  type Lane = 'webhooks-delivery' | 'webhooks-retry' | 'webhooks-retry-minutes' | 'webhooks-retry-hours';
  const lane = (name: Lane, due: boolean) => createStage<WebhookBatch>({
    name, ...STAGE_TOPICS[name], partitionsConcurrently: 6,
    failed: (r, reason, at) => deliverer.failed(r, reason, at),
    ...(due ? { dueAt: (r) => r.value.notBefore } : {}),
    strategy: { kind: 'parallel', handle: (r) => deliverer.handle(r), queueOf: (r) => r.key ?? '',
      maxPerQueue: cfg.webhooksConcurrency * 4, maxInFlight: 1000 },
  }, deps);
  // one retry lane per tier, named after its topic
  return [batcher, lane('webhooks-delivery', false),
    ...RETRY_TIERS.map((t) => lane(t.topic.replace('webhook-', 'webhooks-') as Lane, true))];
}
