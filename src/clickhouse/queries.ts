/** Read-side queries a user runs: counts by event type for a job, de-duplicated by event ID. */
import type { ClickHouseClient } from '@clickhouse/client';

/** Final states of a recipient; every recipient ends in exactly one. */
export const FINAL_TYPES = [
  'delivered', 'bounced', 'expired', 'policy_rejected', 'failed', 'render_failed', 'invalid_recipient', 'cancelled',
] as const;

/** Job counts: distinct events by type, plus replays (rows beyond the distinct events). */
export interface JobCounts { byType: Record<string, number>; duplicates: number; recipients: number | null; finished: number; done: boolean }

/** Counts for `jobId`; with `tenant`, only that tenant's events (another tenant's job counts as empty). */
export async function jobCounts(ch: ClickHouseClient, jobId: string, tenant?: string): Promise<JobCounts> {
  const rs = await ch.query({
    // query parameters ({name:Type}) arrived after 18.16, so the literal is escaped here
    query: `SELECT type, uniqExact(event_id) AS n, count() AS rows, max(ifNull(count, 0)) AS c FROM events`
      + ` WHERE job_id = ${quote(jobId)}${tenant === undefined ? '' : ` AND tenant = ${quote(tenant)}`} GROUP BY type`,
    format: 'JSONEachRow',
  });
  const rows = await rs.json<{ type: string; n: string | number; rows: string | number; c: string | number }>();
  const byType: Record<string, number> = {};
  let duplicates = 0;
  for (const r of rows) {
    byType[r.type] = Number(r.n);
    duplicates += Number(r.rows) - Number(r.n);
  }
  // a bulk job's size arrives with split_completed (or job_failed); a transactional job's with job_accepted
  const closing = rows.find((r) => r.type === 'split_completed' || r.type === 'job_failed') ?? rows.find((r) => r.type === 'job_accepted' && Number(r.c) > 0);
  const recipients = closing ? Number(closing.c) + (byType.invalid_recipient ?? 0) : null;
  const finished = FINAL_TYPES.reduce((s, t) => s + (byType[t] ?? 0), 0);
  return { byType, duplicates, recipients, finished, done: recipients != null && finished >= recipients };
}

/** Rows of the job's final events, duplicates included: a count on the primary key (job_id, type), cheap to poll. */
export async function finalRows(ch: ClickHouseClient, jobId: string): Promise<number> {
  const types = FINAL_TYPES.map((t) => `'${t}'`).join(', ');
  const rs = await ch.query({
    query: `SELECT count() AS n FROM events WHERE job_id = ${quote(jobId)} AND type IN (${types})`, format: 'JSONEachRow',
  });
  const [r] = await rs.json<{ n: string | number }>();
  return Number(r?.n ?? 0);
}

/** Who a job belongs to, from its job_accepted event: tenant and campaign ('' when none), or undefined before it arrives. */
export async function jobOwner(ch: ClickHouseClient, jobId: string): Promise<{ tenant: string; campaignId: string } | undefined> {
  const rs = await ch.query({
    query: `SELECT any(tenant) AS tenant, any(campaign_id) AS campaign FROM events WHERE job_id = ${quote(jobId)} AND type = 'job_accepted'`
      + ' HAVING count() > 0',
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<{ tenant: string; campaign: string }>();
  return row ? { tenant: row.tenant, campaignId: row.campaign } : undefined;
}

/** `tenant`'s jobs (of `campaign` when given), newest first, from their job_accepted events. */
export async function tenantJobs(ch: ClickHouseClient, tenant: string, campaign?: string, limit = 1000):
  Promise<Array<{ jobId: string; campaignId: string; acceptedAt: number }>> {
  const rs = await ch.query({
    query: `SELECT job_id, any(campaign_id) AS campaign, min(ts_ms) AS at FROM events WHERE tenant = ${quote(tenant)}`
      + `${campaign === undefined ? '' : ` AND campaign_id = ${quote(campaign)}`} AND type = 'job_accepted'`
      + ` GROUP BY job_id ORDER BY at DESC LIMIT ${Math.floor(limit)}`,
    format: 'JSONEachRow',
  });
  // the alias differs from the column: 18.16 would resolve the WHERE's campaign_id to the aggregate
  return (await rs.json<{ job_id: string; campaign: string; at: string }>())
    .map((r) => ({ jobId: r.job_id, campaignId: r.campaign, acceptedAt: Number(r.at) }));
}

/** The IDs of `tenant`'s jobs of `campaign`. */
export async function campaignJobs(ch: ClickHouseClient, tenant: string, campaign: string): Promise<string[]> {
  return (await tenantJobs(ch, tenant, campaign, 100_000)).map((j) => j.jobId);
}

/** A ClickHouse string literal. */
export function quote(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
