-- 20_trust: the attacks of the trust review, each performed and refused.
-- Three roles: the superuser running this file, a deploy role with the
-- README's grants (it owns the application's schema, loads and runs
-- revisions) and a reader with the monitoring grants.
CREATE EXTENSION pgmig;
CREATE ROLE trust_deploy;
CREATE ROLE trust_reader;
CREATE SCHEMA trust_app AUTHORIZATION trust_deploy;
-- the deploy grants of the README (Security): no write on applied/journal
GRANT USAGE ON SCHEMA pgmig TO trust_deploy;
GRANT SELECT, INSERT, UPDATE, DELETE ON pgmig.revision TO trust_deploy;
GRANT SELECT ON pgmig.applied, pgmig.journal, pgmig.drift, pgmig.statement_progress TO trust_deploy;
GRANT USAGE ON SEQUENCE pgmig.revision_seq TO trust_deploy;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA pgmig TO trust_deploy;
GRANT EXECUTE ON ALL PROCEDURES IN SCHEMA pgmig TO trust_deploy;
-- the reader: it may run the read functions, but not read the tables
GRANT USAGE ON SCHEMA pgmig TO trust_reader;
GRANT EXECUTE ON FUNCTION pgmig.heads(), pgmig.current() TO trust_reader;

-- ---- The bookkeeping cannot be forged (item 4) ----
SET ROLE trust_deploy;
SELECT pgmig.add('t1', '{}', 'CREATE TABLE trust_app.t (id int);', 'DROP TABLE trust_app.t;', 'first');
SELECT pgmig.upgrade();
-- pgmig wrote the rows for the deploy role, although it has no write grant
SELECT revision, applied_by FROM pgmig.applied;
SELECT action, revision, role_name FROM pgmig.journal ORDER BY id;
-- a forged journal row claiming to be the superuser, years ago
INSERT INTO pgmig.journal (action, revision, role_name, at)
  VALUES ('upgrade', 't1', 'postgres', '2001-01-01');
\echo :SQLSTATE
-- deleting an applied row, to edit its script and put the row back
DELETE FROM pgmig.applied WHERE revision = 't1';
\echo :SQLSTATE
RESET ROLE;
-- with the old, wider grants of pgmig 0.3 the rows are still refused
GRANT INSERT, UPDATE, DELETE ON pgmig.applied, pgmig.journal TO trust_deploy;
GRANT USAGE ON SEQUENCE pgmig.journal_id_seq TO trust_deploy;
SET ROLE trust_deploy;
INSERT INTO pgmig.journal (action, revision, role_name, at)
  VALUES ('upgrade', 't1', 'postgres', '2001-01-01');
\echo :SQLSTATE
DELETE FROM pgmig.applied WHERE revision = 't1';
\echo :SQLSTATE
UPDATE pgmig.applied SET checksum = 'x';
TRUNCATE pgmig.applied;
RESET ROLE;
REVOKE INSERT, UPDATE, DELETE ON pgmig.applied, pgmig.journal FROM trust_deploy;
-- the superuser too: the applied set changes through stamp()
DELETE FROM pgmig.applied;
\echo :SQLSTATE
INSERT INTO pgmig.journal (action) VALUES ('forged');
\echo :SQLSTATE
SELECT count(*) AS applied_rows FROM pgmig.applied;

