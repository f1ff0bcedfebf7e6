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
 *	- the reader allocates two arrays (revisions, name pointers) and
 *	  borrows every string from the buffer;
 *	- linear time in the image's size.
 *
 *-------------------------------------------------------------------------
 */
#include "graphimg.h"

#include <stdint.h>
#include <string.h>

static const char image_magic[4] = {'P', 'M', 'G', '1'};

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

static bool
put_names(pm_buf *b, char **names, int n, const char *what, const char *id,
		  pm_error *err)
{
	int			k;

	for (k = 0; k < n; k++)
		if (!put_name(b, names[k] ? names[k] : "", what, id, err))
			return false;
	return true;
}

unsigned char *
pm_image_write(const pm_graph *g, const char *const *messages,
			   const unsigned char *flags, size_t *len, pm_error *err)
{
	pm_buf		b;
	int			n = pm_graph_size(g);
	int			i;

	pm_error_clear(err);
	pm_buf_init(&b);
	pm_buf_append(&b, image_magic, sizeof(image_magic));
	put_u32(&b, (uint32_t) n);
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
		if (!put_names(&b, r->parent_names, r->nparents, "parent", r->id, err) ||
			!put_names(&b, r->dep_names, r->ndeps, "dependency", r->id, err) ||
			!put_names(&b, r->labels, r->nlabels, "branch label", r->id, err))
			goto fail;
		put_u32(&b, (uint32_t) mlen);
		pm_buf_append(&b, msg, mlen + 1);
	}
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
	if (!pm_valid_name(*out, len))
		return bad(rd, what);
	return true;
}

bool
pm_image_read(const unsigned char *buf, size_t len, pm_image *out,
			  pm_error *err)
{
	reader		rd = {buf, len, len, err};
	const unsigned char *magic;
	uint32_t	n;
	size_t		maxnames;
	size_t		nnames = 0;
	uint32_t	i;

	pm_error_clear(err);
	memset(out, 0, sizeof(pm_image));
	if (!get_bytes(&rd, sizeof(image_magic), &magic, "header") ||
		memcmp(magic, image_magic, sizeof(image_magic)) != 0)
		return bad(&rd, "wrong magic");
	if (!get_uint(&rd, 4, &n, "revision count"))
		return false;
	/* each revision takes at least 14 bytes: a bound before allocating */
	if (n > rd.left / 14)
		return bad(&rd, "revision count larger than the image");
	/* each name takes at least 3 bytes */
	maxnames = rd.left / 3 + 1;
	out->revs = pm_malloc(sizeof(pm_image_rev) * (n + 1));
	out->names = pm_malloc(sizeof(char *) * maxnames);
	out->n = (int) n;
	for (i = 0; i < n; i++)
	{
		pm_image_rev *r = &out->revs[i];
		uint32_t	flags;
		uint32_t	np,
					nd,
					nl,
					mlen;
		uint32_t	k;

		if (!get_name(&rd, &r->id, "revision id") ||
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
		if ((size_t) np + nd + nl > maxnames - nnames)
		{
			bad(&rd, "name count larger than the image");
			goto fail;
		}
		r->flags = (unsigned char) flags;
		r->parents = out->names + nnames;
		r->nparents = (int) np;
		r->deps = out->names + nnames + np;
		r->ndeps = (int) nd;
		r->labels = out->names + nnames + np + nd;
		r->nlabels = (int) nl;
		for (k = 0; k < np + nd + nl; k++)
			if (!get_name(&rd, &out->names[nnames++],
						  k < np ? "parent" : k < np + nd ? "dependency" : "branch label"))
				goto fail;
		if (!get_uint(&rd, 4, &mlen, "message length") ||
			!get_string(&rd, mlen, &r->message, "message"))
			goto fail;
	}
	if (rd.left != 0)
	{
		bad(&rd, "trailing bytes");
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
	if (img->revs)
		pm_free(img->revs);
	if (img->names)
		pm_free((void *) img->names);
	memset(img, 0, sizeof(pm_image));
}

pm_graph *
pm_image_graph(const pm_image *img)
{
	pm_graph   *g = pm_graph_new_borrowed(img->n);
	pm_error	err;
	int			i;

	for (i = 0; i < img->n; i++)
	{
		const pm_image_rev *r = &img->revs[i];

		(void) pm_graph_add(g, r->id, r->parents, r->nparents, r->deps,
							r->ndeps, r->labels, r->nlabels, false);
	}
	(void) pm_graph_build(g, false, &err);
	return g;
}
