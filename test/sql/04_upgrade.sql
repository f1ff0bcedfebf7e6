--
-- 04_upgrade: running migrations: upgrade, downgrade, stamp, step, and
-- the reading functions that go with them.
--
-- The DDL guard (tested in 11_guard) would warn about this file's own
-- set-up tables; these tests are about the engine, so it is off here.
SET pgmig.guard = off;
CREATE EXTENSION IF NOT EXISTS pgmig;
DROP EXTENSION pgmig CASCADE;
DROP TABLE IF EXISTS segment, speaker, audit, other_root, broken CASCADE;
CREATE EXTENSION pgmig;
\set VERBOSITY default

-- The seed scenario, as in the Flask-Migrate guide: a segment table, then
-- audio timestamp columns, then a data migration that converts the legacy
-- text timestamps to milliseconds, then an index in its own migration.
SELECT pgmig.load($f$-- revision: 1a2b3c4d5e6f
-- message: Create segment table
-- migrate:up
CREATE TABLE segment (
    id          serial PRIMARY KEY,
    text        text NOT NULL,
    "timestamp" varchar
);
INSERT INTO segment (text, "timestamp") VALUES
    ('Hello and welcome.', '00:00:01.250'),
    ('Today: migrations.', '00:00:04.000');
-- migrate:down
DROP TABLE segment;
$f$);
SELECT pgmig.load($f$-- revision: 3f2a9c1b7d40
-- down_revision: 1a2b3c4d5e6f
-- message: Add audio timestamps to Segment
-- migrate:up
ALTER TABLE segment ADD COLUMN audio_start_ms integer;
ALTER TABLE segment ADD COLUMN audio_end_ms integer;
ALTER TABLE segment ADD COLUMN word_timestamps json;
-- migrate:down
ALTER TABLE segment DROP COLUMN word_timestamps;
ALTER TABLE segment DROP COLUMN audio_end_ms;
ALTER TABLE segment DROP COLUMN audio_start_ms;
$f$);
SELECT pgmig.load($f$-- revision: 5b6c7d8e9f01
-- down_revision: 3f2a9c1b7d40
-- message: Migrate legacy timestamps
-- migrate:up
UPDATE segment
   SET audio_start_ms = (EXTRACT(EPOCH FROM "timestamp"::interval) * 1000)::integer
 WHERE "timestamp" IS NOT NULL AND audio_start_ms IS NULL;
-- migrate:down
UPDATE segment SET audio_start_ms = NULL WHERE "timestamp" IS NOT NULL;
$f$);
SELECT pgmig.load($f$-- revision: 9e0f1a2b3c4d
-- down_revision: 5b6c7d8e9f01
-- message: Index segment audio start
-- migrate:up
CREATE INDEX ix_segment_audio_start ON segment (audio_start_ms);
-- migrate:down
DROP INDEX ix_segment_audio_start;
$f$);

-- Nothing is applied yet.
SELECT count(*) AS current_rows FROM pgmig.current();
SELECT revision, message, branch_labels, applied FROM pgmig.heads();

-- plan() shows what upgrade would do, without doing it.
SELECT * FROM pgmig.plan('upgrade', 'head');

-- upgrade('head') runs every pending revision, oldest first, with a NOTICE
-- per revision in Alembic's words, and returns how many it ran.
SELECT pgmig.upgrade('head');
SELECT revision, message, applied_at IS NOT NULL AS has_time FROM pgmig.current();
-- The data migration converted the text timestamps to milliseconds.
SELECT id, text, "timestamp", audio_start_ms FROM segment ORDER BY id;
SELECT indexname FROM pg_indexes WHERE tablename = 'segment' ORDER BY 1;
-- The applied set records every revision with its checksum.
SELECT a.revision, a.checksum = r.checksum AS checksum_ok,
       a.applied_by = current_user AS by_me, a.duration IS NOT NULL AS timed
  FROM pgmig.applied a JOIN pgmig.revision r ON r.id = a.revision
 ORDER BY r.seq;

