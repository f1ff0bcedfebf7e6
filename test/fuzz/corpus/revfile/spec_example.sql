-- revision: 3f2a9c1b7d40
-- down_revision: 1a2b3c4d5e6f
-- message: Add audio timestamps to Segment
-- branch_labels: audio
-- depends_on: 9c8b7a6d5e4f
-- transactional: false

-- migrate:up
ALTER TABLE segment ADD COLUMN audio_start_ms integer;

-- migrate:down
ALTER TABLE segment DROP COLUMN audio_start_ms;
