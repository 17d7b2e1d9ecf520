/**
 * SparkPost's deliverability counters computed from the events table (distinct events, so replays never count
 * twice), for one tenant, over a time range, overall or grouped by domain, campaign or time.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { quote } from './queries.js';
import { NOT_COUNTED, ROLLUP_COUNTERS } from './rollups.js';

/** Each counter SparkPost's metrics API names, as a ClickHouse expression over `events`. */
export const COUNTERS: Readonly<Record<string, string>> = {
  count_injected: "uniqExactIf(event_id, type = 'injected')",
  count_targeted: "uniqExactIf(event_id, type IN ('injected', 'invalid_recipient'))",
  count_sent: "uniqExactIf(event_id, type IN ('delivered', 'bounced'))",
  count_accepted: "uniqExactIf(event_id, type = 'delivered')",
  count_delivered: "uniqExactIf(event_id, type = 'delivered')",
  count_delivered_first: "uniqExactIf(event_id, type = 'delivered' AND ifNull(attempt, 1) <= 1)",
  count_delivered_subsequent: "uniqExactIf(event_id, type = 'delivered' AND ifNull(attempt, 1) > 1)",
  count_delayed: "uniqExactIf(event_id, type = 'deferred')",
  count_bounce: "uniqExactIf(event_id, type IN ('bounced', 'expired', 'out_of_band'))",
  count_inband_bounce: "uniqExactIf(event_id, type IN ('bounced', 'expired'))",
  count_outofband_bounce: "uniqExactIf(event_id, type = 'out_of_band')",
  count_hard_bounce: "uniqExactIf(event_id, type IN ('bounced', 'out_of_band') AND bounce_category = 'hard')",
  count_soft_bounce: "uniqExactIf(event_id, type IN ('bounced', 'expired') AND bounce_category IN ('soft', ''))",
  count_block_bounce: "uniqExactIf(event_id, type = 'bounced' AND bounce_category = 'block')",
  count_admin_bounce: "uniqExactIf(event_id, type = 'bounced' AND bounce_category = 'admin')",
  count_undetermined_bounce: "uniqExactIf(event_id, type = 'bounced' AND bounce_category = 'undetermined')",
  count_rejected: "uniqExactIf(event_id, type IN ('policy_rejected', 'render_failed', 'failed', 'invalid_recipient'))",
  count_policy_rejection: "uniqExactIf(event_id, type = 'policy_rejected')",
  count_generation_failed: "uniqExactIf(event_id, type IN ('render_failed', 'failed'))",
  count_generation_rejection: "uniqExactIf(event_id, type = 'invalid_recipient')",
  count_timed_out: "uniqExactIf(event_id, type = 'expired')",
  count_spam_complaint: "uniqExactIf(event_id, type IN ('spam_complaint', 'complaint'))",
  count_unsubscribe: "uniqExactIf(event_id, type IN ('list_unsubscribe', 'link_unsubscribe', 'unsubscribed'))",
  count_clicked: "uniqExactIf(event_id, type IN ('click', 'clicked'))",
  count_unique_clicked: "uniqExactIf(message_id, type IN ('click', 'clicked'))",
  count_rendered: "uniqExactIf(event_id, type IN ('open', 'opened'))",
  count_unique_rendered: "uniqExactIf(message_id, type IN ('open', 'opened'))",
  count_initial_rendered: "uniqExactIf(event_id, type = 'initial_open')",
  count_unique_initial_rendered: "uniqExactIf(message_id, type = 'initial_open')",
  // mailstream's own: engagement that looks machine-made (Apple's privacy proxy, link scanners) counted apart
  count_human_rendered: "uniqExactIf(event_id, type = 'open' AND NOT visitParamExtractBool(detail, 'machine'))",
  count_machine_rendered: "uniqExactIf(event_id, type = 'open' AND visitParamExtractBool(detail, 'machine'))",
  count_human_clicked: "uniqExactIf(event_id, type = 'click' AND NOT visitParamExtractBool(detail, 'machine'))",
  count_machine_clicked: "uniqExactIf(event_id, type = 'click' AND visitParamExtractBool(detail, 'machine'))",
  count_unique_human_clicked: "uniqExactIf(message_id, type = 'click' AND NOT visitParamExtractBool(detail, 'machine'))",
  count_cancelled: "uniqExactIf(event_id, type = 'cancelled')",
  total_delivery_time_first: "sumIf(ifNull(latency_ms, 0), type = 'delivered' AND ifNull(attempt, 1) <= 1)",
};

/** How results are grouped: none, or one column SparkPost names. */
export type Grouping = 'none' | 'domain' | 'campaign' | 'template' | 'time';

