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
import { chunk, toRow } from './handler.js';

/** The event sink stage. */
export function createEventSink(deps: StageDeps, cfg: Config, clickhouse: ClickHouseClient) {
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
        await deps.crypto?.watch();
        // an event of an erased job that was still on its way keeps no address (as `mailstream job --erase` leaves them)
        const rows = records.map((r) => {
          const row = toRow(r.value);
          return deps.crypto?.isErased(row.tenant, row.job_id) ? { ...row, recipient: erasedRecipient(row.recipient) } : row;
        });
        for (const part of chunk(rows, cfg.sinkBatchSize)) {
          try { await clickhouse.insert({ table: 'events', values: part, format: 'JSONEachRow' }); }
          catch (err) {
            throw new MailstreamError('MS_ERR_UNAVAILABLE', `ClickHouse insert failed: ${(err as Error).message}`, { cause: err });
          }
        }
        return [];
      },
    },
  }, deps);
}
