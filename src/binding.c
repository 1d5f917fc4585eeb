/*-------------------------------------------------------------------------
 *
 * binding.c
 *	  The application's case table, as bound by bind_case_table() (README "Case binding"):
 *	  a backend-local cache of the binding and the saved plans that read,
 *	  lock and update case rows.
 *
 * Design rules:
 *	- What a column means is its case-column role: the enum CelCaseRole
 *	  (cla_eventlog.h), named here (cel_case_role_names, the keys of
 *	  bind_case_table()'s column map).  The binding maps each role to its
 *	  column once per load; per row, a role is looked up by the enum.
 *	- Every write to the case goes through one UPDATE per change shape
 *	  (cel_case_apply), built once per binding from the bound column names.
 *	  A HIGH outcome's condition "newer than the case's outcome" is in its
 *	  WHERE clause, evaluated against the newest row version: under READ
 *	  COMMITTED a blocked UPDATE re-evaluates it on the row the other
 *	  transaction committed, which is what keeps "the case shows its
 *	  highest-id HIGH outcome" true whatever the commit order.
 *	- The case table is the application's, so the extension never touches
 *	  it with more rights than its owner has: every read and write of it
 *	  (the saved plans here, and the SQL-callable readers and writers that
 *	  MI, status, verify() and repair_cases() use) runs as the table's
 *	  owner in a security-restricted operation (cel_become_table_owner),
 *	  after checking that the calling role itself holds the privilege the
 *	  statement needs.  Whatever the owner attached to the table (index
 *	  expressions, CHECK constraints, triggers, ...) therefore runs as the
 *	  owner, whichever role logged the event or read the report.  The index
 *	  probes (probe.c) run no code of the table's.  Rules on the table are
 *	  refused: they would turn the extension's UPDATE into other commands.
 *	- The binding is identified by the stored schema and table name.  The
 *	  cache resolves the name to an OID when it loads, and reloads on any
 *	  relcache invalidation of that OID (the table renamed, dropped,
 *	  altered, re-owned, granted, analysed) or of the binding, so the
 *	  probes (by OID) and the plans (by name) always mean the same table.
 *	  cel_binding_require() locks the table before it trusts the cache:
 *	  taking the lock processes pending invalidations.
 *	- The cache is loaded under the latest snapshot.  A reload never frees
 *	  what an outer call may still be using (a trigger on the case table can
 *	  log an event while the extension's UPDATE of that table runs): the
 *	  replaced plans and memory go to a graveyard freed at transaction end.
 *
 *-------------------------------------------------------------------------
 */
#include "cla_eventlog.h"

#include <ctype.h>

#include "access/genam.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/transam.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_index.h"
#include "catalog/pg_type.h"
#include "access/htup_details.h"
#include "access/xact.h"
#include "funcapi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/varlena.h"

PG_FUNCTION_INFO_V1(cel_case_rows);
PG_FUNCTION_INFO_V1(cel_case_read_problem);
PG_FUNCTION_INFO_V1(cel_bound_case);
PG_FUNCTION_INFO_V1(cel_case_lock);
PG_FUNCTION_INFO_V1(cel_case_write);
PG_FUNCTION_INFO_V1(cel_case_table_check);

/* The case-column roles' names (CelCaseRole order): bind_case_table()'s keys */
const char *const cel_case_role_names[N_ROLES] = {
	"id", "outcome_code", "outcome_code_id", "level", "requires_action_by",
	"billable_time", "modified", "source", "created", "provider_viewed",
	"provider_accepted", "provider_closed", "provider_assigned_at"
};

typedef struct Binding
{
	bool		bound;
	Oid			case_relid;		/* InvalidOid: no table of that name */
	Oid			case_owner;
	bool		has_rules;
	bool		row_security;
	char	   *qualified;		/* quoted schema.table */
	char	   *names[N_ROLES];	/* column name, NULL = role off */
	char	   *columns[N_ROLES];	/* the same, quoted */
	char	   *empty[N_ROLES];	/* a NOT NULL outcome column's "no value":
								 * its constant default (SQL), else NULL */
	Oid			granted_user;	/* the last role found to hold ... */
	AclMode		granted_mode;	/* ... these privileges on the table */
	SPIPlanPtr	exists_plan;
	SPIPlanPtr	lock_plan;
	SPIPlanPtr	rab_plan;
	SPIPlanPtr	row_plan;		/* bound_case() */
	SPIPlanPtr *update_plans;	/* by change shape (change_shape()) */
	CelProbe	id_probe;		/* the unique index on the id column;
								 * index InvalidOid when there is none */
	bool		id_index_checked;
} Binding;

/*
 * A change's shape says which columns its UPDATE writes and how: bit 0 the
 * row is a HIGH outcome, bits 1-2 the requires-action-by mode, bit 3 the
 * billable time, then two bits per stamp role.  Each shape gets its own
 * saved plan that writes only those columns, so a log row pays only for
 * the expressions it needs.
 */
#define SHAPE_OUTCOME	1
#define SHAPE_BILLABLE	8
#define N_SHAPES	(1 << (4 + 2 * CEL_N_STAMPS))
#define N_PARAMS	7			/* parameters of every UPDATE plan */

static MemoryContext BindingContext = NULL;
static MemoryContext BindingGraveyard = NULL;	/* replaced bindings */
static List *graveyard_plans = NIL; /* their plans, in BindingGraveyard */
static Binding binding;
static bool binding_valid = false;
static Oid	binding_relid = InvalidOid;

/*
 * Relcache callback: a change of the binding or of the bound table itself
 * (renamed, dropped, altered, re-owned, granted; also every VACUUM and
 * ANALYZE of it, which is cheap to follow) reloads the binding.
 */
static void
binding_relcache_callback(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == binding_relid ||
		(binding.bound && relid == binding.case_relid))
		binding_valid = false;
}

/* Role membership or attributes changed: check privileges again */
static void
binding_role_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	binding.granted_user = InvalidOid;
}

