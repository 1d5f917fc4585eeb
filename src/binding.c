/*-------------------------------------------------------------------------
 *
 * binding.c
 *	  The application's case table, as bound by bind_case_table() (SPEC 3):
 *	  a backend-local cache of the binding and the saved plans that read,
 *	  lock and update case rows.
 *
 * Design rules:
 *	- Every write to the case goes through one UPDATE per change shape
 *	  (cel_case_apply), built once per binding from the bound column names.
 *	  A HIGH outcome's condition "newer than the case's outcome" is in its
 *	  WHERE clause, evaluated against the newest row version: under READ
 *	  COMMITTED a blocked UPDATE re-evaluates it on the row the other
 *	  transaction committed, which is what keeps "the case shows its
 *	  highest-id HIGH outcome" true whatever the commit order.
 *	- The cache is loaded under the latest snapshot and marked stale by a
 *	  relcache invalidation of cla_eventlog.case_binding (rebinding); stale
 *	  plans are freed on reload.  Changes to the case table itself are left
 *	  to the plan cache, which re-plans saved plans when the table changes.
 *
 *-------------------------------------------------------------------------
 */
#include "cla_eventlog.h"

#include "access/genam.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/transam.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "catalog/pg_type.h"
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
#include "utils/snapmgr.h"
#include "utils/varlena.h"

PG_FUNCTION_INFO_V1(cel_case_table_check);

/* Case-column roles whose columns the plans use (SPEC 3) */
typedef enum CaseRole
{
	ROLE_ID,
	ROLE_OUTCOME_CODE,
	ROLE_OUTCOME_CODE_ID,
	ROLE_LEVEL,
	ROLE_REQUIRES_ACTION_BY,
	ROLE_BILLABLE_TIME,
	ROLE_MODIFIED,
	ROLE_SOURCE,
	ROLE_CREATED,
	ROLE_PROVIDER_VIEWED,		/* the stamp roles, in CelStampRole order */
	ROLE_PROVIDER_ACCEPTED,
	ROLE_PROVIDER_CLOSED,
	ROLE_PROVIDER_ASSIGNED_AT,
	N_ROLES
} CaseRole;

static const char *const role_names[N_ROLES] = {
	"id", "outcome_code", "outcome_code_id", "level", "requires_action_by",
	"billable_time", "modified", "source", "created", "provider_viewed",
	"provider_accepted", "provider_closed", "provider_assigned_at"
};

typedef struct Binding
{
	bool		bound;
	Oid			case_relid;
	char	   *qualified;		/* quoted schema.table */
	char	   *columns[N_ROLES];	/* quoted column name, NULL = role off */
	SPIPlanPtr	exists_plan;
	SPIPlanPtr	lock_plan;
	SPIPlanPtr	rab_plan;
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
static Binding binding;
static bool binding_valid = false;
static Oid	binding_relid = InvalidOid;

/*
 * Relcache callback.  Rebinding reloads the binding.  An invalidation of
 * the case table itself (ALTER TABLE, CREATE INDEX, but also every
 * autovacuum and ANALYZE) only forgets the id index: the saved plans are
 * re-planned by the plan cache when they need it.
 */
static void
binding_relcache_callback(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == binding_relid)
		binding_valid = false;
	else if (binding.bound && relid == binding.case_relid)
		binding.id_index_checked = false;
}

/* Register the invalidation callback; called once from _PG_init */
void
cel_binding_init(void)
{
	memset(&binding, 0, sizeof(binding));
	CacheRegisterRelcacheCallback(binding_relcache_callback, (Datum) 0);
}

/* Free the plans of the previous binding */
static void
binding_reset(void)
{
	SPIPlanPtr *plans[] = {&binding.exists_plan, &binding.lock_plan,
	&binding.rab_plan};

	for (size_t i = 0; i < lengthof(plans); i++)
	{
		if (*plans[i] != NULL)
			SPI_freeplan(*plans[i]);
	}
	for (int i = 0; binding.update_plans != NULL && i < N_SHAPES; i++)
	{
		if (binding.update_plans[i] != NULL)
			SPI_freeplan(binding.update_plans[i]);
	}
	if (BindingContext != NULL)
		MemoryContextDelete(BindingContext);
	memset(&binding, 0, sizeof(binding));
	BindingContext = AllocSetContextCreate(CacheMemoryContext,
										   "cla_eventlog case binding",
										   ALLOCSET_SMALL_SIZES);
}

