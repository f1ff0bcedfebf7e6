--
-- 51_verified: check() and status() hash again only the revision rows
-- changed since a check() verified them (pgmig.graph_verified, written by
-- check() as pgmig).  Whatever was verified, a change made with pgmig's
-- triggers bypassed is still found: after a verified check(), in the same
-- transaction as the check(), in a subtransaction, as a delete and
-- re-insert, after VACUUM FULL; the same for pgmig.applied's rows, which
-- the record names once their checksums were found right.  Whether a
-- check() took the short way shows in the record: the long way rewrites it
-- (a new xmin), the short way leaves it alone.
--
SET pgmig.guard = off;
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS pgmig CASCADE;
DROP SCHEMA IF EXISTS pgmig CASCADE;
RESET client_min_messages;
CREATE EXTENSION pgmig;

SELECT pgmig.add('v1', '{}', 'SELECT 1;', 'SELECT 1;', 'one');
SELECT pgmig.add('v2', '{v1}', 'SELECT 2;', 'SELECT 2;', 'two');
SELECT pgmig.add('v3', '{v2}', 'SELECT 3;', 'SELECT 3;', 'three');
SELECT pgmig.upgrade('v2');

-- A new extension has verified nothing.
SELECT state IS NULL AS nothing_verified FROM pgmig.graph_verified;
-- The first check() hashes every script and records what it found right.
SELECT * FROM pgmig.check();
SELECT state IS NOT NULL AS verified FROM pgmig.graph_verified;
SELECT xmin AS record_xmin FROM pgmig.graph_verified \gset
-- Nothing changed: the next check() and status(), in new backends, take
-- the short way (the record stays as it is) and say the same.
\c -
SET pgmig.guard = off;
SELECT * FROM pgmig.check();
SELECT current, heads, pending, problems FROM pgmig.status();
SELECT xmin = :'record_xmin' AS short_way FROM pgmig.graph_verified;

-- Tampering after a verified check(): the changed row is a new version.
SET session_replication_role = replica;
UPDATE pgmig.revision SET upgrade = 'SELECT 666;' WHERE id = 'v2';
RESET session_replication_role;
\c -
SET pgmig.guard = off;
SELECT * FROM pgmig.check() ORDER BY severity, revision, problem;
SELECT problems FROM pgmig.status();
-- The tampered row is never recorded: every check() finds it again.
SELECT * FROM pgmig.check() ORDER BY severity, revision, problem;
SET session_replication_role = replica;
UPDATE pgmig.revision SET upgrade = 'SELECT 2;' WHERE id = 'v2';
RESET session_replication_role;
SELECT * FROM pgmig.check();

-- Tampering in the same transaction as a verifying check().
BEGIN;
SELECT * FROM pgmig.check();
SET LOCAL session_replication_role = replica;
UPDATE pgmig.revision SET upgrade = 'SELECT 667;' WHERE id = 'v1';
SELECT severity, revision FROM pgmig.check() ORDER BY severity, revision, problem;
ROLLBACK;
SELECT * FROM pgmig.check();

-- Tampering in a subtransaction, before and after a check() in the same
-- transaction; rolling the subtransaction back makes it right again.
BEGIN;
SELECT * FROM pgmig.check();
SAVEPOINT s1;
SET LOCAL session_replication_role = replica;
UPDATE pgmig.revision SET downgrade = 'SELECT 668;' WHERE id = 'v3';
RESET session_replication_role;
SELECT severity, revision FROM pgmig.check() ORDER BY severity, revision, problem;
ROLLBACK TO SAVEPOINT s1;
SELECT * FROM pgmig.check();
SAVEPOINT s2;
SET LOCAL session_replication_role = replica;
UPDATE pgmig.revision SET upgrade = 'SELECT 669;' WHERE id = 'v1';
RESET session_replication_role;
RELEASE SAVEPOINT s2;
SELECT severity, revision FROM pgmig.check() ORDER BY severity, revision, problem;
ROLLBACK;
SELECT * FROM pgmig.check();

-- A check() in a transaction that rolls back leaves no record behind.
SELECT xmin AS record_xmin FROM pgmig.graph_verified \gset
SET session_replication_role = replica;
UPDATE pgmig.revision SET message = message WHERE id = 'v1';
RESET session_replication_role;
BEGIN;
SELECT * FROM pgmig.check();
ROLLBACK;
SELECT xmin = :'record_xmin' AS record_unchanged FROM pgmig.graph_verified;

