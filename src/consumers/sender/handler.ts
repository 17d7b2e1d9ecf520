/**
 * The sender's pure core: one rendered message in, a suppression check, one SMTP attempt through the injected
 * transport, and out come a delivery-attempt record and the matching event (delivered, deferred, bounced, expired,
 * policy_rejected or failed) — plus a Suppression record for a hard bounce and a retry record for a deferral.
 * A message of a cancelled job gets one `cancelled` event and no SMTP attempt.
 */
import type { DeliveryAttempt, RenderedMessage, AttemptOutcome, EventType, Suppression } from '../../generated/types.js';
import { classifyBounce, nextAttempt, partitionKey, type RetrySchedule } from '../../delivery/index.js';
import { makeEvent } from '../../schemas/events.js';
import type { IsCancelled } from '../../streams/job-control.js';
import { suppressionKey } from '../../streams/suppressions.js';
import type { Output } from '../shell/index.js';
import type { SmtpOutcome, SmtpTransport } from './transport.js';
import type { Content } from '../../delivery/smtp/data.js';

/** Suppressed addresses, keyed `<tenant>:<lower-cased email>`. */
/** Suppressed addresses by `suppressionKey`; `kind` is the message's class (an entry may cover one class only). */
export interface SuppressionSet { has(key: string, kind?: RenderedMessage['kind']): boolean; add(key: string): void }

/** Retry policy for one message: backoff schedule, max age (ms, from acceptedAt), shards of its domain (default 1). */
export interface RetryPolicy { schedule: RetrySchedule; maxAgeMs: number; shards?: number }

/** What the sender handler needs. */
export interface SendDeps {
  transport: SmtpTransport; now(): number; binding?: string;
  /** Suppression state; without it nothing is suppressed. */
  suppressions?: SuppressionSet;
  /** Retry policy for a message deferred by `mxHost` (the outcome's, '' when none; provider shaping matches it); without it a deferral is final (no retry record). */
  retry?(msg: RenderedMessage, mxHost: string): RetryPolicy;
  /** True once the job was cancelled (job-control table); without it no job is. */
  isCancelled?: IsCancelled;
  /** True while the circuit breaker holds bulk mail of the tenant or campaign (sending-pauses table). */
  isPaused?(tenant: string, campaignId: string | null): boolean;
  /** How long a paused message waits on the retry topic before it is looked at again (ms, default 30 s). */
  pauseRecheckMs?: number;
}

/** Map an SMTP outcome to the attempt outcome: 2xx delivered, 4xx or network deferred, 5xx bounced. */
export function outcomeOf(o: SmtpOutcome): AttemptOutcome {
  if (o.ok) return 'delivered';
  if (o.code == null || o.network) return 'deferred';
  if (o.code >= 500) return 'bounced';
  if (o.code >= 400) return 'deferred';
  return 'failed';
}

const sendingDomainOf = (msg: RenderedMessage) => msg.mailFrom.slice(msg.mailFrom.lastIndexOf('@') + 1).toLowerCase() || null;
const baseFields = (msg: RenderedMessage) => ({
  jobId: msg.jobId, messageId: msg.messageId, tenant: msg.tenant, campaignId: msg.campaignId, recipient: msg.rcptTo,
  domain: msg.domain, rowNumber: msg.rowNumber, kind: msg.kind, sendingDomain: sendingDomainOf(msg),
});

/** The event for a message refused before any SMTP because its address is suppressed. */
export function policyRejected(msg: RenderedMessage, now: number): Output {
  const event = makeEvent('policy_rejected', { ...baseFields(msg), reason: 'MS_SUPPRESSED: recipient is on the suppression list' }, now);
  return { topic: 'events', key: msg.jobId, value: event };
}

/** The final event of a message of a cancelled job: nothing was sent (or nothing more, after a deferral). */
export function cancelledEvent(msg: RenderedMessage, now: number): Output {
  const reason = 'MS_CANCELLED: the job was cancelled before sending';
  const event = makeEvent('cancelled', { ...baseFields(msg), reason }, now);
  return { topic: 'events', key: msg.jobId, value: event };
}

/** The final `failed` event of a message the sender gave up on (dead-lettered); `reason` starts with the error code. */
export function failedEvent(msg: RenderedMessage, reason: string, now: number): Output {
  return { topic: 'events', key: msg.jobId, value: makeEvent('failed', { ...baseFields(msg), attempt: msg.attempt + 1, reason }, now) };
}

/** A bulk message of a paused scope goes back on the retry topic unchanged (same attempt), to be looked at again. */
export function heldWhilePaused(msg: RenderedMessage, deps: Pick<SendDeps, 'now' | 'retry' | 'pauseRecheckMs'>): Output {
  const shards = deps.retry?.(msg, '').shards ?? 1;
  const value: RenderedMessage = { ...msg, notBefore: deps.now() + (deps.pauseRecheckMs ?? 30_000) };
  return { topic: 'retry', key: partitionKey(msg.domain, msg.rcptTo, shards), value };
}

/** What a sandbox message's attempt records: accepted by mailstream itself. */
export const SANDBOX_OUTCOME: SmtpOutcome = {
  ok: true, code: 250, enhancedCode: '2.0.0', response: '250 2.0.0 sandbox: accepted without SMTP', mxHost: 'sandbox', tls: false,
};