/* Read the binding row under the latest snapshot */
static void
binding_load(void)
{
	SPIPlanPtr	plan;
	Snapshot	snap;
	MemoryContext spicxt;
	CelUserContext saved;

	binding_reset();
	binding_valid = true;
	binding_relid = cel_table_oid("case_binding");

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "cla_eventlog: SPI_connect failed");
	spicxt = CurrentMemoryContext;
	snap = RegisterSnapshot(GetLatestSnapshot());
	cel_become_owner(&saved);
	plan = SPI_prepare("SELECT case_schema, case_table, r.key, r.value"
					   "  FROM cla_eventlog.case_binding b,"
					   "       pg_catalog.jsonb_each_text(b.columns) r", 0, NULL);
	if (plan == NULL ||
		SPI_execute_snapshot(plan, NULL, NULL, snap, InvalidSnapshot,
							 true, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "cla_eventlog: could not read the case binding");
	cel_restore_user(&saved);
	UnregisterSnapshot(snap);

	MemoryContextSwitchTo(BindingContext);
	for (uint64 i = 0; i < SPI_processed; i++)
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
			if (column != NULL && strcmp(role, role_names[r]) == 0)
				binding.columns[r] = pstrdup(quote_identifier(column));
		}
	}
	MemoryContextSwitchTo(spicxt);
	SPI_finish();
}

/* Make sure the binding cache is current; error if nothing is bound */
void
cel_binding_require(void)
{
	if (!binding_valid)
		binding_load();
	if (!binding.bound || binding.columns[ROLE_ID] == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("no case table is bound to cla_eventlog"),
				 errdetail("Log rows refer to cases, and the extension does not know the application's case table yet."),
				 errhint("Call cla_eventlog.bind_case_table('app.case_table') once, as the extension's administrator.")));
	if (!OidIsValid(binding.case_relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("bound case table %s does not exist", binding.qualified),
				 errhint("Bind the case table again with cla_eventlog.bind_case_table().")));
}

/* Is the case-column role bound to a column? */
bool
cel_case_has_role(const char *role)
{
	cel_binding_require();
	for (int r = 0; r < N_ROLES; r++)
	{
		if (strcmp(role, role_names[r]) == 0)
			return binding.columns[r] != NULL;
	}
	return false;
}

/* SET item "col = <fmt>" for a bound role (nothing when it is not bound) */
static void
append_set(StringInfo buf, CaseRole role, const char *fmt,...)
pg_attribute_printf(3, 4);

static void
append_set(StringInfo buf, CaseRole role, const char *fmt,...)
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
		const char *col = binding.columns[ROLE_PROVIDER_VIEWED + s];

		if (mode == CEL_STAMP_KEEP || col == NULL)
			continue;
		if (mode == CEL_STAMP_NOW)
			append_set(&set, ROLE_PROVIDER_VIEWED + s, "pg_catalog.now()");
		else if (mode == CEL_STAMP_NULL)
			append_set(&set, ROLE_PROVIDER_VIEWED + s, "NULL");
		else
			append_set(&set, ROLE_PROVIDER_VIEWED + s, "COALESCE(%s, pg_catalog.now())", col);
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
			RelationGetIndexPredicate(index) == NIL)
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

	cel_binding_require();
	if (!binding.id_index_checked)
		find_id_index();
	if (OidIsValid(binding.id_probe.index))
		return lock ? cel_probe_lock(&binding.id_probe, Int64GetDatum(case_id)) :
			cel_probe(&binding.id_probe, Int64GetDatum(case_id), ForwardScanDirection,
					  NULL, NULL, 0, NULL);
	/* no usable index: SQL, in a nested SPI connection of its own */
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "cla_eventlog: SPI_connect failed");
	plan = lock ? &binding.lock_plan : &binding.exists_plan;
	if (*plan == NULL)
		*plan = prepare_select("1", lock ? "FOR NO KEY UPDATE" : "");
	found = cel_exec(*plan, values, NULL, !lock, 1, SPI_OK_SELECT) > 0;
	SPI_finish();
	return found;
}

