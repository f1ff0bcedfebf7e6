/*-------------------------------------------------------------------------
 *
 * alloc_pg.c
 *	  pm_malloc and friends inside the server: palloc in the current
 *	  memory context, so the core's allocations live and die with the
 *	  context of the call that made them (and out-of-memory is an ERROR).
 *
 *	  Also memory mapped with huge pages for the few big structures a new
 *	  backend builds at once (the graph image and its checksums, the graph
 *	  built from them).  A new process faults on every page of memory it
 *	  touches for the first time; on a virtual machine a fault can cost
 *	  14 us, so 15 MB in 4 kB pages is 50 ms, in 2 MB pages a few
 *	  (bench/README.md, "Fifth pass" and "Eighth pass").  Linux gives huge
 *	  pages to an anonymous mapping advised MADV_HUGEPAGE when transparent
 *	  huge pages are "always" or "madvise" (the usual default); elsewhere
 *	  the mapping works in ordinary pages, and where MADV_HUGEPAGE does not
 *	  exist nothing here maps anything.  Each mapping is released with the
 *	  memory context that was current when it was made, as palloc'd memory
 *	  would be.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/mman.h>

#include "core/pm_common.h"
#include "utils/memutils.h"

#include "pgmig.h"

#ifdef MADV_HUGEPAGE
#define PGMIG_HUGE_PAGE		(2 * 1024 * 1024)

/*
 * The smallest mapping made.  Every huge allocation of a context carves
 * from its last mapping while it has room (a check() at 5,000 revisions
 * fetched its image and checksums and built its graph in three mappings,
 * and so cleared three huge pages for 1.1 MB); untouched parts of a
 * mapping cost nothing but address space (MAP_NORESERVE; under strict
 * overcommit, the commit charge of this much).
 */
#define PGMIG_HEAP_MIN		(16 * 1024 * 1024)

/*
 * One mapping.  Allocations carve pieces from it, each starting with its
 * size (for pm_realloc).  As the core's arena (pgmig_core_arena_begin)
 * pm_malloc carves from it while it is active and its context is
 * current.  Mappings stay on a list until their context goes, so pm_free
 * and pm_realloc tell their pieces from palloc'd chunks.
 */
typedef struct HugeMapping
{
	MemoryContextCallback cb;
	MemoryContext cxt;
	char	   *addr;			/* the mapping */
	size_t		len;
	char	   *next;			/* first free byte (huge-page aligned at first) */
	char	   *end;			/* end of the mapping */
	struct HugeMapping *next_mapping;
} HugeMapping;

static HugeMapping *mappings;	/* every mapping not yet released, newest first */
static HugeMapping *active_arena;

#define PIECE_HEADER	MAXALIGN(sizeof(size_t))

static void
huge_mapping_release(void *arg)
{
	HugeMapping *m = (HugeMapping *) arg;
	HugeMapping **p;

	for (p = &mappings; *p != NULL; p = &(*p)->next_mapping)
		if (*p == m)
		{
			*p = m->next_mapping;
			break;
		}
	if (active_arena == m)
		active_arena = NULL;
	(void) munmap(m->addr, m->len);
}

/* A new mapping of at least size bytes starting on a huge page, or NULL. */
static HugeMapping *
huge_map(Size size)
{
	HugeMapping *m;
	size_t		len;
	char	   *addr;
	char	   *start;

	/* whole huge pages, and one more to align the start on one */
	len = TYPEALIGN(PGMIG_HUGE_PAGE, Max(size, PGMIG_HEAP_MIN)) + PGMIG_HUGE_PAGE;
	/* allocated first: an error here must not leave a mapping behind */
	m = MemoryContextAllocZero(CurrentMemoryContext, sizeof(HugeMapping));
	addr = mmap(NULL, len, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (addr == MAP_FAILED)
	{
		pfree(m);
		return NULL;
	}
	m->cxt = CurrentMemoryContext;
	m->addr = addr;
	m->len = len;
	m->cb.func = huge_mapping_release;
	m->cb.arg = m;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, &m->cb);
	start = (char *) TYPEALIGN(PGMIG_HUGE_PAGE, addr);
	(void) madvise(start, len - (start - addr), MADV_HUGEPAGE);
	m->next = start;
	m->end = addr + len;
	m->next_mapping = mappings;
	mappings = m;
	return m;
}

