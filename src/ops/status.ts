/**
 * `mailstream status` in data: stack health, each stage group's lag (records, and the age of its oldest unconsumed
 * record) and consumption rate, the last minute's events, jobs in flight and recipients flagged stuck.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { Kafka } from 'kafkajs';
import { FINAL_TYPES, quote } from '../clickhouse/queries.js';
import { isStageGroup } from './lag.js';
import { recordTimes } from './record-time.js';

/** One stage group's figures. */
export interface StageStatus {
  stage: string; group: string; members: number; lagRecords: number; lagSeconds: number; perSecond: number;
}
/** One unfinished job. */
export interface JobStatus {
  jobId: string; tenant: string; campaignId: string; acceptedAt: number; recipients: number | null; final: number; stuck: number;
}
/** Everything on the screen. */
export interface Status {
  health: Record<'kafka' | 'registry' | 'clickhouse', { ok: boolean; ms: number; error?: string }>;
  stages: StageStatus[]; lastMinute: Record<string, number>; jobs: JobStatus[];
}

async function timed(fn: () => Promise<unknown>): Promise<{ ok: boolean; ms: number; error?: string }> {
  const t = Date.now();
  try { await fn(); return { ok: true, ms: Date.now() - t }; }
  catch (err) { return { ok: false, ms: Date.now() - t, error: (err as Error).message }; }
}

type Offsets = Map<string, Map<string, Map<number, number>>>;

/** Committed offsets of each stage group: group → topic → partition → offset (-1: none yet). */
async function committed(admin: ReturnType<Kafka['admin']>, groups: string[]): Promise<Offsets> {
  const out: Offsets = new Map();
  for (const g of groups) {
    const topics = (await admin.fetchOffsets({ groupId: g })).map((t) => t.topic);
    const byTopic = new Map<string, Map<number, number>>();
    for (const t of topics.length ? await admin.fetchOffsets({ groupId: g, topics }) : []) {
      byTopic.set(t.topic, new Map(t.partitions.map((p) => [p.partition, Number(p.offset)])));
    }
    out.set(g, byTopic);
  }
  return out;
}

/** Stage groups' lag and rate; `windowMs` between two offset samples gives the rate. */
export async function stageStatus(kafka: Kafka, prefix: string, windowMs: number): Promise<StageStatus[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => isStageGroup(prefix, g)).sort();
    const before = await committed(admin, groups);
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, windowMs));
    const after = await committed(admin, groups);
    const secs = (Date.now() - t0) / 1000;
    const described = await admin.describeGroups(groups);
    const out: StageStatus[] = [];
    for (const g of groups) {
      let lagRecords = 0; let consumed = 0; let oldest = Infinity;
      for (const [topic, parts] of after.get(g) ?? []) {
        const offs = await admin.fetchTopicOffsets(topic);
        const behind = new Map<number, number>();
        for (const o of offs) {
          const c = parts.get(o.partition) ?? -1;
          const next = c >= 0 ? c : Number(o.low);
          if (Number(o.high) > next) { lagRecords += Number(o.high) - next; behind.set(o.partition, next); }
          const prev = before.get(g)?.get(topic)?.get(o.partition) ?? -1;
          if (c >= 0 && prev >= 0) consumed += c - prev;
        }
        if (behind.size) for (const t of (await recordTimes(admin, topic, behind)).values()) oldest = Math.min(oldest, t);
      }
      const members = described.groups.find((d) => d.groupId === g)?.members.length ?? 0;
      out.push({ stage: g.slice(prefix.length), group: g, members, lagRecords,
        lagSeconds: oldest === Infinity ? 0 : Math.max(0, (Date.now() - oldest) / 1000), perSecond: consumed / secs });
    }
    return out;
  } finally { await admin.disconnect(); }
}

const FINALS = `(${FINAL_TYPES.map(quote).join(', ')})`;

/** Events of the last minute by type, from the rollup. */
export async function lastMinute(ch: ClickHouseClient, now = Date.now()): Promise<Record<string, number>> {
  const rs = await ch.query({
    // the last whole minute and the current one
    query: 'SELECT type AS t, uniqExactMerge(events) AS n FROM rollup_minute'
      + ` WHERE minute >= toStartOfMinute(toDateTime(${Math.floor((now - 60_000) / 1000)})) GROUP BY t ORDER BY t`,
    format: 'JSONEachRow',
  });
  return Object.fromEntries((await rs.json<{ t: string; n: string }>()).map((r) => [r.t, Number(r.n)]));
}

/** Jobs accepted in the last `days` whose recipients are not all final, newest first. */
export async function jobsInFlight(ch: ClickHouseClient, days = 7, limit = 20): Promise<JobStatus[]> {
  const rs = await ch.query({
    query: `SELECT job_id AS job, anyIf(tenant, tenant != '') AS tnt, anyIf(campaign_id, campaign_id != '') AS cmp,`
      + " minIf(ts_ms, type = 'job_accepted') AS at, countIf(type IN ('split_completed', 'job_failed')) AS closed,"
      + " maxIf(ifNull(count, 0), type IN ('split_completed', 'job_failed')) AS size,"
      + " maxIf(ifNull(count, 0), type = 'job_accepted') AS tx, uniqExactIf(event_id, type = 'invalid_recipient') AS inv,"
      + ` uniqExactIf(event_id, type IN ${FINALS}) AS fin, uniqExactIf(message_id, type = 'stuck') AS stk FROM events`
      + ` WHERE job_id IN (SELECT job_id FROM events WHERE type = 'job_accepted' AND ts > now() - ${Math.floor(days * 86400)})`
      + ` GROUP BY job_id ORDER BY at DESC`,
    format: 'JSONEachRow',
  });
  const out: JobStatus[] = [];
  for (const r of await rs.json<Record<string, string>>()) {
    // as jobCounts: a bulk job's size comes with split_completed, a transactional one's with job_accepted
    const size = Number(r.closed) > 0 ? Number(r.size) : Number(r.tx) > 0 ? Number(r.tx) : null;
    const recipients = size === null ? null : size + Number(r.inv);
    if (recipients != null && Number(r.fin) >= recipients) continue;
    out.push({ jobId: r.job!, tenant: r.tnt!, campaignId: r.cmp!, acceptedAt: Number(r.at), recipients, final: Number(r.fin),
      stuck: Number(r.stk) });
    if (out.length >= limit) break;
  }
  return out;
}

/** Gather the whole screen. */
export async function gatherStatus(deps: {
  kafka: Kafka; ch: ClickHouseClient; prefix: string; registryUrl: string; windowMs: number;
}): Promise<Status> {
  const [kafka, registry, clickhouse] = await Promise.all([
    timed(async () => {
      const a = deps.kafka.admin();
      await a.connect();
      try { await a.describeCluster(); } finally { await a.disconnect(); }
    }),
    timed(async () => { const r = await fetch(`${deps.registryUrl}/subjects`); if (!r.ok) throw new Error(`HTTP ${r.status}`); }),
    timed(async () => { await (await deps.ch.query({ query: 'SELECT 1', format: 'JSONEachRow' })).json(); }),
  ]);
  const [stages, minute, jobs] = await Promise.all([
    kafka.ok ? stageStatus(deps.kafka, deps.prefix, deps.windowMs) : [],
    clickhouse.ok ? lastMinute(deps.ch) : {},
    clickhouse.ok ? jobsInFlight(deps.ch) : [],
  ]);
  return { health: { kafka, registry, clickhouse }, stages, lastMinute: minute, jobs };
}
