/**
 * The sender's pure core: one rendered message in, one SMTP attempt through the injected transport,
 * and out come a delivery-attempt record and the matching event (delivered, deferred, bounced or failed).
 */
import type { DeliveryAttempt, RenderedMessage, AttemptOutcome, EventType } from '../../generated/types.js';
import { makeEvent } from '../../lib/events.js';
import type { Output } from '../stage.js';
import type { SmtpOutcome, SmtpTransport } from './transport.js';

/** What the sender handler needs. */
export interface SendDeps { transport: SmtpTransport; now(): number; binding?: string }

/** Map an SMTP outcome to the attempt outcome: 2xx delivered, 4xx or network deferred, 5xx bounced. */
export function outcomeOf(o: SmtpOutcome): AttemptOutcome {
  if (o.ok) return 'delivered';
  if (o.code == null || o.network) return 'deferred';
  if (o.code >= 500) return 'bounced';
  if (o.code >= 400) return 'deferred';
  return 'failed';
}

/** Build the send handler. */
export function createSendHandler(deps: SendDeps) {
  return async (msg: RenderedMessage): Promise<Output[]> => {
    const startedAt = deps.now();
    const res = await deps.transport.send(msg.mailFrom, msg.rcptTo, msg.raw);
    const finished = deps.now();
    const outcome = outcomeOf(res);
    const attemptNo = msg.attempt + 1;
    const attempt: DeliveryAttempt = {
      messageId: msg.messageId, jobId: msg.jobId, rcptTo: msg.rcptTo, domain: msg.domain, attempt: attemptNo, startedAt,
      latencyMs: finished - startedAt, outcome, binding: deps.binding ?? null, mxHost: res.mxHost, tls: res.tls,
      smtpCode: res.code, enhancedCode: res.enhancedCode, response: res.response.slice(0, 1000),
    };
    const event = makeEvent(outcome as EventType, {
      jobId: msg.jobId, messageId: msg.messageId, tenant: msg.tenant, campaignId: msg.campaignId, recipient: msg.rcptTo,
      domain: msg.domain, rowNumber: msg.rowNumber, attempt: attemptNo, binding: deps.binding ?? null, mxHost: res.mxHost,
      smtpCode: res.code, enhancedCode: res.enhancedCode, response: attempt.response,
      latencyMs: outcome === 'delivered' ? finished - msg.acceptedAt : null,
    }, finished);
    return [
      { topic: 'delivery-attempts', key: msg.messageId, value: attempt },
      { topic: 'events', key: msg.jobId, value: event },
    ];
  };
}
