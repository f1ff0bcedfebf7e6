/*-------------------------------------------------------------------------
 *
 * graphimg.c
 *	  Writing and reading the graph image (format in graphimg.h).
 *
 * Rules this file keeps:
 *	- the reader trusts nothing: every length and count is checked against
 *	  the bytes left before it is used, and every string must be exactly
 *	  as long as declared (no NUL inside, a NUL after), so a damaged or
 *	  forged image is an error, never an out-of-bounds read;
 *	- the reader allocates its arrays from the counts in the header, only
 *	  after checking them against the bytes left, and borrows every string
 *	  from the buffer;
 *	- the reader builds the graph strictly (pm_graph_build_resolved): an
 *	  edge out of range or a cycle (the order is checked) is damaged; ids
 *	  and labels are checked for uniqueness when first looked up (hashing
 *	  100,000 ids costs more than the rest of the read, and most calls look
 *	  up none): an image with a duplicate name, which pgmig never writes,
 *	  then shows it in pm_graph_problems;
 *	- linear time in the image's size.
 *
 *-------------------------------------------------------------------------
 */
#include "graphimg.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const char image_magic[4] = {'P', 'M', 'G', '2'};

/* ---- writing ---- */

static void
put_u8(pm_buf *b, unsigned v)
{
	char		c = (char) (v & 0xff);

	pm_buf_append(b, &c, 1);
}

static void
put_u16(pm_buf *b, unsigned v)
{
	put_u8(b, v);
	put_u8(b, v >> 8);
}

static void
put_u32(pm_buf *b, uint32_t v)
{
	put_u16(b, v & 0xffff);
	put_u16(b, v >> 16);
}

static bool
put_name(pm_buf *b, const char *name, const char *what, const char *id,
		 pm_error *err)
{
	size_t		len = strlen(name);

	if (!pm_valid_name(name, len))
	{
		pm_error_set(err, PM_ERR_INVALID_NAME,
					 "graph image: invalid %s \"%.80s\" in revision \"%.80s\"",
					 what, name, id);
		return false;
	}
	put_u8(b, (unsigned) len);
	pm_buf_append(b, name, len + 1);	/* with its NUL */
	return true;
}

unsigned char *
pm_image_write(const pm_graph *g, const char *const *messages,
			   const unsigned char *flags, size_t *len, pm_error *err)
{
	pm_buf		b;
	int			n = pm_graph_size(g);
	const int  *topo = pm_graph_topo(g);
	uint32_t	nedges = 0;
	uint32_t	nlabels = 0;
	int			i;
	int			k;

	pm_error_clear(err);
	for (i = 0; i < n; i++)
	{
		nedges += pm_graph_rev(g, i)->nparents + pm_graph_rev(g, i)->ndeps;
		nlabels += pm_graph_rev(g, i)->nlabels;
	}
	pm_buf_init(&b);
	pm_buf_append(&b, image_magic, sizeof(image_magic));
	put_u32(&b, (uint32_t) n);
	put_u32(&b, nedges);
	put_u32(&b, nlabels);
	for (i = 0; i < n; i++)
	{
		const pm_rev *r = pm_graph_rev(g, i);
		const char *msg = messages[i] ? messages[i] : "";
		size_t		mlen = strlen(msg);

		if (r->nparents > 0xffff || r->ndeps > 0xffff || r->nlabels > 0xffff)
		{
			pm_error_set(err, PM_ERR_SYNTAX,
						 "graph image: revision \"%.80s\" has too many parents, dependencies or labels",
						 r->id);
			goto fail;
		}
		if (!put_name(&b, r->id, "revision id", r->id, err))
			goto fail;
		put_u8(&b, flags[i] & (PM_IMAGE_TRANSACTIONAL | PM_IMAGE_IRREVERSIBLE));
		put_u16(&b, (unsigned) r->nparents);
		put_u16(&b, (unsigned) r->ndeps);
		put_u16(&b, (unsigned) r->nlabels);
		for (k = 0; k < r->nparents + r->ndeps; k++)
		{
			const char *name = k < r->nparents ? r->parent_names[k] :
			r->dep_names[k - r->nparents];
			int			v = pm_graph_find(g, name ? name : "");

			if (v < 0)
			{
				pm_error_set(err, PM_ERR_UNDEFINED,
							 "graph image: revision \"%.80s\" has unknown %s \"%.80s\"",
							 r->id, k < r->nparents ? "parent" : "dependency",
							 name ? name : "");
				goto fail;
			}
			put_u32(&b, (uint32_t) v);
		}
		for (k = 0; k < r->nlabels; k++)
			if (!put_name(&b, r->labels[k] ? r->labels[k] : "", "branch label", r->id, err))
				goto fail;
		put_u32(&b, (uint32_t) mlen);
		pm_buf_append(&b, msg, mlen + 1);
	}
	if (n > 0 && topo == NULL)
	{
		pm_error_set(err, PM_ERR_SYNTAX, "graph image: the graph is not built");
		goto fail;
	}
	for (i = 0; i < n; i++)
		put_u32(&b, (uint32_t) topo[i]);
	*len = b.len;
	return (unsigned char *) b.data;

fail:
	pm_buf_free(&b);
	*len = 0;
	return NULL;
}