-- Deleted and inserted again, triggers bypassed, with a different script
-- and the old stored checksum.
SET session_replication_role = replica;
CREATE TEMP TABLE saved AS SELECT * FROM pgmig.revision WHERE id = 'v3';
DELETE FROM pgmig.revision WHERE id = 'v3';
INSERT INTO pgmig.revision SELECT * FROM saved;
UPDATE pgmig.revision SET upgrade = 'SELECT 670;' WHERE id = 'v3';
RESET session_replication_role;
SELECT severity, revision FROM pgmig.check() ORDER BY severity, revision, problem;
SET session_replication_role = replica;
UPDATE pgmig.revision SET upgrade = 'SELECT 3;' WHERE id = 'v3';
RESET session_replication_role;
SELECT * FROM pgmig.check();

-- Scripts and stored checksum changed together: the rows agree, but the
-- applied checksum does not.
SET session_replication_role = replica;
UPDATE pgmig.revision SET upgrade = 'SELECT 671;',
       checksum = pgmig.checksum('SELECT 671;', downgrade, transactional)
 WHERE id = 'v1';
RESET session_replication_role;
-- The stored image's checksums column no longer matches either: the image
-- is reported stale (and never trusted until rewritten).
SELECT * FROM pgmig.check() ORDER BY severity, revision, problem;
SELECT severity, revision FROM pgmig.check() ORDER BY severity, revision, problem;
SET session_replication_role = replica;
UPDATE pgmig.revision SET upgrade = 'SELECT 1;',
       checksum = pgmig.checksum('SELECT 1;', downgrade, transactional)
 WHERE id = 'v1';
RESET session_replication_role;
SELECT * FROM pgmig.check();

-- VACUUM FULL moves rows (same xmins, new ctids): the record no longer
-- applies, everything is hashed again, and found right.
SELECT xmin AS record_xmin FROM pgmig.graph_verified \gset
VACUUM FULL pgmig.revision;
SELECT * FROM pgmig.check();
SELECT xmin <> :'record_xmin' AS long_way FROM pgmig.graph_verified;

-- A damaged record is not used.
UPDATE pgmig.graph_verified SET state = '\x504d563100'::bytea;
SET session_replication_role = replica;
UPDATE pgmig.revision SET upgrade = 'SELECT 672;' WHERE id = 'v2';
RESET session_replication_role;
SELECT severity, revision FROM pgmig.check() ORDER BY severity, revision, problem;
SET session_replication_role = replica;
UPDATE pgmig.revision SET upgrade = 'SELECT 2;' WHERE id = 'v2';
RESET session_replication_role;
SELECT * FROM pgmig.check();

-- A normal load is hashed once, then the short way again.
SELECT pgmig.add('v4', '{v3}', 'SELECT 4;', 'SELECT 4;', 'four');
SELECT * FROM pgmig.check();
SELECT xmin AS record_xmin FROM pgmig.graph_verified \gset
SELECT * FROM pgmig.check();
SELECT xmin = :'record_xmin' AS short_way FROM pgmig.graph_verified;

-- In a read-only transaction check() answers and records nothing.
SET session_replication_role = replica;
UPDATE pgmig.revision SET message = message WHERE id = 'v4';
RESET session_replication_role;
BEGIN TRANSACTION READ ONLY;
SELECT * FROM pgmig.check();
COMMIT;
SELECT xmin = :'record_xmin' AS record_unchanged FROM pgmig.graph_verified;
-- Nor in a serializable one (recording could make it fail at commit).
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT * FROM pgmig.check();
COMMIT;
SELECT xmin = :'record_xmin' AS record_unchanged FROM pgmig.graph_verified;

-- Nobody but pgmig reads or writes the record.
CREATE ROLE verified_reader;
GRANT USAGE ON SCHEMA pgmig TO verified_reader;
GRANT SELECT ON pgmig.revision, pgmig.applied TO verified_reader;
GRANT EXECUTE ON FUNCTION pgmig.check() TO verified_reader;
SET ROLE verified_reader;
SELECT * FROM pgmig.check();
SELECT state FROM pgmig.graph_verified;
UPDATE pgmig.graph_verified SET state = NULL;
RESET ROLE;

