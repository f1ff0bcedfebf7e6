-- revision: a

CREATE TABLE t ();
-- migrate:up