/** Time-series buckets SparkPost accepts, as ClickHouse functions that exist on 18.16 too. */
export const PRECISION: Readonly<Record<string, string>> = {
  '1min': 'toStartOfMinute', '5min': 'toStartOfFiveMinute', '15min': 'toStartOfFifteenMinutes', hour: 'toStartOfHour',
  day: 'toStartOfDay', week: 'toMonday', month: 'toStartOfMonth',
};

/** Query of one metrics call. */
export interface MetricsQuery {
  tenant: string; from: number; to: number; metrics: string[]; campaigns?: string[]; domains?: string[]; templates?: string[];
  group: Grouping; precision?: string; limit?: number;
}

const list = (col: string, values?: readonly string[]) => (values?.length ? ` AND ${col} IN (${values.map(quote).join(', ')})` : '');

const MINUTE = 60_000;

/**
 * Rows of counters (numbers), each with its group column when grouped: from the per-minute rollup when the range is
 * whole minutes and the grouping needs no template (SparkPost's API takes minutes), else from the raw events.
 */
export async function deliverability(ch: ClickHouseClient, q: MetricsQuery): Promise<Record<string, unknown>[]> {
  const rollup = q.group !== 'template' && q.from % MINUTE === 0 && q.to % MINUTE === 0;
  return rollup ? fromRollup(ch, q) : fromEvents(ch, q);
}

/** The counters read from `rollup_minute`. */
export async function fromRollup(ch: ClickHouseClient, q: MetricsQuery): Promise<Record<string, unknown>[]> {
  const counters = q.metrics.map((m) => `${ROLLUP_COUNTERS[m]} AS ${m}`).join(', ');
  const group = q.group === 'domain' ? 'domain AS domain' : q.group === 'campaign' ? 'campaign_id AS campaign_id'
    : q.group === 'time' ? `${PRECISION[q.precision ?? 'day']}(minute) AS bucket` : '';
  const where = `tenant = ${quote(q.tenant)} AND minute >= toDateTime(${Math.floor(q.from / 1000)})`
    + ` AND minute < toDateTime(${Math.floor(q.to / 1000)}) AND type NOT IN ${NOT_COUNTED}`
    + list('campaign_id', q.campaigns) + list('domain', q.domains);
  const by = group ? ` GROUP BY ${group.split(' AS ')[1]} ORDER BY ${group.split(' AS ')[1]}` : '';
  const rs = await ch.query({
    query: `SELECT ${group ? `${group}, ` : ''}${counters} FROM rollup_minute WHERE ${where}${by} LIMIT ${q.limit ?? 1000}`,
    format: 'JSONEachRow',
  });
  return shape(await rs.json<Record<string, string | number>>());
}

/** The counters read from the raw `events` table. */
export async function fromEvents(ch: ClickHouseClient, q: MetricsQuery): Promise<Record<string, unknown>[]> {
  const counters = q.metrics.map((m) => `${COUNTERS[m]} AS ${m}`).join(', ');
  const group = q.group === 'domain' ? 'domain AS domain' : q.group === 'campaign' ? 'campaign_id AS campaign_id'
    : q.group === 'template' ? 'tpl AS tpl' : q.group === 'time' ? `${PRECISION[q.precision ?? 'day']}(ts) AS bucket` : '';
  const where = `tenant = ${quote(q.tenant)} AND ts_ms >= ${Math.floor(q.from)} AND ts_ms < ${Math.floor(q.to)}`
    + " AND type NOT IN ('job_accepted', 'split_completed', 'job_failed', 'shaping_adjusted')"
    + list('campaign_id', q.campaigns) + list('domain', q.domains)
    + (q.group === 'template' ? ` AND tpl != ''${list('tpl', q.templates)}` : '');
  // a message's template is named by its job's job_accepted event (the alias differs from the column: 18.16;
  // current releases want the subquery named)
  const from = q.group === 'template' ? `events ANY LEFT JOIN (SELECT job_id, any(template_id) AS tpl FROM events
    WHERE tenant = ${quote(q.tenant)} AND type = 'job_accepted' GROUP BY job_id) AS accepted USING job_id` : 'events';
  const by = group ? ` GROUP BY ${group.split(' AS ')[1]} ORDER BY ${group.split(' AS ')[1]}` : '';
  const rs = await ch.query({
    query: `SELECT ${group ? `${group}, ` : ''}${counters} FROM ${from} WHERE ${where}${by} LIMIT ${q.limit ?? 1000}`,
    format: 'JSONEachRow',
  });
  return shape(await rs.json<Record<string, string | number>>());
}

function shape(rows: Record<string, string | number>[]): Record<string, unknown>[] {
  return rows.map((r) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r)) {
      if (k === 'bucket') out.ts = new Date(`${String(v).replace(' ', 'T')}Z`).toISOString();
      else if (k === 'tpl') out.template_id = v;
      else out[k] = k in COUNTERS ? Number(v) : v;
    }
    return out;
  });
}
