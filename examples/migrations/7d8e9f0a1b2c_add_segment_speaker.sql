-- revision: 7d8e9f0a1b2c
-- down_revision: 5b6c7d8e9f01
-- message: Add speaker to Segment
-- branch_labels: speaker

-- One side of a branch: written by one developer while another added the
-- index below; the merge revision joins the two heads.

-- migrate:up
ALTER TABLE segment ADD COLUMN speaker text;

-- migrate:down
ALTER TABLE segment DROP COLUMN speaker;
