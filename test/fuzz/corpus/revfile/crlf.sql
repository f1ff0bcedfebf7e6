-- revision: c1
-- down_revision: p1, p2
-- message: Hello
-- transactional: off

-- migrate:up
CREATE TABLE t (
  id int
);

-- migrate:down
DROP TABLE t;
