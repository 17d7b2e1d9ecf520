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

/** SparkPost's `last_successful` and `last_failure` of each of `tenant`'s webhooks that made an attempt (ISO times). */
export async function lastAttempts(ch: ClickHouseClient, tenant: string): Promise<Map<string, { last_successful?: string;
  last_failure?: string }>> {
  const rs = await ch.query({
    query: `SELECT visitParamExtractString(detail, 'webhook_id') AS id,
      maxIf(ts_ms, visitParamExtractString(detail, 'failure_code') = '') AS ok,
      maxIf(ts_ms, visitParamExtractString(detail, 'failure_code') != '') AS bad
      FROM events WHERE tenant = ${quote(tenant)} AND type = 'webhook_batch' GROUP BY id`,
    format: 'JSONEachRow',
  });
  const iso = (ms: string) => (Number(ms) > 0 ? new Date(Number(ms)).toISOString() : undefined);
  return new Map((await rs.json<{ id: string; ok: string; bad: string }>())
    .map((r) => [r.id, { last_successful: iso(r.ok), last_failure: iso(r.bad) }]));
}
