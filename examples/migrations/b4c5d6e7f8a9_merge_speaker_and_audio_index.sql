-- revision: b4c5d6e7f8a9
-- down_revision: 7d8e9f0a1b2c, 9e0f1a2b3c4d
-- message: Merge speaker and audio index

-- migrate:up

-- migrate:down
