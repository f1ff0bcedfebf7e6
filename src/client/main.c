/*-------------------------------------------------------------------------
 *
 * main.c
 *	  pgmig client: global options, command dispatch, help texts, and the
 *	  small option parser every command uses.
 *
 * Global options may come before or after the command name, like
 * psql's; everything else is passed to the command, which parses its own
 * options with parse_cmd_args().
 *
 *-------------------------------------------------------------------------
 */
#include "client.h"
#include "fleet.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

options		opts;

typedef struct command
{
	const char *name;
	int			(*fn) (int argc, char **argv);
	const char *synopsis;
	const char *help;
} command;

static const command commands[] = {
	{"init", cmd_init, "init",
		"Create the pgmig extension in the database if it is missing, and the\n"
		"revision folder (--dir) if it does not exist.\n"},
	{"load", cmd_load, "load",
		"Load every *.sql revision file of --dir into the database, in one\n"
		"transaction with one COPY.  A file that does not parse is reported as\n"
		"FILE:LINE and nothing is loaded.  An applied revision whose file is\n"
		"missing or was edited stops the load (never edit applied migrations;\n"
		"see \"pgmig repair\").  Unapplied revisions that no longer have a file\n"
		"are removed from the database.\n"},
	{"revision", cmd_revision, "revision -m MESSAGE [--head REV] [--branch-label LABEL] [--depends-on REV] [--non-transactional] [--rev-id ID] [--splice]",
		"Write a new, empty revision file <id>_<slug>.sql into --dir whose parent\n"
		"is the current head of the folder (like \"flask db migrate\" without\n"
		"autogenerate).  The id is 12 random hex digits unless --rev-id is given.\n"
		"\n"
		"  -m, --message MESSAGE    what the revision does (required)\n"
		"  --head REV               parent revision (needed when there are several heads;\n"
		"                           \"base\" starts a new root)\n"
		"  --branch-label LABEL     label the revision (repeatable)\n"
		"  --depends-on REV         cross-branch dependency (repeatable)\n"
		"  --non-transactional      \"-- transactional: false\" (CREATE INDEX CONCURRENTLY...)\n"
		"  --rev-id ID              use this id instead of a random one\n"
		"  --splice                 allow --head to name a revision that is not a head\n"
		"                           (starts a branch)\n"
		"\n"
		"Works from the files alone: no database connection is needed.\n"},
	{"upgrade", cmd_upgrade, "upgrade [TARGET] [--sql]",
		"Load --dir, then apply every unapplied revision up to TARGET (default:\n"
		"heads).  TARGET follows Alembic's grammar: head, heads, REV, LABEL@head,\n"
		"+N, REV+N...  Revisions run in one transaction; a run that contains a\n"
		"non-transactional revision holds the migration lock and commits around\n"
		"it, running its statements one at a time.\n"
		"\n"
		"  --sql      print the SQL instead of running it (offline mode)\n"},
	{"downgrade", cmd_downgrade, "downgrade TARGET [--sql]",
		"Load --dir, then revert applied revisions down to TARGET (which stays\n"
		"applied): -1, REV, base, LABEL@base...\n"
		"\n"
		"  --sql      print the SQL instead of running it (offline mode)\n"},
	{"stamp", cmd_stamp, "stamp TARGET | stamp --from-alembic [--version-table NAME]",
		"Load --dir, then mark TARGET's ancestry as applied without running any\n"
		"script.  With --from-alembic, adopt a database managed by Alembic: the\n"
		"revisions its version table (default alembic_version) lists are stamped.\n"},
	{"current", cmd_current, "current",
		"Show the applied heads of the database.\n"},
	{"heads", cmd_heads, "heads",
		"Show the heads of the revision graph (as loaded in the database).\n"},
	{"branches", cmd_branches, "branches",
		"Show the branch points of the revision graph.\n"},
	{"history", cmd_history, "history [-r RANGE] [-v]",
		"Show revisions newest first.\n"
		"\n"
		"  -r, --rev-range RANGE    Alembic range: A:B, :B, A:, current:\n"
		"  -v, --verbose            every column\n"},
	{"show", cmd_show, "show REV",
		"Show one revision, scripts included.\n"},
	{"merge", cmd_merge, "merge -m MESSAGE REV...",
		"Create a merge revision whose parents are the given revisions (default:\n"
		"all heads), in the database and as a file in --dir.\n"
		"\n"
		"  -m, --message MESSAGE    what the merge is for\n"},
	{"check", cmd_check, "check",
		"List problems (cycles, missing parents, edited applied revisions,\n"
		"multiple heads...).  Exit status 1 if any has severity \"error\".\n"},
	{"status", cmd_status, "status",
		"One line at a glance: current, heads, pending, problems, drift, and who\n"
		"holds the migration lock.\n"},
	{"graph", cmd_graph, "graph [-o FILE]",
		"Print the revision graph as Graphviz DOT.  With -o FILE.png or FILE.svg,\n"
		"render it with Graphviz \"dot\" (which must be on PATH); any other -o\n"
		"writes the DOT text.\n"},
	{"repair", cmd_repair, "repair FILE",
		"Deliberately replace the scripts of an applied revision with FILE's\n"
		"(SELECT pgmig.repair); the old and new checksums are journaled.\n"},
	{"import-alembic", cmd_import_alembic,
		"import-alembic --upgrade-sql FILE [--downgrade-sql FILE] [--versions DIR] [--version-table NAME] [--force]",
		"Turn Alembic's offline output into pgmig revision files in --dir, with the\n"
		"same revision ids, parents and scripts.  Produce the input with\n"
		"\n"
		"  flask db upgrade --sql base:heads > up.sql       (alembic upgrade --sql base:heads)\n"
		"  flask db downgrade --sql heads:base > down.sql   (alembic downgrade --sql heads:base)\n"
		"\n"
		"  --upgrade-sql FILE     the upgrade output (\"-\" for stdin)\n"
		"  --downgrade-sql FILE   the downgrade output; without it every revision is\n"
		"                         irreversible\n"
		"  --versions DIR         Alembic's versions folder: messages, branch_labels\n"
		"                         and depends_on are read from its *.py files\n"
		"  --version-table NAME   Alembic's version table (default alembic_version)\n"
		"  --force                overwrite existing files\n"
		"\n"
		"Works from the files alone: no database connection is needed.\n"},
	{NULL, NULL, NULL, NULL}
};

