-- pgmig 0.3 -> 0.4
--
-- Assembled by the Makefile from sql/0.4/*.sql in name order: one fragment
-- per capability, each self-contained.
\echo Use "ALTER EXTENSION pgmig UPDATE TO '0.4'" to load this file. \quit
