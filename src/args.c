/*-------------------------------------------------------------------------
 *
 * args.c
 *	  Checks of what a caller hands the extension: a SQL-callable function's
 *	  arguments and calling context, and the names a log row or a
 *	  registration gives.
 *
 * Rules (README "Errors a client sees"):
 *	- A trigger function called otherwise than as its trigger is 39P01.
 *	- A NULL argument of a function is 22004 (null_value_not_allowed),
 *	  whatever the function.  A NULL in a required column of a log row is
 *	  23502 (not_null_violation), raised by the log trigger itself, as a
 *	  column constraint would.
 *	- A registry name (event key, code, role, type) is at most CEL_MAX_NAME
 *	  bytes; a longer one is refused as too long (22023), showing only its
 *	  beginning, so a huge value cannot flood the message or the server log.
 *
 *-------------------------------------------------------------------------
 */
#include "cla_eventlog.h"

#include "access/xact.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/rel.h"

/* Error (22004) for a NULL argument of a SQL-callable function */
void
cel_require_arg(const char *name, bool isnull)
{
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", name)));
}

/* Argument argno of a SQL-callable function, which must not be NULL (22004) */
Datum
cel_arg(FunctionCallInfo fcinfo, int argno, const char *name)
{
	cel_require_arg(name, PG_ARGISNULL(argno));
	return PG_GETARG_DATUM(argno);
}

/*
 * Error (39P01, as PostgreSQL's own triggers raise) for a trigger function
 * called otherwise than "how" ("called as a trigger", "an AFTER INSERT row
 * trigger"): a C trigger function can be called directly from SQL.
 */
void
cel_trigger_misused(const char *function, const char *how)
{
	ereport(ERROR,
			(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
			 errmsg("%s() must be %s", function, how)));
}

/*
 * A value as shown in an error message: whole up to max bytes, else its
 * first max - 3 bytes (cut at a character boundary) and "...".  palloc'd
 * when abbreviated.
 */
const char *
cel_shown(const char *value, int max)
{
	size_t		len = strlen(value);

	if (len <= (size_t) max)
		return value;
	return psprintf("%s...", pnstrdup(value, pg_mbcliplen(value, (int) Min(len, (size_t) (4 * max)), max - 3)));
}

/*
 * Error unless a name given for the registry's names (event key, code,
 * role, type) fits their limit of CEL_MAX_NAME bytes.  A longer one cannot
 * be registered, so it is refused as too long, showing only its first 60
 * bytes.  rel and attnum (0 when there is no table) go to errtablecol().
 */
void
cel_require_name_length(const char *what, const char *value, Relation rel, int attnum)
{
	size_t		len = strlen(value);

	if (len <= CEL_MAX_NAME)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s \"%s\" is too long", what, cel_shown(value, 63)),
			 errdetail("It is %zu bytes long; registered names are at most %d bytes.",
					   len, CEL_MAX_NAME),
			 rel != NULL ? errtablecol(rel, attnum) : 0));
}

PG_FUNCTION_INFO_V1(cel_require_own_transactions);

/*
 * _require_own_transactions(what text) RETURNS void: error 25001, as VACUUM
 * gives, when called inside a transaction block.  For a procedure that
 * commits after each batch: PostgreSQL runs a CALL inside a block (BEGIN,
 * or several statements sent as one query) atomically, and its first
 * COMMIT would fail with "invalid transaction termination" after the
 * first batch's work.  This says why, before any work.
 */
Datum
cel_require_own_transactions(PG_FUNCTION_ARGS)
{
	if (IsTransactionBlock())
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("%s cannot run inside a transaction block",
						text_to_cstring(DatumGetTextPP(cel_arg(fcinfo, 0, "what")))),
				 errdetail("It commits after each batch, so that its work is kept as it goes."),
				 errhint("CALL it on its own, outside BEGIN ... COMMIT and not with other statements in one query.")));
	PG_RETURN_VOID();
}
