/**
 * Event sink wiring: events → ClickHouse. The fetch waits up to EVENT_SINK_FLUSH_MS for data (batching by
 * time), inserts go in chunks of EVENT_SINK_BATCH_SIZE (by count), and offsets are committed only after
 * ClickHouse has acknowledged the insert.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { Config } from '../../config/index.js';
import type { Event } from '../../generated/types.js';
import { MailstreamError } from '../../lib/errors.js';
import { createStage, type StageDeps } from '../shell/index.js';
import { erasedRecipient } from '../../clickhouse/erase.js';
import { chunk, launchRows, toRow } from './handler.js';
import { createLaunches } from './launches.js';
import { deliveryLatency, inserted } from './metrics.js';
import { startWatchdog } from './watchdog.js';
import { createCoalescer } from './coalesce.js';
import { loadShaping, resolveShaping } from '../../delivery/shaping.js';
import { logger } from '../../lib/logger.js';
import { STAGE_TOPICS } from '../../topics/components.js';
import { topic } from '../../topics/runtime.js';

// long enough for every partition batch of one fetch to join the insert, short beside EVENT_SINK_FLUSH_MS
const LINGER_MS = 50;

/** The event sink stage. */
export function createEventSink(deps: StageDeps, cfg: Config, clickhouse: ClickHouseClient) {
  const launches = createLaunches(clickhouse);
  const insert = async (table: string, values: object[]) => {
    for (const part of chunk(values, cfg.sinkBatchSize)) {
      try { await clickhouse.insert({ table, values: part, format: 'JSONEachRow' }); inserted.inc({ table }, part.length); }
      catch (err) {
        throw new MailstreamError('MS_ERR_UNAVAILABLE', `ClickHouse insert failed: ${(err as Error).message}`, { cause: err });
      }
    }
  };
  let watchdog: ReturnType<typeof startWatchdog> | undefined;
  const store = async (events: Event[]): Promise<void> => {
    await deps.crypto?.watch();
    // an event of an erased job that was still on its way keeps no address (as `mailstream job --erase` leaves them)
    await insert('events', events.map((e) => {
      const row = toRow(e);
      return deps.crypto?.isErased(row.tenant, row.job_id)
        ? { ...row, recipient: erasedRecipient(cfg.erasureSecret, row.tenant, row.recipient) } : row;
    }));
    watchdog?.seen(events.map((e) => e.jobId));
    // launch latencies after the events: a job's injected events are then in ClickHouse
    const delivered = events.filter((e) => e.type === 'delivered');
    if (!delivered.length) return;
    try { await launches.load(delivered.map((e) => e.jobId)); }
    catch (err) {
      throw new MailstreamError('MS_ERR_UNAVAILABLE', `ClickHouse query failed: ${(err as Error).message}`, { cause: err });
    }
    const rows = launchRows(delivered, launches.of);
    await insert('delivery_launch', rows);
    for (const e of delivered) {
      if (e.latencyMs != null) deliveryLatency.observe({ kind: e.kind ?? '', span: 'accepted' }, e.latencyMs / 1000);
    }
    for (const r of rows) deliveryLatency.observe({ kind: r.kind, span: 'launch' }, r.launch_ms / 1000);
  };
  const coalescer = createCoalescer(store, { lingerMs: LINGER_MS, maxItems: cfg.sinkBatchSize });
  const stage = createStage<Event>({
    name: 'event-sink',
    ...STAGE_TOPICS['event-sink'],
    // every partition of a fetch at once, so their batches share one insert
    partitionsConcurrently: topic(deps.topicPrefix, STAGE_TOPICS['event-sink'].input).def.partitions,
    maxBytesPerPartition: 8 << 20,
    consumer: { minBytes: 1 << 20, maxWaitTimeInMs: cfg.sinkFlushMs },
    strategy: { kind: 'batch', async handle(records) { await coalescer.add(records.map((r) => r.value)); return []; } },
  }, deps);
  if (cfg.stuckCheckMs <= 0) return stage;
  const maxAge = maxAgeOf(cfg.shapingFile);
  return {
    ...stage,
    async start() {
      await stage.start();
      const log = logger({ stage: 'event-sink' });
      watchdog = startWatchdog(clickhouse, { everyMs: cfg.stuckCheckMs, ...maxAge, emit: stage.emit,
        onError: (err) => log.warn({ err: err.message }, 'stuck check failed') });
    },
    async stop() { await watchdog?.stop(); await stage.stop(); },
  };
}

/** A domain's maximum age: shaping `max_age` plus the longest retry interval (the sender expires at an attempt). */
function maxAgeOf(shapingFile: string): { maxAgeOf: (domain: string) => number; minMaxAgeMs: number } {
  const shaping = loadShaping(shapingFile);
  const of = (domain: string) => { const l = resolveShaping(shaping, { domain }); return l.maxAgeMs + l.retry.maxMs; };
  const cache = new Map<string, number>();
  const all = [of(''), ...Object.keys(shaping.domains).map(of)];
  return { maxAgeOf: (d) => cache.get(d) ?? cache.set(d, of(d)).get(d)!, minMaxAgeMs: Math.min(...all) };
}