-- The short way reads the verified image in place and pgmig.applied as it
-- is: what it says about the applied set, the heads and the scripts is
-- what the long way says.  A second head without a downgrade script, and
-- a check() that verifies it:
SELECT pgmig.add('v3b', '{v2}', 'SELECT 4;', NULL, 'side, irreversible');
SELECT * FROM pgmig.check() ORDER BY severity, revision, problem;
SELECT xmin AS record_xmin2 FROM pgmig.graph_verified \gset
-- then pgmig.applied changed with pgmig's triggers bypassed (the record is
-- about pgmig.revision's rows: it stays valid)
SET session_replication_role = replica;
DELETE FROM pgmig.applied WHERE revision = 'v1';
INSERT INTO pgmig.applied (revision, checksum) VALUES ('ghost', 'x');
UPDATE pgmig.applied SET checksum = repeat('0', 64) WHERE revision = 'v2';
-- the same digest spelled in capitals is not the checksum pgmig wrote
INSERT INTO pgmig.applied (revision, checksum)
	SELECT id, upper(checksum) FROM pgmig.revision WHERE id = 'v3';
RESET session_replication_role;
\c -
SET pgmig.guard = off;
SELECT * FROM pgmig.check() ORDER BY severity, revision, problem;
SELECT current, heads, pending, problems FROM pgmig.status();
SELECT xmin = :'record_xmin2' AS short_way FROM pgmig.graph_verified;
-- the long way (the record voided) says the same
UPDATE pgmig.graph_verified SET state = NULL;
SELECT * FROM pgmig.check() ORDER BY severity, revision, problem;
SELECT current, heads, pending, problems FROM pgmig.status();

-- pgmig.applied's part of the record.  Once a check() or status() has
-- compared every applied checksum with its revision's and found them
-- right, the record names pgmig.applied's row versions too, and the next
-- calls read only the ids while exactly those versions remain; any other
-- row version (changed, added, deleted, moved) and every checksum is
-- compared again.  applied_keys(): how many row versions of pgmig.applied
-- the record names, NULL when it has no such part (format: graphverify.c;
-- a function in public: the test reconnects).
CREATE FUNCTION verified_applied_keys(s bytea) RETURNS int LANGUAGE sql AS $$
  WITH p AS (SELECT 21 + 10 * get_byte(s, 20) AS p),
       q AS (SELECT p + 8 + 12 * (get_byte(s, p + 4) + 256 * get_byte(s, p + 5)
                                  + 65536 * get_byte(s, p + 6)) AS q FROM p)
  SELECT CASE WHEN length(s) = q THEN NULL
              WHEN get_byte(s, q) = 65
              THEN get_byte(s, q + 5) + 256 * get_byte(s, q + 6) END
    FROM q
