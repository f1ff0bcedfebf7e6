-- revision: 5b6c7d8e9f01
-- down_revision: 3f2a9c1b7d40
-- message: Migrate legacy timestamps

-- A data migration: the legacy string offsets become milliseconds.  The
-- down section clears what the up section filled, so the pair round-trips.

-- migrate:up
UPDATE segment
   SET audio_start_ms = (EXTRACT(EPOCH FROM "timestamp"::interval) * 1000)::integer
 WHERE "timestamp" IS NOT NULL AND audio_start_ms IS NULL;

-- migrate:down
UPDATE segment SET audio_start_ms = NULL WHERE "timestamp" IS NOT NULL;
