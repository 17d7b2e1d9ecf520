/**
 * The "nothing stuck" watchdog of the event sink: every STUCK_CHECK_MS it looks, among the jobs whose events this
 * instance inserted, for recipients without a final state past their domain's maximum age (shaping `max_age`, plus
 * the longest retry interval, by when the sender must have expired them), writes one `stuck` event for each and
 * exports how many there are as `mailstream_recipients_stuck`.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import client from 'prom-client';
import type { Event } from '../../generated/types.js';
import { stuckRecipients, type MissingRecipient } from '../../clickhouse/missing.js';
import { makeEvent } from '../../schemas/events.js';
import type { Output } from '../shell/index.js';

const stuckGauge = new client.Gauge({
  name: 'mailstream_recipients_stuck', help: 'Recipients without a final state past their maximum age, in jobs this sink saw',
});

/** Jobs remembered (most recent first out), and for how long after their last event (ms). */
const KEEP_JOBS = 10_000;

/** The `stuck` events of `rows` not yet flagged: not final, so the recipient may still end delivered or expired. */
export function stuckEvents(rows: MissingRecipient[], now: number, maxAgeOf: (domain: string) => number): Event[] {
  return rows.filter((r) => !r.flagged && now - r.since > maxAgeOf(r.domain)).map((r) => makeEvent('stuck', {
    jobId: r.jobId, messageId: r.messageId, tenant: r.tenant || null, campaignId: r.campaignId || null, recipient: r.recipient || null,
    domain: r.domain || null, reason: `MS_ERR_STUCK: no final state ${Math.round((now - r.since) / 1000)} s after it was injected`,
    detail: JSON.stringify({ last_type: r.lastType, last_at: r.lastAt, deferrals: r.deferrals, since: r.since }),
  }, now));
}

/** Start the watchdog; `seen` records the jobs of inserted events. */
export function startWatchdog(ch: ClickHouseClient, opts: {
  everyMs: number; maxAgeOf: (domain: string) => number; minMaxAgeMs: number; emit: (outputs: Output[]) => Promise<void>;
  now?: () => number; onError?: (err: Error) => void;
}) {
  const now = opts.now ?? Date.now;
  const jobs = new Map<string, number>();
  const check = async () => {
    const t = now();
    const rows = await stuckRecipients(ch, [...jobs.keys()], t - opts.minMaxAgeMs);
    const stuck = rows.filter((r) => t - r.since > opts.maxAgeOf(r.domain));
    stuckGauge.set(stuck.length);
    const events = stuckEvents(stuck, t, opts.maxAgeOf);
    if (events.length) await opts.emit(events.map((value) => ({ topic: 'events', key: value.jobId, value })));
  };
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    running ??= check().catch((err: Error) => opts.onError?.(err)).finally(() => { running = undefined; });
  }, opts.everyMs);
  timer.unref();
  return {
    /** Note the jobs of inserted events. */
    seen(jobIds: Iterable<string>): void {
      for (const j of jobIds) {
        if (!j) continue;
        jobs.delete(j);
        jobs.set(j, now());
        if (jobs.size > KEEP_JOBS) jobs.delete(jobs.keys().next().value!);
      }
    },
    async stop(): Promise<void> { clearInterval(timer); await running; },
  };
}
