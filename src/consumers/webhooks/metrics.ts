/** The webhooks stages' metrics (`mailstream_webhook_*`). No per-webhook labels: tenants' webhooks are unbounded. */
import client from 'prom-client';

/** Attempts by outcome: delivered (2xx), failed (an answer other than 2xx, or none), spilled (not attempted). */
export const attempts = new client.Counter({
  name: 'mailstream_webhook_attempts_total', help: 'Webhook batch attempts by outcome (delivered, failed, spilled)',
  labelNames: ['outcome'],
});
/** Events in delivered batches. */
export const deliveredEvents = new client.Counter({
  name: 'mailstream_webhook_events_delivered_total', help: 'Events in webhook batches their target answered 2xx',
});
/** Time a target took to answer a POST (seconds). */
export const postSeconds = new client.Histogram({
  name: 'mailstream_webhook_post_seconds', help: 'Time from a webhook POST to its answer (or failure), seconds',
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
});
