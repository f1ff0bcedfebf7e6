--
-- 51_verified: check() and status() hash again only the revision rows
-- changed since a check() verified them (pgmig.graph_verified, written by
-- check() as pgmig).  Whatever was verified, a change made with pgmig's
-- triggers bypassed is still found: after a verified check(), in the same
-- transaction as the check(), in a subtransaction, as a delete and
-- re-insert, after VACUUM FULL.  Whether a check() took the short way
-- shows in the record: the long way rewrites it (a new xmin), the short
-- way leaves it alone.
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

SET client_min_messages = warning;
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