/* ---- reading ---- */

typedef struct reader
{
	const unsigned char *p;
	size_t		left;
	size_t		len;			/* whole image, for offsets in errors */
	pm_error   *err;
} reader;

static bool
bad(reader *rd, const char *what)
{
	pm_error_set(rd->err, PM_ERR_SYNTAX, "graph image is damaged: %s at byte %zu",
				 what, rd->len - rd->left);
	return false;
}

static bool
get_bytes(reader *rd, size_t n, const unsigned char **out, const char *what)
{
	if (rd->left < n)
		return bad(rd, what);
	*out = rd->p;
	rd->p += n;
	rd->left -= n;
	return true;
}

static bool
get_uint(reader *rd, int size, uint32_t *out, const char *what)
{
	const unsigned char *q;
	int			k;

	if (!get_bytes(rd, (size_t) size, &q, what))
		return false;
	*out = 0;
	for (k = size - 1; k >= 0; k--)
		*out = (*out << 8) | q[k];
	return true;
}

/* a string of len bytes followed by its NUL, with no NUL inside */
static bool
get_string(reader *rd, size_t len, const char **out, const char *what)
{
	const unsigned char *q;

	if (len >= rd->left)
		return bad(rd, what);
	if (memchr(rd->p, '\0', len) != NULL || rd->p[len] != '\0')
		return bad(rd, what);
	if (!get_bytes(rd, len + 1, &q, what))
		return false;
	*out = (const char *) q;
	return true;
}

static bool
get_name(reader *rd, const char **out, const char *what)
{
	uint32_t	len;

	if (!get_uint(rd, 1, &len, what) || !get_string(rd, len, out, what))
		return false;
	if (!pm_valid_name(*out, len) || pm_reserved_name(*out))
		return bad(rd, what);
	return true;
}

/* a count from the header, checked against what the bytes left can hold */
static bool
get_count(reader *rd, size_t min_bytes, uint32_t *out, const char *what)
{
	if (!get_uint(rd, 4, out, what))
		return false;
	if (*out > rd->left / min_bytes)
	{
		char		text[80];

		snprintf(text, sizeof(text), "%s larger than the image", what);
		return bad(rd, text);
	}
	return true;
}

