/*-------------------------------------------------------------------------
 *
 * spi.c
 *	  Small helpers shared by every file that talks to tables through SPI:
 *	  saved plans, execution with return-code checks, and name lookups in
 *	  the extension's schema.
 *
 * All SQL run through these helpers is fully qualified, so the caller's
 * search_path never changes what it means.  Callers are connected to SPI.
 *
 *-------------------------------------------------------------------------
 */
#include "cla_eventlog.h"

#include "catalog/namespace.h"
#include "access/htup_details.h"
#include "catalog/pg_class.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/rel.h"
#include "utils/syscache.h"

/*
 * Prepare a plan and keep it for the life of the backend.  The caller
 * stores the pointer; a plan whose tables change is re-planned by
 * PostgreSQL's plan cache.
 */
SPIPlanPtr
cel_prepare(const char *sql, int nargs, Oid *argtypes)
{
	SPIPlanPtr	plan = SPI_prepare(sql, nargs, argtypes);

	if (plan == NULL)
		elog(ERROR, "cla_eventlog: SPI_prepare failed for \"%s\": %s",
			 sql, SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "cla_eventlog: SPI_keepplan failed");
	return plan;
}

/*
 * Execute a saved plan and check its return code against the expected
 * SPI_OK_* value.  Returns SPI_processed.
 */
int
cel_exec(SPIPlanPtr plan, Datum *values, const char *nulls,
		 bool read_only, long tcount, int expected)
{
	int			rc = SPI_execute_plan(plan, values, nulls, read_only, tcount);

	if (rc != expected)
		elog(ERROR, "cla_eventlog: SPI_execute_plan returned %s, expected %s",
			 SPI_result_code_string(rc), SPI_result_code_string(expected));
	return (int) SPI_processed;
}

/* OID of a table in the extension's schema, or InvalidOid */
Oid
cel_table_oid(const char *relname)
{
	Oid			nsp = get_namespace_oid(CEL_SCHEMA, true);

	if (!OidIsValid(nsp))
		return InvalidOid;
	return get_relname_relid(relname, nsp);
}

/*
 * A value as shown in an error message: whole up to max bytes, else its
 * first max - 3 bytes (cut at a character boundary) and "...".  palloc'd
 * when abbreviated.
 */
static const char *
shown(const char *value, int max)
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
 * bytes: a 10 MB value must not flood the message and the server log.
 * rel and attnum (0 when there is no table) go to errtablecol().
 */
void
cel_require_name_length(const char *what, const char *value, Relation rel, int attnum)
{
	size_t		len = strlen(value);

	if (len <= CEL_MAX_NAME)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s \"%s\" is too long", what, shown(value, 63)),
			 errdetail("It is %zu bytes long; registered names are at most %d bytes.",
					   len, CEL_MAX_NAME),
			 rel != NULL ? errtablecol(rel, attnum) : 0));
}

/*
 * Error unless a log trigger function fires on cla_eventlog.log.  The row
 * triggers read the row by the log's column numbers and act on timers as
 * the extension's owner: attached to another table they would read its
 * columns as the wrong types (a crash) or stop timers on its owner's
 * behalf.  Only the extension's owner can create a table named "log" in the
 * extension's schema, so schema and name identify it; the schema's OID is
 * cached (one comparison per row).
 */
void
cel_require_log_table(Relation rel, const char *function)
{
	static Oid	schema_oid = InvalidOid;

	if (RelationGetNamespace(rel) != schema_oid)
		schema_oid = get_namespace_oid(CEL_SCHEMA, true);
	if (RelationGetNamespace(rel) != schema_oid ||
		strcmp(RelationGetRelationName(rel), "log") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("trigger function %s() fires only on table %s.log, not on table \"%s\"",
						function, CEL_SCHEMA, RelationGetRelationName(rel)),
				 errtable(rel)));
}

/*
 * The function a signature ("app.pick(bigint,jsonb)") names, or InvalidOid.
 * Its type names are read in pg_catalog only, whatever the caller's
 * search_path: a registry function takes built-in types, and a type of the
 * same name planted in another schema must not change what it means.
 */