-- Upgrading again does nothing: 0, with a NOTICE.
SELECT pgmig.upgrade('head');
-- The default target is "heads".
SELECT pgmig.upgrade();

-- downgrade('-1') undoes the latest revision ("flask db downgrade -1").
SELECT * FROM pgmig.plan('downgrade', '-1');
SELECT pgmig.downgrade('-1');
SELECT revision FROM pgmig.current();
SELECT indexname FROM pg_indexes WHERE tablename = 'segment' ORDER BY 1;
-- ... and upgrade re-applies it ("test rollback immediately").
SELECT pgmig.upgrade('head');
-- A downgrade to a revision runs the downgrades of everything above it,
-- newest first; the target itself stays applied.
SELECT pgmig.downgrade('3f2a9c1b7d40');
SELECT revision FROM pgmig.current();
SELECT id, audio_start_ms FROM segment ORDER BY id;
-- Nothing above the target: 0 with a NOTICE.
SELECT pgmig.downgrade('3f2a9c1b7d40');
-- Upgrade by unique prefix, then to head by a relative step.
SELECT pgmig.upgrade('5b6c');
SELECT pgmig.upgrade('+1');

-- history(): newest first, with parents and flags.
SELECT * FROM pgmig.history();
-- history ranges, as Alembic's -r: A:B, :B, A: and current:.
SELECT revision FROM pgmig.history('3f2a9c1b7d40:5b6c7d8e9f01');
SELECT revision FROM pgmig.history(':3f2a9c1b7d40');
SELECT revision FROM pgmig.history('5b6c7d8e9f01:');
SELECT revision FROM pgmig.history('base:head');
SELECT pgmig.downgrade('-2');
SELECT revision FROM pgmig.history('current:');
SELECT pgmig.upgrade('head');
-- Malformed and unknown ranges.
SELECT revision FROM pgmig.history('3f2a9c1b7d40');
\echo :SQLSTATE
SELECT revision FROM pgmig.history('nosuch:');
\echo :SQLSTATE

-- show(): one revision, scripts included.
SELECT revision, down_revision, depends_on, branch_labels, message, transactional,
       upgrade, downgrade, checksum = pgmig.checksum(upgrade, downgrade, transactional) AS checksum_ok,
       applied, applied_at IS NOT NULL AS has_applied_at, loaded_by = current_user AS loaded_by_me
  FROM pgmig.show('3f2a');
SELECT revision, applied FROM pgmig.show('head');
-- show() of an unknown revision is PM001.
SELECT * FROM pgmig.show('nosuch');
\echo :SQLSTATE

-- plan() for every command; an unknown command is 22023.
SELECT * FROM pgmig.plan('downgrade', 'base');
SELECT * FROM pgmig.plan('stamp', '3f2a9c1b7d40');
SELECT * FROM pgmig.plan('upgrade', 'head');
SELECT * FROM pgmig.plan('migrate', 'head');
\echo :SQLSTATE

-- stamp(): set the applied set without running scripts ("flask db stamp").
SELECT pgmig.stamp('3f2a9c1b7d40');
SELECT revision FROM pgmig.current();
-- The index is still there: stamp ran nothing.
SELECT indexname FROM pg_indexes WHERE tablename = 'segment' ORDER BY 1;
SELECT pgmig.stamp('head');
SELECT pgmig.stamp('head');
-- stamp base: nothing applied, nothing run.
SELECT pgmig.stamp('base');
SELECT count(*) AS applied FROM pgmig.applied;
SELECT to_regclass('segment') IS NOT NULL AS segment_still_there;
-- The journal recorded every stamp step.
SELECT action, revision, target, detail FROM pgmig.journal
 WHERE action = 'stamp' ORDER BY id;
SELECT pgmig.stamp('head');