$$;
SET session_replication_role = replica;
DELETE FROM pgmig.applied;
RESET session_replication_role;
SELECT pgmig.upgrade('heads');
SELECT verified_applied_keys(state) AS applied_keys FROM pgmig.graph_verified;
-- the first call after the upgrade compares every checksum and records
-- the rows (status() too: the record is pgmig's, written as pgmig)
\c -
SET pgmig.guard = off;
SELECT current, heads, pending, problems FROM pgmig.status();
SELECT verified_applied_keys(state) AS applied_keys,
       (SELECT count(*) FROM pgmig.applied) AS applied_rows
  FROM pgmig.graph_verified;
SELECT xmin AS record_xmin FROM pgmig.graph_verified \gset
-- the next ones read the ids only, say the same, and write nothing
\c -
SET pgmig.guard = off;
SELECT * FROM pgmig.check();
SELECT current, heads, pending, problems FROM pgmig.status();
SELECT xmin = :'record_xmin' AS short_way FROM pgmig.graph_verified;

-- A checksum changed with pgmig's triggers bypassed, after the rows were
-- recorded: a new row version, so every checksum is compared, and the
-- change is found by every call (nothing is recorded while one differs).
SET session_replication_role = replica;
UPDATE pgmig.applied SET checksum = repeat('0', 64) WHERE revision = 'v2';
RESET session_replication_role;
\c -
SET pgmig.guard = off;
SELECT * FROM pgmig.check() ORDER BY severity, revision, problem;
SELECT problems FROM pgmig.status();
SELECT severity, revision FROM pgmig.check() ORDER BY severity, revision, problem;
SELECT xmin = :'record_xmin' AS record_unchanged FROM pgmig.graph_verified;
-- put back (a new row version again): found right, recorded again
SET session_replication_role = replica;
UPDATE pgmig.applied a SET checksum = r.checksum
  FROM pgmig.revision r WHERE r.id = a.revision AND a.revision = 'v2';
RESET session_replication_role;
SELECT * FROM pgmig.check();
SELECT xmin <> :'record_xmin' AS recorded_again,
       verified_applied_keys(state) AS applied_keys
  FROM pgmig.graph_verified;

-- In the same transaction as the call that records the rows: a row
-- version changed with its checksum right is recorded, the tampering after
-- it is found all the same; rolled back, the record is the old one.
SELECT xmin AS record_xmin FROM pgmig.graph_verified \gset
BEGIN;
SET LOCAL session_replication_role = replica;
UPDATE pgmig.applied SET applied_at = applied_at WHERE revision = 'v4';
SELECT * FROM pgmig.check();
SELECT xmin <> :'record_xmin' AS recorded_in_transaction FROM pgmig.graph_verified;
UPDATE pgmig.applied SET checksum = upper(checksum) WHERE revision = 'v1';
SELECT severity, revision FROM pgmig.check() ORDER BY severity, revision, problem;
SELECT problems FROM pgmig.status();
ROLLBACK;
SELECT xmin = :'record_xmin' AS record_unchanged FROM pgmig.graph_verified;
SELECT * FROM pgmig.check();

-- Deleted and inserted again with the same values: a new row version,
-- compared and recorded again; a row deleted: one version missing.
SET session_replication_role = replica;
CREATE TABLE saved_applied AS SELECT * FROM pgmig.applied WHERE revision = 'v3';
DELETE FROM pgmig.applied WHERE revision = 'v3';
INSERT INTO pgmig.applied SELECT * FROM saved_applied;
RESET session_replication_role;
SELECT xmin AS record_xmin FROM pgmig.graph_verified \gset
SELECT * FROM pgmig.check();
SELECT xmin <> :'record_xmin' AS recorded_again FROM pgmig.graph_verified;
SET session_replication_role = replica;
DELETE FROM pgmig.applied WHERE revision = 'v3';
RESET session_replication_role;
\c -
SET pgmig.guard = off;
SELECT * FROM pgmig.check() ORDER BY severity, revision, problem;
SELECT current, heads, pending, problems FROM pgmig.status();
SET session_replication_role = replica;
INSERT INTO pgmig.applied SELECT * FROM saved_applied;
RESET session_replication_role;
DROP TABLE saved_applied;

-- The first and the last row versions (in ctid order) gone: recorded
-- versions before the first row read and after the last; the others are
-- still known, the record is written again without the two.
SELECT xmin AS record_xmin FROM pgmig.graph_verified \gset
CREATE TABLE saved_ends AS SELECT * FROM pgmig.applied
 WHERE ctid IN ((SELECT min(ctid) FROM pgmig.applied),
                (SELECT max(ctid) FROM pgmig.applied));
SET session_replication_role = replica;
DELETE FROM pgmig.applied WHERE revision IN (SELECT revision FROM saved_ends);
RESET session_replication_role;
\c -
SET pgmig.guard = off;
SELECT pending FROM pgmig.status();
SELECT (SELECT count(*) FROM saved_ends) AS gone, xmin <> :'record_xmin' AS recorded_again,
       verified_applied_keys(state) = (SELECT count(*) FROM pgmig.applied) AS without_them
  FROM pgmig.graph_verified;
SET session_replication_role = replica;
INSERT INTO pgmig.applied SELECT * FROM saved_ends;
RESET session_replication_role;
DROP TABLE saved_ends;
SELECT * FROM pgmig.check();

-- A row naming no revision is recorded with the others (it has no checksum
-- to compare) and still reported by the calls that read only the ids.
SET session_replication_role = replica;
INSERT INTO pgmig.applied (revision, checksum) VALUES ('ghost2', 'x');
RESET session_replication_role;
SELECT * FROM pgmig.check() ORDER BY severity, revision, problem;
SELECT xmin AS record_xmin, verified_applied_keys(state) AS applied_keys
  FROM pgmig.graph_verified \gset
SELECT :applied_keys = (SELECT count(*) FROM pgmig.applied) AS ghost_recorded;
\c -
SET pgmig.guard = off;
SELECT * FROM pgmig.check() ORDER BY severity, revision, problem;
SELECT problems FROM pgmig.status();
SELECT xmin = :'record_xmin' AS short_way FROM pgmig.graph_verified;
SET session_replication_role = replica;
DELETE FROM pgmig.applied WHERE revision = 'ghost2';
RESET session_replication_role;
SELECT * FROM pgmig.check();

-- VACUUM FULL moves pgmig.applied's rows (same xmins, new relfilenode):
-- that part no longer applies; everything is compared and recorded again.
SELECT xmin AS record_xmin FROM pgmig.graph_verified \gset
VACUUM FULL pgmig.applied;
\c -
SET pgmig.guard = off;
SELECT * FROM pgmig.check();
SELECT xmin <> :'record_xmin' AS recorded_again FROM pgmig.graph_verified;

-- A damaged pgmig.applied part makes the whole record unused.
UPDATE pgmig.graph_verified SET state = state || '\x41'::bytea;
SET session_replication_role = replica;
UPDATE pgmig.applied SET checksum = repeat('1', 64) WHERE revision = 'v1';
RESET session_replication_role;
SELECT severity, revision FROM pgmig.check() ORDER BY severity, revision, problem;
SET session_replication_role = replica;
UPDATE pgmig.applied a SET checksum = r.checksum
  FROM pgmig.revision r WHERE r.id = a.revision AND a.revision = 'v1';
RESET session_replication_role;
SELECT * FROM pgmig.check();

-- A pgmig.applied part naming a revision number past the image's (the
-- last run's, the record's last four bytes) is not used.
SELECT verified_applied_keys(state) > 0 AS has_applied_part FROM pgmig.graph_verified;
UPDATE pgmig.graph_verified
   SET state = overlay(state PLACING '\xfeffff7f'::bytea FROM length(state) - 3 FOR 4);
