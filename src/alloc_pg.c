/*-------------------------------------------------------------------------
 *
 * alloc_pg.c
 *	  pm_malloc and friends inside the server: palloc in the current
 *	  memory context, so the core's allocations live and die with the
 *	  context of the call that made them (and out-of-memory is an ERROR).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "core/pm_common.h"
#include "utils/memutils.h"

void *
pm_malloc(size_t size)
{
	return MemoryContextAllocHuge(CurrentMemoryContext, size ? size : 1);
}

void *
pm_realloc(void *ptr, size_t size)
{
	if (ptr == NULL)
		return pm_malloc(size);
	return repalloc_huge(ptr, size ? size : 1);
}

void
pm_free(void *ptr)
{
	if (ptr != NULL)
		pfree(ptr);
}

void *
pm_alloc_context(void)
{
	return CurrentMemoryContext;
}

void *
pm_alloc_use(void *cxt)
{
	return cxt ? MemoryContextSwitchTo((MemoryContext) cxt) : CurrentMemoryContext;
}