/* Transaction end: free the bindings replaced during the transaction */
static void
binding_xact_callback(XactEvent event, void *arg)
{
	ListCell   *lc;

	if (BindingGraveyard == NULL ||
		!(event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT ||
		  event == XACT_EVENT_PARALLEL_COMMIT || event == XACT_EVENT_PARALLEL_ABORT))
		return;
	foreach(lc, graveyard_plans)
		SPI_freeplan((SPIPlanPtr) lfirst(lc));
	graveyard_plans = NIL;
	MemoryContextReset(BindingGraveyard);
}

/* Register the invalidation callbacks; called once from _PG_init */
void
cel_binding_init(void)
{
	memset(&binding, 0, sizeof(binding));
	CacheRegisterRelcacheCallback(binding_relcache_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHMEMROLEMEM, binding_role_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHOID, binding_role_callback, (Datum) 0);
	RegisterXactCallback(binding_xact_callback, NULL);
}

/*
 * Put the previous binding's plans and memory in the graveyard (an outer
 * call may be executing one of its plans) and start an empty binding.
 */
static void
binding_reset(void)
{
	SPIPlanPtr	plans[4] = {binding.exists_plan, binding.lock_plan, binding.rab_plan,
	binding.row_plan};
	MemoryContext old;

	if (BindingGraveyard == NULL)
		BindingGraveyard = AllocSetContextCreate(CacheMemoryContext,
												 "cla_eventlog replaced bindings",
												 ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(BindingGraveyard);
	for (size_t i = 0; i < lengthof(plans); i++)
	{
		if (plans[i] != NULL)
			graveyard_plans = lappend(graveyard_plans, plans[i]);
	}
	for (int i = 0; binding.update_plans != NULL && i < N_SHAPES; i++)
	{
		if (binding.update_plans[i] != NULL)
			graveyard_plans = lappend(graveyard_plans, binding.update_plans[i]);
	}
	MemoryContextSwitchTo(old);
	if (BindingContext != NULL)
		MemoryContextSetParent(BindingContext, BindingGraveyard);
	memset(&binding, 0, sizeof(binding));
	BindingContext = AllocSetContextCreate(CacheMemoryContext,
										   "cla_eventlog case binding",
										   ALLOCSET_SMALL_SIZES);
}

/* The bound table's owner and whether it has rules (syscache) */
static void
binding_read_class(void)
{
	HeapTuple	tp = SearchSysCache1(RELOID, ObjectIdGetDatum(binding.case_relid));

	if (!HeapTupleIsValid(tp))
	{
		binding.case_relid = InvalidOid;	/* dropped meanwhile */
		return;
	}
	binding.case_owner = ((Form_pg_class) GETSTRUCT(tp))->relowner;
	binding.has_rules = ((Form_pg_class) GETSTRUCT(tp))->relhasrules;
	binding.row_security = ((Form_pg_class) GETSTRUCT(tp))->relrowsecurity;
	ReleaseSysCache(tp);
}

/*
 * Is "expr" (a deparsed default) a plain constant: a number, or a quoted
 * literal with an optional cast to a type named by letters and spaces?
 * Only such a default is taken for "no outcome" (it is written into SQL).
 */
static bool
is_constant_sql(const char *expr)
{
	const char *p = expr;

	if (*p == '-')
		p++;
	if (isdigit((unsigned char) *p))
	{
		while (isdigit((unsigned char) *p))
			p++;
		return *p == '\0';
	}
	if (*p++ != '\'')
		return false;
	for (;; p++)
	{
		if (*p == '\0')
			return false;
		if (*p == '\'' && p[1] == '\'')
			p++;
		else if (*p == '\'')
			break;
	}
	p++;
	if (*p == '\0')
		return true;
	if (p[0] != ':' || p[1] != ':')
		return false;
	for (p += 2; *p != '\0'; p++)
	{
		if (!isalpha((unsigned char) *p) && *p != ' ')
			return false;
	}
	return true;
}

/*
 * What "no outcome" is in each bound outcome column (outcome_code,
 * outcome_code_id, level): NULL where the column allows it, else the
 * column's default when that is a constant, else '' for a NOT NULL
 * outcome_code (Django's CharField(blank=True) is varchar NOT NULL, its
 * default '' kept in Python, not in the table).  Catalog reads only: the
 * default's text is deparsed, not evaluated.
 */
static void
binding_read_empty(void)
{
	static const CelCaseRole outcome_roles[] = {ROLE_OUTCOME_CODE, ROLE_OUTCOME_CODE_ID, ROLE_LEVEL};
	Oid			argtypes[1] = {OIDOID};
	Datum		values[1] = {ObjectIdGetDatum(binding.case_relid)};
	MemoryContext spicxt;

	cel_spi_connect();
	spicxt = CurrentMemoryContext;
	if (SPI_execute_with_args("SELECT a.attname::pg_catalog.text, pg_catalog.pg_get_expr(d.adbin, d.adrelid)"
							  "  FROM pg_catalog.pg_attribute a"
							  "  LEFT JOIN pg_catalog.pg_attrdef d"
							  "    ON d.adrelid OPERATOR(pg_catalog.=) a.attrelid"
							  "   AND d.adnum OPERATOR(pg_catalog.=) a.attnum"
							  " WHERE a.attrelid OPERATOR(pg_catalog.=) $1 AND a.attnotnull"
							  "   AND NOT a.attisdropped",
							  1, argtypes, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the case table's defaults");
	MemoryContextSwitchTo(BindingContext);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		char	   *name = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
		char	   *expr = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);

		for (size_t r = 0; r < lengthof(outcome_roles); r++)
		{
			CelCaseRole	role = outcome_roles[r];

			if (binding.names[role] == NULL || strcmp(binding.names[role], name) != 0)
				continue;
			if (expr != NULL && is_constant_sql(expr))
				binding.empty[role] = pstrdup(expr);
			else if (role == ROLE_OUTCOME_CODE)
				binding.empty[role] = pstrdup("''");	/* Django keeps defaults in Python */
		}
	}
	MemoryContextSwitchTo(spicxt);
	SPI_finish();
}

/* Read the binding row under the latest snapshot */
static void
binding_load(void)
{
	MemoryContext spicxt;
	uint64		n;

	binding_reset();
	binding_valid = true;
	binding_relid = cel_table_oid("case_binding");

	cel_spi_connect();
	spicxt = CurrentMemoryContext;
	n = cel_read_as_owner("SELECT case_schema, case_table, r.key, r.value"
						  "  FROM cla_eventlog.case_binding b,"
						  "       pg_catalog.jsonb_each_text(b.columns) r",
						  NULL, "the case binding");

	MemoryContextSwitchTo(BindingContext);
	for (uint64 i = 0; i < n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		char	   *role = SPI_getvalue(tup, SPI_tuptable->tupdesc, 3);
		char	   *column = SPI_getvalue(tup, SPI_tuptable->tupdesc, 4);

		if (i == 0)
		{
			char	   *nsp = SPI_getvalue(tup, SPI_tuptable->tupdesc, 1);
			char	   *rel = SPI_getvalue(tup, SPI_tuptable->tupdesc, 2);
			Oid			nspid = get_namespace_oid(nsp, true);

			binding.bound = true;
			binding.qualified = quote_qualified_identifier(nsp, rel);
			binding.case_relid = OidIsValid(nspid) ? get_relname_relid(rel, nspid) : InvalidOid;
		}
		for (int r = 0; r < N_ROLES; r++)
		{
			if (column != NULL && strcmp(role, cel_case_role_names[r]) == 0)
			{
				binding.names[r] = pstrdup(column);
				binding.columns[r] = pstrdup(quote_identifier(column));
			}
		}
	}
	MemoryContextSwitchTo(spicxt);
	SPI_finish();
	if (OidIsValid(binding.case_relid))
		binding_read_class();
	if (OidIsValid(binding.case_relid))
		binding_read_empty();
}

/*
 * A reason the bound case table may not be read or written for the
 * current user: the error that cel_case_rows() and its siblings raise, and
 * the red row that status() shows without raising it (through
 * cel_case_read_problem(): the probe opens no subtransaction to catch
 * errors, README "Reports on a standby").  One set of checks for both.
 */
typedef struct CaseProblem
{
	int			sqlstate;
	char	   *message;
	char	   *detail;			/* or NULL */
	char	   *hint;			/* or NULL */
} CaseProblem;

/* Fill *p and return true: for "if (x && problem(p, ...)) return true;" */
static bool
problem(CaseProblem *p, int sqlstate, char *message, char *detail, char *hint)
{
	p->sqlstate = sqlstate;
	p->message = message;
	p->detail = detail;
	p->hint = hint;
	return true;
}

static void
raise_problem(const CaseProblem *p)
{
	ereport(ERROR,
			(errcode(p->sqlstate),
			 errmsg_internal("%s", p->message),
			 p->detail ? errdetail_internal("%s", p->detail) : 0,
			 p->hint ? errhint("%s", p->hint) : 0));
	pg_unreachable();
}

/*
 * Make sure the binding cache is current and the bound table locked
 * (AccessShareLock, to the end of the transaction); false, with *p, if
 * nothing is bound or the table does not exist.  The first lock of the
 * transaction processes pending invalidations, which may reload the
 * binding: then the newly bound table is locked in turn.  A missing table
 * is looked up again at every call, so a table created under the bound name
 * is found.
 */
static bool
binding_problem(CaseProblem *p)
{
	bool		retried = false;

	for (;;)
	{
		if (!binding_valid || (binding.bound && !OidIsValid(binding.case_relid) && !retried))
		{
			binding_load();
			retried = true;
		}
		if (!binding.bound || binding.columns[ROLE_ID] == NULL)
			return problem(p, ERRCODE_UNDEFINED_TABLE,
						   pstrdup("no case table is bound to cla_eventlog"),
						   pstrdup("Log rows refer to cases, and the extension does not know the application's case table yet."),
						   pstrdup("Call cla_eventlog.bind_case_table('app.case_table') once, as the extension's administrator."));
		if (!OidIsValid(binding.case_relid))
			return problem(p, ERRCODE_UNDEFINED_TABLE,
						   psprintf("bound case table %s does not exist", binding.qualified),
						   pstrdup("It was dropped or renamed after it was bound."),
						   pstrdup("Create it again under that name, or bind another table with cla_eventlog.bind_case_table()."));
		if (!cel_lock_relation(binding.case_relid, AccessShareLock) || binding_valid)
			return false;
	}
}

/* binding_problem(), raised */
void
cel_binding_require(void)
{
	CaseProblem p;

	if (binding_problem(&p))
		raise_problem(&p);
}

/*
 * False unless the current user holds "mode" on the bound table (then *p):
 * the extension reads and writes it as its owner (see the header), on
 * behalf of a role that must be allowed to do so itself.  Table-level
 * privileges, and not for a role whose access row-level security would
 * restrict (the owner's reads are not restricted).  The last role found to
 * pass is remembered until the table or a role changes.
 */
static bool
privilege_problem(AclMode mode, CaseProblem *p)
{
	Oid			user = GetUserId();
	const char *what = mode == ACL_SELECT ? "SELECT" : "SELECT and UPDATE";

	if (user == binding.granted_user && (binding.granted_mode & mode) == mode)
		return false;
	if (pg_class_aclmask(binding.case_relid, user, mode, ACLMASK_ALL) != mode)
		return problem(p, ERRCODE_INSUFFICIENT_PRIVILEGE,
					   psprintf("permission denied for table %s", binding.qualified),
					   psprintf("Role %s needs %s on the bound case table.",
								GetUserNameFromId(user, false), what),
					   psprintf("GRANT %s ON %s TO the role.",
								mode == ACL_SELECT ? "SELECT" : "SELECT, UPDATE", binding.qualified));
	if (binding.row_security &&
		check_enable_rls(binding.case_relid, InvalidOid, true) == RLS_ENABLED)
		return problem(p, ERRCODE_INSUFFICIENT_PRIVILEGE,
					   psprintf("row-level security of bound case table %s applies to role %s",
								binding.qualified, GetUserNameFromId(user, false)),
					   pstrdup("The extension reads and writes the case table as its owner, which would bypass the policies."),
					   pstrdup("Disable row-level security on the case table, or use a role that bypasses it."));
	if (user != binding.granted_user)
		binding.granted_mode = 0;
	binding.granted_user = user;
	binding.granted_mode |= mode;
	return false;
}

/* privilege_problem(), raised */
static void
require_case_privilege(AclMode mode)
{
	CaseProblem p;

	if (privilege_problem(mode, &p))
		raise_problem(&p);
}

/* Error if the bound table has rules (they would rewrite our UPDATE) */
static void
require_no_rules(void)
{
	if (binding.has_rules)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("bound case table %s has rules", binding.qualified),
				 errdetail("The extension updates the case row of a log row with one UPDATE, which a rule would rewrite into other commands."),
				 errhint("Drop the rules (DROP RULE), or use a trigger instead.")));
}

