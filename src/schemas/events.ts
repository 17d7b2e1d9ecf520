/** Builds the one flat event record (schemas/event.avsc); every stage reports through `makeEvent`. */
import type { Event, EventType } from '../generated/types.js';

const EMPTY: Omit<Event, 'eventId' | 'type' | 'ts' | 'jobId'> = {
  messageId: null, tenant: null, campaignId: null, recipient: null, domain: null, rowNumber: null, count: null,
  attempt: null, binding: null, mxHost: null, smtpCode: null, enhancedCode: null, response: null, bounceClass: null,
  bounceCategory: null, reason: null, templateId: null, templateVersion: null, url: null, latencyMs: null, kind: null,
  sendingDomain: null, detail: null,
};

/** Fields a caller may set on an event. */
export type EventFields = Partial<Omit<Event, 'type' | 'jobId'>> & { jobId: string };

/**
 * An event with every optional field defaulted to null. The ID is deterministic
 * (`<messageId or jobId[:row]>:<type>[:attempt]`) so replays de-duplicate.
 */
export function makeEvent(type: EventType, fields: EventFields, now = Date.now()): Event {
  const subject = fields.messageId ?? (fields.rowNumber != null ? `${fields.jobId}:row${fields.rowNumber}` : fields.jobId);
  const eventId = fields.eventId ?? `${subject}:${type}${fields.attempt != null ? `:${fields.attempt}` : ''}`;
  return { ...EMPTY, ...fields, eventId, type, ts: fields.ts ?? now };
}