\c -
SET pgmig.guard = off;
SELECT current, heads, pending, problems FROM pgmig.status();
SELECT * FROM pgmig.check();

-- Not recorded in a read-only transaction.
SET session_replication_role = replica;
UPDATE pgmig.applied SET applied_at = applied_at WHERE revision = 'v4';
RESET session_replication_role;
SELECT xmin AS record_xmin FROM pgmig.graph_verified \gset
BEGIN TRANSACTION READ ONLY;
SELECT problems FROM pgmig.status();
COMMIT;
SELECT xmin = :'record_xmin' AS record_unchanged FROM pgmig.graph_verified;

-- Nor by a caller who does not see every row of pgmig.applied (row level
-- security): what it compared is not all of it.  That caller is told what
-- it may see; the next caller who sees everything records the rows.
CREATE ROLE verified_rls;
GRANT USAGE ON SCHEMA pgmig TO verified_rls;
GRANT SELECT ON pgmig.revision, pgmig.applied TO verified_rls;
GRANT EXECUTE ON FUNCTION pgmig.check() TO verified_rls;
ALTER TABLE pgmig.applied ENABLE ROW LEVEL SECURITY;
CREATE POLICY verified_rls_no_v1 ON pgmig.applied FOR SELECT TO verified_rls
  USING (revision <> 'v1');
SET session_replication_role = replica;
UPDATE pgmig.applied SET checksum = repeat('2', 64) WHERE revision = 'v1';
UPDATE pgmig.applied SET applied_at = applied_at WHERE revision = 'v4';
RESET session_replication_role;
SELECT xmin AS record_xmin FROM pgmig.graph_verified \gset
SET ROLE verified_rls;
SELECT severity, revision FROM pgmig.check() ORDER BY severity, revision, problem;
RESET ROLE;
SELECT severity, revision FROM pgmig.check() ORDER BY severity, revision, problem;
SET session_replication_role = replica;
UPDATE pgmig.applied a SET checksum = r.checksum
  FROM pgmig.revision r WHERE r.id = a.revision AND a.revision = 'v1';
RESET session_replication_role;
-- all that caller sees is right: still not recorded, the short way ...
SET ROLE verified_rls;
SELECT severity, revision FROM pgmig.check() ORDER BY severity, revision, problem;
RESET ROLE;
SELECT xmin = :'record_xmin' AS record_unchanged FROM pgmig.graph_verified;
-- ... nor the long way (it records pgmig.revision's rows only)
UPDATE pgmig.graph_verified SET state = NULL;
SET ROLE verified_rls;
SELECT severity, revision FROM pgmig.check() ORDER BY severity, revision, problem;
RESET ROLE;
SELECT state IS NOT NULL AS verified, verified_applied_keys(state) AS applied_keys
  FROM pgmig.graph_verified;
SELECT * FROM pgmig.check();
SELECT verified_applied_keys(state) = (SELECT count(*) FROM pgmig.applied) AS recorded
  FROM pgmig.graph_verified;
DROP POLICY verified_rls_no_v1 ON pgmig.applied;
ALTER TABLE pgmig.applied DISABLE ROW LEVEL SECURITY;
DROP FUNCTION verified_applied_keys(bytea);

SET client_min_messages = warning;
DROP OWNED BY verified_rls;
DROP ROLE verified_rls;
DROP OWNED BY verified_reader;
DROP ROLE verified_reader;
SET session_replication_role = replica;
DELETE FROM pgmig.applied;
RESET session_replication_role;
DROP EXTENSION pgmig CASCADE;
DROP SCHEMA IF EXISTS pgmig CASCADE;
RESET client_min_messages;
-- the suites after this one expect the extension installed
CREATE EXTENSION pgmig;