bool
pm_image_read(const unsigned char *buf, size_t len, pm_image *out,
			  pm_error *err)
{
	reader		rd = {buf, len, len, err};
	const unsigned char *magic;
	uint32_t	n;
	uint32_t	nedges;
	uint32_t	nlabels;
	uint32_t	eoff = 0;
	uint32_t	loff = 0;
	uint32_t	i;
	pm_error	gerr;

	pm_error_clear(err);
	memset(out, 0, sizeof(pm_image));
	if (!get_bytes(&rd, sizeof(image_magic), &magic, "header") ||
		memcmp(magic, image_magic, sizeof(image_magic)) != 0)
		return bad(&rd, "wrong magic");

	/*
	 * Bounds before allocating: a revision takes at least 19 bytes (a
	 * one-letter id, flags, counts, an empty message, its place in the
	 * order), an edge 4, a label 3.
	 */
	if (!get_count(&rd, 19, &n, "revision count") ||
		!get_count(&rd, 4, &nedges, "edge count") ||
		!get_count(&rd, 3, &nlabels, "label count"))
		return false;
	out->n = (int) n;
	out->names = pm_malloc(sizeof(char *) * ((size_t) nedges + nlabels + 1));
	out->edges = pm_malloc(sizeof(int) * ((size_t) nedges + 1));
	out->topo = pm_malloc(sizeof(int) * ((size_t) n + 1));
	out->messages = pm_malloc(sizeof(char *) * ((size_t) n + 1));
	out->flags = pm_malloc((size_t) n + 1);
	out->g = pm_graph_new_borrowed((int) n);
	for (i = 0; i < n; i++)
	{
		const char *id;
		uint32_t	flags;
		uint32_t	np,
					nd,
					nl,
					mlen,
					v;
		uint32_t	k;

		if (!get_name(&rd, &id, "revision id") ||
			!get_uint(&rd, 1, &flags, "flags") ||
			!get_uint(&rd, 2, &np, "parent count") ||
			!get_uint(&rd, 2, &nd, "dependency count") ||
			!get_uint(&rd, 2, &nl, "label count"))
			goto fail;
		if (flags & ~(uint32_t) (PM_IMAGE_TRANSACTIONAL | PM_IMAGE_IRREVERSIBLE))
		{
			bad(&rd, "unknown flags");
			goto fail;
		}
		if (np + nd > nedges - eoff || nl > nlabels - loff)
		{
			bad(&rd, "more edges or labels than the header says");
			goto fail;
		}
		for (k = 0; k < np + nd; k++)
		{
			if (!get_uint(&rd, 4, &v, "edge"))
				goto fail;
			if (v >= n)
			{
				bad(&rd, "edge out of range");
				goto fail;
			}
			out->edges[eoff + k] = (int) v;
		}
		for (k = 0; k < nl; k++)
			if (!get_name(&rd, &out->names[nedges + loff + k], "branch label"))
				goto fail;
		if (!get_uint(&rd, 4, &mlen, "message length") ||
			!get_string(&rd, mlen, &out->messages[i], "message"))
			goto fail;
		out->flags[i] = (unsigned char) flags;
		/* parent and dependency names are filled in below, once all ids are known */
		(void) pm_graph_add(out->g, id, out->names + eoff, (int) np,
							out->names + eoff + np, (int) nd,
							out->names + nedges + loff, (int) nl, false);
		eoff += np + nd;
		loff += nl;
	}
	if (eoff != nedges || loff != nlabels)
	{
		bad(&rd, "fewer edges or labels than the header says");
		goto fail;
	}
	for (i = 0; i < n; i++)
	{
		uint32_t	v;

		if (!get_uint(&rd, 4, &v, "order"))
			goto fail;
		out->topo[i] = (int) v;	/* checked by pm_graph_build_resolved */
	}
	if (rd.left != 0)
	{
		bad(&rd, "trailing bytes");
		goto fail;
	}
	for (i = 0; i < nedges; i++)
		out->names[i] = pm_graph_rev(out->g, out->edges[i])->id;
	if (!pm_graph_build_resolved(out->g, out->edges, out->topo, &gerr))
	{
		bad(&rd, gerr.msg);
		goto fail;
	}
	return true;

fail:
	pm_image_free(out);
	return false;
}

void
pm_image_free(pm_image *img)
{
	if (img->g)
		pm_graph_free(img->g);
	if (img->names)
		pm_free((void *) img->names);
	if (img->edges)
		pm_free(img->edges);
	if (img->topo)
		pm_free(img->topo);
	if (img->messages)
		pm_free((void *) img->messages);
	if (img->flags)
		pm_free(img->flags);
	memset(img, 0, sizeof(pm_image));
}