-- step(): one named revision up or down; its parents (or children) must
-- already be in the right state (PM009 otherwise).
SELECT pgmig.step('9e0f1a2b3c4d', true);
SELECT revision FROM pgmig.current();
SELECT pgmig.step('9e0f1a2b3c4d', true);
\echo :SQLSTATE
SELECT pgmig.step('3f2a9c1b7d40', true);
\echo :SQLSTATE
SELECT pgmig.step('9e0f1a2b3c4d');
\echo :SQLSTATE
SELECT pgmig.step('heads');
\echo :SQLSTATE
SELECT pgmig.step('base');
\echo :SQLSTATE
-- record_step(): records a step that the client ran itself, without
-- running any script (for non-transactional revisions).
SELECT pgmig.record_step('9e0f1a2b3c4d', true);
SELECT pgmig.record_step('9e0f1a2b3c4d', false, interval '2 seconds');
SELECT revision, duration FROM pgmig.applied WHERE revision = '9e0f1a2b3c4d';
SELECT action, revision, duration, detail FROM pgmig.journal ORDER BY id DESC LIMIT 2;
SELECT pgmig.record_step('9e0f1a2b3c4d');
\echo :SQLSTATE
SELECT pgmig.record_step(NULL);
\echo :SQLSTATE

-- ---------------------------------------------------------------------
-- Branches, labels, a merge, and depends_on.
-- ---------------------------------------------------------------------
--   9e0f1a2b3c4d -+-> sp1 (speaker) -> sp2 -+-> mrg
--                 +-> au1 (audit) ---------+
--   other (a second base, label "other") ; au2 depends_on other
SELECT pgmig.add('sp1', ARRAY['9e0f1a2b3c4d'], 'CREATE TABLE speaker (id int);', 'DROP TABLE speaker;',
                 'Add speaker', ARRAY['speaker']);
SELECT pgmig.add('sp2', ARRAY['sp1'], 'ALTER TABLE speaker ADD name text;', 'ALTER TABLE speaker DROP name;',
                 'Name speakers');
SELECT pgmig.add('au1', ARRAY['9e0f1a2b3c4d'], 'CREATE TABLE audit (id int);', 'DROP TABLE audit;',
                 'Add audit', ARRAY['audit']);
SELECT pgmig.add('other', '{}', 'CREATE TABLE other_root (id int);', 'DROP TABLE other_root;',
                 'Another base', ARRAY['otherlabel']);
SELECT pgmig.add('au2', ARRAY['au1'], 'ALTER TABLE audit ADD other_id int;', 'ALTER TABLE audit DROP other_id;',
                 'Audit refers to other', depends_on => ARRAY['other']);
SELECT revision, message, branch_labels, applied FROM pgmig.heads();
SELECT * FROM pgmig.branches();
-- Several heads: "head" is ambiguous.
SELECT pgmig.upgrade('head');
\echo :SQLSTATE
-- Upgrade one branch by label.
SELECT pgmig.upgrade('speaker@head');
SELECT revision FROM pgmig.current() ORDER BY 1;
-- Upgrading au2 pulls in its dependency "other", which is on another base.
SELECT * FROM pgmig.plan('upgrade', 'au2');
SELECT pgmig.upgrade('au2');
SELECT revision FROM pgmig.current() ORDER BY 1;
-- Downgrading one branch leaves the other alone.
SELECT pgmig.downgrade('speaker@base');
SELECT revision FROM pgmig.current() ORDER BY 1;
SELECT to_regclass('speaker') AS speaker, to_regclass('audit') AS audit;
-- Downgrading the dependency also downgrades what depends on it.
SELECT pgmig.downgrade('otherlabel@base');
SELECT revision FROM pgmig.current() ORDER BY 1;
-- Merge the two branches; the graph then has two heads: mrg and "other".
SELECT pgmig.add('mrg', ARRAY['sp2', 'au2'], '', '', 'Merge speaker and audit');
SELECT revision FROM pgmig.heads();
SELECT * FROM pgmig.plan('upgrade', 'heads');
SELECT pgmig.upgrade('heads');
SELECT revision FROM pgmig.current() ORDER BY 1;
SELECT revision, is_head, is_branch_point, is_merge FROM pgmig.history() ORDER BY revision;
-- After the merge, speaker@head is the merged head; speaker@base
-- downgrades the branch and the merge above it, and leaves the audit
-- branch and "other" applied.
SELECT revision FROM pgmig.resolve('speaker@head');
SELECT * FROM pgmig.plan('downgrade', 'speaker@base');
SELECT pgmig.downgrade('speaker@base');
SELECT revision FROM pgmig.current() ORDER BY 1;
SELECT pgmig.upgrade('heads');

