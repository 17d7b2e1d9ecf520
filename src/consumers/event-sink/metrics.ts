/** The event sink's metrics: delivery latency per lane and span, as the SLO alert reads it. */
import client from 'prom-client';

/** Launch or accepted → SMTP 250, seconds, by lane (bulk, transactional). */
export const deliveryLatency = new client.Histogram({
  name: 'mailstream_delivery_latency_seconds', help: 'Launch (or acceptance) to SMTP 250 of delivered messages, by lane and span',
  labelNames: ['kind', 'span'], buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400],
});

/** Rows inserted into ClickHouse, by table. */
export const inserted = new client.Counter({
  name: 'mailstream_event_sink_rows_total', help: 'Rows the event sink inserted into ClickHouse, by table', labelNames: ['table'],
});