static inline HugeMapping *
mapping_of(const void *ptr)
{
	HugeMapping *m;

	for (m = mappings; m != NULL; m = m->next_mapping)
		if ((const char *) ptr >= m->addr && (const char *) ptr < m->end)
			return m;
	return NULL;
}

static inline bool
has_room(const HugeMapping *m, size_t size)
{
	return (size_t) (m->end - m->next) >= PIECE_HEADER + MAXALIGN(size);
}

static void *
carve(HugeMapping *m, size_t size)
{
	char	   *p;

	if (!has_room(m, size))
		return NULL;
	p = m->next;
	m->next += PIECE_HEADER + MAXALIGN(size);
	*(size_t *) p = size;
	return p + PIECE_HEADER;
}

/*
 * The current context's newest mapping when it has room for size bytes,
 * else a new one, or NULL.
 */
static HugeMapping *
heap_for(Size size)
{
	if (mappings != NULL && mappings->cxt == CurrentMemoryContext &&
		has_room(mappings, size))
		return mappings;
	return huge_map(size + PIECE_HEADER);
}
#endif							/* MADV_HUGEPAGE */

void *
pgmig_huge_alloc(Size size)
{
#ifdef MADV_HUGEPAGE
	HugeMapping *m = heap_for(size);

	return m ? carve(m, size) : NULL;
#else
	return NULL;
#endif
}

bool
pgmig_core_arena_begin(Size reserve)
{
#ifdef MADV_HUGEPAGE
	HugeMapping *m;

	/*
	 * An arena an error left active is dropped; pm_malloc never used it
	 * outside its own context anyway, and it goes when that context does.
	 */
	active_arena = NULL;
	if ((m = heap_for(reserve)) == NULL)
		return false;
	active_arena = m;
	return true;
#else
	return false;
#endif
}

void
pgmig_core_arena_end(void)
{
#ifdef MADV_HUGEPAGE
	active_arena = NULL;
#endif
}

void *
pm_malloc(size_t size)
{
#ifdef MADV_HUGEPAGE
	/* the arena's pieces for the context it belongs to; the rest palloc'd */
	if (active_arena != NULL && active_arena->cxt == CurrentMemoryContext)
	{
		void	   *p = carve(active_arena, size);

		if (p != NULL)
			return p;
	}
#endif
	return MemoryContextAllocHuge(CurrentMemoryContext, size ? size : 1);
}

void *
pm_realloc(void *ptr, size_t size)
{
#ifdef MADV_HUGEPAGE
	HugeMapping *m;
#endif

	if (ptr == NULL)
		return pm_malloc(size);
#ifdef MADV_HUGEPAGE
	if (mappings != NULL && (m = mapping_of(ptr)) != NULL)
	{
		size_t		old = *(size_t *) ((char *) ptr - PIECE_HEADER);
		MemoryContext oldcxt;
		void	   *p;

		if (size <= old)
			return ptr;
		/* the last piece grows in place; any other moves */
		if ((char *) ptr + MAXALIGN(old) == m->next &&
			(size_t) (m->end - (char *) ptr) >= MAXALIGN(size))
		{
			m->next = (char *) ptr + MAXALIGN(size);
			*(size_t *) ((char *) ptr - PIECE_HEADER) = size;
			return ptr;
		}
		/* in the arena's context, as repalloc keeps a chunk's */
		oldcxt = MemoryContextSwitchTo(m->cxt);
		p = pm_malloc(size);
		MemoryContextSwitchTo(oldcxt);
		memcpy(p, ptr, old);
		return p;
	}
#endif
	return repalloc_huge(ptr, size ? size : 1);
}

void
pm_free(void *ptr)
{
	if (ptr == NULL)
		return;
#ifdef MADV_HUGEPAGE
	/* a mapping's pieces go with the mapping */
	if (mappings != NULL && mapping_of(ptr) != NULL)
		return;
#endif
	pfree(ptr);
}

/*
 * In the server a large block is carved from the context's huge-page
 * mapping when there is one (released with the context, like palloc'd
 * memory); pm_free tells its pieces apart.  A smaller one is palloc'd: a
 * small document's parse must not clear a huge page.
 */
void *
pm_malloc_large(size_t size)
{
	void	   *p = size >= PM_LARGE_MIN ? pgmig_huge_alloc(size) : NULL;

	return p != NULL ? p : pm_malloc(size);
}

void
pm_free_large(void *ptr)
{
	pm_free(ptr);
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