static Oid
signature_oid(const char *signature)
{
	OverrideSearchPath *path = GetOverrideSearchPath(CurrentMemoryContext);
	volatile Datum result = (Datum) 0;

	LOCAL_FCINFO(call, 1);

	path->schemas = NIL;
	path->addCatalog = true;
	path->addTemp = false;
	InitFunctionCallInfoData(*call, NULL, 1, InvalidOid, NULL, NULL);
	call->args[0].value = CStringGetTextDatum(signature);
	call->args[0].isnull = false;
	PushOverrideSearchPath(path);
	PG_TRY();
	{
		result = to_regprocedure(call);
	}
	PG_FINALLY();
	{
		PopOverrideSearchPath();
	}
	PG_END_TRY();
	/* to_regprocedure() returns SQL NULL for a function that does not exist */
	return call->isnull ? InvalidOid : DatumGetObjectId(result);
}

/*
 * Resolve a function given by schema-qualified name, optionally with
 * argument types ("app.pick" or "app.pick(bigint,jsonb)"), that must take
 * exactly argtypes and return text.  "what" names the role of the function
 * in error messages.  Returns InvalidOid when missing_ok and it does not
 * exist.
 */
Oid
cel_resolve_function(const char *name, int nargs, Oid *argtypes,
					 const char *what, bool missing_ok)
{
	List	   *names;
	Oid			fn;
	const char *shown_name = shown(name, 200);
	const char *paren = strchr(name, '(');
	char	   *bare = paren ? pnstrdup(name, paren - name) : pstrdup(name);

	names = stringToQualifiedNameList(bare);
	if (list_length(names) < 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s \"%s\" must be a schema-qualified function name",
						what, shown_name),
				 errhint("Write it as schema.function, for example \"app.pick_code\".")));

	if (paren)
	{
		/* a signature was given: it must be exactly the expected one */
		Oid			given = signature_oid(name);

		fn = OidIsValid(given) ? LookupFuncName(names, nargs, argtypes, true) : InvalidOid;
		if (OidIsValid(given) && given != fn)
			ereport(ERROR,
					(errcode(ERRCODE_WRONG_OBJECT_TYPE),
					 errmsg("%s \"%s\" has the wrong signature", what, shown_name),
					 errdetail("It must take (%s) and return text.",
							   nargs == 2 && argtypes[1] == TEXTOID ?
							   "case_id bigint, current text" :
							   "case_id bigint, params jsonb")));
	}
	else
		fn = LookupFuncName(names, nargs, argtypes, true);

	if (!OidIsValid(fn))
	{
		if (missing_ok)
			return InvalidOid;
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("%s \"%s\" does not exist", what, shown_name),
				 errdetail("It must take (%s) and return text.",
						   nargs == 2 && argtypes[1] == TEXTOID ?
						   "case_id bigint, current text" :
						   "case_id bigint, params jsonb"),
				 errhint("Create the function first, or check the schema and argument types.")));
	}
	if (get_func_rettype(fn) != TEXTOID)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("%s \"%s\" must return text", what, shown_name)));
	/* it is called directly, once per row: a plain function, one value */
	if (get_func_prokind(fn) != PROKIND_FUNCTION || get_func_retset(fn))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("%s \"%s\" must be a plain function returning one text value", what, shown_name),
				 errdetail("It is %s.",
						   get_func_retset(fn) ? "a set-returning function" :
						   get_func_prokind(fn) == PROKIND_AGGREGATE ? "an aggregate" :
						   get_func_prokind(fn) == PROKIND_WINDOW ? "a window function" :
						   "a procedure")));
	return fn;
}

PG_FUNCTION_INFO_V1(cel_check_function);

/*
 * _check_function(name text, kind text) RETURNS void: registration-time
 * check of a function named in the registry.  kind is 'code_resolver'
 * (case_id bigint, params jsonb) or 'set_requires_action_by' (case_id
 * bigint, current text); errors exactly as the use-time lookup would.
 */
Datum
cel_check_function(PG_FUNCTION_ARGS)
{
	char	   *name;
	char	   *kind;
	Oid			argtypes[2] = {INT8OID, JSONBOID};

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("function name must not be null")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	kind = text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (strcmp(kind, "set_requires_action_by") == 0)
		argtypes[1] = TEXTOID;
	else if (strcmp(kind, "code_resolver") != 0)
		elog(ERROR, "cla_eventlog: unknown function kind \"%s\"", kind);
	(void) cel_resolve_function(name, 2, argtypes, kind, false);
	PG_RETURN_VOID();
}

/*
 * The extension's own relations and their owner, looked up once per
 * backend and forgotten on any relcache invalidation of the log or timer
 * table (DROP EXTENSION, ALTER ... OWNER) or a cache reset.
 */
