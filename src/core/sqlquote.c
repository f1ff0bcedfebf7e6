/*-------------------------------------------------------------------------
 *
 * sqlquote.c
 *	  Identifier and literal quoting (see sqlquote.h for the rules).
 *
 *-------------------------------------------------------------------------
 */
#include "sqlquote.h"

#include <stdlib.h>
#include <string.h>

/*
 * Words that quote_ident() quotes: PostgreSQL's reserved, column-name and
 * type/function-name keywords (sorted for bsearch).  Unreserved keywords
 * may stay bare, as in quote_ident().
 */
static const char *const quoted_words[] = {
	"all", "analyse", "analyze", "and", "any", "array", "as", "asc",
	"asymmetric", "authorization", "between", "bigint", "binary", "bit",
	"boolean", "both", "case", "cast", "char", "character", "check",
	"coalesce", "collate", "collation", "column", "concurrently",
	"constraint", "create", "cross", "current_catalog", "current_date",
	"current_role", "current_schema", "current_time", "current_timestamp",
	"current_user", "dec", "decimal", "default", "deferrable", "desc",
	"distinct", "do", "else", "end", "except", "exists", "extract", "false",
	"fetch", "float", "for", "foreign", "freeze", "from", "full", "grant",
	"greatest", "group", "grouping", "having", "ilike", "in", "initially",
	"inner", "inout", "int", "integer", "intersect", "interval", "into",
	"is", "isnull", "join", "json", "json_array", "json_arrayagg",
	"json_exists", "json_object", "json_objectagg", "json_query",
	"json_scalar", "json_serialize", "json_table", "json_value", "lateral",
	"leading", "least", "left", "like", "limit", "localtime",
	"localtimestamp", "merge_action", "national", "natural", "nchar",
	"none", "normalize", "not", "notnull", "null", "nullif", "numeric",
	"offset", "on", "only", "or", "order", "out", "outer", "overlaps",
	"overlay", "placing", "position", "precision", "primary", "real",
	"references", "returning", "right", "row", "select", "session_user",
	"setof", "similar", "smallint", "some", "substring", "symmetric",
	"system_user", "table", "tablesample", "then", "time", "timestamp",
	"to", "trailing", "treat", "trim", "true", "union", "unique", "user",
	"using", "values", "varchar", "variadic", "verbose", "when", "where",
	"window", "with", "xmlattributes", "xmlconcat", "xmlelement",
	"xmlexists", "xmlforest", "xmlnamespaces", "xmlparse", "xmlpi",
	"xmlroot", "xmlserialize", "xmltable"
};

static int
cmp_word(const void *key, const void *elem)
{
	return strcmp((const char *) key, *(const char *const *) elem);
}

void
pm_quote_ident(pm_buf *b, const char *name)
{
	const char *p;
	bool		bare = name[0] != '\0' &&
		((name[0] >= 'a' && name[0] <= 'z') || name[0] == '_');

	for (p = name; bare && *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
			  *p == '_' || *p == '$'))
			bare = false;
	if (bare && bsearch(name, quoted_words,
						sizeof(quoted_words) / sizeof(quoted_words[0]),
						sizeof(quoted_words[0]), cmp_word) != NULL)
		bare = false;
	if (bare)
	{
		pm_buf_puts(b, name);
		return;
	}
	pm_buf_puts(b, "\"");
	for (p = name; *p; p++)
	{
		if (*p == '"')
			pm_buf_puts(b, "\"");
		pm_buf_append(b, p, 1);
	}
	pm_buf_puts(b, "\"");
}

void
pm_quote_literal(pm_buf *b, const char *text)
{
	const char *p;

	if (strchr(text, '\\') != NULL)
		pm_buf_puts(b, "E");
	pm_buf_puts(b, "'");
	for (p = text; *p; p++)
	{
		if (*p == '\'' || *p == '\\')
			pm_buf_append(b, p, 1);
		pm_buf_append(b, p, 1);
	}
	pm_buf_puts(b, "'");
}
