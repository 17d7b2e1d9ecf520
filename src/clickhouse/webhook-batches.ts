/** SparkPost's webhook batch status, read from the webhook_batch events the webhooks stages write. */
import type { ClickHouseClient } from '@clickhouse/client';
import { quote } from './queries.js';

/** The latest attempts of `tenant`'s webhook `id`, newest first, in SparkPost's shape. */
export async function batchStatus(ch: ClickHouseClient, tenant: string, id: string, limit: number): Promise<object[]> {
  const needle = quote(`"webhook_id":${JSON.stringify(id)}`);
  const rs = await ch.query({
    query: `SELECT event_id, ts_ms, attempt, detail, reason FROM events WHERE tenant = ${quote(tenant)}
      AND type IN ('webhook_batch', 'webhook_failed') AND position(detail, ${needle}) > 0
      ORDER BY ts_ms DESC LIMIT 1 BY event_id LIMIT ${Math.floor(limit)}`,
    format: 'JSONEachRow',
  });
  const rows = await rs.json<{ ts_ms: string; attempt: number | null; detail: string; reason: string }>();
  return rows.map((r) => {
    const d = JSON.parse(r.detail) as { batch_id: string; response_code?: string; failure_code?: string };
    return { batch_id: d.batch_id, ts: new Date(Number(r.ts_ms)).toISOString(), attempts: r.attempt ?? 1,
      response_code: d.response_code || undefined, failure_code: d.failure_code || (d.response_code ? undefined : 'expired') };
  });
}
