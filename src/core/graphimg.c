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

	const unsigned char *q;

	/* a valid name has no NUL inside: no memchr, only its closing NUL */
	if (!get_uint(rd, 1, &len, what))
		return false;
	if (len >= rd->left || rd->p[len] != '\0' ||
		!pm_valid_name((const char *) rd->p, len) ||
		!get_bytes(rd, len + 1, &q, what))
		return bad(rd, what);
	*out = (const char *) q;
	if (pm_reserved_name(*out))
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

/*
 * One revision's record, checked: its id and labels valid names, known
 * flags, every edge below n.  The one reader of a record, for the built
 * graph and for the view.
 */
static bool
read_record(reader *rd, uint32_t n, pm_image_rec *r)
{
	uint32_t	flags;
	uint32_t	np,
				nd,
				nl,
				mlen,
				v;
	uint32_t	k;
	const char *label;

	if (!get_name(rd, &r->id, "revision id") ||
		!get_uint(rd, 1, &flags, "flags") ||
		!get_uint(rd, 2, &np, "parent count") ||
		!get_uint(rd, 2, &nd, "dependency count") ||
		!get_uint(rd, 2, &nl, "label count"))
		return false;
	if (flags & ~(uint32_t) (PM_IMAGE_TRANSACTIONAL | PM_IMAGE_IRREVERSIBLE))
		return bad(rd, "unknown flags");
	r->flags = flags;
	r->nparents = (int) np;
	r->ndeps = (int) nd;
	r->nlabels = (int) nl;
	r->edges = rd->p;
	for (k = 0; k < np + nd; k++)
	{
		if (!get_uint(rd, 4, &v, "edge"))
			return false;
		if (v >= n)
			return bad(rd, "edge out of range");
	}
	r->labels = rd->p;
	for (k = 0; k < nl; k++)
		if (!get_name(rd, &label, "branch label"))
			return false;
	if (!get_uint(rd, 4, &mlen, "message length") ||
		!get_string(rd, mlen, &r->message, "message"))
		return false;
	return true;
}

int
pm_image_rec_edge(const pm_image_rec *r, int k)
{
	const unsigned char *q = r->edges + 4 * (size_t) k;

	return (int) ((uint32_t) q[0] | (uint32_t) q[1] << 8 |
				  (uint32_t) q[2] << 16 | (uint32_t) q[3] << 24);
}

void
pm_image_rec_labels(const pm_image_rec *r, const char **out)
{
	const unsigned char *q = r->labels;
	int			k;

	/* checked by read_record: u8 length, the name, its NUL */
	for (k = 0; k < r->nlabels; k++)
	{
		out[k] = (const char *) q + 1;
		q += 2 + q[0];
	}
}

/* The header: magic and the three counts, checked against the bytes left. */
static bool
read_header(reader *rd, uint32_t *n, uint32_t *nedges, uint32_t *nlabels)
{
	const unsigned char *magic;

	if (!get_bytes(rd, sizeof(image_magic), &magic, "header") ||
		memcmp(magic, image_magic, sizeof(image_magic)) != 0)
		return bad(rd, "wrong magic");

	/*
	 * Bounds before allocating: a revision takes at least 19 bytes (a
	 * one-letter id, flags, counts, an empty message, its place in the
	 * order), an edge 4, a label 3.
	 */
	return get_count(rd, 19, n, "revision count") &&
		get_count(rd, 4, nedges, "edge count") &&
		get_count(rd, 3, nlabels, "label count");
}

/*
 * Every record, in load order, checked against the header's totals; fn gets
 * each with its index and its offset in the image and may refuse it (with
 * err set).  The one loop over the records, for the built graph and for the
 * view.
 */
typedef bool (*record_fn) (void *arg, uint32_t i, const pm_image_rec *r,
						   size_t offset);

static bool
read_records(reader *rd, uint32_t n, uint32_t nedges, uint32_t nlabels,
			 record_fn fn, void *arg)
{
	uint32_t	eoff = 0;
	uint32_t	loff = 0;
	uint32_t	i;

	for (i = 0; i < n; i++)
	{
		pm_image_rec r;
		size_t		offset = rd->len - rd->left;

		if (!read_record(rd, n, &r))
			return false;
		if ((uint32_t) (r.nparents + r.ndeps) > nedges - eoff ||
			(uint32_t) r.nlabels > nlabels - loff)
			return bad(rd, "more edges or labels than the header says");
		if (!fn(arg, i, &r, offset))
			return false;
		eoff += (uint32_t) (r.nparents + r.ndeps);
		loff += (uint32_t) r.nlabels;
	}
	if (eoff != nedges || loff != nlabels)
		return bad(rd, "fewer edges or labels than the header says");
	return true;
}

