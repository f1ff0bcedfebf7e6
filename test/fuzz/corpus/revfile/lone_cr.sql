-- revision: a
-- migrate:up
a
bc

-- migrate:down
d