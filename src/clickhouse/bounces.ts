/** Top bounce reasons (SparkPost's /metrics/deliverability/bounce-reason[/domain]), from the raw events of one tenant. */
import type { ClickHouseClient } from '@clickhouse/client';
import { quote } from './queries.js';

/** One reason (and domain) with its counts. */
export interface BounceReason {
  reason: string; domain?: string; classification_id: number; bounce_category_name: string;
  count_bounce: number; count_inband_bounce: number; count_outofband_bounce: number;
}

/** Reasons by bounces, most first; `byDomain` splits them per recipient domain. */
export async function bounceReasons(ch: ClickHouseClient, q: { tenant: string; from: number; to: number; byDomain?: boolean; limit?: number }):
  Promise<BounceReason[]> {
  // a reason is the enhanced code and the reply text without addresses or numbers that differ per recipient
  const rs = await ch.query({
    query: "SELECT replaceRegexpAll(substring(response, 1, 200), '[^ <>]+@[^ <>]+|[0-9a-f]{8,}', '…') AS rsn,"
      + `${q.byDomain ? ' domain AS dom,' : ''} max(ifNull(bounce_class, 0)) AS cls, any(bounce_category) AS cat,`
      + " uniqExact(event_id) AS n, uniqExactIf(event_id, type = 'bounced') AS inband,"
      + " uniqExactIf(event_id, type = 'out_of_band') AS oob FROM events"
      + ` WHERE tenant = ${quote(q.tenant)} AND ts_ms >= ${Math.floor(q.from)} AND ts_ms < ${Math.floor(q.to)}`
      + " AND type IN ('bounced', 'out_of_band')"
      + ` GROUP BY rsn${q.byDomain ? ', dom' : ''} ORDER BY n DESC, rsn LIMIT ${Math.floor(q.limit ?? 20)}`,
    format: 'JSONEachRow',
  });
  return (await rs.json<Record<string, string>>()).map((r) => ({
    reason: r.rsn!, ...(q.byDomain ? { domain: r.dom! } : {}), classification_id: Number(r.cls), bounce_category_name: r.cat || 'undetermined',
    count_bounce: Number(r.n), count_inband_bounce: Number(r.inband), count_outofband_bounce: Number(r.oob),
  }));
}
