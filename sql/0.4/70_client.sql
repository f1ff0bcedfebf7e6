
-- ---- 70: for the client's drift command (issue 12) ----
-- pgmig.clear_drift(through): "pgmig drift --clear".  Deletes as the
-- caller (DELETE on pgmig.drift is needed: nobody has it by default) and
-- journals what was acknowledged; NULL means every row.
CREATE FUNCTION pgmig.clear_drift(through bigint DEFAULT NULL) RETURNS bigint
	LANGUAGE C VOLATILE AS 'MODULE_PATHNAME', 'pgmig_clear_drift';
REVOKE ALL ON FUNCTION pgmig.clear_drift(bigint) FROM PUBLIC;
