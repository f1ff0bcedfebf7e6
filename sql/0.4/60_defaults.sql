
-- ---- 60: Alembic's defaults (issue 12) ----
-- `flask db upgrade` means head and `flask db downgrade` means -1: the SQL
-- functions default the same way.  Several heads make 'head' an error that
-- names them and suggests 'heads' or LABEL@head, as Alembic does.
CREATE OR REPLACE FUNCTION pgmig.upgrade(target text DEFAULT 'head') RETURNS integer
	LANGUAGE C STRICT VOLATILE AS 'MODULE_PATHNAME', 'pgmig_upgrade';
CREATE OR REPLACE FUNCTION pgmig.downgrade(target text DEFAULT '-1') RETURNS integer
	LANGUAGE C STRICT VOLATILE AS 'MODULE_PATHNAME', 'pgmig_downgrade';
