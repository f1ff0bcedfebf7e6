/*
 * fuzz_revfile.c: libFuzzer harness for the revision file parser.
 *
 * Checks, beyond the sanitizers' memory checks:
 *	- a failed parse reports a message and a line >= 1 and leaves the
 *	  output zeroed;
 *	- a successful parse yields a well-formed revision (valid id, valid
 *	  list items, message without line breaks, bodies without a trailing
 *	  newline), and pm_revfile_format() of it parses back to the same
 *	  revision with the same checksum;
 *	- pm_parse_name_list() over the same bytes either fails or returns
 *	  valid names.
 * Any violation aborts, which libFuzzer reports as a crash.
 *
 * The input is handed to the parser as libFuzzer's exact-size buffer, so
 * AddressSanitizer flags any read past its end.
 */
#include "revfile.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
fail(const char *why)
{
	fprintf(stderr, "fuzz_revfile: %s\n", why);
	abort();
}

static void
check_list(const pm_strlist *l)
{
	int			i;

	if (l->n < 0 || (l->n > 0) != (l->items != NULL))
		fail("list count and items disagree");
	for (i = 0; i < l->n; i++)
		if (!pm_valid_name(l->items[i], strlen(l->items[i])) ||
			pm_reserved_name(l->items[i]))
			fail("invalid name in list");
}

static bool
same_list(const pm_strlist *a, const pm_strlist *b)
{
	int			i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->items[i], b->items[i]) != 0)
			return false;
	return true;
}

static bool
same_revfile(const pm_revfile *a, const pm_revfile *b)
{
	return strcmp(a->id, b->id) == 0 &&
		same_list(&a->down_revision, &b->down_revision) &&
		same_list(&a->depends_on, &b->depends_on) &&
		same_list(&a->branch_labels, &b->branch_labels) &&
		strcmp(a->message, b->message) == 0 &&
		a->transactional == b->transactional && a->order == b->order &&
		strcmp(a->upgrade, b->upgrade) == 0 &&
		(a->downgrade == NULL) == (b->downgrade == NULL) &&
		(a->downgrade == NULL || strcmp(a->downgrade, b->downgrade) == 0);
}

static bool
zeroed(const pm_revfile *r)
{
	return r->id == NULL && r->message == NULL && r->upgrade == NULL &&
		r->downgrade == NULL && r->down_revision.items == NULL &&
		r->depends_on.items == NULL && r->branch_labels.items == NULL;
}

static void
check_body(const char *s)
{
	size_t		n = strlen(s);

	if (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		fail("body ends with a line terminator");
	if (s[0] == '\n')
		fail("body starts with a blank line");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *) data;
	pm_revfile	rf;
	pm_revfile	again;
	pm_error	err;
	pm_strlist	l;
	char	   *text;
	char		sum1[65],
				sum2[65];

	if (!pm_revfile_parse(buf, size, &rf, &err))
	{
		if (err.line < 1 || err.msg[0] == '\0' || err.code == PM_OK)
			fail("failure without message or line");
		if (!zeroed(&rf))
			fail("failure left output behind");
	}
	else
	{
		if (!pm_valid_name(rf.id, strlen(rf.id)) || pm_reserved_name(rf.id))
			fail("invalid id accepted");
		check_list(&rf.down_revision);
		check_list(&rf.depends_on);
		check_list(&rf.branch_labels);
		if (strchr(rf.message, '\n'))
			fail("line break in message");
		/* what script() writes into a "-- " comment cannot end it (issue 8 item 1) */
		{
			char	   *c = pm_comment_text(rf.message);
			const unsigned char *p;

			for (p = (const unsigned char *) c; *p; p++)
				if (*p < 0x20 || *p == 0x7f)
					fail("control character left in comment text");
			pm_free(c);
		}
		check_body(rf.upgrade);
		if (rf.downgrade)
			check_body(rf.downgrade);

		text = pm_revfile_format(&rf);
		if (!pm_revfile_parse(text, strlen(text), &again, &err))
		{
			fprintf(stderr, "re-parse failed at line %d: %s\n--- formatted:\n%s\n",
					err.line, err.msg, text);
			fail("formatted revision does not parse");
		}
		if (!same_revfile(&rf, &again))
		{
			fprintf(stderr, "--- formatted:\n%s\n", text);
			fail("round trip changed the revision");
		}
		pm_checksum(rf.upgrade, rf.downgrade, rf.transactional, sum1);
		pm_checksum(again.upgrade, again.downgrade, again.transactional, sum2);
		if (strcmp(sum1, sum2) != 0)
			fail("round trip changed the checksum");
		pm_free(text);
		pm_revfile_free(&again);
		pm_revfile_free(&rf);
	}

	if (pm_parse_name_list(buf, size, &l, &err))
	{
		check_list(&l);
		pm_strlist_free(&l);
	}
	else if (l.items != NULL || l.n != 0 || err.msg[0] == '\0')
		fail("name list failure left output behind");

	return 0;
}
