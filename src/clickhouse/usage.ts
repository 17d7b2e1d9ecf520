/** Recipients a tenant has had accepted since a time: what sending quotas count, from distinct events. */
import type { ClickHouseClient } from '@clickhouse/client';
import { quote } from './queries.js';

/**
 * Recipients accepted for `tenant` since `since` (ms): bulk recipients as their `injected` events, priority-lane
 * ones as the `count` their `job_accepted` carries (bulk acceptances carry none).
 */
export async function recipientsAccepted(ch: ClickHouseClient, tenant: string, since: number): Promise<number> {
  const where = `tenant = ${quote(tenant)} AND ts_ms >= ${Math.floor(since)}`;
  const rs = await ch.query({
    query: `SELECT (SELECT uniqExact(event_id) FROM events WHERE ${where} AND type = 'injected')
      + (SELECT sum(c) FROM (SELECT any(ifNull(count, 0)) AS c FROM events WHERE ${where} AND type = 'job_accepted' GROUP BY event_id)) AS n`,
    format: 'JSONEachRow',
  });
  return Number((await rs.json<{ n: string | number }>())[0]?.n ?? 0);
}
