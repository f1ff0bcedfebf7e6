/*-------------------------------------------------------------------------
 *
 * sqlquote.h
 *	  Quoting of identifiers and literals for SQL that pgmig writes
 *	  (server-free).
 *
 * Every name or literal the diff engine writes into a statement goes
 * through these two functions, so a hostile table name, enum label or
 * comment cannot end the statement it is in.  pm_quote_ident follows
 * quote_ident(): a name that is all lower-case letters, digits, _ and $
 * (not starting with a digit or $) and is not a reserved word stays bare;
 * everything else is double-quoted with "" doubling.  Quoting a word that
 * PostgreSQL would leave bare is harmless, so the keyword list errs on the
 * side of quoting.  pm_quote_literal follows quote_literal(): '' doubling,
 * and E'' with doubled backslashes when the text holds a backslash (so the
 * result is right whatever standard_conforming_strings is).
 *
 * Both append to a pm_buf; nothing is allocated besides its growth.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PM_SQLQUOTE_H
#define PM_SQLQUOTE_H

#include "pm_common.h"

extern void pm_quote_ident(pm_buf *b, const char *name);
extern void pm_quote_literal(pm_buf *b, const char *text);

#endif							/* PM_SQLQUOTE_H */
