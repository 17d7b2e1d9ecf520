-- Per-minute rollup by tenant, campaign, job, sending domain, recipient domain, binding, lane and event type.
-- States, not counts: uniqExact of event IDs merges exactly over any range and never counts a replay twice.
CREATE TABLE IF NOT EXISTS rollup_minute (
  minute DateTime,
  tenant String,
  campaign_id String,
  job_id String,
  sending_domain String,
  domain String,
  binding String,
  kind String,
  type String,
  bounce_category String,
  first_attempt UInt8,
  machine UInt8,
  events AggregateFunction(uniqExact, String),
  messages AggregateFunction(uniqExact, String),
  latency_sum AggregateFunction(sum, UInt64)
) ENGINE = AggregatingMergeTree() PARTITION BY toYYYYMM(minute)
ORDER BY (tenant, minute, type, campaign_id, job_id, domain, binding, sending_domain, kind, bounce_category, first_attempt, machine);
-- Aliases differ from column names: 18.16 would otherwise resolve a column to its own aggregate.
CREATE MATERIALIZED VIEW IF NOT EXISTS rollup_minute_mv TO rollup_minute AS
SELECT toStartOfMinute(ts) AS minute, tenant, campaign_id, job_id, sending_domain, domain, binding, kind, type, bounce_category,
  toUInt8(ifNull(attempt, 1) <= 1) AS first_attempt, toUInt8(visitParamExtractBool(detail, 'machine')) AS machine,
  uniqExactState(event_id) AS events, uniqExactState(message_id) AS messages,
  sumState(ifNull(latency_ms, toUInt64(0))) AS latency_sum
FROM events
GROUP BY minute, tenant, campaign_id, job_id, sending_domain, domain, binding, kind, type, bounce_category, first_attempt, machine
