/*-------------------------------------------------------------------------
 *
 * alloc_std.c
 *	  pm_malloc and friends for programs outside the server (the client,
 *	  unit tests, fuzzers): plain malloc, abort on exhaustion.
 *
 *-------------------------------------------------------------------------
 */
#include "pm_common.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

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

/*
 * pm_malloc_large: a block of a huge page or more is its own mapping,
 * starting on a huge page and advised MADV_HUGEPAGE (Linux backs it with
 * 2 MB pages when transparent huge pages are "always" or "madvise", the
 * usual default); smaller blocks, and every block where that advice does
 * not exist or mmap fails, come from malloc.  A header in front says which.
 */
typedef struct large_hdr
{
	void	   *base;			/* the mapping, or NULL: malloc'd at base */
	size_t		len;
} large_hdr;

void *
pm_malloc_large(size_t size)
{
	char	   *p;

#ifdef MADV_HUGEPAGE
	if (size >= PM_LARGE_MIN)
	{
		/* whole huge pages for the block, and one more to align its start */
		size_t		pages = (size + PM_LARGE_OVERHEAD + PM_HUGE_PAGE_SIZE - 1) / PM_HUGE_PAGE_SIZE;
		size_t		len = (pages + 1) * PM_HUGE_PAGE_SIZE;
		char	   *addr = mmap(NULL, len, PROT_READ | PROT_WRITE,
								MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (addr != MAP_FAILED)
		{
			uintptr_t	mask = (uintptr_t) PM_HUGE_PAGE_SIZE - 1;
			char	   *start = (char *) (((uintptr_t) addr + mask) & ~mask);

			(void) madvise(start, len - (size_t) (start - addr), MADV_HUGEPAGE);
			((large_hdr *) start)->base = addr;
			((large_hdr *) start)->len = len;
			return start + PM_LARGE_OVERHEAD;
		}
	}
#endif
	p = pm_malloc(size + PM_LARGE_OVERHEAD);
	((large_hdr *) p)->base = NULL;
	((large_hdr *) p)->len = 0;
	return p + PM_LARGE_OVERHEAD;
}

void
pm_free_large(void *ptr)
{
	large_hdr  *h;

	if (ptr == NULL)
		return;
	h = (large_hdr *) ((char *) ptr - PM_LARGE_OVERHEAD);
	if (h->base != NULL)
		(void) munmap(h->base, h->len);
	else
		free(h);
}
