/** What `GET /webhooks/events/documentation` and `/events/samples` answer, and the test batch sent on create. */
import { CLASS_OF, type SparkPostEvent } from './sparkpost.js';

/** Each field mailstream sends, with its meaning and a sample value. */
const FIELDS: Record<string, [string, string]> = {
  type: ['Type of event', 'delivery'], event_id: ['Unique event ID: de-duplicate by it after a replay', 'j1.0:delivered'],
  timestamp: ['When it happened, Unix seconds', '1700000000'], message_id: ['Message ID', 'j1.0'],
  transmission_id: ['Transmission (job) ID', 'j1'], campaign_id: ['Campaign ID', 'spring-sale'],
  rcpt_to: ['Recipient address', 'ann@example.com'], raw_rcpt_to: ['Recipient address as given', 'ann@example.com'],
  routing_domain: ['Recipient domain', 'example.com'], customer_id: ['Tenant', 'acme'],
  template_id: ['Template ID', 'welcome'], template_version: ['Template version', '3'], ip_pool: ['Egress binding', 'default'],
  num_retries: ['Delivery attempts before this one', '0'], error_code: ['SMTP reply code', '250'],
  reason: ['Remote reply or failure reason', '250 2.0.0 OK'], raw_reason: ['Remote reply, unchanged', '250 2.0.0 OK'],
  bounce_class: ['SparkPost bounce class', '10'], target_link_url: ['Clicked URL', 'https://shop.example/sale'],
};

/** Fields per event type (beyond the common ones). */
const EXTRA: Record<string, string[]> = {
  delivery: ['error_code', 'reason', 'raw_reason', 'ip_pool', 'num_retries'],
  delay: ['error_code', 'reason', 'raw_reason', 'num_retries'],
  bounce: ['error_code', 'reason', 'raw_reason', 'bounce_class'], policy_rejection: ['reason', 'raw_reason'],
  click: ['target_link_url'], generation_failure: ['reason', 'raw_reason'], generation_rejection: ['reason', 'raw_reason'],
};
const COMMON = ['type', 'event_id', 'timestamp', 'message_id', 'transmission_id', 'campaign_id', 'rcpt_to', 'raw_rcpt_to',
  'routing_domain', 'customer_id', 'template_id', 'template_version'];

/** The fields of one event type. */
const fieldsOf = (type: string) => [...COMMON, ...(EXTRA[type] ?? [])];

/** SparkPost's documentation answer: classes → events → fields with description and sample value. */
export function documentation(): Record<string, unknown> {
  const out: Record<string, { display_name: string; description: string; events: Record<string, unknown> }> = {};
  for (const [type, cls] of Object.entries(CLASS_OF)) {
    const c = (out[cls] ??= { display_name: cls.replace('_', ' '), description: `${cls} events`, events: {} });
    c.events[type] = { display_name: type.replace(/_/g, ' '), description: `a ${type} event`,
      event: Object.fromEntries(fieldsOf(type).map((f) => [f, { description: FIELDS[f]![0], sampleValue: FIELDS[f]![1] }])) };
  }
  return out;
}

/** One sample event of each wanted type (every type when `types` is empty). */
export function sampleBatch(types: string[] = []): SparkPostEvent[] {
  const wanted = Object.keys(CLASS_OF).filter((t) => !types.length || types.includes(t));
  return wanted.map((type) => ({ msys: { [CLASS_OF[type]!]: Object.fromEntries(fieldsOf(type)
    .map((f) => [f, f === 'type' ? type : f === 'event_id' ? `sample:${type}` : FIELDS[f]![1]])) } }));
}