/*
 * False unless column "column" of table "relid" (shown as "qualified")
 * exists and has a built-in type (then *p).
 */
static bool
column_problem(Oid relid, const char *qualified, const char *column, CaseProblem *p)
{
	AttrNumber	attnum = get_attnum(relid, column);
	Oid			type;

	if (attnum == InvalidAttrNumber)
		return problem(p, ERRCODE_UNDEFINED_COLUMN,
					   psprintf("column \"%s\" of bound case table %s does not exist",
								column, qualified),
					   NULL,
					   pstrdup("Bind the case table again with cla_eventlog.bind_case_table()."));
	type = get_atttype(relid, attnum);
	if (type >= FirstNormalObjectId)
		return problem(p, ERRCODE_DATATYPE_MISMATCH,
					   psprintf("column \"%s\" of bound case table %s has the user-defined type %s",
								column, qualified, format_type_be(type)),
					   pstrdup("The extension reads the case table's columns as built-in types."),
					   pstrdup("Give the column a built-in type, then bind the case table again with cla_eventlog.bind_case_table()."));
	return false;
}

/*
 * False unless every bound column still exists with a built-in type (then
 * *p): MI and status read the values as text, numbers and times.
 */
static bool
columns_problem(CaseProblem *p)
{
	for (int r = 0; r < N_ROLES; r++)
	{
		if (binding.names[r] != NULL &&
			column_problem(binding.case_relid, binding.qualified, binding.names[r], p))
			return true;
	}
	return false;
}