/*
 * The case's requires-action-by as text (for a set_requires_action_by
 * function); *isnull when NULL or when the role is not bound.
 */
char *
cel_case_current_rab(int64 case_id, bool *isnull)
{
	Datum		values[1] = {Int64GetDatum(case_id)};
	char	   *current;

	cel_binding_require();
	*isnull = true;
	if (binding.columns[ROLE_REQUIRES_ACTION_BY] == NULL)
		return NULL;
	if (binding.rab_plan == NULL)
	{
		char	   *what = psprintf("%s::pg_catalog.text",
									binding.columns[ROLE_REQUIRES_ACTION_BY]);

		binding.rab_plan = prepare_select(what, "");
	}
	if (cel_exec(binding.rab_plan, values, NULL, false, 1, SPI_OK_SELECT) == 0)
		return NULL;
	current = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	*isnull = (current == NULL);
	return current;
}

/* A change that changes nothing but "modified" */
void
cel_case_change_init(CelCaseChange *change, int64 case_id)
{
	memset(change, 0, sizeof(*change));
	change->case_id = case_id;
	change->rab_mode = CEL_RAB_KEEP;
}

/* Run the UPDATE of one shape; the number of rows it wrote */
static uint64
exec_update(int shape, Datum *values, const char *nulls)
{
	int			rc;

	if (binding.update_plans == NULL)
		binding.update_plans = MemoryContextAllocZero(BindingContext,
													  sizeof(SPIPlanPtr) * N_SHAPES);
	if (binding.update_plans[shape] == NULL)
		binding.update_plans[shape] = prepare_update(shape);
	rc = SPI_execute_plan(binding.update_plans[shape], values, nulls, false, 0);
	if (rc != SPI_OK_UPDATE && rc != SPI_OK_SELECT)
		elog(ERROR, "cla_eventlog: case update returned %s", SPI_result_code_string(rc));
	return SPI_processed;
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

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("case table and columns must not be null")));
	rv = makeRangeVarFromNameList(textToQualifiedNameList(PG_GETARG_TEXT_PP(0)));
	relid = RangeVarGetRelidExtended(rv, AccessShareLock, RVR_MISSING_OK,
									 case_table_lock_callback, NULL);
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("bound case table %s does not exist",
						text_to_cstring(PG_GETARG_TEXT_PP(0))),
				 errhint("Bind the case table again with cla_eventlog.bind_case_table().")));
	relkind = get_rel_relkind(relid);
	if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("bound case table %s is no longer a table",
						text_to_cstring(PG_GETARG_TEXT_PP(0))),
				 errhint("Bind the case table again with cla_eventlog.bind_case_table().")));

	deconstruct_array(PG_GETARG_ARRAYTYPE_P(1), TEXTOID, -1, false, TYPALIGN_INT,
					  &names, &nulls, &n);
	for (int i = 0; i < n; i++)
	{
		char	   *column;
		AttrNumber	attnum;
		Oid			type;

		if (nulls[i])
			continue;
		column = TextDatumGetCString(names[i]);
		attnum = get_attnum(relid, column);
		if (attnum == InvalidAttrNumber)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" of bound case table %s does not exist",
							column, text_to_cstring(PG_GETARG_TEXT_PP(0))),
					 errhint("Bind the case table again with cla_eventlog.bind_case_table().")));
		type = get_atttype(relid, attnum);
		if (type >= FirstNormalObjectId)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column \"%s\" of bound case table %s has the user-defined type %s",
							column, text_to_cstring(PG_GETARG_TEXT_PP(0)), format_type_be(type)),
					 errdetail("The extension reads the case table with its owner's rights, and only columns of built-in types."),
					 errhint("Give the column a built-in type, then bind the case table again with cla_eventlog.bind_case_table().")));
	}
	PG_RETURN_VOID();
}
