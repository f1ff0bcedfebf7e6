/*-------------------------------------------------------------------------
 *
 * alloc_std.c
 *	  pm_malloc and friends for programs outside the server (the client,
 *	  unit tests, fuzzers): plain malloc, abort on exhaustion.
 *
 *-------------------------------------------------------------------------
 */
#include "pm_common.h"

#include <stdio.h>
#include <stdlib.h>

void *
pm_malloc(size_t size)
{
	void	   *p = malloc(size ? size : 1);

	if (p == NULL)
	{
		fprintf(stderr, "pgmig: out of memory\n");
		abort();
	}
	return p;
}

void *
pm_realloc(void *ptr, size_t size)
{
	void	   *p = realloc(ptr, size ? size : 1);

	if (p == NULL)
	{
		fprintf(stderr, "pgmig: out of memory\n");
		abort();
	}
	return p;
}

void
pm_free(void *ptr)
{
	free(ptr);
}

void *
pm_alloc_context(void)
{
	return NULL;
}

void *
pm_alloc_use(void *cxt)
{
	return NULL;
}
