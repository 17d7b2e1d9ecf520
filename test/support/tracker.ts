/** A tracker test bed: a gateway bed whose renderer signs links for a tracker running in this process on port 0. */
import { after } from 'node:test';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../src/config/index.js';
import { createClickhouse } from '../../src/clickhouse/client.js';
import { quote } from '../../src/clickhouse/queries.js';
import { startTracker, type Tracker } from '../../src/producers/tracker/index.js';
import { gatewayBed, type GatewayBed } from './gateway.js';

/** The bed, its tracker, and a reader of one job's events. */
export interface TrackerBed extends GatewayBed {
  tracker: Tracker;
  /** Rows of `jobId`'s events of `types` in ClickHouse (type, message_id, url, detail, recipient). */
  events(jobId: string, types: string[]): Promise<Array<{ type: string; message_id: string; url: string; detail: string; recipient: string }>>;
}

/** Start a tracker on a fresh topic prefix, then the gateway bed with the renderer pointed at it. */
export async function trackerBed(env: Record<string, string> = {}): Promise<TrackerBed> {
  const prefix = `t${randomBytes(4).toString('hex')}.`;
  const spool = mkdtempSync(join(tmpdir(), 'mailstream-spool-'));
  after(() => rmSync(spool, { recursive: true, force: true }));
  const base = { TOPIC_PREFIX: prefix, TRACKER_PORT: '0', LOG_LEVEL: 'warn', SPOOL_DIR: spool, ...env };
  const tracker = await startTracker(loadConfig({ ...process.env, ...base }));
  const bed = await gatewayBed({ env: { ...base, TRACKING_BASE_URL: tracker.url, UNSUBSCRIBE_BASE_URL: tracker.url } });
  after(() => tracker.stop());
  return { ...bed, tracker, events: (jobId, types) => jobEvents(bed.cfg, jobId, types) };
}

/** Rows of `jobId`'s events of `types`, distinct by event ID. */
export async function jobEvents(cfg: Config, jobId: string, types: string[]) {
  const ch = createClickhouse(cfg);
  try {
    const rs = await ch.query({
      // aliases differ from the columns: 18.16 would resolve the WHERE's columns to the aggregates
      query: `SELECT any(type) AS t, any(message_id) AS m, any(url) AS u, any(detail) AS d, any(recipient) AS r FROM events`
        + ` WHERE job_id = ${quote(jobId)} AND type IN (${types.map(quote).join(', ')}) GROUP BY event_id`,
      format: 'JSONEachRow',
    });
    return (await rs.json<{ t: string; m: string; u: string; d: string; r: string }>())
      .map((x) => ({ type: x.t, message_id: x.m, url: x.u, detail: x.d, recipient: x.r }));
  } finally { await ch.close(); }
}
