/*-------------------------------------------------------------------------
 *
 * main.c
 *	  pgmig client: the command table, option parsing, help texts.
 *
 * Options are parsed with getopt_long, as PostgreSQL's client programs
 * do: first the global options before the command name (parsing stops at
 * the first non-option, the command), then each command's own options,
 * among which the global options are accepted again, so that
 * "pgmig upgrade -d mydb" works like "pgmig -d mydb upgrade".
 *
 *-------------------------------------------------------------------------
 */
#include "client.h"
#include "fleet.h"

#include "fe_utils/cancel.h"

#include <sys/stat.h>

options		opts;

/* the global options; long-only ones get codes above any character */
enum
{
	OPT_DIR = 1000,
	OPT_CSV,
	OPT_HELP,
	OPT_VERSION
};

#define GLOBAL_SHORTOPTS "d:h:p:U:wWqAx" FLEET_SHORTOPTS

static const struct option global_options[] = {
	{"dbname", required_argument, NULL, 'd'},
	{"host", required_argument, NULL, 'h'},
	{"port", required_argument, NULL, 'p'},
	{"username", required_argument, NULL, 'U'},
	{"no-password", no_argument, NULL, 'w'},
	{"password", no_argument, NULL, 'W'},
	{"quiet", no_argument, NULL, 'q'},
	{"no-align", no_argument, NULL, 'A'},
	{"expanded", no_argument, NULL, 'x'},
	{"dir", required_argument, NULL, OPT_DIR},
	{"csv", no_argument, NULL, OPT_CSV},
	FLEET_LONG_OPTIONS,
	{NULL, 0, NULL, 0}
};

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
	{"revision", cmd_revision, "revision -m MESSAGE [--autogenerate (--schema FILE | --from-db CONNINFO) [--rename KIND.NAME=NEW] [--dev-url CONNINFO]] [--head REV] [--branch-label LABEL] [--depends-on REV] [--non-transactional] [--rev-id ID] [--splice]",
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
		"  --autogenerate           write both sections from the difference between the\n"
		"                           folder's head and the desired schema (\"flask db migrate\"):\n"
		"  --schema FILE            ... the desired schema as SQL, or\n"
		"  --from-db CONNINFO       ... a database that has it (one the ORM built)\n"
		"  --rename KIND.NAME=NEW   a rename instead of drop + add (see pgmig diff)\n"
		"  --dev-url CONNINFO       where scratch databases are made\n"
		"\n"
		"Without --autogenerate it works from the files alone (no connection).  With\n"
		"it, the folder's head and the desired schema are built in scratch databases\n"
		"(CREATEDB needed), the generated upgrade and downgrade are verified there,\n"
		"and nothing is written unless both reach their target; \"No changes in\n"
		"schema detected.\" when there is nothing to do.  New enum values that the\n"
		"change uses go first, in a non-transactional revision of their own (a\n"
		"value cannot be used in the transaction that adds it): two files, two ids.\n"},
	{"upgrade", cmd_upgrade, "upgrade [TARGET] [--sql [--offline] | --commit-each] [--force]",
		"Load --dir, then apply every unapplied revision up to TARGET (default:\n"
		"head, as \"flask db upgrade\"; several heads stop it: name one, use\n"
		"\"heads\" for all, or merge them with \"pgmig merge\").  TARGET follows\n"
		"Alembic's grammar: head, heads, REV, LABEL@head, +N, REV+N...  Revisions run in one transaction; a run that contains a\n"
		"non-transactional revision holds the migration lock and commits around\n"
		"it, running its statements one at a time.  The review (pgmig review)\n"
		"runs first: its warnings are printed, and its errors stop the upgrade.\n"
		"\n"
		"  --sql          print the SQL instead of running it (offline mode): from\n"
		"                 the database's state, or with START:END from START,\n"
		"                 from the folder alone (no database needed)\n"
		"  --offline      with --sql: never connect; the script starts from base\n"
		"                 (or START)\n"
		"  --commit-each  one transaction per revision (CALL pgmig.migrate()'s way):\n"
		"                 a long run holds few locks at a time; a failure rolls back\n"
		"                 only the failing revision, and the client says what stays\n"
		"                 committed\n"
		"  --force        run even when the review found errors\n"},
	{"review", cmd_review, "review [TARGET] [-v]",
		"Load --dir (in a transaction that is rolled back), then say what an\n"
		"upgrade to TARGET (default: heads) would do to this database, without\n"
		"running it: the locks each statement takes, rewrites and scans of big\n"
		"tables, data that would make it fail, sessions it would queue behind.\n"
		"Findings print as FILE:LINE: SEVERITY: RULE: MESSAGE, with a hint.\n"
		"Exit status 1 if any finding is an error.\n"
		"\n"
		"  -v, --verbose    also print the info rows (the lock of every statement)\n"},
	{"downgrade", cmd_downgrade, "downgrade [TARGET] [--sql [--offline] | --commit-each]",
		"Load --dir, then revert applied revisions down to TARGET (which stays\n"
		"applied): -1 (the default, as \"flask db downgrade\"), REV, base,\n"
		"LABEL@base...\n"
		"\n"
		"  --sql          print the SQL instead of running it (offline mode; see\n"
		"                 pgmig upgrade --help)\n"
		"  --offline      with --sql: never connect (from the folder alone)\n"
		"  --commit-each  one transaction per revision (see pgmig upgrade --help)\n"},
	{"stamp", cmd_stamp, "stamp TARGET | stamp --from-alembic [--version-table NAME]",
		"Load --dir, then mark TARGET's ancestry as applied without running any\n"
		"script.  With --from-alembic, adopt a database managed by Alembic: the\n"
		"revisions its version table (default alembic_version) lists are stamped.\n"},
	{"current", cmd_current, "current [-v]",
		"Show the applied heads of the database.\n"
		"\n"
		"  -v, --verbose            parents, branch labels and dependencies too\n"
		"\n"
		"The read commands (current, heads, history, show, check, status) see the\n"
		"folder: they load --dir in a transaction that is rolled back, so files\n"
		"not loaded yet count.  Without the rights to do so (or while another run\n"
		"holds the lock) they show the database's view, with a warning.\n"},
	{"heads", cmd_heads, "heads [-v]",
		"Show the heads of the revision graph (the folder as it is now).\n"
		"\n"
		"  -v, --verbose            parents, branch labels and dependencies too\n"},
	{"branches", cmd_readonly, "branches",
		"Show the branch points of the revision graph.\n"},
	{"history", cmd_history, "history [-r RANGE] [-v] [-i]",
		"Show revisions newest first (the folder as it is now).\n"
		"\n"
		"  -r, --rev-range RANGE    Alembic range: A:B, :B, A:, current:\n"
		"  -v, --verbose            every column\n"
		"  -i, --indicate-current   mark the current revisions (\"current\")\n"},
	{"show", cmd_readonly, "show REV",
		"Show one revision, scripts included.\n"},
	{"merge", cmd_merge, "merge -m MESSAGE REV...",
		"Create a merge revision whose parents are the given revisions (default:\n"
		"all heads), in the database and as a file in --dir.\n"
		"\n"
		"  -m, --message MESSAGE    what the merge is for\n"},
	{"check", cmd_check, "check",
		"List problems (cycles, missing parents, edited applied revisions,\n"
		"multiple heads...).  Exit status 1 if any has severity \"error\".\n"},
	{"status", cmd_readonly, "status",
		"One line at a glance: current, heads, pending, problems, drift, and who\n"
		"holds the migration lock.\n"},
	{"drift", cmd_drift, "drift [--accept | --clear]",
		"What changed behind the migrations' back: the objects that differ from the\n"
		"schema pgmig recorded after its last run (pgmig.drift(): every change, also\n"
		"one made with the guard off), then the DDL the guard logged as run outside\n"
		"pgmig (the table pgmig.drift: who, when, what).\n"
		"\n"
		"  --accept   record the schema as it is now as the expected one\n"
		"             (pgmig.record_schema()): review the objects listed first\n"
		"  --clear    acknowledge the guard's log rows listed: they are removed and\n"
		"             the journal records how many, which, and by whom (needs\n"
		"             DELETE on pgmig.drift)\n"},
	{"test", cmd_test, "test [TARGET] [--junit FILE]",
		"The CI job in one command, changing nothing (everything, the folder's\n"
		"load included, is rolled back): the folder has a single head; every\n"
		"revision pending up to TARGET (default head) is upgraded, downgraded,\n"
		"compared and upgraded again (pgmig.test_roundtrip); and pgmig.review(TARGET)\n"
		"finds no error, when the database has it.  Exit status 1 on any failure.\n"
		"\n"
		"  --junit FILE   write a JUnit XML report: one testcase per check and per\n"
		"                 revision, failures with their messages\n"},
	{"graph", cmd_graph, "graph [-o FILE]",
		"Print the revision graph as Graphviz DOT.  With -o FILE.png or FILE.svg,\n"
		"render it with Graphviz \"dot\" (which must be on PATH); any other -o\n"
		"writes the DOT text.\n"},
	{"repair", cmd_repair, "repair FILE",
		"Deliberately replace the scripts of an applied revision with FILE's\n"
		"(SELECT pgmig.repair); the old and new checksums are journaled.\n"},
	{"diff", cmd_diff, "diff FROM TO [--exit-code] [--rename KIND.NAME=NEW] [--dev-url CONNINFO] [--lock-timeout TIME]",
		"Print the SQL that turns the schema FROM into the schema TO, hazards as\n"
		"\"-- WARNING:\" lines.  Each side is a connection string or URI (pgmig need\n"
		"not be installed there), a FILE.sql (run in a scratch database), or the\n"
		"word \"migrations\" (the --dir folder built at its heads in a scratch\n"
		"database).  Scratch databases are created on the server of --dev-url, or of\n"
		"the main connection, and dropped on exit (CREATEDB needed).\n"
		"\n"
		"  --exit-code               exit 3 when the schemas differ, 0 when equal\n"
		"  --rename table.[S.]OLD=NEW, --rename column.[S.]TABLE.OLD=NEW\n"
		"                            a rename, instead of a drop and an add\n"
		"  --dev-url CONNINFO        where scratch databases are made\n"
		"  --lock-timeout TIME       how long reading a database's schema may wait\n"
		"                            for a lock another session holds (500ms, 5s;\n"
		"                            default: the server's lock_timeout), as\n"
		"                            pg_dump --lock-wait-timeout\n"},
	{"import-alembic", cmd_import_alembic,
		"import-alembic --upgrade-sql FILE [--downgrade-sql FILE] [--versions DIR]... [--placeholder REV]... [--version-table NAME] [--force]",
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
		"                         and depends_on are read from its *.py files and\n"
		"                         those of its subfolders; repeat it for each of\n"
		"                         Alembic's version_locations\n"
		"  --placeholder REV      a parent the output does not contain (it was\n"
		"                         rendered from REV on): write a root revision REV\n"
		"                         that stands for that history; it is stamped\n"
		"                         (stamp --from-alembic), never run\n"
		"  --version-table NAME   Alembic's version table (default alembic_version)\n"
		"  --force                replace the files of revisions that have one already\n"
		"\n"
		"Output that does not end with COMMIT, or whose last block does not write\n"
		"the version table, is refused as truncated.  Each revision keeps one file:\n"
		"importing again (with or without --versions) needs --force.\n"
		"\n"
		"Works from the files alone: no database connection is needed.\n"},
	{"recover", cmd_recover, "recover   (with --fleet FILE)",
		"Resolve the pgmig transactions that a crashed \"--fleet ... --atomic\" run\n"
		"left prepared: COMMIT PREPARED where the run's decision file says commit,\n"
		"else ROLLBACK PREPARED.  See the README's \"Fleet\" section.\n"},
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
			"  --dir DIR                 revision folder (default ./migrations)\n"
			"  -q, --quiet               no progress lines\n"
			"  -A, --no-align            unaligned output (fields separated by |)\n"
			"  --csv                     CSV output\n"
			"  -x, --expanded            one record per block\n"
			"\nFleet options (README, \"Fleet\"):\n"
			"  --fleet FILE              run the command over every database FILE lists\n"
			"  --fleet-query SQL         ... over the databases SQL returns (run on -d)\n"
			"  -j, --jobs N              N databases at once (default 1)\n"
			"  --atomic                  all or none, with two-phase commit\n"
			"  --canary N                the first N databases first; stop if one fails\n"
			"  --json                    the fleet report as JSON\n"
			"  --decision-dir DIR        --atomic decision files (default FILE.pgmig-decisions)\n"
			"  --fleet-log DIR           keep each database's output in DIR/N.log\n"
			"  --output-dir DIR          diff over a fleet: each database's SQL in DIR/N_DB.sql\n"
			"  -V, --version             print the version and exit\n"
			"  -?, --help                this help; \"pgmig COMMAND --help\" for a command's\n"
			"\nConnection options:\n"
			"  -d, --dbname=DBNAME       database name, conninfo string or URI;\n"
			"                            default: $DATABASE_URL, then the PG* variables\n"
			"  -h, --host=HOSTNAME       database server host or socket directory\n"
			"  -p, --port=PORT           database server port\n"
			"  -U, --username=USERNAME   user name to connect as\n"
			"  -w, --no-password         never prompt for a password\n"
			"  -W, --password            prompt for a password before connecting\n"
			"\nGlobal options go before or after the command.\n"
			"Exit status: 0 success, 1 failure, 2 usage error.\n");
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
			printf("\nGlobal and connection options: --dir DIR, -q, -A, --csv, -x, -d DBNAME,\n"
				   "-h HOST, -p PORT, -U USER, -w, -W (see pgmig --help).\n");
			return true;
		}
	return false;
}

