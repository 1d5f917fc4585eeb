/*-------------------------------------------------------------------------
 *
 * import.c
 *	  The history import's one check that SQL cannot make without an error
 *	  (README "Moving an existing cla_backend database"): whether a JSON
 *	  text is one jsonb can store.  PostgreSQL 15 has no error-free input
 *	  functions, and a cast that fails would abort the whole batch, so the
 *	  import asks first and lists the row as a problem instead.
 *
 *-------------------------------------------------------------------------
 */
#include "cla_eventlog.h"

#include "common/jsonapi.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(cel_jsonb_storable);

/*
 * _jsonb_storable(value text) RETURNS boolean: does the text parse as JSON
 * with its escapes decoded, as jsonb_in parses it?  That refuses what the
 * json type lets through and jsonb does not (\u0000, an escape the
 * database encoding cannot hold).  Never raises.
 */
Datum
cel_jsonb_storable(PG_FUNCTION_ARGS)
{
	text	   *value = PG_GETARG_TEXT_PP(0);
	JsonLexContext *lex;

	lex = makeJsonLexContextCstringLen(VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value),
									   GetDatabaseEncoding(), true);
	PG_RETURN_BOOL(pg_parse_json(lex, &nullSemAction) == JSON_SUCCESS);
}
