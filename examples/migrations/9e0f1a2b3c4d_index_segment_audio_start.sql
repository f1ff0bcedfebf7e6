-- revision: 9e0f1a2b3c4d
-- down_revision: 5b6c7d8e9f01
-- message: Index segment audio start
-- transactional: false

-- CREATE INDEX CONCURRENTLY cannot run in a transaction: the pgmig client
-- runs each statement at top level and records the revision afterwards.
-- Indexes go in their own migration, not with the table.

-- migrate:up
CREATE INDEX CONCURRENTLY ix_segment_audio_start ON segment (audio_start_ms);

-- migrate:down
DROP INDEX CONCURRENTLY ix_segment_audio_start;
