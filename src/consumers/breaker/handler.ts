/**
 * The deliverability circuit breaker's pure core. It reads the events topic and keeps, per tenant and per campaign,
 * the outcomes of the last N sends (delivered or hard-bounced) and which of those messages drew a spam complaint.
 * When a scope's complaint rate or hard-bounce rate passes its threshold (with at least the minimum sample), it
 * pauses that scope's bulk sending with a SendingPause record and a `sending_paused` event that says why, then
 * starts the scope's window afresh. The state is in memory: after a restart the windows fill again from new events.
 */
import type { BreakerMetric, Event, SendingPause } from '../../generated/types.js';
import { makeEvent } from '../../schemas/events.js';
import type { Output } from '../shell/index.js';

/** Thresholds and window (BREAKER_*). */
export interface BreakerOptions { window: number; minSample: number; complaintRate: number; hardBounceRate: number }

interface Sample { messageId: string; hard: boolean; complaint: boolean }

/** The last N samples of one scope, with the counts of hard bounces and complaints among them. */
class Window {
  readonly ring: Sample[] = [];
  readonly byMessage = new Map<string, Sample>();
  hard = 0; complaints = 0;
  constructor(readonly size: number) {}
  push(s: Sample): void {
    this.ring.push(s); this.byMessage.set(s.messageId, s);
    if (s.hard) this.hard++;
    if (this.ring.length > this.size) {
      const old = this.ring.shift()!;
      this.byMessage.delete(old.messageId);
      if (old.hard) this.hard--;
      if (old.complaint) this.complaints--;
    }
  }
  complain(messageId: string): boolean {
    const s = this.byMessage.get(messageId);
    if (!s || s.complaint) return false;
    s.complaint = true; this.complaints++;
    return true;
  }
}

/** The scope key of the sending-pauses topic: `<tenant>:<campaign>`, or `<tenant>:` for the whole tenant. */
export const pauseKey = (tenant: string, campaignId: string | null): string => `${tenant}:${campaignId ?? ''}`;

/** Build the handler: one event in, a pause record and its event out when a scope trips. */
export function createBreaker(opts: BreakerOptions) {
  const windows = new Map<string, Window>();
  const win = (key: string) => {
    let w = windows.get(key);
    if (!w) { w = new Window(opts.window); windows.set(key, w); }
    return w;
  };
  // which campaign a message belongs to, for complaints that arrive without one
  const campaignOf = new Map<string, string | null>();
  const trip = (tenant: string, campaignId: string | null, w: Window, now: number): Output[] => {
    const n = w.ring.length;
    if (n < opts.minSample) return [];
    const metric: BreakerMetric | null = w.complaints / n > opts.complaintRate ? 'complaint_rate'
      : w.hard / n > opts.hardBounceRate ? 'hard_bounce_rate' : null;
    if (!metric) return [];
    const rate = (metric === 'complaint_rate' ? w.complaints : w.hard) / n;
    const threshold = metric === 'complaint_rate' ? opts.complaintRate : opts.hardBounceRate;
    const key = pauseKey(tenant, campaignId);
    windows.delete(key);
    const pause: SendingPause = { tenant, campaignId, metric, rate, threshold, window: n, pausedAt: now };
    const scope = campaignId ? `campaign ${campaignId} of tenant ${tenant}` : `tenant ${tenant}`;
    const reason = `MS_PAUSED: bulk sending of ${scope} paused: ${metric.replace(/_/g, ' ')} ${(rate * 100).toFixed(2)}%`
      + ` over the last ${n} sends passed ${(threshold * 100).toFixed(2)}%; resume with "mailstream breaker resume"`;
    const event = makeEvent('sending_paused', {
      jobId: '', tenant, campaignId, eventId: `${key}:sending_paused:${now}`, reason, count: n,
      detail: JSON.stringify({ metric, rate, threshold, window: n }),
    }, now);
    return [{ topic: 'sending-pauses', key, value: pause }, { topic: 'events', key: null, value: event }];
  };
  const check = (tenant: string, campaignId: string | null, now: number) =>
    trip(tenant, campaignId, win(pauseKey(tenant, campaignId)), now);
  const sample = (key: string, messageId: string, hard: boolean) => {
    const w = win(key);
    const s = w.byMessage.get(messageId);
    // an out-of-band bounce follows a delivery of the same message: it turns that sample hard
    if (!s) w.push({ messageId, hard, complaint: false });
    else if (hard && !s.hard) { s.hard = true; w.hard++; }
  };
  return (e: Event): Output[] => {
    if (!e.tenant || !e.messageId) return [];
    const hard = (e.type === 'bounced' || e.type === 'out_of_band') && e.bounceCategory === 'hard';
    if (e.type === 'delivered' || hard) {
      if (e.type === 'delivered') campaignOf.set(e.messageId, e.campaignId);
      if (campaignOf.size > opts.window * 4) campaignOf.delete(campaignOf.keys().next().value!);
      sample(pauseKey(e.tenant, null), e.messageId, hard);
      if (e.campaignId) sample(pauseKey(e.tenant, e.campaignId), e.messageId, hard);
      return [...check(e.tenant, null, e.ts), ...(e.campaignId ? check(e.tenant, e.campaignId, e.ts) : [])];
    }
    if (e.type !== 'spam_complaint' && e.type !== 'complaint') return [];
    const campaign = e.campaignId ?? campaignOf.get(e.messageId) ?? null;
    const out: Output[] = [];
    if (win(pauseKey(e.tenant, null)).complain(e.messageId)) out.push(...check(e.tenant, null, e.ts));
    if (campaign && win(pauseKey(e.tenant, campaign)).complain(e.messageId)) out.push(...check(e.tenant, campaign, e.ts));
    return out;
  };
}