/*
 * What cel_case_rows() checks before it reads the case table: the binding,
 * the current user's SELECT and the columns' types.
 */
static bool
case_rows_problem(CaseProblem *p)
{
	return binding_problem(p) || privilege_problem(ACL_SELECT, p) || columns_problem(p);
}

/*
 * _case_read_problem() RETURNS text: the message of the error that
 * _case_rows() would raise for the current user, NULL when it would read
 * the case table.  For the status probe, which reports the problem as a
 * red row instead of catching the error.
 */
Datum
cel_case_read_problem(PG_FUNCTION_ARGS)
{
	CaseProblem p;

	if (case_rows_problem(&p))
		PG_RETURN_TEXT_P(cstring_to_text(p.message));
	PG_RETURN_NULL();
}

/* Is the case-column role bound to a column? */
bool
cel_case_has_role(CelCaseRole role)
{
	cel_binding_require();
	return binding.columns[role] != NULL;
}

/* SET item "col = <fmt>" for a bound role (nothing when it is not bound) */
static void
append_set(StringInfo buf, CelCaseRole role, const char *fmt,...)
pg_attribute_printf(3, 4);

static void
append_set(StringInfo buf, CelCaseRole role, const char *fmt,...)
{
	va_list		args;

	if (binding.columns[role] == NULL)
		return;
	appendStringInfo(buf, "%s%s = ", buf->len ? ", " : "", binding.columns[role]);
	for (;;)
	{
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(buf, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(buf, needed);
	}
}

/* The shape of a change (see N_SHAPES) */
static int
change_shape(const CelCaseChange *change)
{
	int			shape = (change->outcome_log_id != 0 ? SHAPE_OUTCOME : 0) |
		((int) change->rab_mode << 1) |
		(change->set_billable ? SHAPE_BILLABLE : 0);

	for (int s = 0; s < CEL_N_STAMPS; s++)
		shape |= (int) change->stamps[s] << (4 + 2 * s);
	return shape;
}

/*
 * Does the shape's UPDATE write only when its HIGH outcome is newer than
 * the case's (a bound outcome-code-id column to compare with)?
 */
static bool
outcome_is_conditional(int shape)
{
	return (shape & SHAPE_OUTCOME) != 0 && binding.columns[ROLE_OUTCOME_CODE_ID] != NULL;
}

/*
 * Build the UPDATE of one change shape.  Parameters (the same for every
 * shape; a shape uses some): $1 case id, $2 log id of a HIGH outcome, $3
 * code, $4 level, $5 requires-action-by value, $6 clear-if list, $7 billable
 * seconds.  Everything else a shape needs is in its SQL text.
 *
 * A HIGH outcome writes only if it is newer than the outcome the case
 * shows, and so do its requires-action-by and stamps: the condition is in
 * the WHERE clause, evaluated on the newest row version (under READ
 * COMMITTED a blocked UPDATE re-evaluates it on the row it waited for).
 * When it fails, cel_case_apply() writes what does not depend on it
 * (billable time, modified) with the plan of the outcome-less shape.  A
 * condition in the WHERE clause rather than one CASE per column keeps the
 * plan's projection plain parameters, built anew at every execution.
 */
static SPIPlanPtr
prepare_update(int shape)
{
	StringInfoData set;
	StringInfoData sql;
	bool		outcome = (shape & SHAPE_OUTCOME) != 0;
	CelRabMode	rab = (CelRabMode) ((shape >> 1) & 3);
	const char *rabcol = binding.columns[ROLE_REQUIRES_ACTION_BY];
	const char *ocid = binding.columns[ROLE_OUTCOME_CODE_ID];
	Oid			types[N_PARAMS] = {INT8OID, INT8OID, TEXTOID, INT4OID, TEXTOID,
	TEXTARRAYOID, INT8OID};

	initStringInfo(&set);
	if (outcome)
	{
		append_set(&set, ROLE_OUTCOME_CODE, "$3");
		append_set(&set, ROLE_LEVEL, "$4");
		append_set(&set, ROLE_OUTCOME_CODE_ID, "$2");
	}
	if (rab == CEL_RAB_SET)
		append_set(&set, ROLE_REQUIRES_ACTION_BY, "$5");
	else if (rab == CEL_RAB_CLEAR_IF)
		append_set(&set, ROLE_REQUIRES_ACTION_BY,
				   "CASE WHEN %s::pg_catalog.text OPERATOR(pg_catalog.=) ANY ($6)"
				   " THEN NULL ELSE %s END", rabcol, rabcol);
	if (shape & SHAPE_BILLABLE)
		append_set(&set, ROLE_BILLABLE_TIME, "$7");
	for (int s = 0; s < CEL_N_STAMPS; s++)
	{
		CelStampMode mode = (CelStampMode) ((shape >> (4 + 2 * s)) & 3);
		const char *col = binding.columns[ROLE_FIRST_STAMP + s];

		if (mode == CEL_STAMP_KEEP || col == NULL)
			continue;
		if (mode == CEL_STAMP_NOW)
			append_set(&set, ROLE_FIRST_STAMP + s, "pg_catalog.now()");
		else if (mode == CEL_STAMP_NULL)
			append_set(&set, ROLE_FIRST_STAMP + s, "NULL");
		else
			append_set(&set, ROLE_FIRST_STAMP + s, "COALESCE(%s, pg_catalog.now())", col);
	}
	append_set(&set, ROLE_MODIFIED, "pg_catalog.now()");

	initStringInfo(&sql);
	if (set.len == 0)			/* nothing bound to write: just find it */
		appendStringInfo(&sql, "SELECT 1 FROM %s WHERE %s OPERATOR(pg_catalog.=) $1",
						 binding.qualified, binding.columns[ROLE_ID]);
	else
		appendStringInfo(&sql, "UPDATE %s SET %s WHERE %s OPERATOR(pg_catalog.=) $1",
						 binding.qualified, set.data, binding.columns[ROLE_ID]);
	if (outcome_is_conditional(shape))
		appendStringInfo(&sql, " AND (%s IS NULL OR %s OPERATOR(pg_catalog.<) $2)",
						 ocid, ocid);
	return cel_prepare(sql.data, N_PARAMS, types);
}

/* A saved "SELECT <what> FROM case WHERE id = $1 <suffix>" */
static SPIPlanPtr
prepare_select(const char *what, const char *suffix)
{
	Oid			types[1] = {INT8OID};
	char	   *sql = psprintf("SELECT %s FROM %s WHERE %s OPERATOR(pg_catalog.=) $1 %s",
							   what, binding.qualified, binding.columns[ROLE_ID], suffix);

	return cel_prepare(sql, 1, types);
}

/*
 * Find a valid, unique, non-partial one-column btree index on the case
 * table's id column and its "= int8" procedure, for probes.  Leaves
 * id_index invalid when there is none (then existence checks use SQL).
 * Reads the catalog only: a predicate is recognised without being loaded
 * (loading one folds its expressions, which may call the owner's code).
 */
static void
find_id_index(void)
{
	Relation	rel = table_open(binding.case_relid, AccessShareLock);
	TupleDesc	desc = RelationGetDescr(rel);
	List	   *indexes = RelationGetIndexList(rel);
	AttrNumber	idattno = InvalidAttrNumber;
	ListCell   *lc;

	binding.id_probe.index = InvalidOid;
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (!att->attisdropped &&
			strcmp(quote_identifier(NameStr(att->attname)), binding.columns[ROLE_ID]) == 0)
			idattno = att->attnum;
	}
	foreach(lc, indexes)
	{
		Relation	index = index_open(lfirst_oid(lc), AccessShareLock);
		Form_pg_index ind = index->rd_index;

		if (idattno != InvalidAttrNumber && ind->indisunique && ind->indisvalid &&
			ind->indnkeyatts == 1 && ind->indkey.values[0] == idattno &&
			index->rd_rel->relam == BTREE_AM_OID &&
			heap_attisnull(index->rd_indextuple, Anum_pg_index_indpred, NULL))
		{
			Oid			op = get_opfamily_member(index->rd_opfamily[0],
												 TupleDescAttr(desc, idattno - 1)->atttypid,
												 INT8OID, BTEqualStrategyNumber);

			if (OidIsValid(op))
			{
				binding.id_probe.heap = binding.case_relid;
				binding.id_probe.index = RelationGetRelid(index);
				binding.id_probe.eq_proc = get_opcode(op);
				binding.id_probe.subtype = INT8OID;
				binding.id_probe.collation = index->rd_indcollation[0];
			}
		}
		index_close(index, AccessShareLock);
		if (OidIsValid(binding.id_probe.index))
			break;
	}
	list_free(indexes);
	table_close(rel, AccessShareLock);
	binding.id_index_checked = true;
}

