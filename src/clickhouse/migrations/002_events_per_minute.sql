-- Per-minute rollup per job and event type, kept current by a materialized view over inserts into events.
-- Counts here include replays of the same event; exact figures use uniqExact(event_id) on events.
CREATE MATERIALIZED VIEW IF NOT EXISTS events_per_minute
ENGINE = SummingMergeTree() PARTITION BY toYYYYMM(minute) ORDER BY (job_id, type, minute)
AS SELECT job_id, type, toStartOfMinute(ts) AS minute, count() AS events, sum(ifNull(latency_ms, 0)) AS latency_ms_sum
FROM events GROUP BY job_id, type, minute
