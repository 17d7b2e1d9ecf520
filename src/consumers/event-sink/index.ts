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
import { chunk, launchRows, toRow } from './handler.js';
import { createLaunches } from './launches.js';
import { deliveryLatency, inserted } from './metrics.js';

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
  return createStage<Event>({
    name: 'event-sink',
    input: 'events',
    outputs: [],
    partitionsConcurrently: 3,
    maxBytesPerPartition: 8 << 20,
    consumer: { minBytes: 256 << 10, maxWaitTimeInMs: cfg.sinkFlushMs },
    strategy: {
      kind: 'batch',
      async handle(records) {
        const events = records.map((r) => r.value);
        await insert('events', events.map(toRow));
        // launch latencies after the events: a job's injected events are then in ClickHouse
        const delivered = events.filter((e) => e.type === 'delivered');
        if (delivered.length) {
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
        }
        return [];
      },
    },
  }, deps);
}
