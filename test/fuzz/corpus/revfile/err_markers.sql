-- revision: a
-- migrate:up transaction:false
x
-- migrate:dwon
-- migrate: up
