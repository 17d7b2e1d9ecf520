/** Builds the one flat event record (schemas/event.avsc); every stage reports through `makeEvent`. */
import type { Event, EventType } from '../generated/types.js';

/** Fields a caller may set on an event. */
export type EventFields = Partial<Omit<Event, 'type' | 'jobId'>> & { jobId: string };

/**
 * An event with every optional field defaulted to null. The ID is deterministic
 * (`<messageId or jobId[:row]>:<type>[:attempt]`) so replays de-duplicate.
 */
export function makeEvent(type: EventType, f: EventFields, now = Date.now()): Event {
  const subject = f.messageId ?? (f.rowNumber != null ? `${f.jobId}:row${f.rowNumber}` : f.jobId);
  const eventId = f.eventId ?? `${subject}:${type}${f.attempt != null ? `:${f.attempt}` : ''}`;
  // one literal of fixed shape: spreading a defaults object and the fields cost V8 tens of microseconds per event
  return {
    eventId, type, ts: f.ts ?? now, jobId: f.jobId, messageId: f.messageId ?? null, tenant: f.tenant ?? null,
    campaignId: f.campaignId ?? null, recipient: f.recipient ?? null, domain: f.domain ?? null, rowNumber: f.rowNumber ?? null,
    count: f.count ?? null, attempt: f.attempt ?? null, binding: f.binding ?? null, mxHost: f.mxHost ?? null,
    smtpCode: f.smtpCode ?? null, enhancedCode: f.enhancedCode ?? null, response: f.response ?? null,
    bounceClass: f.bounceClass ?? null, bounceCategory: f.bounceCategory ?? null, reason: f.reason ?? null,
    templateId: f.templateId ?? null, templateVersion: f.templateVersion ?? null, url: f.url ?? null,
    latencyMs: f.latencyMs ?? null, kind: f.kind ?? null, sendingDomain: f.sendingDomain ?? null, detail: f.detail ?? null,
  };
}
