/*-------------------------------------------------------------------------
 *
 * log_event.c
 *	  cla_eventlog.log_event() (README "Logging"): chooses the code when the caller
 *	  gives none (the event's code resolver, else its only live code), then
 *	  inserts one log row: through cel_log_insert() (log_insert.c), or with
 *	  a saved SQL INSERT when that path is not open.  Every rule of the row
 *	  itself is applied by the log triggers, exactly as for a plain INSERT.
 *
 *-------------------------------------------------------------------------
 */
#include "cla_eventlog.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(cel_log_event);

/* Argument positions of log_event() */
enum
{
	ARG_EVENT_KEY,
	ARG_CASE_ID,
	ARG_CREATED_BY,
	ARG_CODE,
	ARG_NOTES,
	ARG_CONTEXT,
	ARG_PATCH,
	ARG_ACTING_ROLE,
	ARG_PARAMS,
	ARG_CONTENT_TYPE,
	ARG_OBJECT_ID,
	N_ARGS
};

/*
 * The log columns log_event() gives, in the order of the parameters of its
 * SQL INSERT (insert_plan), and the argument each comes from.
 */
#define N_FIELDS 10
static const struct
{
	int			arg;
	AttrNumber	column;
}			fields[N_FIELDS] =
{
	{ARG_EVENT_KEY, Anum_cel_log_event_key},
	{ARG_CASE_ID, Anum_cel_log_case_id},
	{ARG_CREATED_BY, Anum_cel_log_created_by},
	{ARG_CODE, Anum_cel_log_code},
	{ARG_NOTES, Anum_cel_log_notes},
	{ARG_CONTEXT, Anum_cel_log_context},
	{ARG_PATCH, Anum_cel_log_patch},
	{ARG_ACTING_ROLE, Anum_cel_log_created_by_role},
	{ARG_CONTENT_TYPE, Anum_cel_log_content_type},
	{ARG_OBJECT_ID, Anum_cel_log_object_id}
};

static SPIPlanPtr insert_plan = NULL;

/*
 * Ask the event's resolver (case_id bigint, params jsonb) RETURNS text for
 * the code.  Its errors reach the caller unchanged.
 */
static char *
resolve_with(const char *resolver, FunctionCallInfo fcinfo)
{
	Oid			argtypes[2] = {INT8OID, JSONBOID};
	Oid			fn = cel_resolve_function(resolver, 2, argtypes, "code resolver", false);
	char	   *code = cel_call_text_function(fn, PG_GETARG_INT64(ARG_CASE_ID),
											  PG_GETARG_DATUM(ARG_PARAMS),
											  PG_ARGISNULL(ARG_PARAMS));

	if (code == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("code resolver \"%s\" returned NULL", resolver),
				 errhint("A code resolver must return a code of its event, or raise an error.")));
	return code;
}

/* The code to log when the caller gave none */
static char *
choose_code(const char *event_key, FunctionCallInfo fcinfo)
{
	CelEvent   *ev = cel_require_event(event_key, NULL);

	if (ev->code_resolver != NULL)
	{
		/* a missing case is the log's error, not the resolver's */
		cel_require_case(PG_GETARG_INT64(ARG_CASE_ID), false, NULL);
		return resolve_with(ev->code_resolver, fcinfo);
	}
	if (ev->n_live == 1)
		return ev->single_live->code;
	if (ev->n_live == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("event \"%s\" has no live codes", event_key),
				 errdetail("All its codes are retired.")));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("event \"%s\" has several codes; one must be given", event_key),
			 cel_errdetail_live_codes(event_key),
			 errhint("Pass code => '...'.")));
	pg_unreachable();
}

/*
 * The row as log columns, inserted by cel_log_insert() (without SQL);
 * false when that path is not open and the SQL INSERT must run.
 */
static bool
log_direct(const Datum *values, const char *nulls, int64 *id)
{
	Datum		row[Natts_cel_log] = {0};
	bool		rownulls[Natts_cel_log];

	memset(rownulls, true, sizeof(rownulls));
	for (int i = 0; i < N_FIELDS; i++)
	{
		row[fields[i].column - 1] = values[i];
		rownulls[fields[i].column - 1] = (nulls[i] == 'n');
	}
	return cel_log_insert(row, rownulls, id);
}

/*
 * log_event(event_key, case_id, created_by, code, notes, context, patch,
 * acting_role, params, content_type, object_id) RETURNS bigint: the new log
 * id, or NULL when the row was skipped as a duplicate.
 */
Datum
cel_log_event(PG_FUNCTION_ARGS)
{
	Oid			types[N_FIELDS] = {TEXTOID, INT8OID, INT8OID, TEXTOID, TEXTOID,
	JSONBOID, JSONBOID, TEXTOID, TEXTOID, INT8OID};
	Datum		values[N_FIELDS];
	char		nulls[N_FIELDS];
	char	   *event_key;
	bool		isnull;
	Datum		id;
	int64		direct_id;

	cel_require_arg("event_key", PG_ARGISNULL(ARG_EVENT_KEY));
	cel_require_arg("case_id", PG_ARGISNULL(ARG_CASE_ID));
	cel_require_arg("created_by", PG_ARGISNULL(ARG_CREATED_BY));
	event_key = text_to_cstring(PG_GETARG_TEXT_PP(ARG_EVENT_KEY));
	cel_require_name_length("event key", event_key, NULL, 0);

	for (int i = 0; i < N_FIELDS; i++)
	{
		values[i] = PG_GETARG_DATUM(fields[i].arg);
		nulls[i] = PG_ARGISNULL(fields[i].arg) ? 'n' : ' ';
	}
	if (PG_ARGISNULL(ARG_CODE))
	{
		values[3] = CStringGetTextDatum(choose_code(event_key, fcinfo));	/* fields[3]: code */
		nulls[3] = ' ';
	}

	if (log_direct(values, nulls, &direct_id))
	{
		if (direct_id == 0)
			PG_RETURN_NULL();
		PG_RETURN_INT64(direct_id);
	}

	cel_spi_connect();
	if (insert_plan == NULL)
		insert_plan = cel_prepare("INSERT INTO cla_eventlog.log"
								  " (event_key, case_id, created_by, code, notes, context,"
								  "  patch, created_by_role, content_type, object_id)"
								  " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
								  " RETURNING id", 10, types);
	if (cel_exec(insert_plan, values, nulls, false, 0, SPI_OK_INSERT_RETURNING) == 0)
	{
		SPI_finish();
		PG_RETURN_NULL();
	}
	id = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	SPI_finish();
	PG_RETURN_DATUM(id);
}