/*
 * Does the case exist?  With lock, the row is locked FOR NO KEY UPDATE until
 * the end of the transaction: that serialises every writer of one case's
 * outcome, requires-action-by and billable time.  Both go through an index
 * probe when the id column has a unique index, else through SQL.
 */
bool
cel_case_exists(int64 case_id, bool lock)
{
	Datum		values[1] = {Int64GetDatum(case_id)};
	SPIPlanPtr *plan;
	bool		found;
	CelUserContext saved;

	cel_binding_require();
	if (!binding.id_index_checked)
		find_id_index();
	if (OidIsValid(binding.id_probe.index))
		return lock ? cel_probe_lock(&binding.id_probe, Int64GetDatum(case_id)) :
			cel_probe(&binding.id_probe, Int64GetDatum(case_id), ForwardScanDirection,
					  NULL, NULL, 0, NULL);
	/* no usable index: SQL as the table's owner, in an SPI connection */
	require_case_privilege(lock ? ACL_SELECT | ACL_UPDATE : ACL_SELECT);
	cel_spi_connect();
	cel_become_table_owner(binding.case_owner, &saved);
	plan = lock ? &binding.lock_plan : &binding.exists_plan;
	if (*plan == NULL)
		*plan = prepare_select("1", lock ? "FOR NO KEY UPDATE" : "");
	found = cel_exec(*plan, values, NULL, !lock, 1, SPI_OK_SELECT) > 0;
	cel_restore_user(&saved);
	SPI_finish();
	return found;
}