static void
help_hint(void)
{
	if (opts.command)
		pg_log_error_hint("Try \"pgmig %s --help\" for more information.", opts.command);
	else
		pg_log_error_hint("Try \"pgmig --help\" for more information.");
}

int
usage_error(const char *fmt,...)
{
	va_list		ap;
	char		msg[1024];

	/* (pg_log_generic_v's arguments changed in 15: format here) */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pg_log_error("%s", msg);
	help_hint();
	return EXIT_USAGE;
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

/* Apply a global option; false if c is not one. */
static bool
global_option(int c, const char *arg)
{
	switch (c)
	{
		case 'd':
			opts.dbname = arg;
			break;
		case 'h':
			opts.host = arg;
			break;
		case 'p':
			opts.port = arg;
			break;
		case 'U':
			opts.username = arg;
			break;
		case 'w':
			opts.no_password = true;
			break;
		case 'W':
			opts.force_password = true;
			break;
		case 'q':
			opts.quiet = true;
			break;
		case 'A':
			opts.format = PRINT_UNALIGNED;
			break;
		case 'x':
			opts.expanded = true;
			break;
		case OPT_DIR:
			opts.dir = arg;
			break;
		case OPT_CSV:
			opts.format = PRINT_CSV;
			break;
		default:
			/* -1 (a bad -j or --canary) exits as a usage error */
			switch (fleet_global_option(c, arg))
			{
				case 1:
					return true;
				case -1:
					exit(EXIT_USAGE);
			}
			return false;
	}
	return true;
}

/*
 * pgmig.conf in the current directory: "key = value" lines, "#" comments,
 * an optional "[pgmig]" header.  Keys: dir, database_url, file_template
 * (Alembic's tokens %(rev)s and %(slug)s; ".sql" is added).  It is read
 * before the environment and the command line, which override it.
 * Returns false after an error naming FILE:LINE.
 */
static bool
read_conf(void)
{
	const char *file = "pgmig.conf";
	char	   *text = read_file(file, NULL);
	char	   *line,
			   *next;
	int			lineno = 0;

	if (text == NULL)
		return true;			/* no file: nothing to set */
	for (line = text; line; line = next)
	{
		char	   *eq,
				   *key,
				   *val,
				   *e;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		while (*line == ' ' || *line == '\t')
			line++;
		e = line + strlen(line);
		while (e > line && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
			*--e = '\0';
		if (*line == '\0' || *line == '#' || *line == ';' ||
			strcmp(line, "[pgmig]") == 0)
			continue;
		eq = strchr(line, '=');
		if (eq == NULL)
		{
			pg_log_error("%s:%d: expected \"key = value\"", file, lineno);
			return false;
		}
		*eq = '\0';
		key = line;
		for (e = eq; e > key && (e[-1] == ' ' || e[-1] == '\t'); e--)
			e[-1] = '\0';
		val = eq + 1;
		while (*val == ' ' || *val == '\t')
			val++;
		if (strcmp(key, "dir") == 0)
			opts.dir = pg_strdup(val);
		else if (strcmp(key, "database_url") == 0)
			opts.conf_dbname = pg_strdup(val);
		else if (strcmp(key, "file_template") == 0)
		{
			if (strstr(val, "%(rev)s") == NULL || strchr(val, '/'))
			{
				pg_log_error("%s:%d: file_template must contain %%(rev)s and no \"/\"", file, lineno);
				return false;
			}
			opts.file_template = pg_strdup(val);
		}
		else
		{
			pg_log_error("%s:%d: unknown key \"%s\"", file, lineno, key);
			pg_log_error_hint("The keys are dir, database_url and file_template.");
			return false;
		}
	}
	return true;
}

/*
 * A Flask-Migrate/Alembic project keeps its own migrations/ folder: pgmig
 * must not write its files there nor read Alembic's as its own.
 */
static bool
alembic_folder(const char *dir)
{
	static const char *const marks[] = {"env.py", "alembic.ini", "versions"};
	struct stat st;
	int			k;

	for (k = 0; k < lengthof(marks); k++)
	{
		char	   *p = psprintf("%s/%s", dir, marks[k]);
		bool		found = stat(p, &st) == 0;

		pg_free(p);
		if (found)
		{
			pg_log_error("folder \"%s\" belongs to Alembic (it has %s)", dir, marks[k]);
			pg_log_error_detail("pgmig keeps its revisions as .sql files in a folder of its own.");
			pg_log_error_hint("Use another folder (--dir, PGMIG_DIR or pgmig.conf), or turn this history into one with \"pgmig import-alembic\".");
			return true;
		}
	}
	return false;
}

void
restart_getopt(void)
{
	/* glibc re-initializes (and forgets a "+" mode) only when optind is 0 */
#ifdef __GLIBC__
	optind = 0;
#else
	optind = 1;
#ifdef HAVE_INT_OPTRESET
	optreset = 1;
#endif
#endif
}

int
command_getopt(int argc, char **argv, const char *shortopts,
			   const struct option *longopts)
{
	static struct option *all = NULL;
	static char *allshort = NULL;
	int			c;

	/* one command per run: its table plus the global one, built once */
	if (all == NULL)
	{
		int			n = 0,
					g = 0,
					k;

		while (longopts[n].name)
			n++;
		while (global_options[g].name)
			g++;
		all = pg_malloc0(sizeof(struct option) * (n + g + 1));
		for (k = 0; k < n; k++)
			all[k] = longopts[k];
		for (k = 0; k < g; k++)
			all[n + k] = global_options[k];
		allshort = psprintf("%s%s", shortopts, GLOBAL_SHORTOPTS);
	}
	while ((c = getopt_long(argc, argv, allshort, all, NULL)) != -1)
	{
		if (c == '?')
		{
			/* getopt_long has said what is wrong */
			help_hint();
			return '?';
		}
		if (!global_option(c, optarg))
			return c;
	}
	/* the options are all known now, --dir included */
	if (alembic_folder(opts.dir))
		exit(EXIT_FAIL);
	return -1;
}

bool
no_positionals(int argc, char **argv)
{
	if (optind < argc)
	{
		usage_error("unexpected argument \"%s\"", argv[optind]);
		return false;
	}
	return true;
}

bool
parse_no_options(int argc, char **argv, int max_positionals)
{
	static const struct option none[] = {{NULL, 0, NULL, 0}};

	if (command_getopt(argc, argv, "", none) != -1)
		return false;
	if (argc - optind > max_positionals)
	{
		usage_error("unexpected argument \"%s\"", argv[optind + max_positionals]);
		return false;
	}
	return true;
}

/*
 * A negative number is a relative target ("downgrade -1"), not an option:
 * move such arguments behind a "--" at the end, where getopt_long leaves
 * them as positionals.  (Only upgrade and downgrade take one, and they
 * take a single positional, so their order does not matter.)
 */
static char **
protect_negative_numbers(int *argc, char **argv)
{
	char	  **out = pg_malloc0(sizeof(char *) * (*argc + 2));
	int			n = 0,
				nneg = 0,
				k;
	bool		dashdash = false;

	for (k = 0; k < *argc; k++)
	{
		const char *a = argv[k];

		if (strcmp(a, "--") == 0)
			dashdash = true;
		if (k > 0 && !dashdash && a[0] == '-' &&
			strspn(a + 1, "0123456789") == strlen(a + 1) && a[1] != '\0')
			nneg++;
		else
			out[n++] = argv[k];
	}
	if (nneg == 0)
		return argv;
	if (!dashdash)
		out[n++] = "--";
	for (k = 1; k < *argc; k++)
	{
		const char *a = argv[k];

		if (strcmp(a, "--") == 0)
			break;
		if (a[0] == '-' && a[1] != '\0' &&
			strspn(a + 1, "0123456789") == strlen(a + 1))
			out[n++] = argv[k];
	}
	*argc = n;
	return out;
}

int
main(int argc, char **argv)
{
	static const struct option top_options[] = {
		{"help", no_argument, NULL, OPT_HELP},
		{"version", no_argument, NULL, OPT_VERSION},
		{NULL, 0, NULL, 0}
	};
	const command *cmd = NULL;
	bool		help = false;
	int			c,
				k;
	char	  **cargv;
	int			cargc;

	pg_logging_init(argv[0]);
	opts.dir = "migrations";
	opts.format = PRINT_ALIGNED;
	/* the file, then the environment; the command line overrides both */
	if (!read_conf())
		return EXIT_FAIL;
	if (getenv("PGMIG_DIR") && getenv("PGMIG_DIR")[0])
		opts.dir = getenv("PGMIG_DIR");

	/* global options up to the command name ("+": stop there) */
	{
		struct option all[lengthof(global_options) + lengthof(top_options)];
		int			n = 0;

		for (k = 0; global_options[k].name; k++)
			all[n++] = global_options[k];
		for (k = 0; k < lengthof(top_options); k++)
			all[n++] = top_options[k];
		while ((c = getopt_long(argc, argv, "+" GLOBAL_SHORTOPTS "V?", all, NULL)) != -1)
		{
			if (c == OPT_HELP || (c == '?' && strcmp(argv[optind - 1], "-?") == 0))
				help = true;
			else if (c == 'V' || c == OPT_VERSION)
			{
				printf("pgmig %s\n", PGMIG_VERSION);
				return EXIT_OK;
			}
			else if (c == '?' || !global_option(c, optarg))
			{
				help_hint();
				return EXIT_USAGE;
			}
		}
	}

	/* "pgmig help [COMMAND]" */
	if (optind < argc && strcmp(argv[optind], "help") == 0)
	{
		help = true;
		optind++;
	}
	if (optind >= argc)
	{
		if (help)
		{
			print_usage(stdout);
			return EXIT_OK;
		}
		print_usage(stderr);
		return EXIT_USAGE;
	}
	opts.command = argv[optind];
	for (k = 0; commands[k].name; k++)
		if (strcmp(commands[k].name, opts.command) == 0)
			cmd = &commands[k];
	if (cmd == NULL)
	{
		pg_log_error("unknown command \"%s\"", opts.command);
		opts.command = NULL;
		help_hint();
		return EXIT_USAGE;
	}

	/* the command's arguments, with "pgmig COMMAND" as getopt's name */
	cargc = argc - optind;
	cargv = pg_malloc0(sizeof(char *) * (cargc + 1));
	cargv[0] = psprintf("pgmig %s", cmd->name);
	for (k = 1; k < cargc; k++)
	{
		cargv[k] = argv[optind + k];
		if (strcmp(cargv[k], "--") == 0)
			break;
		if (strcmp(cargv[k], "--help") == 0 || strcmp(cargv[k], "-?") == 0)
			help = true;
	}
	for (; k < cargc; k++)
		cargv[k] = argv[optind + k];
	if (help)
	{
		print_command_help(cmd->name);
		return EXIT_OK;
	}
	cargv = protect_negative_numbers(&cargc, cargv);

	/* start getopt_long afresh, forgetting the "+" of the first scan */
	restart_getopt();
	setup_cancel();
	if (fleet_wanted(cargc, cargv))
		return fleet_run(cargc, cargv);
	return cmd->fn(cargc, cargv);
}