static void
print_usage(FILE *f)
{
	int			k;

	fprintf(f,
			"pgmig manages PostgreSQL schema migrations kept in the database.\n\n"
			"Usage:\n  pgmig [OPTION]... COMMAND [ARG]...\n\n"
			"Commands:\n");
	for (k = 0; commands[k].name; k++)
		fprintf(f, "  %s\n", commands[k].synopsis);
	fprintf(f,
			"\nOptions:\n"
			"  -d, --dbname CONNINFO   database to connect to (conninfo string or URI);\n"
			"                          default: $DATABASE_URL, then the PG* variables\n"
			"  --dir DIR               revision folder (default ./migrations)\n"
			"  -q, --quiet             no progress lines\n"
			"  --csv                   CSV output instead of aligned tables\n"
			"  --fleet FILE            run the command over every database FILE lists\n"
			"  --fleet-query SQL       ... over the databases SQL returns (run on -d)\n"
			"  -j, --jobs N            fleet: N databases at once (default 1)\n"
			"  --atomic                fleet: all or none (two-phase commit)\n"
			"  --canary N              fleet: migrate N databases first, stop if one fails\n"
			"  --json                  fleet: the report as JSON\n"
			"  (pgmig --fleet FILE recover resolves what a crashed --atomic run left prepared;\n"
			"   see the README's \"Fleet\" section)\n"
			"  -V, --version           print the version and exit\n"
			"  -h, --help              this help; \"pgmig COMMAND --help\" for a command's\n"
			"\nExit status: 0 success, 1 failure, 2 usage error.\n");
}

bool
print_command_help(const char *name)
{
	int			k;

	for (k = 0; commands[k].name; k++)
		if (strcmp(commands[k].name, name) == 0)
		{
			printf("Usage:\n  pgmig [OPTION]... %s\n\n%s", commands[k].synopsis,
				   commands[k].help);
			printf("\nGlobal options: -d CONNINFO, --dir DIR, -q, --csv (see pgmig --help).\n");
			return true;
		}
	return false;
}

int
usage_error(const char *fmt,...)
{
	va_list		ap;

	fprintf(stderr, "pgmig: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry \"pgmig %s%s--help\" for more information.\n",
			opts.command ? opts.command : "", opts.command ? " " : "");
	return EXIT_USAGE;
}