/* pm_image_read's part of a record: the graph's arrays and the revision */
typedef struct read_state
{
	pm_image   *out;
	uint32_t	nedges;
	uint32_t	eoff;
	uint32_t	loff;
} read_state;

static bool
add_record(void *arg, uint32_t i, const pm_image_rec *r, size_t offset)
{
	read_state *st = (read_state *) arg;
	pm_image   *out = st->out;
	int			k;

	for (k = 0; k < r->nparents + r->ndeps; k++)
		out->edges[st->eoff + k] = pm_image_rec_edge(r, k);
	pm_image_rec_labels(r, out->names + st->nedges + st->loff);
	out->messages[i] = r->message;
	out->flags[i] = (unsigned char) r->flags;
	/* parent and dependency names are filled in later, once all ids are known */
	(void) pm_graph_add(out->g, r->id, out->names + st->eoff, r->nparents,
						out->names + st->eoff + r->nparents, r->ndeps,
						out->names + st->nedges + st->loff, r->nlabels, false);
	st->eoff += (uint32_t) (r->nparents + r->ndeps);
	st->loff += (uint32_t) r->nlabels;
	return true;
}

bool
pm_image_read(const unsigned char *buf, size_t len, pm_image *out,
			  pm_error *err)
{
	reader		rd = {buf, len, len, err};
	uint32_t	n;
	uint32_t	nedges;
	uint32_t	nlabels;
	uint32_t	i;
	pm_error	gerr;
	read_state	st = {0};

	pm_error_clear(err);
	memset(out, 0, sizeof(pm_image));
	if (!read_header(&rd, &n, &nedges, &nlabels))
		return false;
	out->n = (int) n;
	out->names = pm_malloc(sizeof(char *) * ((size_t) nedges + nlabels + 1));
	out->edges = pm_malloc(sizeof(int) * ((size_t) nedges + 1));
	out->topo = pm_malloc(sizeof(int) * ((size_t) n + 1));
	out->messages = pm_malloc(sizeof(char *) * ((size_t) n + 1));
	out->flags = pm_malloc((size_t) n + 1);
	out->g = pm_graph_new_borrowed((int) n);
	st.out = out;
	st.nedges = nedges;
	if (!read_records(&rd, n, nedges, nlabels, add_record, &st))
		goto fail;
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

/* ---- the image in place ---- */

static uint32_t
id_hash(const char *id, size_t len)
{
	uint32_t	h = 2166136261u;	/* FNV-1a */
	size_t		k;

	for (k = 0; k < len; k++)
		h = (h ^ (unsigned char) id[k]) * 16777619u;
	return h;
}

/* pm_image_view_open's part of a record: where it is, its edges' order, children */
typedef struct view_state
{
	pm_image_view *v;
	const int  *pos;			/* each revision's place in the stored order;
								 * NULL when that is its index */
	pm_error   *err;
} view_state;

static bool
view_record(void *arg, uint32_t i, const pm_image_rec *r, size_t offset)
{
	view_state *vs = (view_state *) arg;
	pm_image_view *v = vs->v;
	int			k;
	int			j;

	v->offsets[i] = (uint32_t) offset;
	for (k = 0; k < r->nparents + r->ndeps; k++)
	{
		int			p = pm_image_rec_edge(r, k);
		bool		again = false;

		if (vs->pos ? vs->pos[p] >= vs->pos[(int) i] : p >= (int) i)
		{
			pm_error_set(vs->err, PM_ERR_SYNTAX,
						 "graph image is damaged: revision \"%s\" comes before its parent or dependency in the order",
						 r->id);
			return false;
		}
		if (k >= r->nparents)
			continue;
		/* a parent named twice counts once, as in the built graph */
		for (j = 0; j < k; j++)
			if (pm_image_rec_edge(r, j) == p)
				again = true;
		if (!again && v->nchildren[p] < 255)
			v->nchildren[p]++;
	}
	return true;
}

bool
pm_image_view_open(const unsigned char *buf, size_t len, pm_image_view *v,
				   pm_error *err)
{
	reader		rd = {buf, len, len, err};
	reader		ord;
	uint32_t	n;
	uint32_t	nedges;
	uint32_t	nlabels;
	uint32_t	i;
	int		   *pos = NULL;
	view_state	vs;

	pm_error_clear(err);
	memset(v, 0, sizeof(pm_image_view));
	v->buf = buf;
	v->len = len;
	if (!read_header(&rd, &n, &nedges, &nlabels))
		return false;
	v->n = (int) n;

	/*
	 * The order is the image's last 4n bytes (read_header checked that
	 * they exist): read it first, so one pass over the records checks that
	 * every edge points backwards in it.  A damaged image is refused
	 * either way, only perhaps with another message than pm_image_read's.
	 */
	ord.p = buf + len - 4 * (size_t) n;
	ord.left = 4 * (size_t) n;
	ord.len = len;
	ord.err = err;

	/*
	 * The order pgmig writes is usually the load order itself (parents are
	 * loaded first): then a revision's place is its index, and the 4n bytes
	 * of positions are not needed (in a new backend every page of them is a
	 * page fault).
	 */
	for (i = 0; i < n; i++)
	{
		uint32_t	t = 0;

		(void) get_uint(&ord, 4, &t, "order");	/* cannot fail: 4n bytes are there */
		if (t != i)
			break;
	}
	v->load_order = i == n;
	if (i < n)
	{
		ord.p = buf + len - 4 * (size_t) n;
		ord.left = 4 * (size_t) n;
		pos = pm_malloc(sizeof(int) * ((size_t) n + 1));
		memset(pos, 0xff, sizeof(int) * ((size_t) n + 1));
	}
	for (i = 0; pos != NULL && i < n; i++)
	{
		uint32_t	t = 0;

		(void) get_uint(&ord, 4, &t, "order");	/* cannot fail: 4n bytes are there */
		if (t >= n || pos[t] >= 0)
		{
			bad(&ord, "the order is not a permutation");
			goto fail;
		}
		pos[t] = (int) i;
	}

	v->offsets = pm_malloc(sizeof(uint32_t) * ((size_t) n + 1));
	v->nchildren = pm_malloc((size_t) n + 1);
	memset(v->nchildren, 0, (size_t) n + 1);
	vs.v = v;
	vs.pos = pos;
	vs.err = err;
	if (!read_records(&rd, n, nedges, nlabels, view_record, &vs))
		goto fail;
	/* after the records, exactly the order */
	if (rd.left != 4 * (size_t) n)
	{
		bad(&rd, rd.left < 4 * (size_t) n ? "records run into the order" : "trailing bytes");
		goto fail;
	}
	if (pos)
		pm_free(pos);
	return true;

fail:
	if (pos)
		pm_free(pos);
	pm_image_view_free(v);
	return false;
}

void
pm_image_view_free(pm_image_view *v)
{
	if (v->offsets)
		pm_free(v->offsets);
	if (v->nchildren)
		pm_free(v->nchildren);
	if (v->slots)
		pm_free(v->slots);
	memset(v, 0, sizeof(pm_image_view));
}

/* A record the open checked: no bounds to check again. */
void
pm_image_view_rec(const pm_image_view *v, int i, pm_image_rec *r)
{
	const unsigned char *q = v->buf + v->offsets[i];
	size_t		idlen = q[0];
	int			k;

	r->id = (const char *) q + 1;
	q += 2 + idlen;
	r->flags = q[0];
	r->nparents = q[1] | q[2] << 8;
	r->ndeps = q[3] | q[4] << 8;
	r->nlabels = q[5] | q[6] << 8;
	q += 7;
	r->edges = q;
	q += 4 * (size_t) (r->nparents + r->ndeps);
	r->labels = q;
	for (k = 0; k < r->nlabels; k++)
		q += 2 + q[0];
	r->message = (const char *) q + 4;	/* after its length */
}

const char *
pm_image_view_id(const pm_image_view *v, int i)
{
	return (const char *) v->buf + v->offsets[i] + 1;
}

bool
pm_image_view_id_is(const pm_image_view *v, int i, const char *id, size_t len)
{
	const unsigned char *q = v->buf + v->offsets[i];
	size_t		k;

	/* ids are short: a loop, not a call to memcmp per applied row */
	if (q[0] != len)
		return false;
	for (k = 0; k < len; k++)
		if (q[1 + k] != (unsigned char) id[k])
			return false;
	return true;
}

static void
build_lookup(pm_image_view *v)
{
	uint32_t	size = 16;
	int			i;

	while (size < 2 * (uint32_t) v->n + 2)
		size *= 2;
	v->slots = pm_malloc(sizeof(uint32_t) * size);
	memset(v->slots, 0, sizeof(uint32_t) * size);
	v->nslots = size;
	for (i = 0; i < v->n; i++)
	{
		const unsigned char *q = v->buf + v->offsets[i];
		uint32_t	h = id_hash((const char *) q + 1, q[0]) & (size - 1);

		while (v->slots[h] != 0)
		{
			if (pm_image_view_id_is(v, (int) v->slots[h] - 1, (const char *) q + 1, q[0]))
				v->dup = true;	/* never written so: the caller reads the tables */
			h = (h + 1) & (size - 1);
		}
		v->slots[h] = (uint32_t) i + 1;
	}
}

int
pm_image_view_find(pm_image_view *v, const char *id, size_t len, int hint)
{
	uint32_t	h;

	if (hint >= 0 && hint < v->n && pm_image_view_id_is(v, hint, id, len))
		return hint;
	if (len == 0 || len > PM_MAX_ID_LEN)
		return -1;
	if (v->nslots == 0)
		build_lookup(v);
	h = id_hash(id, len) & (v->nslots - 1);
	while (v->slots[h] != 0)
	{
		if (pm_image_view_id_is(v, (int) v->slots[h] - 1, id, len))
			return (int) v->slots[h] - 1;
		h = (h + 1) & (v->nslots - 1);
	}
	return -1;
}

static void
view_set_init(pm_set *s, int cap)
{
	s->n = 0;
	s->items = pm_malloc(sizeof(int) * ((size_t) cap + 1));
}

/*
 * A checked record's edges (parents, then dependencies), without the rest
 * of pm_image_view_rec: the walks below visit every applied revision.
 */
static inline const unsigned char *
rec_edges(const pm_image_view *v, int i, int *np, int *nd)
{
	const unsigned char *q = v->buf + v->offsets[i];

	q += 2 + q[0];				/* the id's length, the id, its NUL */
	*np = q[1] | q[2] << 8;
	*nd = q[3] | q[4] << 8;
	return q + 7;
}

static inline int
edge_at(const unsigned char *e, int k)
{
	e += 4 * (size_t) k;
	return (int) ((uint32_t) e[0] | (uint32_t) e[1] << 8 |
				  (uint32_t) e[2] << 16 | (uint32_t) e[3] << 24);
}

void
pm_image_view_heads(const pm_image_view *v, pm_set *out)
{
	int			i;

	view_set_init(out, v->n);
	for (i = 0; i < v->n; i++)
		if (v->nchildren[i] == 0)
			out->items[out->n++] = i;
}

void
pm_image_view_branchpoints(const pm_image_view *v, pm_set *out)
{
	int			i;

	view_set_init(out, v->n);
	for (i = 0; i < v->n; i++)
		if (v->nchildren[i] >= 2)
			out->items[out->n++] = i;
}

void
pm_image_view_children(const pm_image_view *v, const pm_set *of,
					   pm_set *lists)
{
	int		   *slot = pm_malloc(sizeof(int) * ((size_t) v->n + 1));
	int			pass;
	int			i;
	int			k;
	int			j;

	/* which list each revision of "of" fills; -1 for the others */
	memset(slot, 0xff, sizeof(int) * ((size_t) v->n + 1));
	for (k = 0; k < of->n; k++)
	{
		slot[of->items[k]] = k;
		lists[k].n = 0;
	}

	/*
	 * Two passes in load order (children are listed as the built graph
	 * lists them): count, then fill; nchildren stops counting at 255.
	 */
	for (pass = 0; pass < 2; pass++)
	{
		if (pass == 1)
			for (k = 0; k < of->n; k++)
			{
				lists[k].items = pm_malloc(sizeof(int) * ((size_t) lists[k].n + 1));
				lists[k].n = 0;
			}
		for (i = 0; i < v->n; i++)
		{
			int			np;
			int			nd;
			const unsigned char *e = rec_edges(v, i, &np, &nd);

			for (k = 0; k < np; k++)
			{
				int			p = edge_at(e, k);
				bool		again = false;

				if (slot[p] < 0)
					continue;
				/* a parent named twice counts once */
				for (j = 0; j < k; j++)
					if (edge_at(e, j) == p)
						again = true;
				if (again)
					continue;
				if (pass == 1)
					lists[slot[p]].items[lists[slot[p]].n] = i;
				lists[slot[p]].n++;
			}
		}
	}
	pm_free(slot);
}

void
pm_image_view_current(const pm_image_view *v, const unsigned char *applied,
					  pm_set *out)
{
	unsigned char *child_applied = pm_malloc((size_t) v->n + 1);
	int			i;
	int			k;

	/* a revision with an applied child is not current: mark from the child */
	memset(child_applied, 0, (size_t) v->n + 1);
	for (i = 0; i < v->n; i++)
	{
		int			np;
		int			nd;
		const unsigned char *e;

		if (!applied[i])
			continue;
		e = rec_edges(v, i, &np, &nd);
		for (k = 0; k < np; k++)
			child_applied[edge_at(e, k)] = 1;
	}
	view_set_init(out, v->n);
	for (i = 0; i < v->n; i++)
		if (applied[i] && !child_applied[i])
			out->items[out->n++] = i;
	pm_free(child_applied);
}

/*
 * Mark the ancestors-or-self of targets (through parents and
 * dependencies), as pm_graph_ancestors does; stops early, returning false,
 * at the first one that is not applied when stop_unapplied is set.
 */
static bool
view_ancestors(const pm_image_view *v, const pm_set *targets,
			   const unsigned char *applied, bool stop_unapplied,
			   unsigned char *seen)
{
	int		   *stack = pm_malloc(sizeof(int) * ((size_t) v->n + 1));
	int			top = 0;
	int			k;
	bool		all = true;

	for (k = 0; k < targets->n; k++)
		if (!seen[targets->items[k]])
		{
			seen[targets->items[k]] = 1;
			stack[top++] = targets->items[k];
		}
	while (top > 0 && (all || !stop_unapplied))
	{
		int			i = stack[--top];
		int			np;
		int			nd;
		const unsigned char *e = rec_edges(v, i, &np, &nd);

		if (!applied[i])
			all = false;
		for (k = 0; k < np + nd; k++)
		{
			int			p = edge_at(e, k);

			if (!seen[p])
			{
				seen[p] = 1;
				stack[top++] = p;
			}
		}
	}
	pm_free(stack);
	return all;
}

bool
pm_image_view_all_applied(const pm_image_view *v, const pm_set *targets,
						  const unsigned char *applied)
{
	unsigned char *seen = pm_malloc((size_t) v->n + 1);
	bool		all;

	memset(seen, 0, (size_t) v->n + 1);
	all = view_ancestors(v, targets, applied, true, seen);
	pm_free(seen);
	return all;
}

int
pm_image_rec_unique_parents(const pm_image_rec *r, int *out)
{
	int			n = 0;
	int			k;

	for (k = 0; k < r->nparents; k++)
	{
		int			p = pm_image_rec_edge(r, k);
		int			j;

		for (j = 0; j < n && out[j] != p; j++)
			;
		if (j == n)
			out[n++] = p;
	}
	return n;
}

int
pm_image_view_order(const pm_image_view *v, int k)
{
	if (v->load_order)
		return k;
	return edge_at(v->buf + v->len - 4 * (size_t) v->n, k);
}

void
pm_image_view_plan_upgrade(const pm_image_view *v, const pm_set *targets,
						   const unsigned char *applied, pm_set *out)
{
	unsigned char *mark = pm_malloc((size_t) v->n + 1);
	int			k;

	/* as pm_plan_upgrade: the stored order restricted to what runs */
	memset(mark, 0, (size_t) v->n + 1);
	(void) view_ancestors(v, targets, applied, false, mark);
	view_set_init(out, v->n);
	for (k = 0; k < v->n; k++)
	{
		int			i = pm_image_view_order(v, k);

		if (mark[i] && !applied[i])
			out->items[out->n++] = i;
	}
	pm_free(mark);
}
