--
-- 06_search_path: pgmig's own queries are immune to objects a user
-- creates in public; revision scripts still see the caller's search_path.
--
-- The DDL guard (tested in 11_guard) would warn about this file's own
-- set-up tables; these tests are about the engine, so it is off here.
SET pgmig.guard = off;
CREATE EXTENSION IF NOT EXISTS pgmig;
DROP EXTENSION pgmig CASCADE;
DROP TABLE IF EXISTS public.revision, public.applied, sp_t CASCADE;
DROP OPERATOR IF EXISTS public.= (text, text);
DROP OPERATOR IF EXISTS public.<> (text, text);
DROP FUNCTION IF EXISTS public.hostile_eq(text, text), public.texteq(text, text), public.now();
CREATE EXTENSION pgmig;
\set VERBOSITY default

-- A hostile public schema: tables named like pgmig's, an "=" and "<>" on
-- text that raise, a texteq() and now() that shadow the built-ins.
CREATE TABLE public.revision (id text, down_revision text[]);
INSERT INTO public.revision VALUES ('evil', '{}');
CREATE TABLE public.applied (revision text, checksum text);
CREATE FUNCTION public.hostile_eq(text, text) RETURNS boolean
  LANGUAGE plpgsql AS $$BEGIN RAISE EXCEPTION 'hostile operator called'; END$$;
CREATE OPERATOR public.= (LEFTARG = text, RIGHTARG = text, FUNCTION = public.hostile_eq);
CREATE OPERATOR public.<> (LEFTARG = text, RIGHTARG = text, FUNCTION = public.hostile_eq);
CREATE FUNCTION public.texteq(text, text) RETURNS boolean
  LANGUAGE plpgsql AS $$BEGIN RAISE EXCEPTION 'hostile texteq called'; END$$;
CREATE FUNCTION public.now() RETURNS timestamptz
  LANGUAGE plpgsql AS $$BEGIN RAISE EXCEPTION 'hostile now called'; END$$;
-- public comes even before pg_catalog: unqualified "=" on text now means
-- the hostile operator.
SET search_path = public, pg_catalog, pgmig;
SELECT 'a'::text = 'a'::text;

-- Loading, running and reading still work.
SELECT pgmig.load($f$-- revision: s1
-- message: Create sp_t
-- migrate:up
CREATE TABLE sp_t (a int);
-- migrate:down
DROP TABLE sp_t;
$f$);
SELECT pgmig.add('s2', ARRAY['s1'], 'INSERT INTO sp_t VALUES (1);', 'DELETE FROM sp_t;', 'Fill sp_t');
SELECT pgmig.load($f$-- revision: s1
-- message: Create sp_t (reworded)
-- migrate:up
CREATE TABLE sp_t (a int);
-- migrate:down
DROP TABLE sp_t;
$f$);
SELECT pgmig.upgrade('head');
-- The script ran with the caller's search_path: sp_t is in public.
SELECT pg_catalog.to_regclass('public.sp_t') IS NOT NULL AS sp_t_in_public;
SELECT revision, message FROM pgmig.current();
SELECT revision, applied FROM pgmig.history();
SELECT revision FROM pgmig.history('s1:s2');
SELECT revision FROM pgmig.resolve('head');
SELECT revision, applied FROM pgmig.show('s2');
SELECT * FROM pgmig.check();
SELECT current, heads, pending, problems FROM pgmig.status();
SELECT step, action, revision FROM pgmig.plan('downgrade', 'base');
SELECT pgmig.script('downgrade', 's1') IS NOT NULL AS has_script;
SELECT pgmig.graph() IS NOT NULL AS has_graph;
SELECT pgmig.downgrade('base');
SELECT pgmig.stamp('head');
SELECT pgmig.stamp('base');
-- The revision table in public was never touched.
SELECT * FROM public.revision;

-- Clean up.
RESET search_path;
DROP EXTENSION pgmig CASCADE;
DROP TABLE public.revision, public.applied;
DROP OPERATOR public.= (text, text);
DROP OPERATOR public.<> (text, text);
DROP FUNCTION public.hostile_eq(text, text), public.texteq(text, text), public.now();
