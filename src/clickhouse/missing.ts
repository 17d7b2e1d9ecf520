/**
 * "Who did not get it": a job's recipients with no final state yet, from the events table (distinct per message, so
 * replays never hide or double one), oldest first, with what happened to each so far.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { FINAL_TYPES, quote } from './queries.js';

/** One recipient without a final state. */
export interface MissingRecipient {
  messageId: string; jobId: string; tenant: string; campaignId: string; recipient: string; domain: string; since: number;
  lastType: string; lastAt: number; deferrals: number; lastResponse: string;
  /** A `stuck` event was already written for it. */
  flagged: boolean;
}

const FINALS = `(${FINAL_TYPES.map(quote).join(', ')})`;

/** The query, over `where` (a condition on events); aliases differ from column names (18.16). */
function missingQuery(where: string, having = '', limit = 1000): string {
  return "SELECT message_id AS mid, any(job_id) AS job, anyIf(tenant, tenant != '') AS tnt,"
    + " anyIf(campaign_id, campaign_id != '') AS cmp, anyIf(recipient, recipient != '') AS rcpt,"
    + " anyIf(domain, domain != '') AS dom, countIf(type = 'stuck') > 0 AS flagged, min(ts_ms) AS since,"
    + " argMaxIf(type, ts_ms, type != 'stuck') AS last_type, maxIf(ts_ms, type != 'stuck') AS last_at,"
    + " uniqExactIf(event_id, type = 'deferred') AS deferrals, argMaxIf(response, ts_ms, type = 'deferred') AS last_response"
    + ` FROM events WHERE ${where} AND message_id != '' GROUP BY message_id`
    + ` HAVING countIf(type IN ${FINALS}) = 0${having} ORDER BY since, mid LIMIT ${Math.floor(limit)}`;
}

const toRow = (r: Record<string, string>): MissingRecipient => ({
  messageId: r.mid!, jobId: r.job!, tenant: r.tnt!, campaignId: r.cmp!, flagged: Number(r.flagged) > 0, recipient: r.rcpt!,
  domain: r.dom!, since: Number(r.since), lastType: r.last_type!,
  lastAt: Number(r.last_at), deferrals: Number(r.deferrals), lastResponse: r.last_response!,
});

/** `jobId`'s recipients with no final state (of `tenant` only, when given). */
export async function missingRecipients(ch: ClickHouseClient, jobId: string, opts: { tenant?: string; limit?: number } = {}):
  Promise<MissingRecipient[]> {
  const where = `job_id = ${quote(jobId)}${opts.tenant === undefined ? '' : ` AND tenant = ${quote(opts.tenant)}`}`;
  const rs = await ch.query({ query: missingQuery(where, '', opts.limit), format: 'JSONEachRow' });
  return (await rs.json<Record<string, string>>()).map(toRow);
}

/** Recipients of `jobIds` with no final state whose first event is older than `olderThan` (ms since the epoch). */
export async function stuckRecipients(ch: ClickHouseClient, jobIds: string[], olderThan: number, limit = 10_000):
  Promise<MissingRecipient[]> {
  if (!jobIds.length) return [];
  const where = `job_id IN (${jobIds.map(quote).join(', ')})`;
  const rs = await ch.query({
    query: missingQuery(where, ` AND min(ts_ms) < ${Math.floor(olderThan)}`, limit),
    format: 'JSONEachRow',
  });
  return (await rs.json<Record<string, string>>()).map(toRow);
}
