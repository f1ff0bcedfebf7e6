/*
 * fuzz_target.c: libFuzzer harness for target expressions (target.c).
 *
 * The input, cut at its first NUL (the parser takes a C string), is
 *	- parsed; a failure must come with a message;
 *	- on success formatted and parsed again: the second parse must give
 *	  the same target (kind, name, step), and formatting it again the
 *	  same text (the format is canonical);
 *	- resolved, and used as a history range, against a small fixed graph
 *	  with a branch, a label on each side, a merge and an applied part,
 *	  so the resolver's error paths run too (the sanitizers and LSan
 *	  watch them);
 *	- planned as upgrade, downgrade and stamp (pm_plan_command): every
 *	  step a valid index, once, upgrades parents first and downgrades
 *	  children first; each plan written as an offline script
 *	  (offscript.c) with the input as target and message, which must add
 *	  no line outside the message's own literal (a comment cannot be
 *	  ended by a message or a target).
 * Any violation aborts, which libFuzzer reports as a crash.
 */
#include "target.h"
#include "offscript.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pm_graph *graph;

static void
fail(const char *why, const char *input)
{
	fprintf(stderr, "fuzz_target: %s (input \"%s\")\n", why, input);
	abort();
}

/*
 *	ab12 (applied) -- ab13 [lbl] (applied) -- cd34 --+-- ee01 (merge)
 *	     \-------------- cd35 [other] ---------------/
 */
static pm_graph *
build_graph(void)
{
	static const char *const p_ab12[] = {"ab12"};
	static const char *const p_ab13[] = {"ab13"};
	static const char *const p_merge[] = {"cd34", "cd35"};
	static const char *const l_lbl[] = {"lbl"};
	static const char *const l_other[] = {"other"};
	pm_graph   *g = pm_graph_new(8);
	pm_error	err;

	pm_graph_add(g, "ab12", NULL, 0, NULL, 0, NULL, 0, true);
	pm_graph_add(g, "ab13", p_ab12, 1, NULL, 0, l_lbl, 1, true);
	pm_graph_add(g, "cd34", p_ab13, 1, NULL, 0, NULL, 0, false);
	pm_graph_add(g, "cd35", p_ab12, 1, NULL, 0, l_other, 1, false);
	pm_graph_add(g, "ee01", p_merge, 2, NULL, 0, NULL, 0, false);
	if (!pm_graph_build(g, true, &err))
	{
		fprintf(stderr, "fuzz_target: fixed graph does not build: %s\n", err.msg);
		abort();
	}
	return g;
}

static int
count_lines(const char *text)
{
	int			n = 0;

	for (; *text; text++)
		n += *text == '\n';
	return n;
}

/* the offline script of a plan, target text and message given */
static int
script_lines(const char *command, const char *target, int kind,
			 const pm_set *steps, const char *message)
{
	static const bool tx[8] = {true, true, true, true, true, true, true, true};
	pm_buf		b;
	pm_error	err;
	int			k,
				n;

	pm_buf_init(&b);
	pm_script_begin(&b, graph, command, target, kind, steps, tx);
	for (k = 0; k < steps->n; k++)
		if (!pm_script_step(&b, graph, kind, steps->items[k], message, true,
							"SELECT 1;", "SELECT 2;", &err))
			fail("a reversible transactional step was refused", target);
	pm_script_end(&b, steps->n, true);
	n = count_lines(b.data);
	pm_buf_free(&b);
	return n;
}

static void
check_plans(const char *s)
{
	static const char *const commands[] = {"upgrade", "downgrade", "stamp"};
	int			c;

	for (c = 0; c < 3; c++)
	{
		pm_set		steps;
		pm_error	err;
		int			kind = pm_plan_command(graph, commands[c], s, &steps, &err);
		unsigned char seen[8] = {0};
		int			k,
					j;

		if (kind < 0)
		{
			if (err.msg[0] == '\0')
				fail("plan failure without a message", s);
			continue;
		}
		for (k = 0; k < steps.n; k++)
		{
			int			v = steps.items[k];

			if (v < 0 || v >= pm_graph_size(graph) || seen[v]++)
				fail("plan step out of range or twice", s);
			/* a parent in the plan runs before (upgrade) or after (downgrade) */
			for (j = 0; kind != PM_CMD_STAMP && j < pm_graph_rev(graph, v)->nparents_ok; j++)
			{
				int			p = pm_graph_rev(graph, v)->parents[j];

				if (seen[p] && kind == PM_CMD_DOWNGRADE)
					fail("downgrade reverts a parent before its child", s);
				if (!seen[p] && kind == PM_CMD_UPGRADE && !pm_graph_rev(graph, p)->applied)
					fail("upgrade runs a child before its parent", s);
			}
		}
		/* the message's own line breaks stay inside its literal in add() */
		if (script_lines(commands[c], s, kind, &steps, s) !=
			script_lines(commands[c], "x", kind, &steps, "") + steps.n * count_lines(s))
			fail("target or message text added a line to the offline script's comments", s);
		pm_set_free(&steps);
	}
}

static bool
same_target(const pm_target *a, const pm_target *b)
{
	return a->kind == b->kind && a->rel == b->rel &&
		strcmp(a->name, b->name) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *s = malloc(size + 1);
	pm_target	t1,
				t2;
	pm_error	err;
	char		text1[256],
				text2[256];

	if (graph == NULL)
		graph = build_graph();

	memcpy(s, data, size);
	s[size] = '\0';

	if (!pm_target_parse(s, &t1, &err))
	{
		if (err.msg[0] == '\0' || err.code == PM_OK)
			fail("failure without a message", s);
	}
	else
	{
		pm_target_format(&t1, text1, sizeof(text1));
		if (!pm_target_parse(text1, &t2, &err))
		{
			fprintf(stderr, "re-parse of \"%s\": %s\n", text1, err.msg);
			fail("formatted target does not parse", s);
		}
		if (!same_target(&t1, &t2))
		{
			fprintf(stderr, "formatted: \"%s\"\n", text1);
			fail("round trip changed the target", s);
		}
		pm_target_format(&t2, text2, sizeof(text2));
		if (strcmp(text1, text2) != 0)
			fail("format is not canonical", s);
	}

	/* resolution against the fixed graph, success or not */
	{
		pm_set		out;
		int			branch_root;

		if (pm_resolve(graph, s, &out, &branch_root, &err))
		{
			int			i;

			for (i = 0; i < out.n; i++)
				if (out.items[i] < 0 || out.items[i] >= pm_graph_size(graph))
					fail("resolved index out of range", s);
			if (branch_root < -1 || branch_root >= pm_graph_size(graph))
				fail("branch_root out of range", s);
			pm_set_free(&out);
		}
		else if (err.msg[0] == '\0')
			fail("resolve failure without a message", s);
	}
	{
		unsigned char inrange[8];

		memset(inrange, 0xAA, sizeof(inrange));
		if (!pm_range_resolve(graph, s, inrange, &err) && err.msg[0] == '\0')
			fail("range failure without a message", s);
	}

	check_plans(s);
	free(s);
	return 0;
}
