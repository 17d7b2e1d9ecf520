-- The lane (bulk or transactional) and the envelope sender's domain, for rollups and SLOs ('' on older rows).
-- 18.16 has no ADD COLUMN IF NOT EXISTS: migrate.ts treats "column already exists" (code 44) as applied.
ALTER TABLE events ADD COLUMN kind String DEFAULT '';
ALTER TABLE events ADD COLUMN sending_domain String DEFAULT ''