/*
 * The error of a log row for a missing case: a foreign-key violation, naming
 * the log's case_id column when log_rel is given.
 */
void
cel_case_missing(int64 case_id, Relation log_rel)
{
	ereport(ERROR,
			(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
			 errmsg("case %lld does not exist", (long long) case_id),
			 errdetail("The bound case table has no row with that id."),
			 log_rel ? errtablecol(log_rel, Anum_cel_log_case_id) : 0));
	pg_unreachable();
}

/* The case must exist (and is locked as cel_case_exists() locks it) */
void
cel_require_case(int64 case_id, bool lock, Relation log_rel)
{
	if (!cel_case_exists(case_id, lock))
		cel_case_missing(case_id, log_rel);
}

/*
 * The case's requires-action-by as text (for a set_requires_action_by
 * function); *isnull when NULL or when the role is not bound.  Read as the
 * table's owner, for a caller who may read it.
 */
char *
cel_case_current_rab(int64 case_id, bool *isnull)
{
	Datum		values[1] = {Int64GetDatum(case_id)};
	char	   *current = NULL;
	CelUserContext saved;

	cel_binding_require();
	*isnull = true;
	if (binding.columns[ROLE_REQUIRES_ACTION_BY] == NULL)
		return NULL;
	require_case_privilege(ACL_SELECT);
	cel_become_table_owner(binding.case_owner, &saved);
	if (binding.rab_plan == NULL)
	{
		char	   *what = psprintf("%s::pg_catalog.text",
									binding.columns[ROLE_REQUIRES_ACTION_BY]);

		binding.rab_plan = prepare_select(what, "");
	}
	if (cel_exec(binding.rab_plan, values, NULL, false, 1, SPI_OK_SELECT) > 0)
		current = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	cel_restore_user(&saved);
	*isnull = (current == NULL);
	return current;
}

/*
 * bound_case(case_id bigint) RETURNS jsonb: the bound case row as JSON
 * (every column, by name), or NULL when there is no such case.  The
 * supported way for a code resolver or a set_requires_action_by function
 * to read the case, whatever the application's table is called: read as
 * the table's owner, for a caller who holds SELECT on it.
 */
Datum
cel_bound_case(PG_FUNCTION_ARGS)
{
	Datum		values[1];
	Datum		result = (Datum) 0;
	bool		isnull = true;
	CelUserContext saved;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	values[0] = PG_GETARG_DATUM(0);
	cel_binding_require();
	require_case_privilege(ACL_SELECT);
	cel_spi_connect();
	cel_become_table_owner(binding.case_owner, &saved);
	if (binding.row_plan == NULL)
		binding.row_plan = prepare_select(psprintf("pg_catalog.to_jsonb(%s.*)", binding.qualified), "");
	if (cel_exec(binding.row_plan, values, NULL, true, 1, SPI_OK_SELECT) > 0)
		result = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	cel_restore_user(&saved);
	if (!isnull)
		result = SPI_datumTransfer(result, false, -1);
	SPI_finish();
	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(result);
}

/* A change that changes nothing but "modified" */
void
cel_case_change_init(CelCaseChange *change, int64 case_id)
{
	memset(change, 0, sizeof(*change));
	change->case_id = case_id;
	change->rab_mode = CEL_RAB_KEEP;
}

/*
 * Run the UPDATE of one shape as the table's owner; the number of rows it
 * wrote.  The plan pointer is read once: a trigger on the case table that
 * logs may reload the binding while the UPDATE runs, and the replaced
 * plan stays valid until the transaction ends (binding_reset).
 */
static uint64
exec_update(int shape, Datum *values, const char *nulls)
{
	CelUserContext saved;
	SPIPlanPtr	plan;
	uint64		processed;
	int			rc;

	require_case_privilege(ACL_SELECT | ACL_UPDATE);
	require_no_rules();
	cel_become_table_owner(binding.case_owner, &saved);
	if (binding.update_plans == NULL)
		binding.update_plans = MemoryContextAllocZero(BindingContext,
													  sizeof(SPIPlanPtr) * N_SHAPES);
	if (binding.update_plans[shape] == NULL)
		binding.update_plans[shape] = prepare_update(shape);
	plan = binding.update_plans[shape];
	rc = SPI_execute_plan(plan, values, nulls, false, 0);
	processed = SPI_processed;
	cel_restore_user(&saved);
	if (rc == SPI_OK_REWRITTEN)
	{
		binding.has_rules = true;	/* added since the binding loaded */
		require_no_rules();
	}
	if (rc != SPI_OK_UPDATE && rc != SPI_OK_SELECT)
		elog(ERROR, "case update returned %s", SPI_result_code_string(rc));
	return processed;
}

/*
 * Apply a change to one case row with one UPDATE (the plan of the change's
 * shape), or two when a HIGH outcome turns out older than the case's;
 * false if the case does not exist.  Caller is connected to SPI.
 */
bool
cel_case_apply(const CelCaseChange *change)
{
	Datum		values[N_PARAMS];
	char		nulls[N_PARAMS];
	int			shape = change_shape(change);

	cel_binding_require();
	memset(nulls, ' ', sizeof(nulls));
	values[0] = Int64GetDatum(change->case_id);
	values[1] = Int64GetDatum(change->outcome_log_id);
	values[2] = change->outcome_code ? CStringGetTextDatum(change->outcome_code) : (Datum) 0;
	if (change->outcome_code == NULL)
		nulls[2] = 'n';
	values[3] = Int32GetDatum(change->outcome_level);
	values[4] = change->rab_value ? CStringGetTextDatum(change->rab_value) : (Datum) 0;
	if (change->rab_value == NULL)
		nulls[4] = 'n';
	values[5] = change->rab_list;
	if (change->rab_list == (Datum) 0)
		nulls[5] = 'n';
	values[6] = Int64GetDatum(change->billable);

	if (exec_update(shape, values, nulls) > 0)
		return true;
	/* an older outcome (or no case): only what does not depend on it */
	return outcome_is_conditional(shape) && exec_update(shape & SHAPE_BILLABLE, values, nulls) > 0;
}

