/*-------------------------------------------------------------------------
 *
 * functions.c
 *	  Functions the registry names: a code resolver (case_id bigint, params
 *	  jsonb) and a set_requires_action_by function (case_id bigint, current
 *	  text), both returning text (README "Registry", "Side effects (trigger
 *	  log_apply)").  Resolving such a name, checking it at registration, and
 *	  calling it.
 *
 * Rules:
 *	- A name is schema-qualified, optionally with its argument types; the
 *	  types are read in pg_catalog only, so a type planted in another schema
 *	  cannot change what a signature means.  The function must be a plain
 *	  function returning one text value.
 *	- Registration (_check_function) and use (cel_resolve_function) give the
 *	  same errors, so a name that registers is a name that works.
 *	- It is called as the calling user, with the STRICT rule of SQL: a NULL
 *	  argument to a STRICT function gives NULL without a call.  Its errors
 *	  reach the caller unchanged.
 *
 *-------------------------------------------------------------------------
 */
#include "cla_eventlog.h"

#include "catalog/namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "parser/parse_func.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"

PG_FUNCTION_INFO_V1(cel_check_function);

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

/* errdetail() of the signature a registry function must have */
static int
errdetail_signature(int nargs, const Oid *argtypes)
{
	return errdetail("It must take (%s) and return text.",
					 nargs == 2 && argtypes[1] == TEXTOID ?
					 "case_id bigint, current text" : "case_id bigint, params jsonb");
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
	const char *shown_name = cel_shown(name, 200);
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
					 errdetail_signature(nargs, argtypes)));
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
				 errdetail_signature(nargs, argtypes),
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

/*
 * Call a registry function fn(case_id, arg) that returns text, as the
 * calling user; its result as a C string (palloc'd in the caller's
 * context), or NULL for SQL NULL.  A STRICT function is not called with a
 * NULL arg: its result is NULL, as in SQL.
 */
char *
cel_call_text_function(Oid fn, int64 case_id, Datum arg, bool arg_null)
{
	FmgrInfo	flinfo;
	Datum		result = (Datum) 0;

	LOCAL_FCINFO(callinfo, 2);

	fmgr_info(fn, &flinfo);
	InitFunctionCallInfoData(*callinfo, &flinfo, 2, InvalidOid, NULL, NULL);
	callinfo->args[0].value = Int64GetDatum(case_id);
	callinfo->args[0].isnull = false;
	callinfo->args[1].value = arg_null ? (Datum) 0 : arg;
	callinfo->args[1].isnull = arg_null;
	if (flinfo.fn_strict && arg_null)
		return NULL;
	result = FunctionCallInvoke(callinfo);
	return callinfo->isnull ? NULL : TextDatumGetCString(result);
}

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

	cel_require_arg("function name", PG_ARGISNULL(0) || PG_ARGISNULL(1));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	kind = text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (strcmp(kind, "set_requires_action_by") == 0)
		argtypes[1] = TEXTOID;
	else if (strcmp(kind, "code_resolver") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown function kind \"%s\"", cel_shown(kind, 63)),
				 errhint("The kind is \"code_resolver\" or \"set_requires_action_by\".")));
	(void) cel_resolve_function(name, 2, argtypes, kind, false);
	PG_RETURN_VOID();
}
