-- Latency SLOs per minute, tenant, lane and campaign: quantile states (p50, p95, p99) merge over any range.
-- span 'accepted': job accepted → SMTP 250 (delivered.latency_ms); 'launch': the job's first injected recipient → 250.
CREATE TABLE IF NOT EXISTS latency_slo (
  minute DateTime,
  tenant String,
  kind String,
  span String,
  campaign_id String,
  deliveries AggregateFunction(uniqExact, String),
  latency AggregateFunction(quantilesTDigest(0.5, 0.95, 0.99), UInt64),
  latency_max AggregateFunction(max, UInt64)
) ENGINE = AggregatingMergeTree() PARTITION BY toYYYYMM(minute) ORDER BY (tenant, span, kind, minute, campaign_id);
-- One row per delivery with its launch latency, written by the event sink (it knows each job's launch).
CREATE TABLE IF NOT EXISTS delivery_launch (
  ts DateTime,
  event_id String,
  tenant String,
  kind String,
  campaign_id String,
  job_id String,
  launch_ms UInt64
) ENGINE = MergeTree() PARTITION BY toYYYYMM(ts) ORDER BY (tenant, ts, job_id);
CREATE MATERIALIZED VIEW IF NOT EXISTS latency_slo_accepted_mv TO latency_slo AS
SELECT toStartOfMinute(ts) AS minute, tenant, kind, 'accepted' AS span, campaign_id,
  uniqExactState(event_id) AS deliveries, quantilesTDigestState(0.5, 0.95, 0.99)(ifNull(latency_ms, toUInt64(0))) AS latency,
  maxState(ifNull(latency_ms, toUInt64(0))) AS latency_max
FROM events WHERE type = 'delivered' AND isNotNull(latency_ms)
GROUP BY minute, tenant, kind, span, campaign_id;
CREATE MATERIALIZED VIEW IF NOT EXISTS latency_slo_launch_mv TO latency_slo AS
SELECT toStartOfMinute(ts) AS minute, tenant, kind, 'launch' AS span, campaign_id,
  uniqExactState(event_id) AS deliveries, quantilesTDigestState(0.5, 0.95, 0.99)(launch_ms) AS latency,
  maxState(launch_ms) AS latency_max
FROM delivery_launch
GROUP BY minute, tenant, kind, span, campaign_id
