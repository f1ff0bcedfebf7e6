-- revision: a
-- migrate:down
x
-- migrate:up
-- migrate:up
