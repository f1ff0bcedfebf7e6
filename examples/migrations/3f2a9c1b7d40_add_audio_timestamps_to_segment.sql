-- revision: 3f2a9c1b7d40
-- down_revision: 1a2b3c4d5e6f
-- message: Add audio timestamps to Segment

-- migrate:up
ALTER TABLE segment ADD COLUMN audio_start_ms integer;
ALTER TABLE segment ADD COLUMN audio_end_ms integer;
ALTER TABLE segment ADD COLUMN word_timestamps json;

-- migrate:down
ALTER TABLE segment DROP COLUMN word_timestamps;
ALTER TABLE segment DROP COLUMN audio_end_ms;
ALTER TABLE segment DROP COLUMN audio_start_ms;
