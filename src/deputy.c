/*-------------------------------------------------------------------------
 *
 * deputy.c
 *	  Whose rights a revision script runs with; pgmig.approve().
 *
 * A revision script is code its author (the role that loaded it,
 * pgmig.revision.loaded_by, set by the server, never by the caller) wrote.
 * It must never run with more rights than the author had unless someone
 * who has those rights said so:
 *
 *	- the caller is the author, or the author has every right the caller
 *	  has (has_privs_of_role(author, caller)): it runs as the caller;
 *	- a role with the caller's rights approved this revision's current
 *	  scripts (pgmig.approve(), bound to the checksum, journaled): it runs
 *	  as the caller;
 *	- else, when the caller has the author's rights (a superuser running
 *	  what a deploy role loaded): it runs as the AUTHOR, with the user id
 *	  switched around the script only, so it can do no more than its
 *	  author could (and what it creates is owned by the author);
 *	- else (unrelated roles): refused, with the way forward.
 *
 * Membership is not the test: a superuser is a member of every role, and
 * it is exactly the superuser running a deploy role's script that must not
 * lend it superuser rights.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"

#include "spi_util.h"

/* Has a role with the caller's rights approved these scripts? */
static bool
approved_for(const char *id, const char *checksum, Oid caller)
{
	Oid			types[2] = {TEXTOID, TEXTOID};
	Datum		v[2];
	char	  **who;
	int			n;
	int			i;

	v[0] = CStringGetTextDatum(id);
	v[1] = CStringGetTextDatum(checksum);
	who = pgmig_spi_column("SELECT approved_by FROM pgmig.approval"
						   " WHERE revision OPERATOR(pg_catalog.=) $1"
						   "   AND checksum OPERATOR(pg_catalog.=) $2",
						   2, types, v, NULL, &n);
	for (i = 0; i < n; i++)
	{
		Oid			approver = get_role_oid(who[i], true);

		if (OidIsValid(approver) && has_privs_of_role(approver, caller))
			return true;
	}
	return false;
}

/*
 * The role revision `id` (with these scripts, loaded by `author`) runs as
 * when the current user runs it; an error when it may not run at all.
 */
Oid
pgmig_script_role(const char *id, const char *checksum, const char *author)
{
	Oid			caller = GetUserId();
	Oid			author_id = author ? get_role_oid(author, true) : InvalidOid;

	if (OidIsValid(author_id) &&
		(author_id == caller || has_privs_of_role(author_id, caller)))
		return caller;
	if (approved_for(id, checksum, caller))
		return caller;
	if (OidIsValid(author_id) && has_privs_of_role(caller, author_id))
		return author_id;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("revision \"%s\" was loaded by role \"%s\", which does not have the rights of role \"%s\"",
					id, author ? author : "(unknown)",
					GetUserNameFromId(caller, false)),
			 errdetail("A revision script never runs with more rights than its author had, and role \"%s\" cannot run it as its author either.",
					   GetUserNameFromId(caller, false)),
			 errhint("Read the revision (pgmig show %s), then approve it with SELECT pgmig.approve('%s') as a role that has the rights, or load it as a role that has them.",
					 id, id)));
	return InvalidOid;
}

/*
 * pgmig.approve(revision): the caller vouches for the revision's current
 * scripts, so roles whose rights the caller has may run them with their own
 * rights.  Recorded in pgmig.approval and the journal; a later change of
 * the scripts (a new checksum) needs a new approval.
 */
PG_FUNCTION_INFO_V1(pgmig_approve);
Datum
pgmig_approve(PG_FUNCTION_ARGS)
{
	char	   *id = text_to_cstring(PG_GETARG_TEXT_PP(0));
	MemoryContext oldcxt;
	MemoryContext cxt = pgmig_call_begin("pgmig approve", &oldcxt);
	Oid			types[1] = {TEXTOID};
	Datum		v[1];
	char	   *checksum;
	char	   *author;
	Oid			t2[2] = {TEXTOID, TEXTOID};
	Datum		v2[2];

	v[0] = CStringGetTextDatum(id);
	if (pgmig_spi_exec("SELECT checksum, loaded_by FROM pgmig.revision WHERE id OPERATOR(pg_catalog.=) $1",
					   1, types, v, NULL, false, 1, SPI_OK_SELECT) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_PGMIG_UNDEFINED_REVISION),
				 errmsg("revision \"%s\" does not exist", id),
				 errhint("List revisions with pgmig history.")));
	checksum = pgmig_spi_text(0, 1);
	author = pgmig_spi_text(0, 2);
	pgmig_spi_done();
	v2[0] = CStringGetTextDatum(id);
	v2[1] = CStringGetTextDatum(checksum);
	(void) pgmig_exec_as_owner("INSERT INTO pgmig.approval (revision, checksum) VALUES ($1, $2)"
							   " ON CONFLICT DO NOTHING", 2, t2, v2, NULL, SPI_OK_INSERT);
	(void) pgmig_exec_as_owner("INSERT INTO pgmig.journal (action, revision, new_checksum, detail)"
							   " VALUES ('approve', $1, $2, 'scripts approved to run with the rights of whoever runs them')",
							   2, t2, v2, NULL, SPI_OK_INSERT);
	ereport(NOTICE,
			(errmsg("revision \"%s\" (loaded by \"%s\") approved by \"%s\"", id, author,
					GetUserNameFromId(GetUserId(), false))));
	pgmig_call_end(cxt, oldcxt);
	PG_RETURN_VOID();
}