/** Build the send handler. */
export function createSendHandler(deps: SendDeps) {
  // `content`: the message's bytes for SMTP when they are not `raw` itself (a by-reference message's segments)
  return async (msg: RenderedMessage, content: Content = msg.raw): Promise<Output[]> => {
    const cancelled = () => Boolean(deps.isCancelled?.(msg.tenant, msg.jobId));
    if (cancelled()) return [cancelledEvent(msg, deps.now())];
    if (msg.kind === 'bulk' && deps.isPaused?.(msg.tenant, msg.campaignId)) return [heldWhilePaused(msg, deps)];
    const key = suppressionKey(msg.tenant, msg.rcptTo);
    if (!msg.skipSuppression && deps.suppressions?.has(key, msg.kind)) return [policyRejected(msg, deps.now())];
    const startedAt = deps.now();
    const ctx = { domain: msg.domain, ipPool: msg.ipPool, priority: msg.kind === 'transactional', cancelled };
    // sandbox: every stage ran and the events are real, but no SMTP connection is made
    const res = msg.sandbox ? SANDBOX_OUTCOME : await deps.transport.send(msg.mailFrom, msg.rcptTo, content, ctx);
    const finished = deps.now();
    // the transport checked again after the message waited for its queue (direct mode) and sent nothing
    if (res.cancelled) return [cancelledEvent(msg, finished)];
    return outputsOf(msg, res, { startedAt, finished, binding: res.binding ?? deps.binding ?? null, deps, key });
  };
}

/** The outputs of one finished SMTP attempt (also used by direct delivery for DNS outcomes). */
export function outputsOf(msg: RenderedMessage, res: SmtpOutcome, at: {
  startedAt: number; finished: number; binding: string | null; deps: Pick<SendDeps, 'suppressions' | 'retry' | 'isCancelled'>; key?: string;
}): Output[] {
  const { startedAt, finished, binding, deps } = at;
  const outcome = outcomeOf(res);
  const attemptNo = msg.attempt + 1;
  const attempt: DeliveryAttempt = {
    messageId: msg.messageId, jobId: msg.jobId, rcptTo: msg.rcptTo, domain: msg.domain, attempt: attemptNo, startedAt,
    latencyMs: finished - startedAt, outcome, binding, mxHost: res.mxHost, tls: res.tls,
    smtpCode: res.code, enhancedCode: res.enhancedCode, response: res.response.slice(0, 1000),
  };
  const bounce = outcome === 'bounced' ? classifyBounce({ code: res.code, enhancedCode: res.enhancedCode, response: res.response }) : null;
  // the fields written out, not spread from baseFields: this runs once per message
  const event = makeEvent(outcome as EventType, {
    jobId: msg.jobId, messageId: msg.messageId, tenant: msg.tenant, campaignId: msg.campaignId, recipient: msg.rcptTo,
    domain: msg.domain, rowNumber: msg.rowNumber, kind: msg.kind, sendingDomain: sendingDomainOf(msg),
    attempt: attemptNo, binding, mxHost: res.mxHost,
    smtpCode: res.code, enhancedCode: res.enhancedCode, response: attempt.response,
    bounceClass: bounce?.bounceClass ?? null, bounceCategory: bounce?.category ?? null,
    reason: res.reason ?? null, latencyMs: outcome === 'delivered' ? finished - msg.acceptedAt : null,
  }, finished);
  const out: Output[] = [
    { topic: 'delivery-attempts', key: msg.messageId, value: attempt },
    { topic: 'events', key: msg.jobId, value: event },
  ];
  for (const e of res.events ?? []) out.push({ topic: 'events', key: e.jobId || null, value: e });
  if (bounce?.category === 'hard') {
    const key = at.key ?? suppressionKey(msg.tenant, msg.rcptTo);
    deps.suppressions?.add(key);
    const value: Suppression = {
      email: msg.rcptTo.trim().toLowerCase(), tenant: msg.tenant, source: 'hard_bounce', reason: attempt.response, createdAt: finished,
      transactional: true, nonTransactional: true,
    };
    out.push({ topic: 'suppressions', key, value });
  }
  if (outcome !== 'deferred') return out;
  // a job cancelled while this attempt ran: no retry, the deferral ends cancelled
  if (deps.isCancelled?.(msg.tenant, msg.jobId)) out.push(cancelledEvent(msg, finished));
  else if (deps.retry) out.push(...retryOrExpire(msg, attemptNo, finished, deps.retry(msg, res.mxHost)));
  return out;
}

/** A deferred message goes back on the retry topic with its next attempt time, or expires past its max age. */
export function retryOrExpire(msg: RenderedMessage, attemptNo: number, now: number, policy: RetryPolicy): Output[] {
  const next = nextAttempt({ attempt: attemptNo, acceptedAt: msg.acceptedAt, now, schedule: policy.schedule, maxAgeMs: policy.maxAgeMs });
  if (next.kind === 'retry') return [{ topic: 'retry', key: partitionKey(msg.domain, msg.rcptTo, policy.shards ?? 1), value: { ...msg, attempt: attemptNo, notBefore: next.notBefore } satisfies RenderedMessage }];
  const event = makeEvent('expired', { ...baseFields(msg), attempt: attemptNo, reason: `MS_EXPIRED: undeliverable after ${attemptNo} attempts, ${Math.round(next.ageMs / 1000)} s` }, now);
  return [{ topic: 'events', key: msg.jobId, value: event }];
}