void
pg_log_error(const char *fmt,...)
{
	va_list		ap;

	fprintf(stderr, "pgmig: error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
pg_log_warning(const char *fmt,...)
{
	va_list		ap;

	fprintf(stderr, "pgmig: warning: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
pg_log_hint(const char *fmt,...)
{
	va_list		ap;

	fprintf(stderr, "pgmig: hint: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
progress(const char *fmt,...)
{
	va_list		ap;

	if (opts.quiet)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/*
 * Parse a command's arguments.  "--name value", "--name=value", "-x value",
 * "-xvalue"; "--" ends the options.  --help is handled by the caller
 * before this runs.
 */
bool
parse_cmd_args(int argc, char **argv, const optdef *defs, cmd_args *out)
{
	int			i;
	bool		no_more_opts = false;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < argc; i++)
	{
		const char *a = argv[i];
		const optdef *d = NULL;
		const char *val = NULL;
		int			k;

		if (no_more_opts || a[0] != '-' || a[1] == '\0' ||
			(a[1] >= '0' && a[1] <= '9'))
		{
			/* positional; "-1" is a relative target, not an option */
			if (out->npos == (int) (sizeof(out->pos) / sizeof(out->pos[0])))
			{
				usage_error("too many arguments");
				return false;
			}
			out->pos[out->npos++] = a;
			continue;
		}
		if (strcmp(a, "--") == 0)
		{
			no_more_opts = true;
			continue;
		}
		if (a[1] == '-')
		{
			const char *eq = strchr(a + 2, '=');
			size_t		n = eq ? (size_t) (eq - (a + 2)) : strlen(a + 2);

			for (k = 0; defs && defs[k].longname; k++)
				if (strlen(defs[k].longname) == n &&
					strncmp(defs[k].longname, a + 2, n) == 0)
					d = &defs[k];
			if (d && eq)
			{
				if (!d->has_arg)
				{
					usage_error("option --%s takes no value", d->longname);
					return false;
				}
				val = eq + 1;
			}
		}
		else
		{
			for (k = 0; defs && defs[k].longname; k++)
				if (defs[k].shortname == a[1])
					d = &defs[k];
			if (d && a[2] != '\0')
			{
				if (!d->has_arg)
				{
					usage_error("option -%c takes no value", a[1]);
					return false;
				}
				val = a + 2;
			}
		}
		if (d == NULL)
		{
			usage_error("unknown option \"%s\" for %s", a, opts.command);
			return false;
		}
		if (d->has_arg && val == NULL)
		{
			if (i + 1 >= argc)
			{
				usage_error("option \"%s\" needs a value", a);
				return false;
			}
			val = argv[++i];
		}
		if (out->nopts == (int) (sizeof(out->opts) / sizeof(out->opts[0])))
		{
			usage_error("too many options");
			return false;
		}
		out->opts[out->nopts].name = d->longname;
		out->opts[out->nopts].value = val;
		out->nopts++;
	}
	return true;
}

/* The last value given for an option (NULL if absent). */
const char *
arg_value(const cmd_args *a, const char *name)
{
	const char *v = NULL;
	int			k;

	for (k = 0; k < a->nopts; k++)
		if (strcmp(a->opts[k].name, name) == 0)
			v = a->opts[k].value;
	return v;
}

bool
arg_flag(const cmd_args *a, const char *name)
{
	int			k;

	for (k = 0; k < a->nopts; k++)
		if (strcmp(a->opts[k].name, name) == 0)
			return true;
	return false;
}

int
main(int argc, char **argv)
{
	char	  **rest = calloc(argc + 1, sizeof(char *));
	int			nrest = 0;
	bool		help = false;
	int			i,
				k;

	opts.dir = "migrations";
	opts.format = FMT_ALIGNED;

	/* pick out the global options, wherever they are */
	for (i = 1; i < argc; i++)
	{
		const char *a = argv[i];
		int			fl = fleet_take_option(argc, argv, &i);

		if (fl < 0)
			return EXIT_USAGE;
		if (fl > 0)
			continue;
		if (strcmp(a, "--") == 0)
		{
			/* everything after belongs to the command */
			for (; i < argc; i++)
				rest[nrest++] = argv[i];
			break;
		}
		if (strcmp(a, "-d") == 0 || strcmp(a, "--dbname") == 0 ||
			strcmp(a, "--dir") == 0)
		{
			if (i + 1 >= argc)
				return usage_error("option \"%s\" needs a value", a);
			if (a[1] == 'd' || strcmp(a, "--dbname") == 0)
				opts.conninfo = argv[++i];
			else
				opts.dir = argv[++i];
		}
		else if (strncmp(a, "--dbname=", 9) == 0)
			opts.conninfo = a + 9;
		else if (strncmp(a, "--dir=", 6) == 0)
			opts.dir = a + 6;
		else if (strncmp(a, "-d", 2) == 0 && a[2] != '\0' && opts.command == NULL)
			opts.conninfo = a + 2;
		else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0)
			opts.quiet = true;
		else if (strcmp(a, "--csv") == 0)
			opts.format = FMT_CSV;
		else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0 ||
				 (strcmp(a, "help") == 0 && opts.command == NULL))
			help = true;
		else if ((strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) &&
				 opts.command == NULL)
		{
			printf("pgmig 0.1\n");
			return EXIT_OK;
		}
		else if (opts.command == NULL && a[0] != '-')
			opts.command = a;
		else
			rest[nrest++] = argv[i];
	}

	if (opts.command == NULL)
	{
		if (help)
		{
			print_usage(stdout);
			return EXIT_OK;
		}
		print_usage(stderr);
		return EXIT_USAGE;
	}
	if (fleet_requested() && !help)
		return fleet_run(nrest, rest);
	for (k = 0; commands[k].name; k++)
	{
		if (strcmp(commands[k].name, opts.command) != 0)
			continue;
		if (help)
		{
			print_command_help(opts.command);
			return EXIT_OK;
		}
		return commands[k].fn(nrest, rest);
	}
	if (help && strcmp(argv[1], "help") == 0)
	{
		/* "pgmig help COMMAND" */
		if (print_command_help(opts.command))
			return EXIT_OK;
	}
	fprintf(stderr, "pgmig: unknown command \"%s\"\nTry \"pgmig --help\" for the list of commands.\n",
			opts.command);
	return EXIT_USAGE;
}
