/** Latency SLO reads (migrations/005): p50, p95 and p99 merged from per-minute quantile states over any range. */
import type { ClickHouseClient } from '@clickhouse/client';
import { PRECISION } from './metrics.js';
import { quote } from './queries.js';

/** Which latency: from the job's launch (first injected recipient) or its acceptance, to the SMTP 250. */
export type Span = 'launch' | 'accepted';

/** One SLO figure: deliveries counted and their latency quantiles (ms). */
export interface SloRow { kind: string; deliveries: number; p50: number; p95: number; p99: number; max: number; ts?: string }

/** A query: one tenant, a range (ms), a span, optionally one lane or campaign, grouped by lane or by time bucket. */
export interface SloQuery { tenant: string; from: number; to: number; span: Span; kind?: string; campaign?: string; precision?: string }

/** The quantiles per lane (or per lane and time bucket when `precision` is given). */
export async function latencySlo(ch: ClickHouseClient, q: SloQuery): Promise<SloRow[]> {
  const bucket = q.precision ? `${PRECISION[q.precision]}(minute) AS bucket, ` : '';
  const where = `tenant = ${quote(q.tenant)} AND span = ${quote(q.span)} AND minute >= toDateTime(${Math.floor(q.from / 1000)})`
    + ` AND minute < toDateTime(${Math.ceil(q.to / 1000)})`
    + (q.kind ? ` AND kind = ${quote(q.kind)}` : '') + (q.campaign ? ` AND campaign_id = ${quote(q.campaign)}` : '');
  const rs = await ch.query({
    query: `SELECT ${bucket}kind, uniqExactMerge(deliveries) AS n, quantilesTDigestMerge(0.5, 0.95, 0.99)(latency) AS q,`
      + ` maxMerge(latency_max) AS mx FROM latency_slo WHERE ${where}`
      + ` GROUP BY ${q.precision ? 'bucket, ' : ''}kind ORDER BY ${q.precision ? 'bucket, ' : ''}kind`,
    format: 'JSONEachRow',
  });
  const rows = await rs.json<{ bucket?: string; kind: string; n: string; q: number[]; mx: string }>();
  return rows.map((r) => ({
    kind: r.kind, deliveries: Number(r.n), p50: Math.round(r.q[0]!), p95: Math.round(r.q[1]!), p99: Math.round(r.q[2]!),
    max: Number(r.mx), ...(r.bucket ? { ts: new Date(`${r.bucket.replace(' ', 'T')}Z`).toISOString() } : {}),
  }));
}
