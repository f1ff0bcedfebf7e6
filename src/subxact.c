/*-------------------------------------------------------------------------
 *
 * subxact.c
 *	  Run a function inside an internal subtransaction: the one place that
 *	  begins, releases and rolls back pgmig's subtransactions.
 *
 * The protocol is PL/pgSQL's exec_stmt_block: remember the memory context
 * and resource owner, BeginInternalSubTransaction, run; on success
 * ReleaseCurrentSubTransaction (or roll back when the caller asked for a
 * dry run); on error copy the error data into a context that outlives the
 * subtransaction, FlushErrorState, RollbackAndReleaseCurrentSubTransaction.
 * Both the memory context and the resource owner are put back on every
 * path, so the caller continues exactly where it was.
 *
 * Policy is the caller's: retrying a lock timeout (exec.c), recording a
 * failure in the journal before re-raising it (migrate.c), turning an
 * error into a result row (roundtrip.c) or a WARNING (guard.c).
 *
 * Rules:
 *	- The function must not leave the subtransaction itself (no commits).
 *	- Error context callbacks pushed by fn are popped by PG_CATCH on error;
 *	  fn pops its own on success.
 *	- The user id and security context are restored by the subtransaction
 *	  abort; a fn that changes them must restore them on success.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

#include "access/xact.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "subxact.h"

/*
 * Run fn(arg) in an internal subtransaction.  Returns NULL when fn
 * returned (the subtransaction is released, or rolled back if keep is
 * false), else the error, copied into errcxt, with the subtransaction
 * rolled back and the error state flushed.
 */
ErrorData *
pgmig_subxact_run(PgmigSubxactFn fn, void *arg, MemoryContext errcxt,
				  bool keep)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	ErrorData  *volatile edata = NULL;

	BeginInternalSubTransaction(NULL);
	/* run in the caller's context, not the subtransaction's */
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		fn(arg);
		if (keep)
			ReleaseCurrentSubTransaction();
		else
			RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(errcxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_END_TRY();
	return edata;
}

/*
 * Errors that no "carry on anyway" policy may swallow: the user or the
 * server asked this backend to stop, or it ran out of memory.  PL/pgSQL's
 * OTHERS does not match QUERY_CANCELED for the same reason.
 */
bool
pgmig_error_must_propagate(const ErrorData *edata)
{
	switch (edata->sqlerrcode)
	{
		case ERRCODE_QUERY_CANCELED:
		case ERRCODE_ADMIN_SHUTDOWN:
		case ERRCODE_CRASH_SHUTDOWN:
		case ERRCODE_OUT_OF_MEMORY:
			return true;
		default:
			return false;
	}
}