static CelRels rels;

static void
rels_relcache_callback(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == rels.log || relid == rels.timer)
		rels.valid = false;
}

/* Register the invalidation callback; called once from _PG_init */
void
cel_spi_init(void)
{
	CacheRegisterRelcacheCallback(rels_relcache_callback, (Datum) 0);
}

const CelRels *
cel_rels(void)
{
	HeapTuple	tp;

	if (rels.valid)
		return &rels;
	rels.log = cel_table_oid("log");
	rels.timer = cel_table_oid("timer");
	rels.timer_running_idx = cel_table_oid("timer_one_running_per_user");
	rels.log_high_outcome_idx = cel_table_oid("log_case_high_outcome");
	rels.log_case_idx = cel_table_oid("log_case");
	rels.log_timer_idx = cel_table_oid("log_timer");
	rels.timer_pkey = cel_table_oid("timer_pkey");
	rels.timer_billable_idx = cel_table_oid("timer_billable_by_case");
	if (!OidIsValid(rels.log) || !OidIsValid(rels.timer) ||
		!OidIsValid(rels.timer_running_idx) || !OidIsValid(rels.log_high_outcome_idx) ||
		!OidIsValid(rels.log_case_idx) || !OidIsValid(rels.log_timer_idx) ||
		!OidIsValid(rels.timer_pkey) || !OidIsValid(rels.timer_billable_idx))
		elog(ERROR, "cla_eventlog: the extension's tables are missing");
	tp = SearchSysCache1(RELOID, ObjectIdGetDatum(rels.log));
	if (!HeapTupleIsValid(tp))
		elog(ERROR, "cla_eventlog: cache lookup failed for relation %u", rels.log);
	rels.owner = ((Form_pg_class) GETSTRUCT(tp))->relowner;
	ReleaseSysCache(tp);
	rels.valid = true;
	return &rels;
}

/*
 * The role that owns the extension's tables (the owner of cla_eventlog.log).
 * The triggers and timer functions read and write the extension's own
 * tables as this role, as PostgreSQL's foreign-key triggers do, so that an
 * application role needs no privileges on them beyond INSERT on the log.
 * The application's case table and its functions are always used as the
 * calling user.
 */
Oid
cel_owner(void)
{
	return cel_rels()->owner;
}

/*
 * Become the extension's owner until cel_restore_user().  An error in
 * between needs no cleanup: (sub)transaction abort restores the user.
 */
void
cel_become_owner(CelUserContext *saved)
{
	GetUserIdAndSecContext(&saved->userid, &saved->sec_context);
	saved->guc_nestlevel = 0;
	SetUserIdAndSecContext(cel_owner(),
						   saved->sec_context | SECURITY_LOCAL_USERID_CHANGE);
}

/*
 * Become the owner of an application's table, as a security-restricted
 * operation, until cel_restore_user(): what PostgreSQL does before it runs
 * code of a table's owner for maintenance (ANALYZE, REFRESH MATERIALIZED
 * VIEW, index builds).  Whatever the table's owner attached to it (index
 * expressions and predicates, CHECK constraints, triggers, statistics
 * expressions) then runs with its owner's rights, never with the caller's
 * or the extension owner's; it cannot SET ROLE or create temporary objects,
 * and the settings it changes are undone on return.  An error in between
 * needs no cleanup: (sub)transaction abort restores user and settings.
 */
void
cel_become_table_owner(Oid owner, CelUserContext *saved)
{
	GetUserIdAndSecContext(&saved->userid, &saved->sec_context);
	SetUserIdAndSecContext(owner, saved->sec_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	saved->guc_nestlevel = NewGUCNestLevel();
}

/* Back to the user of before cel_become_owner()/cel_become_table_owner() */
void
cel_restore_user(const CelUserContext *saved)
{
	if (saved->guc_nestlevel > 0)
		AtEOXact_GUC(false, saved->guc_nestlevel);
	SetUserIdAndSecContext(saved->userid, saved->sec_context);
}

/* cel_exec() as the extension's owner: for the extension's own tables */
int
cel_exec_as_owner(SPIPlanPtr plan, Datum *values, const char *nulls,
				  bool read_only, long tcount, int expected)
{
	CelUserContext saved;
	int			processed;

	cel_become_owner(&saved);
	processed = cel_exec(plan, values, nulls, read_only, tcount, expected);
	cel_restore_user(&saved);
	return processed;
}
