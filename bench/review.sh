#!/usr/bin/env bash
# bench/review.sh: pgmig.review() over 1,000 pending revisions (issue 11).
#
#   bash test/with_cluster.sh bash bench/review.sh     # a throwaway cluster
#   bash bench/review.sh                               # the libpq environment's server
#
# Fixture: 10 tables of 10,000 rows each (analyzed), and 1,000 pending
# revisions, one statement each, cycling through the statement kinds the
# review inspects: ADD COLUMN (constant and volatile default), CREATE INDEX,
# ALTER COLUMN TYPE, SET NOT NULL (with its NULL count), ADD CHECK (with
# its violation count), ADD FOREIGN KEY (with its orphan count), UPDATE,
# RENAME.  Reports the median of REPS (5) calls of
# SELECT count(*) FROM pgmig.review('head'), measured inside the server
# (clock_timestamp), and the number of findings.  Target: < 1 s.
set -euo pipefail
REPS=${REPS:-5}
N=${N:-1000}
DB=pgmig_bench_review
PSQL=(psql -X -q -v ON_ERROR_STOP=1)

dropdb --if-exists "$DB" >/dev/null 2>&1 || true
createdb "$DB"
trap 'dropdb --if-exists "$DB" >/dev/null 2>&1 || true' EXIT

"${PSQL[@]}" -d "$DB" <<SQL
SET client_min_messages = warning;
SET pgmig.guard = off;
CREATE EXTENSION pgmig;
CREATE TABLE p (id int PRIMARY KEY);
INSERT INTO p SELECT generate_series(0, 99);
DO \$\$
BEGIN
  FOR i IN 0..9 LOOP
    EXECUTE format('CREATE TABLE t%s (id int PRIMARY KEY, a int, b text, r int)', i);
    EXECUTE format('INSERT INTO t%s SELECT g, g %% 100, CASE WHEN g %% 500 = 0 THEN NULL ELSE ''x'' END, g %% 120 FROM generate_series(1, 10000) g', i);
    EXECUTE format('ANALYZE t%s', i);
  END LOOP;
END
\$\$;
-- $N revisions in one chain, none applied
SELECT count(pgmig.add('b' || lpad(i::text, 5, '0'),
         CASE WHEN i = 1 THEN '{}'::text[] ELSE ARRAY['b' || lpad((i - 1)::text, 5, '0')] END,
         CASE i % 9
           WHEN 0 THEN format('ALTER TABLE t%s ADD COLUMN c%s int DEFAULT 0;', i % 10, i)
           WHEN 1 THEN format('ALTER TABLE t%s ADD COLUMN c%s timestamptz DEFAULT clock_timestamp();', i % 10, i)
           WHEN 2 THEN format('CREATE INDEX i%s ON t%s (a);', i, i % 10)
           WHEN 3 THEN format('ALTER TABLE t%s ALTER COLUMN a TYPE bigint;', i % 10)
           WHEN 4 THEN format('ALTER TABLE t%s ALTER COLUMN b SET NOT NULL;', i % 10)
           WHEN 5 THEN format('ALTER TABLE t%s ADD CONSTRAINT k%s CHECK (a < 90);', i % 10, i)
           WHEN 6 THEN format('ALTER TABLE t%s ADD CONSTRAINT f%s FOREIGN KEY (r) REFERENCES p;', i % 10, i)
           WHEN 7 THEN format('UPDATE t%s SET a = a WHERE id < 10;', i % 10)
           ELSE format('ALTER TABLE t%s RENAME COLUMN b TO b%s;', i % 10, i)
         END,
         'SELECT 1;', 'bench ' || i))
  FROM generate_series(1, $N) i;
SQL

ms=()
for r in $(seq 1 "$REPS"); do
  out=$("${PSQL[@]}" -d "$DB" -At <<'SQL'
SELECT clock_timestamp() AS t0 \gset
SELECT count(*) FROM pgmig.review('head') \gset
SELECT round(extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) * 1000) || ' ' || :count;
SQL
)
  ms+=("${out% *}")
  findings=${out#* }
  echo "run $r: ${out% *} ms, $findings findings" >&2
done
median=$(printf '%s\n' "${ms[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
status=$([ "$median" -lt 1000 ] && echo ok || echo SLOW)
echo "review of $N pending revisions: median $median ms over $REPS runs ($findings findings), target < 1000 ms: $status"
[ "$status" = ok ]
