/*-------------------------------------------------------------------------
 *
 * sqlsplit.h
 *	  Split a SQL script into top-level statements (server-free).
 *
 * The client runs a non-transactional revision (CREATE INDEX CONCURRENTLY
 * and friends) one top-level statement at a time, because such commands
 * refuse to run inside a multi-statement query string; import-alembic
 * needs the statements of Alembic's offline output with the comments
 * between them.  Both need the same lexical rules psql uses to find the
 * semicolons that end a statement:
 *
 *	- 'strings' with '' doubling; E'strings' with backslash escapes
 *	  (standard_conforming_strings is assumed on, as in every supported
 *	  PostgreSQL release, so a plain '...' has no backslash escapes);
 *	- "quoted identifiers" with "" doubling;
 *	- $tag$ ... $tag$ and $$ ... $$ dollar quotes (a $ inside an
 *	  identifier, as in a$b, or before a digit, as in $1, is not one);
 *	- -- comments to end of line, nested slash-star comments;
 *	- a semicolon inside parentheses does not end a statement, nor one
 *	  inside the BEGIN ... END body of CREATE [OR REPLACE] FUNCTION /
 *	  PROCEDURE (SQL-standard bodies, PostgreSQL 14+), tracked with the
 *	  same keyword heuristic psql uses.
 *
 * Each statement is returned from its first token through its
 * terminating semicolon (a last statement without one is returned too);
 * comments and blanks between statements are not part of any statement,
 * but the byte offsets let a caller look at them.
 *
 * The input may hold any bytes, NULs included; the splitter never reads
 * out of bounds (it is fuzzed).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PM_SQLSPLIT_H
#define PM_SQLSPLIT_H

#include "pm_common.h"

typedef struct pm_stmt
{
	char	   *sql;			/* NUL-terminated copy, pm_malloc'd */
	size_t		start;			/* byte offset of the first token */
	size_t		end;			/* byte offset just past the statement */
	int			line;			/* 1-based line of the first token */
	bool		terminated;		/* ends with ';' */
} pm_stmt;

typedef struct pm_stmtlist
{
	int			n;
	pm_stmt    *items;
} pm_stmtlist;

/*
 * Split buf[0..len).  On success fills *out (possibly with n = 0) and
 * returns true.  An unterminated quoted string, quoted identifier, dollar
 * quote or block comment is an error: false, err->line = the line where
 * it starts, *out empty.
 */
extern bool pm_sql_split(const char *buf, size_t len, pm_stmtlist *out,
						 pm_error *err);
extern void pm_stmtlist_free(pm_stmtlist *l);

/*
 * true if the statement is nothing but blanks, comments and semicolons
 * (such a "statement" never reaches the server).
 */
extern bool pm_sql_is_empty(const char *sql);

#endif							/* PM_SQLSPLIT_H */
