/** The event sink's pure core: the flat event record as a ClickHouse `events` row. */
import type { Event } from '../../generated/types.js';

/** Map an event to its row of the ClickHouse events table (src/clickhouse/migrations/001_events.sql); nulls become '' for String columns, stay null for Nullable numbers. */
export function toRow(e: Event) {
  return {
    event_id: e.eventId, type: e.type, ts: Math.floor(e.ts / 1000), ts_ms: e.ts, job_id: e.jobId,
    message_id: e.messageId ?? '', tenant: e.tenant ?? '', campaign_id: e.campaignId ?? '', recipient: e.recipient ?? '',
    domain: e.domain ?? '', row_number: e.rowNumber, count: e.count, attempt: e.attempt, binding: e.binding ?? '',
    mx_host: e.mxHost ?? '', smtp_code: e.smtpCode, enhanced_code: e.enhancedCode ?? '', response: e.response ?? '',
    bounce_class: e.bounceClass, bounce_category: e.bounceCategory ?? '', reason: e.reason ?? '', template_id: e.templateId ?? '',
    template_version: e.templateVersion, url: e.url ?? '', latency_ms: e.latencyMs, detail: e.detail ?? '',
    kind: e.kind ?? '', sending_domain: e.sendingDomain ?? '',
  };
}

/** Split `items` into chunks of at most `size`. */
export function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** A `delivery_launch` row (launch → SMTP 250) for each delivered event whose job's launch `launchOf` knows. */
export function launchRows(events: Event[], launchOf: (jobId: string) => number | undefined) {
  const rows = [];
  for (const e of events) {
    const launch = e.type === 'delivered' ? launchOf(e.jobId) : undefined;
    if (launch === undefined) continue;
    rows.push({
      ts: Math.floor(e.ts / 1000), event_id: e.eventId, tenant: e.tenant ?? '', kind: e.kind ?? '', campaign_id: e.campaignId ?? '',
      job_id: e.jobId, launch_ms: Math.max(0, e.ts - launch),
    });
  }
  return rows;
}