-- ---------------------------------------------------------------------
-- Errors while running.
-- ---------------------------------------------------------------------
-- A failing revision keeps its SQLSTATE and message, and the CONTEXT
-- names the revision, the statement and its line.  The whole call is
-- rolled back: the first revision, which worked, is not applied either.
SELECT pgmig.add('ok1', ARRAY['mrg'], 'CREATE TABLE broken (id int);', 'DROP TABLE broken;', 'Works');
SELECT pgmig.add('bad1', ARRAY['ok1'], E'INSERT INTO broken VALUES (1);\n\n-- the next line fails\nINSERT INTO broken VALUES (1/0);',
                 'DELETE FROM broken;', 'Divides by zero');
SELECT pgmig.upgrade('bad1');
\echo :SQLSTATE
SELECT revision FROM pgmig.current() ORDER BY 1;
SELECT to_regclass('broken') AS broken_table;
SELECT count(*) AS applied_ok1 FROM pgmig.applied WHERE revision IN ('ok1', 'bad1');
-- Apply ok1 alone for the next cases.
SELECT pgmig.upgrade('ok1');
-- Errors keep their detail and cursor position too.
SELECT pgmig.add('bad1', ARRAY['ok1'], E'INSERT INTO broken VALUES (1);\nINSERT INTO broken (nocolumn) VALUES (1);',
                 'DELETE FROM broken;', 'Unknown column');
SELECT pgmig.upgrade('bad1');
\echo :SQLSTATE
SELECT pgmig.add('bad1', ARRAY['ok1'], E'INSERT INTO broken VALUES (1);\nALTER TABLE broken ADD PRIMARY KEY (id);\nINSERT INTO broken VALUES (1);',
                 'DELETE FROM broken;', 'Duplicate key');
SELECT pgmig.upgrade('bad1');
\echo :SQLSTATE
SELECT count(*) AS broken_rows FROM broken;
-- BEGIN/COMMIT inside a script are refused (2D000).
SELECT pgmig.add('bad1', ARRAY['ok1'], E'BEGIN;\nCREATE TABLE t_in_tx (a int);\nCOMMIT;', 'SELECT 1;', 'Has its own transaction');
SELECT pgmig.upgrade('bad1');
\echo :SQLSTATE
SELECT to_regclass('t_in_tx') AS t_in_tx;
-- CREATE INDEX CONCURRENTLY in a transactional revision is refused (PM007).
SELECT pgmig.add('bad1', ARRAY['ok1'], 'CREATE INDEX CONCURRENTLY ix_broken ON broken (id);',
                 'DROP INDEX ix_broken;', 'Concurrent index');
SELECT pgmig.upgrade('bad1');
\echo :SQLSTATE
-- A non-transactional revision is refused by upgrade() before anything
-- runs (PM007); the error says how to run it.  Here bad2 (transactional)
-- would run first, but nothing runs at all.
SELECT pgmig.add('bad1', ARRAY['ok1'], 'CREATE INDEX CONCURRENTLY ix_broken ON broken (id);',
                 'DROP INDEX CONCURRENTLY ix_broken;', 'Concurrent index', transactional => false);