-- ---- Restore markers are not a bypass for an ordinary role (item 3) ----
-- (the session itself is the deploy role's, as when it logs in)
SET pgmig.guard = error;
SET SESSION AUTHORIZATION trust_deploy;
-- a hardened session with an empty search_path is guarded like any other
SET search_path = '';
CREATE TABLE trust_app.hidden1 (a int);
\echo :SQLSTATE
RESET search_path;
-- naming itself pg_restore does not help either
SET application_name = 'pg_restore';
CREATE TABLE trust_app.hidden2 (a int);
\echo :SQLSTATE
-- and its loads are journaled
SELECT pgmig.add('t2', '{t1}', 'SELECT 1;', 'SELECT 1;', 'second');
SELECT action, revision, role_name FROM pgmig.journal WHERE revision = 't2';
RESET application_name;
RESET SESSION AUTHORIZATION;
RESET pgmig.guard;

-- ---- The guard exempts no lock holder (issue 15) ----
SET pgmig.guard = error;
SET ROLE trust_deploy;
SELECT pgmig.lock();
CREATE TABLE trust_app.behind_the_back (a int);
\echo :SQLSTATE
SELECT pgmig.unlock();
RESET ROLE;
RESET pgmig.guard;
SELECT count(*) AS tables_made_behind_the_back
  FROM pg_class WHERE relname IN ('hidden1', 'hidden2', 'behind_the_back');

-- ---- No cached answer for a role that may not read the graph (item 5) ----
SELECT revision FROM pgmig.heads();          -- the superuser fills the cache
SET ROLE trust_reader;
SELECT revision FROM pgmig.heads();
\echo :SQLSTATE
SELECT revision FROM pgmig.current();
\echo :SQLSTATE
RESET ROLE;

-- ---- Offline scripts cannot be broken out of (item 1) ----
-- A deploy role loads a revision whose message ends the comment line with
-- a newline or a lone CR and starts psql meta-commands, and whose
-- downgrade script holds one too.  The superuser writes the upgrade script
-- to a file and runs it with psql, as a reviewer would: nothing of it runs.
\! rm -f /tmp/pgmig_trust_pwned /tmp/pgmig_trust_pwned_body
SET ROLE trust_deploy;
SELECT pgmig.add('t3', '{t2}', 'SELECT 3;',
       E'SELECT 1;\n\\! touch /tmp/pgmig_trust_pwned_body\nSELECT 2;',
       E'innocent\n\\! touch /tmp/pgmig_trust_pwned\r\\! touch /tmp/pgmig_trust_pwned\n;DROP TABLE trust_app.t; --');
RESET ROLE;
SELECT pgmig.script('upgrade', 't3') \g (format=unaligned tuples_only=on) /tmp/pgmig_trust_script.sql
\i /tmp/pgmig_trust_script.sql
\unset ON_ERROR_STOP
\! test -e /tmp/pgmig_trust_pwned -o -e /tmp/pgmig_trust_pwned_body && echo INJECTED || echo nothing injected
SELECT revision FROM pgmig.current();
SELECT to_regclass('trust_app.t') IS NOT NULL AS table_survived;
-- a tag inside a script makes the quote pick another tag
SELECT pgmig.add('t4', '{t3}', 'SELECT $pgmig$x$pgmig$;', 'SELECT 1;', 'tag');
SELECT position('$pgmig1$SELECT $pgmig$x$pgmig$;$pgmig1$' IN pgmig.script('upgrade', 't4')) > 0 AS tag_avoided;

-- ---- A script never runs with more rights than its author's (item 2) ----
SELECT pgmig.upgrade('t4');
-- the deploy role loads a script that would make it superuser, and claims
-- the superuser wrote it
SET ROLE trust_deploy;
INSERT INTO pgmig.revision (id, down_revision, upgrade, downgrade, message, loaded_by)
  VALUES ('t5', '{t4}', 'ALTER ROLE trust_deploy SUPERUSER;', 'SELECT 1;', 'escalate', 'postgres');
SELECT loaded_by FROM pgmig.revision WHERE id = 't5';
RESET ROLE;
-- the superuser upgrades: the script runs with the deploy role's rights
SELECT pgmig.upgrade('t5');
\echo :SQLSTATE
SELECT rolsuper FROM pg_roles WHERE rolname = 'trust_deploy';
DELETE FROM pgmig.revision WHERE id = 't5';
-- what it creates as its author belongs to the author
SET ROLE trust_deploy;
SELECT pgmig.add('t6', '{t4}', 'CREATE TABLE trust_app.by_author (a int);', 'DROP TABLE trust_app.by_author;', 'owned');
RESET ROLE;
SELECT pgmig.upgrade('t6');
SELECT tableowner FROM pg_tables WHERE tablename = 'by_author';
-- a role that has neither the author's rights nor the author its rights is
-- refused, until a role with its rights approves the scripts
CREATE ROLE trust_other;
GRANT USAGE ON SCHEMA pgmig TO trust_other;
GRANT SELECT, INSERT, UPDATE, DELETE ON pgmig.revision TO trust_other;
GRANT SELECT ON pgmig.applied, pgmig.journal, pgmig.approval TO trust_other;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA pgmig TO trust_other;
SET ROLE trust_deploy;
SELECT pgmig.add('t7', '{t6}', 'SELECT 1;', 'SELECT 1;', 'harmless');
RESET ROLE;
SET ROLE trust_other;
SELECT pgmig.upgrade('t7');
\echo :SQLSTATE
-- the superuser, who has trust_other's rights, reads and approves it: journaled
RESET ROLE;
SELECT pgmig.approve('t7');
SELECT action, revision, role_name FROM pgmig.journal WHERE action = 'approve';
SET ROLE trust_other;
SELECT pgmig.upgrade('t7');
RESET ROLE;
-- a changed script needs a new approval
SELECT pgmig.downgrade('t6');
SET ROLE trust_deploy;
UPDATE pgmig.revision SET upgrade = 'SELECT 2;' WHERE id = 't7';
RESET ROLE;
SET ROLE trust_other;
SELECT pgmig.upgrade('t7');
\echo :SQLSTATE
RESET ROLE;

-- Granting roles access to pgmig is setting pgmig up, not drift (issue 12):
-- none of the GRANT/REVOKE above on pgmig's objects was recorded.
SELECT count(*) AS grant_drift FROM pgmig.drift WHERE command_tag IN ('GRANT', 'REVOKE');
GRANT SELECT ON pgmig.applied, trust_app.t TO trust_reader;
SELECT command_tag, object_type FROM pgmig.drift WHERE command_tag = 'GRANT';

-- Clean up.
SELECT pgmig.stamp('base');
DROP EXTENSION pgmig CASCADE;
DROP SCHEMA trust_app CASCADE;
DROP ROLE trust_deploy;
DROP ROLE trust_reader;
DROP OWNED BY trust_other;
DROP ROLE trust_other;
