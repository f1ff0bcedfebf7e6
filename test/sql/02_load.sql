--
-- 02_load: getting revisions into pgmig.revision, and keeping them honest.
--
-- The DDL guard (tested in 11_guard) would warn about this file's own
-- set-up tables; these tests are about the engine, so it is off here.
SET pgmig.guard = off;
CREATE EXTENSION IF NOT EXISTS pgmig;
DROP EXTENSION pgmig CASCADE;
DROP TABLE IF EXISTS segment, load_t CASCADE;
CREATE EXTENSION pgmig;
-- Errors are shown with their DETAIL and HINT; the SQLSTATE is echoed
-- after each one.  The CONTEXT (pgmig's internal statements) is left out.
\set VERBOSITY default
\set SHOW_CONTEXT never

-- ---------------------------------------------------------------------
-- Plain INSERT: the simplest way in.  Defaults fill the other columns.
-- ---------------------------------------------------------------------
INSERT INTO pgmig.revision (id, message, upgrade, downgrade)
VALUES ('r1', 'Create load_t', 'CREATE TABLE load_t (a int);', 'DROP TABLE load_t;');
SELECT id, down_revision, depends_on, branch_labels, message, transactional,
       length(checksum) AS checksum_len, seq > 0 AS has_seq,
       loaded_by = current_user AS loaded_by_me
  FROM pgmig.revision;

-- The server computes the checksum: a user-supplied value is ignored.
INSERT INTO pgmig.revision (id, down_revision, upgrade, downgrade, checksum)
VALUES ('r2', '{r1}', 'ALTER TABLE load_t ADD b int;', 'ALTER TABLE load_t DROP b;', 'forged');
SELECT id, checksum <> 'forged' AS server_computed,
       checksum = pgmig.checksum(upgrade, downgrade, transactional) AS matches
  FROM pgmig.revision WHERE id = 'r2';

-- Each statement writes one journal row ("load") saying what it did.
SELECT action, revision, old_checksum IS NULL AS no_old,
       new_checksum = (SELECT checksum FROM pgmig.revision WHERE id = j.revision) AS new_ok,
       detail
  FROM pgmig.journal j ORDER BY id;

-- ---------------------------------------------------------------------
-- pgmig.checksum(): SHA-256 over normalised scripts.  CRLF, blanks at the
-- end of lines and blank lines at the end of the script do not count.
-- ---------------------------------------------------------------------
SELECT pgmig.checksum('SELECT 1;', 'SELECT 2;') ~ '^[0-9a-f]{64}$' AS is_sha256;
SELECT pgmig.checksum(E'SELECT 1;\nSELECT 2;', NULL)
     = pgmig.checksum(E'SELECT 1;  \r\nSELECT 2;\t\r\n\r\n\n', NULL) AS crlf_and_blanks_ignored;
-- ... but everything else does: the scripts, the downgrade's presence, and
-- the transactional flag.
SELECT pgmig.checksum('SELECT 1;', NULL) <> pgmig.checksum('SELECT  1;', NULL) AS inner_blanks_count,
       pgmig.checksum('SELECT 1;', NULL) <> pgmig.checksum('SELECT 1;', '') AS no_down_vs_empty_down,
       pgmig.checksum('SELECT 1;', '', true) <> pgmig.checksum('SELECT 1;', '', false) AS transactional_counts,
       pgmig.checksum(E'\nSELECT 1;', NULL) <> pgmig.checksum('SELECT 1;', NULL) AS leading_blank_line_counts;
-- The stored checksum of a revision loaded with CRLF equals the LF one.
INSERT INTO pgmig.revision (id, down_revision, upgrade, downgrade)
VALUES ('crlf', '{r2}', E'SELECT 1;\r\nSELECT 2;  \r\n\r\n', E'SELECT 3;\r\n');
SELECT checksum = pgmig.checksum(E'SELECT 1;\nSELECT 2;', 'SELECT 3;') AS normalised
  FROM pgmig.revision WHERE id = 'crlf';
DELETE FROM pgmig.revision WHERE id = 'crlf';

-- ---------------------------------------------------------------------
-- COPY ... FROM STDIN (FORMAT csv): many revisions in one statement.  The
-- graph is validated once, at the end of the statement, so rows may come
-- in any order: here a child (c2) precedes its parent (c1).
-- ---------------------------------------------------------------------
COPY pgmig.revision (id, down_revision, message, upgrade, downgrade) FROM STDIN (FORMAT csv);
c2,{c1},Second copied,SELECT 2;,SELECT -2;
c1,{r2},First copied,SELECT 1;,SELECT -1;
c3,{c2},"Third, with a comma","SELECT 3;
SELECT 33;",
\.
SELECT id, down_revision, message, upgrade, downgrade IS NULL AS irreversible
  FROM pgmig.revision WHERE id LIKE 'c%' ORDER BY seq;
-- One journal row for the whole COPY.
SELECT action, revision, detail FROM pgmig.journal ORDER BY id DESC LIMIT 1;
-- A COPY whose rows leave a parent missing fails as a whole.
COPY pgmig.revision (id, down_revision, message, upgrade, downgrade) FROM STDIN (FORMAT csv);
d1,{c3},Fine,SELECT 1;,
d2,{nowhere},Orphan,SELECT 1;,
\.
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS d_rows FROM pgmig.revision WHERE id LIKE 'd%';
DELETE FROM pgmig.revision WHERE id LIKE 'c%';

-- ---------------------------------------------------------------------
-- pgmig.load(file): one revision file's content.
-- ---------------------------------------------------------------------
SELECT pgmig.load($f$-- revision: f1
-- down_revision: r2
-- message: Add column c
-- branch_labels: feat, feature_x

-- A plain comment before the sections is fine.

-- migrate:up
ALTER TABLE load_t ADD c int;

-- migrate:down
ALTER TABLE load_t DROP c;
$f$);
SELECT id, down_revision, depends_on, branch_labels, message, transactional,
       upgrade, downgrade
  FROM pgmig.revision WHERE id = 'f1';

-- CRLF line endings are accepted, and give the same checksum as LF.
SELECT pgmig.load(replace($f$-- revision: f2
-- down_revision: f1
-- message: CRLF file
-- depends_on: r1
-- transactional: false

-- migrate:up
CREATE INDEX CONCURRENTLY load_t_c ON load_t (c);

-- migrate:down
DROP INDEX CONCURRENTLY load_t_c;
$f$, E'\n', E'\r\n'));
SELECT id, down_revision, depends_on, message, transactional,
       upgrade, downgrade, position(E'\r' IN upgrade) > 0 AS upgrade_has_cr,
       checksum = pgmig.checksum('CREATE INDEX CONCURRENTLY load_t_c ON load_t (c);',
                                 'DROP INDEX CONCURRENTLY load_t_c;', false) AS lf_checksum
  FROM pgmig.revision WHERE id = 'f2';

-- No "-- migrate:down" section: the revision is irreversible (NULL).
SELECT pgmig.load($f$-- revision: f3
-- down_revision: f2
-- message: One way only
-- migrate:up
UPDATE load_t SET c = 0;
$f$);
SELECT id, downgrade IS NULL AS irreversible FROM pgmig.revision WHERE id = 'f3';

-- An empty down section is reversible with an empty script; no
-- down_revision header makes a root; no message header gives ''.
SELECT pgmig.load($f$-- revision: f4
-- migrate:up
-- migrate:down
$f$);
SELECT id, down_revision, message, upgrade, downgrade FROM pgmig.revision WHERE id = 'f4';
DELETE FROM pgmig.revision WHERE id = 'f4';

-- Loading the same file again changes nothing (no replacement, no journal).
SELECT count(*) AS journal_before FROM pgmig.journal \gset
SELECT pgmig.load($f$-- revision: f3
-- down_revision: f2
-- message: One way only
-- migrate:up
UPDATE load_t SET c = 0;
$f$);
SELECT count(*) - :journal_before AS new_journal_rows FROM pgmig.journal;

-- Loading a changed file replaces an unapplied revision.
SELECT pgmig.load($f$-- revision: f3
-- down_revision: f2
-- message: One way only, now reversible
-- migrate:up
UPDATE load_t SET c = 1;
-- migrate:down
UPDATE load_t SET c = NULL;
$f$);
SELECT id, message, upgrade, downgrade FROM pgmig.revision WHERE id = 'f3';
-- The journal row names the revision, its old checksum, and says it was
-- replaced (not inserted).
SELECT action, revision, old_checksum IS NOT NULL AS has_old, detail
  FROM pgmig.journal ORDER BY id DESC LIMIT 1;

-- Malformed files are refused with the line at fault (SQLSTATE PM008).
-- An unknown header key:
SELECT pgmig.load($f$-- revision: bad1
-- message: Typo below
-- down_revison: f3
-- migrate:up
SELECT 1;
$f$);
\echo :SQLSTATE
-- A header key in the wrong case:
SELECT pgmig.load($f$-- revision: bad1
-- Message: Wrong case
-- migrate:up
SELECT 1;
$f$);
\echo :SQLSTATE
-- No "-- migrate:up" section:
SELECT pgmig.load($f$-- revision: bad1
-- message: Nothing to run
$f$);
\echo :SQLSTATE
-- No "-- revision:" header:
SELECT pgmig.load($f$-- message: Who am I
-- migrate:up
SELECT 1;
$f$);
\echo :SQLSTATE
-- SQL before the up section:
SELECT pgmig.load($f$-- revision: bad1
SELECT 1;
-- migrate:up
SELECT 1;
$f$);
\echo :SQLSTATE
-- Down before up, and a duplicate section:
SELECT pgmig.load($f$-- revision: bad1
-- migrate:down
SELECT 1;
-- migrate:up
SELECT 1;
$f$);
\echo :SQLSTATE
SELECT pgmig.load($f$-- revision: bad1
-- migrate:up
SELECT 1;
-- migrate:up
SELECT 2;
$f$);
\echo :SQLSTATE
-- A duplicate header key:
SELECT pgmig.load($f$-- revision: bad1
-- message: one
-- message: two
-- migrate:up
SELECT 1;
$f$);
\echo :SQLSTATE
-- An invalid transactional value:
SELECT pgmig.load($f$-- revision: bad1
-- transactional: maybe
-- migrate:up
SELECT 1;
$f$);
\echo :SQLSTATE
-- An unknown section marker:
SELECT pgmig.load($f$-- revision: bad1
-- migrate:up
SELECT 1;
-- migrate:sideways
SELECT 2;
$f$);
\echo :SQLSTATE
-- A malformed id in the header:
SELECT pgmig.load($f$-- revision: bad-1
-- migrate:up
SELECT 1;
$f$);
\echo :SQLSTATE
-- A reserved word as id:
SELECT pgmig.load($f$-- revision: head
-- migrate:up
SELECT 1;
$f$);
\echo :SQLSTATE
-- pgmig.load(NULL) is NULL (the function is STRICT).
SELECT pgmig.load(NULL) IS NULL AS load_null;
-- Nothing was loaded by the failures.
SELECT count(*) AS bad_rows FROM pgmig.revision WHERE id LIKE 'bad%';

-- ---------------------------------------------------------------------
-- pgmig.add(): the same from SQL values.
-- ---------------------------------------------------------------------
SELECT pgmig.add('a1', ARRAY['f3'], 'SELECT 1;', 'SELECT 0;', 'Added from SQL',
                 branch_labels => ARRAY['added'], depends_on => ARRAY['r1']);
SELECT id, down_revision, depends_on, branch_labels, message, upgrade, downgrade, transactional
  FROM pgmig.revision WHERE id = 'a1';
-- Defaults: irreversible, empty message, transactional.
SELECT pgmig.add('a2', ARRAY['a1'], 'SELECT 2;');
SELECT id, downgrade IS NULL AS irreversible, message, transactional
  FROM pgmig.revision WHERE id = 'a2';
-- add() with the same id replaces an unapplied revision.
SELECT pgmig.add('a2', ARRAY['a1'], 'SELECT 22;', 'SELECT -22;', 'Replaced');
SELECT id, upgrade, downgrade, message FROM pgmig.revision WHERE id = 'a2';
-- A NULL id is refused.
SELECT pgmig.add(NULL, '{}', 'SELECT 1;');
\echo :SQLSTATE

-- ---------------------------------------------------------------------
-- pgmig.new_revision(): a generated 12-hex id whose parent is the single head.
-- ---------------------------------------------------------------------
SELECT pgmig.new_revision('Generated', 'SELECT 3;', 'SELECT -3;') AS gen \gset
SELECT :'gen' ~ '^[0-9a-f]{12}$' AS twelve_hex;
SELECT down_revision = ARRAY['a2'] AS parent_is_head, message, upgrade, downgrade
  FROM pgmig.revision WHERE id = :'gen';
-- An explicit parent creates a second head ...
SELECT pgmig.new_revision('Side branch', 'SELECT 4;', down_revision => ARRAY['a1'])
       ~ '^[0-9a-f]{12}$' AS twelve_hex;
SELECT count(*) AS heads FROM pgmig.heads();
-- ... and then new_revision() without a parent cannot choose one (PM002).
-- (terse: the heads' ids are random)
\set VERBOSITY terse
SELECT regexp_replace(pgmig.new_revision('Which parent?', 'SELECT 5;'), '.', 'x', 'g');
\set VERBOSITY default
\echo :SQLSTATE

-- ---------------------------------------------------------------------
-- pgmig.merge(): joins heads into one, with empty scripts.
-- ---------------------------------------------------------------------
SELECT pgmig.merge() AS m1 \gset
SELECT :'m1' ~ '^[0-9a-f]{12}$' AS twelve_hex;
SELECT cardinality(down_revision) AS parents, upgrade = '' AS empty_up,
       downgrade = '' AS empty_down, message ~ '^merge [0-9a-f]{12}, [0-9a-f]{12}$' AS default_message
  FROM pgmig.revision WHERE id = :'m1';
SELECT count(*) AS heads FROM pgmig.heads();
-- With a single head there is nothing to merge (PM009).
SELECT pgmig.merge();
\echo :SQLSTATE
-- Explicit revisions, and a message: make two heads again and merge them by name.
SELECT pgmig.add('x1', ARRAY[:'m1'], 'SELECT 1;', '', 'x one');
SELECT pgmig.add('y1', ARRAY[:'m1'], 'SELECT 1;', '', 'y one');
SELECT pgmig.merge(ARRAY['x1', 'y1'], 'Join x and y') AS m2 \gset
SELECT down_revision, message FROM pgmig.revision WHERE id = :'m2';
-- merge() errors: fewer than two revisions, the same revision twice,
-- an unknown revision, a NULL element.
SELECT pgmig.merge(ARRAY['x1']);
\echo :SQLSTATE
SELECT pgmig.merge(ARRAY['x1', 'x1']);
\echo :SQLSTATE
SELECT pgmig.merge(ARRAY['x1', 'nosuch']);
\echo :SQLSTATE
SELECT pgmig.merge(ARRAY['x1', NULL]);
\echo :SQLSTATE

-- ---------------------------------------------------------------------
-- Validation errors.
-- ---------------------------------------------------------------------
-- A duplicate id with plain INSERT is a primary key violation.
INSERT INTO pgmig.revision (id, upgrade) VALUES ('r1', 'SELECT 1;');
\echo :SQLSTATE
-- A malformed id (42602), and one that is too long.
INSERT INTO pgmig.revision (id, upgrade) VALUES ('no-dashes', 'SELECT 1;');
\echo :SQLSTATE
INSERT INTO pgmig.revision (id, upgrade) VALUES (repeat('x', 65), 'SELECT 1;');
\echo :SQLSTATE
INSERT INTO pgmig.revision (id, upgrade) VALUES ('', 'SELECT 1;');
\echo :SQLSTATE
-- 64 characters is the longest id allowed.
INSERT INTO pgmig.revision (id, down_revision, upgrade) VALUES (repeat('x', 64), '{r1}', 'SELECT 1;');
DELETE FROM pgmig.revision WHERE id = repeat('x', 64);
-- Reserved words are not ids (nor labels).
INSERT INTO pgmig.revision (id, upgrade) VALUES ('head', 'SELECT 1;');
\echo :SQLSTATE
INSERT INTO pgmig.revision (id, upgrade) VALUES ('heads', 'SELECT 1;');
\echo :SQLSTATE
INSERT INTO pgmig.revision (id, upgrade) VALUES ('base', 'SELECT 1;');
\echo :SQLSTATE
INSERT INTO pgmig.revision (id, upgrade) VALUES ('current', 'SELECT 1;');
\echo :SQLSTATE
INSERT INTO pgmig.revision (id, down_revision, upgrade, branch_labels)
VALUES ('lbl', '{r1}', 'SELECT 1;', '{base}');
\echo :SQLSTATE
-- A malformed name in down_revision, depends_on or branch_labels.
INSERT INTO pgmig.revision (id, down_revision, upgrade) VALUES ('n1', '{"r 1"}', 'SELECT 1;');
\echo :SQLSTATE
INSERT INTO pgmig.revision (id, down_revision, depends_on, upgrade) VALUES ('n1', '{r1}', '{"x;y"}', 'SELECT 1;');
\echo :SQLSTATE
INSERT INTO pgmig.revision (id, down_revision, branch_labels, upgrade) VALUES ('n1', '{r1}', '{"a b"}', 'SELECT 1;');
\echo :SQLSTATE
-- A NULL element in an array column.
INSERT INTO pgmig.revision (id, down_revision, upgrade) VALUES ('n1', ARRAY['r1', NULL], 'SELECT 1;');
\echo :SQLSTATE
INSERT INTO pgmig.revision (id, down_revision, depends_on, upgrade) VALUES ('n1', '{r1}', ARRAY[NULL::text], 'SELECT 1;');
\echo :SQLSTATE
INSERT INTO pgmig.revision (id, down_revision, branch_labels, upgrade) VALUES ('n1', '{r1}', ARRAY[NULL::text], 'SELECT 1;');
\echo :SQLSTATE
-- A multi-dimensional array.
INSERT INTO pgmig.revision (id, down_revision, upgrade) VALUES ('n1', '{{r1},{r2}}', 'SELECT 1;');
\echo :SQLSTATE
-- An unknown parent (PM001).
INSERT INTO pgmig.revision (id, down_revision, upgrade) VALUES ('n1', '{nosuch}', 'SELECT 1;');
\echo :SQLSTATE
-- An unknown depends_on (PM001).
INSERT INTO pgmig.revision (id, down_revision, depends_on, upgrade) VALUES ('n1', '{r1}', '{nosuch}', 'SELECT 1;');
\echo :SQLSTATE
-- A duplicate branch label (42710).
INSERT INTO pgmig.revision (id, down_revision, branch_labels, upgrade) VALUES ('n1', '{r1}', '{feat}', 'SELECT 1;');
\echo :SQLSTATE
-- A branch label equal to a revision id.
INSERT INTO pgmig.revision (id, down_revision, branch_labels, upgrade) VALUES ('n1', '{r1}', '{r2}', 'SELECT 1;');
\echo :SQLSTATE
-- ... and an id equal to an existing branch label.
INSERT INTO pgmig.revision (id, down_revision, upgrade) VALUES ('feat', '{r1}', 'SELECT 1;');
\echo :SQLSTATE
-- A cycle (PM003): r1 -> r2 -> r1, made with an UPDATE.
UPDATE pgmig.revision SET down_revision = '{r2}' WHERE id = 'r1';
\echo :SQLSTATE
-- A revision that is its own parent.
UPDATE pgmig.revision SET down_revision = '{r1}' WHERE id = 'r1';
\echo :SQLSTATE
-- None of the failed statements left a row behind.
SELECT count(*) AS n_rows FROM pgmig.revision WHERE id IN ('n1', 'lbl', 'head', 'feat');

-- ---------------------------------------------------------------------
-- Applied revisions are protected ("never edit applied migrations").
-- ---------------------------------------------------------------------
SET client_min_messages = warning;
SELECT pgmig.upgrade('r2');
RESET client_min_messages;
-- Changing the script of an applied revision is refused (PM006).
UPDATE pgmig.revision SET upgrade = 'CREATE TABLE load_t (a bigint);' WHERE id = 'r1';
\echo :SQLSTATE
-- So is reloading it with a different script.
SELECT pgmig.add('r1', '{}', 'CREATE TABLE load_t (a bigint);', 'DROP TABLE load_t;', 'Create load_t');
\echo :SQLSTATE
-- Or changing its parents, or renaming it.
UPDATE pgmig.revision SET down_revision = '{}' WHERE id = 'r2';
\echo :SQLSTATE
UPDATE pgmig.revision SET id = 'r1_renamed' WHERE id = 'r1';
\echo :SQLSTATE
-- Changes that leave the checksum alone are allowed: the message, or a
-- script with only trailing blanks added.
UPDATE pgmig.revision SET message = 'Create load_t (reworded)' WHERE id = 'r1';
UPDATE pgmig.revision SET upgrade = E'CREATE TABLE load_t (a int);   \r\n\r\n' WHERE id = 'r1';
SELECT id, message FROM pgmig.revision WHERE id = 'r1';
-- Deleting an applied revision is refused (PM006) ...
DELETE FROM pgmig.revision WHERE id = 'r2';
\echo :SQLSTATE
-- ... and so is emptying the table.
TRUNCATE pgmig.revision;
\echo :SQLSTATE
-- Deleting unapplied revisions without children is fine.
DELETE FROM pgmig.revision WHERE id = :'m2';
DELETE FROM pgmig.revision WHERE id = 'y1';
-- Deleting a revision that others descend from breaks the graph (PM001).
DELETE FROM pgmig.revision WHERE id = 'a1';
\echo :SQLSTATE

-- ---------------------------------------------------------------------
-- The journal is append-only.
-- ---------------------------------------------------------------------
UPDATE pgmig.journal SET detail = 'rewritten';
\echo :SQLSTATE
DELETE FROM pgmig.journal;
\echo :SQLSTATE
TRUNCATE pgmig.journal;
\echo :SQLSTATE

-- ---------------------------------------------------------------------
-- pgmig.repair(file): the deliberate way to change an applied revision.
-- ---------------------------------------------------------------------
SELECT checksum AS old_ck FROM pgmig.revision WHERE id = 'r2' \gset
SELECT pgmig.repair($f$-- revision: r2
-- down_revision: r1
-- message: Add column b (repaired)
-- migrate:up
ALTER TABLE load_t ADD b bigint;
-- migrate:down
ALTER TABLE load_t DROP b;
$f$);
SELECT id, message, upgrade FROM pgmig.revision WHERE id = 'r2';
-- The applied set takes the new checksum, so check() sees no drift ...
SELECT a.checksum = r.checksum AS applied_checksum_updated
  FROM pgmig.applied a JOIN pgmig.revision r ON r.id = a.revision WHERE r.id = 'r2';
-- ... and the journal records the old and the new checksum.
SELECT action, revision, old_checksum = :'old_ck' AS old_ok,
       new_checksum = (SELECT checksum FROM pgmig.revision WHERE id = 'r2') AS new_ok,
       detail
  FROM pgmig.journal ORDER BY id DESC LIMIT 1;
-- Repairing with identical content says so.
SELECT pgmig.repair($f$-- revision: r2
-- down_revision: r1
-- message: Add column b (repaired)
-- migrate:up
ALTER TABLE load_t ADD b bigint;
-- migrate:down
ALTER TABLE load_t DROP b;
$f$);
-- repair() of an unknown revision is an error (PM001): use load() for new ones.
SELECT pgmig.repair($f$-- revision: nosuch
-- migrate:up
SELECT 1;
$f$);
\echo :SQLSTATE
-- repair() still refuses changing the parents of an applied revision.
SELECT pgmig.repair($f$-- revision: r2
-- message: Add column b (repaired)
-- migrate:up
ALTER TABLE load_t ADD b bigint;
-- migrate:down
ALTER TABLE load_t DROP b;
$f$);
\echo :SQLSTATE
-- repair() of a malformed file is PM008.
SELECT pgmig.repair('-- revision: r2');
\echo :SQLSTATE
-- repair() of an unapplied revision replaces it too, and is journalled.
SELECT pgmig.repair($f$-- revision: a2
-- down_revision: a1
-- message: Replaced by repair
-- migrate:up
SELECT 222;
$f$);
SELECT action, revision, detail FROM pgmig.journal ORDER BY id DESC LIMIT 1;

-- Clean up: unapply, then remove everything.
SET client_min_messages = warning;
SELECT pgmig.downgrade('base');
RESET client_min_messages;
DROP EXTENSION pgmig CASCADE;
SELECT to_regclass('load_t') AS load_t_gone;
