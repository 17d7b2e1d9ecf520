/** Our flat event as SparkPost's webhook event: `{"msys": {"<class>": {…}}}`, fields as strings, timestamp in seconds. */
import type { Event } from '../../generated/types.js';
import { SPARKPOST_EVENT } from '../../clickhouse/message-events.js';

/** SparkPost's webhook event classes. */
export const CLASSES = ['message_event', 'track_event', 'gen_event', 'unsubscribe_event'] as const;
/** One event class. */
export type EventClass = (typeof CLASSES)[number];

/** SparkPost event name → its class. */
export const CLASS_OF: Readonly<Record<string, EventClass>> = {
  injection: 'message_event', delivery: 'message_event', delay: 'message_event', bounce: 'message_event',
  policy_rejection: 'message_event', spam_complaint: 'message_event', cancelled: 'message_event',
  generation_failure: 'gen_event', generation_rejection: 'gen_event', open: 'track_event', click: 'track_event',
  list_unsubscribe: 'unsubscribe_event',
};

/** One webhook event as posted. */
export type SparkPostEvent = { msys: Partial<Record<EventClass, Record<string, string>>> };

/** The SparkPost name of `e`'s type, or undefined for internal events (job lifecycle, shaping, webhooks). */
export const sparkpostType = (e: Pick<Event, 'type'>): string | undefined => SPARKPOST_EVENT[e.type];

/** `e` in SparkPost's webhook shape, or null when SparkPost has no such event. */
export function toSparkPost(e: Event): SparkPostEvent | null {
  const type = sparkpostType(e);
  if (!type) return null;
  const f: Record<string, string | null | undefined> = {
    type, event_id: e.eventId, timestamp: String(Math.floor(e.ts / 1000)), message_id: e.messageId,
    transmission_id: e.jobId || undefined, campaign_id: e.campaignId, rcpt_to: e.recipient, raw_rcpt_to: e.recipient,
    routing_domain: e.domain, customer_id: e.tenant, template_id: e.templateId,
    template_version: e.templateVersion == null ? undefined : String(e.templateVersion), ip_pool: e.binding,
    sending_ip: undefined, num_retries: e.attempt == null ? undefined : String(Math.max(0, e.attempt - 1)),
    error_code: e.smtpCode == null ? undefined : String(e.smtpCode),
    reason: e.response ?? e.reason, raw_reason: e.response ?? e.reason,
    bounce_class: e.bounceClass == null ? undefined : String(e.bounceClass), target_link_url: e.url,
  };
  const fields = Object.fromEntries(Object.entries(f).filter(([, v]) => v != null && v !== '')) as Record<string, string>;
  return { msys: { [CLASS_OF[type]!]: fields } };
}
