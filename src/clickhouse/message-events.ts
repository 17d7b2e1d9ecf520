/**
 * SparkPost's message events read from ClickHouse: our closed event types under SparkPost's names, one row per
 * event (replays removed), a tenant's own only, newest first, with cursor paging.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { quote } from './queries.js';

/** Our event type → SparkPost's event name; types not listed are internal (job lifecycle, shaping). */
export const SPARKPOST_EVENT: Readonly<Record<string, string>> = {
  injected: 'injection', delivered: 'delivery', deferred: 'delay', bounced: 'bounce', expired: 'bounce',
  policy_rejected: 'policy_rejection', render_failed: 'generation_failure', failed: 'generation_failure',
  invalid_recipient: 'generation_rejection', opened: 'open', clicked: 'click', unsubscribed: 'list_unsubscribe',
  complaint: 'spam_complaint',
  // recipient feedback from the tracker and the inbound server, under SparkPost's own names
  open: 'open', initial_open: 'initial_open', click: 'click', list_unsubscribe: 'list_unsubscribe',
  link_unsubscribe: 'link_unsubscribe', spam_complaint: 'spam_complaint', out_of_band: 'out_of_band',
  // SparkPost has no event for it; mailstream's own name, documented
  cancelled: 'cancelled',
};

/** Filters of `GET /events/message`, already split into lists. */
export interface EventFilter {
  tenant: string; events?: string[]; recipients?: string[]; campaigns?: string[]; transmissions?: string[];
  messages?: string[]; templates?: string[]; bounceClasses?: number[]; from?: number; to?: number; perPage: number; cursor?: string;
}

/** A row as ClickHouse returns it. */
interface Row {
  event_id: string; type: string; ts_ms: string; job_id: string; message_id: string; campaign_id: string; recipient: string;
  domain: string; binding: string; mx_host: string; smtp_code: number | null; enhanced_code: string; response: string;
  bounce_class: number | null; reason: string; template_id: string; template_version: number | null; url: string;
  attempt: number | null; detail: string;
}

const list = (col: string, values?: readonly string[]) => (values?.length ? ` AND ${col} IN (${values.map(quote).join(', ')})` : '');

/** SparkPost's view of one event. */
function view(r: Row): Record<string, unknown> {
  const type = SPARKPOST_EVENT[r.type]!;
  const e: Record<string, unknown> = {
    type, event_id: r.event_id, timestamp: new Date(Number(r.ts_ms)).toISOString(), message_id: r.message_id,
    transmission_id: r.job_id, campaign_id: r.campaign_id, rcpt_to: r.recipient, raw_rcpt_to: r.recipient,
    routing_domain: r.domain, template_id: r.template_id || undefined, template_version: r.template_version ?? undefined,
  };
  if (r.binding) e.ip_pool = r.binding;
  if (r.attempt != null) e.num_retries = String(Math.max(0, r.attempt - 1));
  if (r.smtp_code != null) e.error_code = String(r.smtp_code);
  if (r.response || r.reason) { e.raw_reason = r.response || r.reason; e.reason = r.response || r.reason; }
  if (r.bounce_class != null) e.bounce_class = String(r.bounce_class);
  if (r.url) e.target_link_url = r.url;
  if (r.type === 'out_of_band' && r.enhanced_code) e.reason = e.raw_reason = `${r.enhanced_code} ${r.response}`.trim();
  const d = feedbackDetail(r.detail);
  if (d.user_agent != null) e.user_agent = d.user_agent;
  if (d.machine != null) e.machine = d.machine;
  if (d.feedback_type != null) e.fbtype = d.feedback_type;
  return e;
}

/** The engagement and feedback fields the tracker and inbound server keep in `detail`. */
function feedbackDetail(detail: string): { user_agent?: string; machine?: boolean; feedback_type?: string } {
  if (!detail.startsWith('{')) return {};
  try { return JSON.parse(detail) as Record<string, never>; } catch { return {}; }
}

/** One page of events and the cursor of the next (null at the end). */
export async function messageEvents(ch: ClickHouseClient, f: EventFilter): Promise<{ results: object[]; next: string | null }> {
  const ours = Object.entries(SPARKPOST_EVENT).filter(([, sp]) => !f.events?.length || f.events.includes(sp)).map(([t]) => t);
  if (!ours.length) return { results: [], next: null };
  let where = `tenant = ${quote(f.tenant)}${list('type', ours)}${list('recipient', f.recipients)}${list('campaign_id', f.campaigns)}`
    + `${list('job_id', f.transmissions)}${list('message_id', f.messages)}${list('template_id', f.templates)}`;
  if (f.bounceClasses?.length) where += ` AND bounce_class IN (${f.bounceClasses.map(Number).join(', ')})`;
  if (f.from != null) where += ` AND ts_ms >= ${Math.floor(f.from)}`;
  if (f.to != null) where += ` AND ts_ms < ${Math.floor(f.to)}`;
  const cursor = f.cursor ? decodeCursor(f.cursor) : null;
  if (cursor) where += ` AND (ts_ms < ${cursor.ts} OR (ts_ms = ${cursor.ts} AND event_id < ${quote(cursor.id)}))`;
  const rs = await ch.query({
    query: `SELECT event_id, type, ts_ms, job_id, message_id, campaign_id, recipient, domain, binding, mx_host, smtp_code,
      enhanced_code, response, bounce_class, reason, template_id, template_version, url, attempt, detail
      FROM events WHERE ${where} ORDER BY ts_ms DESC, event_id DESC LIMIT 1 BY event_id LIMIT ${f.perPage + 1}`,
    format: 'JSONEachRow',
  });
  const rows = await rs.json<Row>();
  const page = rows.slice(0, f.perPage);
  const last = page.at(-1);
  return { results: page.map(view), next: rows.length > f.perPage && last ? encodeCursor(Number(last.ts_ms), last.event_id) : null };
}

const encodeCursor = (ts: number, id: string) => Buffer.from(JSON.stringify([ts, id])).toString('base64url');

/** A cursor from a previous page, or null when it does not parse (the caller answers 422). */
export function decodeCursor(c: string): { ts: number; id: string } | null {
  try {
    const [ts, id] = JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as [unknown, unknown];
    return typeof ts === 'number' && Number.isSafeInteger(ts) && typeof id === 'string' ? { ts, id } : null;
  } catch { return null; }
}