SELECT pgmig.add('bad2', ARRAY['bad1'], 'INSERT INTO broken VALUES (2);', 'DELETE FROM broken;', 'After the index');
SELECT * FROM pgmig.plan('upgrade', 'bad2');
SELECT pgmig.upgrade('bad2');
\echo :SQLSTATE
SELECT revision FROM pgmig.current() ORDER BY 1;
SELECT count(*) AS broken_rows FROM broken;
-- step() refuses it too.
SELECT pgmig.step('bad1');
\echo :SQLSTATE
DELETE FROM pgmig.revision WHERE id = 'bad2';
-- An irreversible revision is refused by downgrade (PM005) before
-- anything runs.
SELECT pgmig.add('bad1', ARRAY['ok1'], 'INSERT INTO broken VALUES (1);', NULL, 'One way');
SELECT pgmig.upgrade('bad1');
SELECT pgmig.downgrade('mrg');
\echo :SQLSTATE
SELECT revision FROM pgmig.current() ORDER BY 1;
SELECT count(*) AS broken_rows FROM broken;
-- step() refuses to downgrade it as well.
SELECT pgmig.step('bad1', true);
\echo :SQLSTATE
-- A script that fails on the way down rolls the whole downgrade back.
SELECT pgmig.stamp('ok1');
SELECT pgmig.add('bad1', ARRAY['ok1'], 'SELECT 1;', 'SELECT 1/0;', 'Fails down');
SELECT pgmig.upgrade('bad1');
SELECT pgmig.downgrade('mrg');
\echo :SQLSTATE
SELECT revision FROM pgmig.current() ORDER BY 1;
SELECT to_regclass('broken') IS NOT NULL AS broken_still_there;
-- Unknown targets are refused before anything runs.
SELECT pgmig.upgrade('nosuch');
\echo :SQLSTATE
SELECT pgmig.downgrade('bad1-99');
\echo :SQLSTATE
SELECT pgmig.stamp('nosuch');
\echo :SQLSTATE

-- The journal has one row per step, with the target asked for.
SELECT action, revision, target FROM pgmig.journal
 WHERE action IN ('upgrade', 'downgrade') ORDER BY id LIMIT 6;

-- A run records its steps at the end, 8,192 at a time: 20,000 steps up and
-- down give one applied row and one journal row per step, in the order
-- they ran (journal ids ascending with the chain), each with its own
-- checksum and duration.
SET client_min_messages = warning;
SELECT pgmig.stamp('base');
DELETE FROM pgmig.revision;
INSERT INTO pgmig.revision (id, down_revision, message, upgrade, downgrade)
SELECT 'ch' || i, CASE WHEN i = 1 THEN '{}'::text[] ELSE ARRAY['ch' || (i - 1)] END,
	   'chain ' || i, 'SELECT 1;', 'SELECT 1;'
  FROM generate_series(1, 20000) i;
SELECT max(id) AS journal_before FROM pgmig.journal \gset
SELECT pgmig.upgrade('head');
RESET client_min_messages;
SELECT count(*) AS applied,
       count(*) FILTER (WHERE a.checksum = r.checksum) AS own_checksum,
       count(*) FILTER (WHERE a.duration IS NOT NULL) AS with_duration
  FROM pgmig.applied a JOIN pgmig.revision r ON r.id = a.revision;
SELECT count(*) AS journaled,
       bool_and(substr(revision, 3)::int = n) AS in_run_order,
       bool_and(target = 'head' AND new_checksum IS NOT NULL AND duration IS NOT NULL) AS complete
  FROM (SELECT j.*, row_number() OVER (ORDER BY id) AS n
          FROM pgmig.journal j WHERE id > :journal_before AND action = 'upgrade') j;
SET client_min_messages = warning;
SELECT pgmig.downgrade('base');
RESET client_min_messages;
SELECT count(*) AS still_applied FROM pgmig.applied;
SELECT count(*) AS journaled,
       bool_and(substr(revision, 3)::int = 20001 - n) AS in_run_order
  FROM (SELECT j.*, row_number() OVER (ORDER BY id) AS n
          FROM pgmig.journal j WHERE id > :journal_before AND action = 'downgrade') j;
DELETE FROM pgmig.revision;

-- Clean up.
SET client_min_messages = warning;
SELECT pgmig.stamp('base');
RESET client_min_messages;
DROP TABLE segment, speaker, audit, other_root, broken;
DROP EXTENSION pgmig CASCADE;