/*
 * Run "sql" (of the bound table) as the table's owner, check that it
 * returned "expected", put the rows it returned into "into" (unless NULL)
 * and return how many it processed.  Caller checked privileges.
 */
static uint64
case_exec(const char *sql, int nargs, Oid *argtypes, Datum *values,
		  const char *nulls, bool read_only, int expected, Tuplestorestate *into)
{
	CelUserContext saved;
	uint64		processed;
	int			rc;

	cel_spi_connect();
	cel_become_table_owner(binding.case_owner, &saved);
	rc = SPI_execute_with_args(sql, nargs, argtypes, values, nulls, read_only, 0);
	cel_restore_user(&saved);
	if (rc != expected)
		elog(ERROR, "case query returned %s", SPI_result_code_string(rc));
	processed = SPI_processed;
	for (uint64 i = 0; into != NULL && i < processed; i++)
		tuplestore_puttuple(into, SPI_tuptable->vals[i]);
	SPI_finish();
	return processed;
}

/*
 * "c.<column of role>::<type>", or "NULL::<type>" when the role is off; a
 * column's "no outcome" value (binding.empty) reads as NULL.
 */
static char *
case_column_as(CelCaseRole role, const char *type)
{
	if (binding.columns[role] == NULL)
		return psprintf("NULL::%s", type);
	if (binding.empty[role] != NULL)
		return psprintf("(CASE WHEN c.%s OPERATOR(pg_catalog.=) (%s) THEN NULL ELSE c.%s END)::%s",
						binding.columns[role], binding.empty[role], binding.columns[role], type);
	return psprintf("c.%s::%s", binding.columns[role], type);
}

/*
 * _case_rows(case_ids bigint[], created_from timestamptz, created_to
 * timestamptz) RETURNS TABLE(case_id bigint, outcome_code text,
 * outcome_code_id bigint, level bigint, billable_time numeric, source text,
 * created timestamptz): the bound table's rows (the given ids, or all when
 * NULL; created in [from, to) when given), their bound roles' columns
 * (NULL for roles that are off), in id order.  The one way MI, status,
 * verify() and repair_cases() read the case table: as its owner, for a
 * caller who holds SELECT on it.
 */
Datum
cel_case_rows(PG_FUNCTION_ARGS)
{
	StringInfoData sql;
	Oid			argtypes[3] = {INT8ARRAYOID, TIMESTAMPTZOID, TIMESTAMPTZOID};
	Datum		values[3];
	char		nulls[3];
	const char *sep = "WHERE";
	CaseProblem p;

	InitMaterializedSRF(fcinfo, 0);
	if (case_rows_problem(&p))
		raise_problem(&p);
	for (int i = 0; i < 3; i++)
	{
		values[i] = PG_ARGISNULL(i) ? (Datum) 0 : PG_GETARG_DATUM(i);
		nulls[i] = PG_ARGISNULL(i) ? 'n' : ' ';
	}
	if ((!PG_ARGISNULL(1) || !PG_ARGISNULL(2)) && binding.columns[ROLE_CREATED] == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("the case-column role \"created\" is not bound"),
				 errhint("Bind the case table again with the created role, for example cla_eventlog.bind_case_table('app.case', '{\"created\": \"created_at\"}').")));

	initStringInfo(&sql);
	appendStringInfo(&sql, "SELECT c.%s::pg_catalog.int8, %s, %s, %s, %s, %s, %s FROM %s c",
					 binding.columns[ROLE_ID],
					 case_column_as(ROLE_OUTCOME_CODE, "pg_catalog.text"),
					 case_column_as(ROLE_OUTCOME_CODE_ID, "pg_catalog.int8"),
					 case_column_as(ROLE_LEVEL, "pg_catalog.int8"),
					 case_column_as(ROLE_BILLABLE_TIME, "pg_catalog.numeric"),
					 case_column_as(ROLE_SOURCE, "pg_catalog.text"),
					 case_column_as(ROLE_CREATED, "pg_catalog.timestamptz"),
					 binding.qualified);
	if (!PG_ARGISNULL(0))
	{
		appendStringInfo(&sql, " %s c.%s OPERATOR(pg_catalog.=) ANY ($1)", sep,
						 binding.columns[ROLE_ID]);
		sep = "AND";
	}
	if (!PG_ARGISNULL(1))
	{
		appendStringInfo(&sql, " %s c.%s OPERATOR(pg_catalog.>=) $2", sep,
						 binding.columns[ROLE_CREATED]);
		sep = "AND";
	}
	if (!PG_ARGISNULL(2))
		appendStringInfo(&sql, " %s c.%s OPERATOR(pg_catalog.<) $3", sep,
						 binding.columns[ROLE_CREATED]);
	appendStringInfo(&sql, " ORDER BY 1");
	(void) case_exec(sql.data, 3, argtypes, values, nulls, true, SPI_OK_SELECT,
					 ((ReturnSetInfo *) fcinfo->resultinfo)->setResult);
	return (Datum) 0;
}

/*
 * _case_lock(case_ids bigint[], for_update boolean) RETURNS bigint: lock the
 * given cases' rows in id order, FOR NO KEY UPDATE as the triggers lock a
 * case before they write it, or FOR UPDATE, which also makes a new log
 * row's foreign-key check (FOR KEY SHARE) wait (erase_cases()); the number
 * locked.  As the table's owner, for a caller who holds SELECT and UPDATE
 * on it.
 */
