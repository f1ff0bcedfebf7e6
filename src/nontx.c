/*-------------------------------------------------------------------------
 *
 * nontx.c
 *	  Non-transactional revisions run one statement at a time by a client:
 *	  pgmig.begin_statement(), pgmig.end_statement(),
 *	  pgmig.statement_progress().
 *
 * A statement such as CREATE INDEX CONCURRENTLY cannot run inside a
 * function, so the pgmig client sends it itself, at top level.  The server
 * still owns the script and its bookkeeping:
 *
 *	- begin_statement(rev, direction, n) returns the n-th statement of the
 *	  revision's script, cut by PostgreSQL's own parser (the same cut the
 *	  server uses when it runs a script, so both number statements alike),
 *	  and arms the guard for exactly that text: the next statement this
 *	  session runs with that text is pgmig's own and not drift; nothing
 *	  else is exempt, holding the migration lock included.  The arming is
 *	  used up by the statement's ddl_command_end (guard.c), or replaced by
 *	  the next begin_statement.
 *	- end_statement(rev, direction, n) records that statements 1..n are
 *	  done (pgmig.statement_progress, written as pgmig itself), so a run
 *	  killed in statement 2 resumes at statement 2, not at 1; recording
 *	  the whole revision (record_step) clears it.
 *
 * Rules: the caller must hold the session-level migration lock
 * (pgmig.lock()), so no other run interleaves; the armed text lives in
 * TopMemoryContext, one per backend.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "nodes/parsenodes.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "spi_util.h"

static char *armed_text = NULL;

/* Length of s without trailing blanks and semicolons (psql sends the ';'). */
static size_t
trimmed_len(const char *s)
{
	size_t		n = strlen(s);

	while (n > 0 && (s[n - 1] == ';' || s[n - 1] == ' ' || s[n - 1] == '\t' ||
					 s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	return n;
}

/* Is the statement now running the one pgmig armed (and not used up)? */
bool
pgmig_statement_armed(void)
{
	size_t		n;

	if (armed_text == NULL || debug_query_string == NULL)
		return false;
	n = trimmed_len(armed_text);
	return trimmed_len(debug_query_string) == n &&
		strncmp(debug_query_string, armed_text, n) == 0;
}

void
pgmig_disarm_statement(void)
{
	if (armed_text)
		pfree(armed_text);
	armed_text = NULL;
}

static bool
direction_is_down(const char *direction)
{
	if (strcmp(direction, "upgrade") == 0)
		return false;
	if (strcmp(direction, "downgrade") == 0)
		return true;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid direction \"%s\"", direction),
			 errhint("Use \"upgrade\" or \"downgrade\".")));
	return false;
}

static void
require_session_lock(const char *fn)
{
	if (!pgmig_lock_held())
		ereport(ERROR,
				(errcode(ERRCODE_PGMIG_STATE),
				 errmsg("%s() needs the migration lock", fn),
				 errdetail("Statements of a non-transactional revision run one at a time while this session holds the lock, so no other run interleaves."),
				 errhint("Call SELECT pgmig.lock() first; the pgmig client does this for you.")));
}

/*
 * The script of a non-transactional revision, in the current context.
 */
static char *
nontx_script(const char *id, bool down)
{
	PgmigScripts s;
	Oid			types[1] = {TEXTOID};
	Datum		v[1];
	bool		transactional;

	v[0] = CStringGetTextDatum(id);
	if (pgmig_spi_exec("SELECT transactional FROM pgmig.revision WHERE id OPERATOR(pg_catalog.=) $1",
					   1, types, v, NULL, false, 1, SPI_OK_SELECT) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_PGMIG_UNDEFINED_REVISION),
				 errmsg("revision \"%s\" does not exist", id),
				 errhint("Load it first (pgmig load).")));
	transactional = pgmig_spi_bool(0, 1, true);
	pgmig_spi_done();
	if (transactional)
		ereport(ERROR,
				(errcode(ERRCODE_PGMIG_STATE),
				 errmsg("revision \"%s\" is transactional", id),
				 errdetail("Only a non-transactional revision runs statement by statement."),
				 errhint("Run it with pgmig.upgrade() or pgmig.step().")));
	pgmig_fetch_revision_scripts(id, &s);
	if (down && s.downgrade == NULL)
		pgmig_refuse_irreversible(id, "", false);
	return down ? s.downgrade : s.upgrade;
}

PG_FUNCTION_INFO_V1(pgmig_begin_statement);
Datum
pgmig_begin_statement(PG_FUNCTION_ARGS)
{
	char	   *id = text_to_cstring(PG_GETARG_TEXT_PP(0));
	bool		down = direction_is_down(text_to_cstring(PG_GETARG_TEXT_PP(1)));
	int32		n = PG_GETARG_INT32(2);
	MemoryContext oldcxt;
	MemoryContext cxt;
	char	   *script;
	List	   *raw;
	char	   *sql = NULL;

	require_session_lock("begin_statement");
	pgmig_disarm_statement();
	cxt = pgmig_call_begin("pgmig begin_statement", &oldcxt);
	script = nontx_script(id, down);
	raw = pg_parse_query(script);
	if (n >= 1 && n <= list_length(raw))
	{
		RawStmt    *rs = list_nth_node(RawStmt, raw, n - 1);
		int			loc = rs->stmt_location < 0 ? 0 : rs->stmt_location;

		int			len = rs->stmt_len > 0 ? rs->stmt_len : (int) strlen(script + loc);

		/* the parser counts the blanks after the previous ';' in */
		while (len > 0 && isspace((unsigned char) script[loc]))
			loc++, len--;
		sql = pnstrdup(script + loc, len);
		armed_text = MemoryContextStrdup(TopMemoryContext, sql);
		sql = MemoryContextStrdup(oldcxt, sql);
	}
	pgmig_call_end(cxt, oldcxt);
	if (sql == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(sql));
}

PG_FUNCTION_INFO_V1(pgmig_end_statement);
Datum
pgmig_end_statement(PG_FUNCTION_ARGS)
{
	char	   *id = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *direction = text_to_cstring(PG_GETARG_TEXT_PP(1));
	int32		n = PG_GETARG_INT32(2);
	MemoryContext oldcxt;
	MemoryContext cxt;
	Oid			types[3] = {TEXTOID, TEXTOID, INT4OID};
	Datum		v[3];

	(void) direction_is_down(direction);
	require_session_lock("end_statement");
	pgmig_disarm_statement();
	cxt = pgmig_call_begin("pgmig end_statement", &oldcxt);
	v[0] = CStringGetTextDatum(id);
	v[1] = CStringGetTextDatum(direction);
	v[2] = Int32GetDatum(n);
	(void) pgmig_exec_as_owner("INSERT INTO pgmig.statement_progress (revision, direction, done)"
							   " VALUES ($1, $2, $3)"
							   " ON CONFLICT (revision, direction) DO UPDATE SET done = EXCLUDED.done,"
							   " at = pg_catalog.clock_timestamp()",
							   3, types, v, NULL, SPI_OK_INSERT);
	pgmig_call_end(cxt, oldcxt);
	PG_RETURN_VOID();
}

/* Forget the progress of a revision once it is recorded as a whole. */
void
pgmig_clear_statement_progress(const char *id)
{
	Oid			types[1] = {TEXTOID};
	Datum		v[1];

	v[0] = CStringGetTextDatum(id);
	(void) pgmig_exec_as_owner("DELETE FROM pgmig.statement_progress WHERE revision OPERATOR(pg_catalog.=) $1",
							   1, types, v, NULL, SPI_OK_DELETE);
}
