-- Nothing is granted to PUBLIC: a role without grants can neither read
-- pgmig's tables nor run anything.
CREATE EXTENSION pgmig;
SET pgmig.guard = off;
CREATE ROLE pgmig_nobody;
CREATE ROLE pgmig_deploy;
CREATE ROLE pgmig_monitor;
SELECT pgmig.add('p1', '{}', 'CREATE TABLE priv_t (a int)', 'DROP TABLE priv_t', 'first');

-- nothing in schema pgmig is granted to PUBLIC but the rows of history(),
-- which answer only a role that may call history() (below)
SELECT c.relname, c.relacl::text LIKE '%=%/%' AND c.relacl::text ~ '(^|[{,])=' AS public_grant
  FROM pg_class c WHERE c.relnamespace = 'pgmig'::regnamespace AND c.relkind IN ('r', 'S')
 ORDER BY 1;
SELECT p.oid::regprocedure AS routines_executable_by_public
  FROM pg_proc p WHERE p.pronamespace = 'pgmig'::regnamespace
   AND has_function_privilege('pgmig_nobody', p.oid, 'EXECUTE');

SET ROLE pgmig_nobody;
SELECT * FROM pgmig.revision;
SELECT * FROM pgmig.drift;
SELECT pgmig.upgrade();
SELECT pgmig.load(E'-- revision: p2\n-- down_revision: p1\n\n-- migrate:up\nSELECT 1;\n');
CALL pgmig.migrate();
SELECT * FROM pgmig.test_roundtrip();
SELECT * FROM pgmig.status();
RESET ROLE;

-- the same with USAGE on the schema: the objects themselves still refuse
GRANT USAGE ON SCHEMA pgmig TO pgmig_nobody;
SET ROLE pgmig_nobody;
SELECT * FROM pgmig.revision;
SELECT * FROM pgmig.drift;
SELECT pgmig.upgrade();
SELECT pgmig.load(E'-- revision: p2\n-- down_revision: p1\n\n-- migrate:up\nSELECT 1;\n');
CALL pgmig.migrate();
SELECT * FROM pgmig.test_roundtrip();
-- history()'s rows (executable by PUBLIC) answer only who may call history()
SELECT * FROM pgmig.history();
SELECT * FROM pgmig._history_rows(NULL);
SELECT pgmig._history_rows('p1:');
RESET ROLE;
REVOKE USAGE ON SCHEMA pgmig FROM pgmig_nobody;

-- the grants the README (Privileges) gives a monitoring role
GRANT USAGE ON SCHEMA pgmig TO pgmig_monitor;
GRANT SELECT ON pgmig.revision, pgmig.applied, pgmig.journal, pgmig.drift TO pgmig_monitor;
GRANT EXECUTE ON FUNCTION pgmig.current(), pgmig.heads(), pgmig.branches(),
      pgmig.history(text), pgmig.show(text), pgmig.resolve(text), pgmig.plan(text, text),
      pgmig.check(), pgmig.status(), pgmig.graph() TO pgmig_monitor;
SET ROLE pgmig_monitor;
SELECT revision FROM pgmig.heads();
SELECT revision, applied FROM pgmig.history();
SELECT revision FROM pgmig._history_rows(NULL);
SELECT pending, drift FROM pgmig.status();
SELECT pgmig.upgrade();                       -- still refused
RESET ROLE;

-- the grants the README (Privileges) gives a deploy role
CREATE SCHEMA priv_app AUTHORIZATION pgmig_deploy;
GRANT USAGE ON SCHEMA pgmig TO pgmig_deploy;
GRANT SELECT, INSERT, UPDATE, DELETE ON pgmig.revision, pgmig.applied TO pgmig_deploy;
GRANT SELECT, INSERT ON pgmig.journal TO pgmig_deploy;
GRANT SELECT ON pgmig.drift TO pgmig_deploy;
GRANT USAGE ON SEQUENCE pgmig.revision_seq, pgmig.journal_id_seq TO pgmig_deploy;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA pgmig TO pgmig_deploy;
GRANT EXECUTE ON ALL PROCEDURES IN SCHEMA pgmig TO pgmig_deploy;
SET ROLE pgmig_deploy;
SET search_path = priv_app;
SELECT pgmig.load(E'-- revision: p2\n-- down_revision: p1\n-- message: second\n\n-- migrate:up\nCREATE TABLE priv_app.t2 (a int);\n\n-- migrate:down\nDROP TABLE priv_app.t2;\n');
SELECT pgmig.upgrade('p1');
SELECT * FROM pgmig.test_roundtrip();
CALL pgmig.migrate();
SELECT revision FROM pgmig.current();
CALL pgmig.migrate('base', true);
RESET search_path;
RESET ROLE;

DROP EXTENSION pgmig CASCADE;
DROP SCHEMA priv_app CASCADE;
DROP OWNED BY pgmig_deploy, pgmig_monitor;
DROP ROLE pgmig_nobody;
DROP ROLE pgmig_deploy;
DROP ROLE pgmig_monitor;
-- DROP EXTENSION leaves the schema named in the control file behind
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS pgmig;
RESET client_min_messages;