Datum
cel_case_lock(PG_FUNCTION_ARGS)
{
	Oid			argtypes[1] = {INT8ARRAYOID};
	Datum		values[1];
	char	   *sql;
	int64		locked;

	values[0] = PointerGetDatum(DatumGetArrayTypeP(cel_arg(fcinfo, 0, "case_ids")));
	cel_binding_require();
	require_case_privilege(ACL_SELECT | ACL_UPDATE);
	sql = psprintf("SELECT 1 FROM %s c WHERE c.%s OPERATOR(pg_catalog.=) ANY ($1)"
				   " ORDER BY c.%s FOR %s OF c",
				   binding.qualified, binding.columns[ROLE_ID], binding.columns[ROLE_ID],
				   PG_NARGS() > 1 && !PG_ARGISNULL(1) && PG_GETARG_BOOL(1) ?
				   "UPDATE" : "NO KEY UPDATE");
	locked = (int64) case_exec(sql, 1, argtypes, values, NULL, false, SPI_OK_SELECT, NULL);
	PG_RETURN_INT64(locked);
}

/*
 * _case_write(case_ids bigint[], outcome_codes text[], outcome_log_ids
 * bigint[], levels bigint[], billable bigint[]) RETURNS bigint: set the
 * bound outcome_code, outcome_code_id, level and billable_time columns of
 * the given cases to the given values (arrays in step) and touch their
 * modified; the number of rows written.  repair_cases() writes through
 * it: as the table's owner, for a caller who holds SELECT and UPDATE.
 */
Datum
cel_case_write(PG_FUNCTION_ARGS)
{
	static const CelCaseRole written[4] = {ROLE_OUTCOME_CODE, ROLE_OUTCOME_CODE_ID,
	ROLE_LEVEL, ROLE_BILLABLE_TIME};
	static const char *const value_names[4] = {"v.oc", "v.ocid", "v.lvl", "v.bill"};
	Oid			argtypes[5] = {INT8ARRAYOID, TEXTARRAYOID, INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID};
	Datum		values[5];
	StringInfoData set;
	char	   *sql;
	int64		written_rows;

	values[0] = PointerGetDatum(DatumGetArrayTypeP(cel_arg(fcinfo, 0, "case_ids")));
	for (int i = 1; i < 5; i++)
	{
		cel_require_arg("the value arrays of _case_write()", PG_ARGISNULL(i));
		values[i] = PG_GETARG_DATUM(i);
	}
	cel_binding_require();
	require_case_privilege(ACL_SELECT | ACL_UPDATE);
	require_no_rules();
	initStringInfo(&set);
	for (int i = 0; i < 4; i++)
	{
		if (binding.empty[written[i]] != NULL)	/* "no outcome" in a NOT NULL column */
			append_set(&set, written[i], "COALESCE(%s, %s)", value_names[i], binding.empty[written[i]]);
		else
			append_set(&set, written[i], "%s", value_names[i]);
	}
	if (set.len == 0)
		PG_RETURN_INT64(0);
	append_set(&set, ROLE_MODIFIED, "pg_catalog.now()");
	sql = psprintf("UPDATE %s c SET %s FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3),"
				   " pg_catalog.unnest($4), pg_catalog.unnest($5)) AS v(id, oc, ocid, lvl, bill)"
				   " WHERE c.%s OPERATOR(pg_catalog.=) v.id",
				   binding.qualified, set.data, binding.columns[ROLE_ID]);
	written_rows = (int64) case_exec(sql, 5, argtypes, values, NULL, false, SPI_OK_UPDATE, NULL);
	PG_RETURN_INT64(written_rows);
}

/* errhint() of a bound table that no longer fits its binding */
static int
errhint_rebind(void)
{
	return errhint("Bind the case table again with cla_eventlog.bind_case_table().");
}

/* Before locking the case table: the caller may read it */
static void
case_table_lock_callback(const RangeVar *rv, Oid relid, Oid oldrelid, void *arg)
{
	AclResult	aclresult;

	if (!OidIsValid(relid))
		return;
	aclresult = pg_class_aclcheck(relid, GetUserId(), ACL_SELECT);
	if (aclresult != ACLCHECK_OK)
		aclcheck_error(aclresult, get_relkind_objtype(get_rel_relkind(relid)), rv->relname);
}

/*
 * Kept for databases still at version 1.0, whose SQL objects call it until
 * ALTER EXTENSION ... UPDATE (1.1 reads the case table through
 * cel_case_rows instead, as the table's owner).
 *
 * _case_table_check(case_table text, columns text[]) RETURNS void: lock the
 * bound case table (AccessShareLock, until the end of the transaction) and
 * check that it is still safe to read with the extension owner's rights: a
 * table (not a view put in its place), whose bound columns all exist and
 * have built-in types.  The SECURITY DEFINER functions that read the case
 * table with dynamic SQL (MI, status) call it first: with built-in types
 * and a pinned search_path no cast, operator or view of the table owner's
 * making can run as the extension's owner, and the lock keeps it so until
 * the transaction ends.  The check reads the catalog after taking the lock,
 * so it sees what the query that follows will see.
 */
Datum
cel_case_table_check(PG_FUNCTION_ARGS)
{
	RangeVar   *rv;
	Oid			relid;
	char		relkind;
	Datum	   *names;
	bool	   *nulls;
	int			n;
	CaseProblem p;

	cel_require_arg("case table and columns", PG_ARGISNULL(0) || PG_ARGISNULL(1));
	rv = makeRangeVarFromNameList(textToQualifiedNameList(PG_GETARG_TEXT_PP(0)));
	relid = RangeVarGetRelidExtended(rv, AccessShareLock, RVR_MISSING_OK,
									 case_table_lock_callback, NULL);
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("bound case table %s does not exist",
						text_to_cstring(PG_GETARG_TEXT_PP(0))),
				 errhint_rebind()));
	relkind = get_rel_relkind(relid);
	if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("bound case table %s is no longer a table",
						text_to_cstring(PG_GETARG_TEXT_PP(0))),
				 errhint_rebind()));

	deconstruct_array(PG_GETARG_ARRAYTYPE_P(1), TEXTOID, -1, false, TYPALIGN_INT,
					  &names, &nulls, &n);
	for (int i = 0; i < n; i++)
	{
		if (!nulls[i] &&
			column_problem(relid, text_to_cstring(PG_GETARG_TEXT_PP(0)),
						   TextDatumGetCString(names[i]), &p))
			raise_problem(&p);
	}
	PG_RETURN_VOID();
}
