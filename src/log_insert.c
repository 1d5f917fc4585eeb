/*-------------------------------------------------------------------------
 *
 * log_insert.c
 *	  The INSERT of log_event(): one log row inserted through the executor's
 *	  row-level machinery without a plan, as logical replication applies a
 *	  row (ExecSimpleRelationInsert): the log's BEFORE and AFTER row
 *	  triggers (the rules), its constraints, its indexes and its foreign
 *	  keys all run exactly as for a plain INSERT; what is saved is the
 *	  planner's and the executor's per-statement set-up (a plan tree, its
 *	  projections, a portal), which for one row costs more than the row.
 *
 * One more per-statement cost is saved: ExecRelCheck() parses the text of
 * every CHECK constraint (pg_constraint.conbin) for each statement, which
 * for the log's two checks is an eighth of a one-row INSERT.  Here the
 * parsed trees are kept with the log's shape until its next relcache
 * invalidation (a changed constraint invalidates the relation); each row
 * copies, plans and initialises them in its own executor state, as
 * ExecRelCheck() would, so nothing a statement evaluates outlives it.
 *
 * Log ids are issued here too.  The id column's default is
 * cla_eventlog._log_id(), which takes the next value of log_id_seq and
 * remembers it in a short backend-local list of ids "issued, not yet seen
 * by the BEFORE trigger"; the trigger accepts a row's id only if it finds
 * (and removes) it there, so an application role cannot choose an id (see
 * README, Design decisions, "Log ids").  PostgreSQL evaluates a row's
 * defaults just before its BEFORE row triggers, row by row, for INSERT,
 * INSERT ... SELECT and COPY alike, so the list holds only the ids of rows
 * being inserted right now (more than one while a value expression of a
 * row itself logs) plus ids of rows that failed in between; it is bounded
 * (the oldest entry gives way) and emptied by each new transaction.
 * cel_log_insert() issues its row's id through the same routine.
 *
 * This path is taken only for the log as the extension creates it: a plain
 * table (not a partition) with its own column defaults, no row security,
 * no generated columns, no statement-level INSERT triggers or transition
 * tables; in a read-write transaction outside parallel mode; for a caller
 * with INSERT and SELECT on the whole table (what the SQL statement
 * "INSERT ... RETURNING id" would check).  Anything else, including a DBA's
 * change to the table, falls back to that SQL statement, which also gives
 * the errors of a read-only transaction or missing rights, so that
 * behaviour never depends on the path.
 *
 * The executor calls here (ExecInitRangeTable, ExecOpenIndices,
 * ExecBRInsertTriggers, ExecConstraints, ExecInsertIndexTuples,
 * ExecARInsertTriggers, ...) have the signatures and the set-up rules of
 * PostgreSQL 15, which change between major versions; another version must
 * not compile rather than misbehave.
 *
 *-------------------------------------------------------------------------
 */
#include "cla_eventlog.h"

#if PG_VERSION_NUM < 150000 || PG_VERSION_NUM >= 160000
#error "cla_eventlog supports PostgreSQL 15 only: log_insert.c drives the executor as PostgreSQL 15 does"
#endif

#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_class.h"
#include "commands/sequence.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "rewrite/rewriteHandler.h"
#include "storage/proc.h"
#include "utils/acl.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

PG_FUNCTION_INFO_V1(cel_log_id);

/*
 * Is the log (shape_log) as created (see above), is its id default
 * _log_id() (shape_own_id), and its CHECK constraints parsed (in shape_cxt,
 * in the order of the relcache's constr->check).  Checked again after a
 * relcache invalidation of the log.
 */
static bool shape_checked = false;
static Oid	shape_log = InvalidOid;
static bool shape_ok = false;
static bool shape_own_id = false;
static MemoryContext shape_cxt = NULL;
static Expr **checks = NULL;
static int	nchecks = 0;

/*
 * The log's id sequence (looked up by name, forgotten on its relcache
 * invalidation), and the ids _log_id() issued in transaction issued_lxid
 * that no row has used yet, oldest first.
 */
#define MAX_ISSUED_IDS	64
static Oid	id_seq = InvalidOid;
static int64 issued_ids[MAX_ISSUED_IDS];
static int	n_issued = 0;
static LocalTransactionId issued_lxid = InvalidLocalTransactionId;

static void
log_insert_relcache_callback(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == shape_log)
		shape_checked = false;
	if (relid == InvalidOid || relid == id_seq)
		id_seq = InvalidOid;
}

/* Register the invalidation callback; called once from _PG_init */
void
cel_log_insert_init(void)
{
	CacheRegisterRelcacheCallback(log_insert_relcache_callback, (Datum) 0);
}

/* Is "node" a call of function "fn" with "nargs" arguments? */
static bool
is_call(Node *node, Oid fn, int nargs)
{
	return node != NULL && IsA(node, FuncExpr) && ((FuncExpr *) node)->funcid == fn &&
		list_length(((FuncExpr *) node)->args) == nargs;
}

/*
 * Is the log's id default cla_eventlog._log_id()?  (Not in a database still
 * at version 1.0, whose default is nextval() of the sequence.)
 */
static bool
id_default_is_own(Relation rel)
{
	Oid			id_fn = LookupFuncName(list_make2(makeString(CEL_SCHEMA),
												  makeString("_log_id")),
									   0, NULL, true);

	return OidIsValid(id_fn) && RelationGetDescr(rel)->natts >= Anum_cel_log_id &&
		!TupleDescAttr(RelationGetDescr(rel), Anum_cel_log_id - 1)->attisdropped &&
		is_call(build_column_default(rel, Anum_cel_log_id), id_fn, 0);
}

/*
 * Are the log's column defaults the extension's own: _log_id() for id
 * (shape_own_id, set by the caller), now() for created and modified, none
 * elsewhere?
 */
static bool
defaults_are_own(Relation rel)
{
	TupleDesc	desc = RelationGetDescr(rel);

	if (!shape_own_id)
		return false;
	for (int i = 0; i < desc->natts; i++)
	{
		AttrNumber	attnum = i + 1;
		Node	   *def;

		if (TupleDescAttr(desc, i)->attisdropped)
			return false;
		if (attnum == Anum_cel_log_id)
			continue;
		def = build_column_default(rel, attnum);
		if (attnum == Anum_cel_log_created || attnum == Anum_cel_log_modified)
		{
			if (!is_call(def, F_NOW, 0))
				return false;
		}
		else if (def != NULL)
			return false;
	}
	return desc->natts == Natts_cel_log;
}

/* Parse the log's CHECK constraints into shape_cxt (see the header) */
static void
parse_checks(Relation rel)
{
	TupleConstr *constr = rel->rd_att->constr;
	MemoryContext old;

	if (shape_cxt == NULL)
		shape_cxt = AllocSetContextCreate(CacheMemoryContext, "cla_eventlog log checks",
										  ALLOCSET_SMALL_SIZES);
	MemoryContextReset(shape_cxt);
	checks = NULL;
	nchecks = constr ? constr->num_check : 0;
	if (nchecks == 0)
		return;
	old = MemoryContextSwitchTo(shape_cxt);
	checks = palloc(nchecks * sizeof(Expr *));
	for (int i = 0; i < nchecks; i++)
		checks[i] = stringToNode(constr->check[i].ccbin);
	MemoryContextSwitchTo(old);
}

/*
 * ExecRelCheck()'s set-up from the parsed checks: copied into the
 * statement's executor state first (planning may run user functions, which
 * may log and so re-parse the checks), then planned and initialised there.
 */
static ExprState **
prepare_checks(EState *estate)
{
	MemoryContext old = MemoryContextSwitchTo(estate->es_query_cxt);
	Expr	  **copies = palloc(nchecks * sizeof(Expr *));
	ExprState **states = palloc(nchecks * sizeof(ExprState *));

	for (int i = 0; i < nchecks; i++)
		copies[i] = copyObject(checks[i]);
	MemoryContextSwitchTo(old);
	for (int i = 0; i < nchecks; i++)
		states[i] = ExecPrepareExpr(copies[i], estate);
	return states;
}

/* Check the log's shape again if it changed since (see shape_checked) */
static void
check_shape(Relation rel)
{
	TriggerDesc *trig = rel->trigdesc;

	if (!shape_checked || RelationGetRelid(rel) != shape_log)
	{
		shape_log = RelationGetRelid(rel);
		shape_own_id = id_default_is_own(rel);
		shape_ok = rel->rd_rel->relkind == RELKIND_RELATION &&
			!rel->rd_rel->relispartition &&
			!rel->rd_rel->relrowsecurity &&
			!(rel->rd_att->constr && rel->rd_att->constr->has_generated_stored) &&
			!(trig && (trig->trig_insert_before_statement || trig->trig_insert_after_statement ||
					   trig->trig_insert_instead_row || trig->trig_insert_new_table)) &&
			defaults_are_own(rel);
		parse_checks(rel);
		shape_checked = true;
	}
}

/* May log_event() insert into the log without SQL?  (see the header) */
static bool
direct_insert_ok(Relation rel)
{
	check_shape(rel);
	return shape_ok && !XactReadOnly && !IsInParallelMode() &&
		pg_class_aclmask(RelationGetRelid(rel), GetUserId(), ACL_INSERT | ACL_SELECT,
						 ACLMASK_ALL) == (ACL_INSERT | ACL_SELECT);
}

/*
 * Issue a log id: the next value of log_id_seq (nextval's privilege check:
 * USAGE or UPDATE on the sequence), remembered as issued and not yet used.
 */
int64
cel_log_id_issue(void)
{
	int64		id;

	if (!OidIsValid(id_seq))
	{
		id_seq = cel_table_oid("log_id_seq");
		if (!OidIsValid(id_seq))
			elog(ERROR, "the log's id sequence is missing");
	}
	id = nextval_internal(id_seq, true);
	if (issued_lxid != MyProc->lxid)
	{
		n_issued = 0;
		issued_lxid = MyProc->lxid;
	}
	if (n_issued == MAX_ISSUED_IDS)
	{
		/* ids of rows that never reached the trigger: drop the oldest */
		memmove(issued_ids, issued_ids + 1, (MAX_ISSUED_IDS - 1) * sizeof(int64));
		n_issued--;
	}
	issued_ids[n_issued++] = id;
	return id;
}

/*
 * Was "id" issued by cel_log_id_issue() in this transaction and not used
 * since?  If so it counts as used from now on.  The newest ids are looked
 * at first: the row being inserted is usually the last one issued.
 */
bool
cel_log_id_claim(int64 id)
{
	if (issued_lxid != MyProc->lxid)
		return false;
	for (int i = n_issued - 1; i >= 0; i--)
	{
		if (issued_ids[i] == id)
		{
			memmove(issued_ids + i, issued_ids + i + 1, (n_issued - i - 1) * sizeof(int64));
			n_issued--;
			return true;
		}
	}
	return false;
}

/*
 * Does the log "rel" issue its ids through _log_id()?  Only then can the
 * BEFORE trigger tell an issued id from a chosen one.
 */
bool
cel_log_ids_issued(Relation rel)
{
	check_shape(rel);
	return shape_own_id;
}

/* cla_eventlog._log_id(): the default of log.id (cel_log_id_issue) */
Datum
cel_log_id(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(cel_log_id_issue());
}

/*
 * Insert the log row of "values"/"nulls" (Natts_cel_log columns; id,
 * created and modified are filled here as their defaults would be) and
 * fire its triggers.  Returns false, with nothing done, when the log is
 * not as created or the caller's rights are not table-wide: the caller
 * then runs the SQL INSERT.  Else true, and *id is the new id, or 0 when
 * a BEFORE trigger skipped the row.
 */
bool
cel_log_insert(Datum *values, bool *nulls, int64 *id)
{
	Relation	rel = table_open(cel_rels()->log, RowExclusiveLock);
	EState	   *estate;
	ResultRelInfo *rri;
	RangeTblEntry *rte;
	TupleTableSlot *slot;
	bool		stored = true;
	bool		isnull;

	if (!direct_insert_ok(rel))
	{
		table_close(rel, NoLock);
		return false;
	}

	/* as SPI runs a statement: a new command, under a new snapshot */
	CommandCounterIncrement();
	PushActiveSnapshot(GetTransactionSnapshot());
	estate = CreateExecutorState();
	estate->es_snapshot = GetActiveSnapshot();
	rte = makeNode(RangeTblEntry);
	rte->rtekind = RTE_RELATION;
	rte->relid = RelationGetRelid(rel);
	rte->relkind = rel->rd_rel->relkind;
	rte->rellockmode = RowExclusiveLock;
	ExecInitRangeTable(estate, list_make1(rte));
	rri = makeNode(ResultRelInfo);
	InitResultRelInfo(rri, rel, 1, NULL, 0);
	/* found there by the AFTER triggers' ExecGetTriggerResultRel() */
	estate->es_opened_result_relations = list_make1(rri);
	estate->es_output_cid = GetCurrentCommandId(true);
	ExecOpenIndices(rri, false);
	AfterTriggerBeginQuery();

	/* the defaults, evaluated as the SQL statement would */
	values[Anum_cel_log_id - 1] = Int64GetDatum(cel_log_id_issue());
	nulls[Anum_cel_log_id - 1] = false;
	values[Anum_cel_log_created - 1] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	nulls[Anum_cel_log_created - 1] = false;
	values[Anum_cel_log_modified - 1] = values[Anum_cel_log_created - 1];
	nulls[Anum_cel_log_modified - 1] = false;

	slot = table_slot_create(rel, &estate->es_tupleTable);
	ExecClearTuple(slot);
	memcpy(slot->tts_values, values, sizeof(Datum) * Natts_cel_log);
	memcpy(slot->tts_isnull, nulls, sizeof(bool) * Natts_cel_log);
	ExecStoreVirtualTuple(slot);

	/* what ExecInsert() does for a plain table */
	if (rri->ri_TrigDesc && rri->ri_TrigDesc->trig_insert_before_row)
		stored = ExecBRInsertTriggers(estate, rri, slot);
	if (stored)
	{
		List	   *recheck;

		if (rel->rd_att->constr)
		{
			/* (unless invalidated since: then ExecRelCheck() parses) */
			if (shape_checked && nchecks > 0 && rel->rd_att->constr->num_check == nchecks)
				rri->ri_ConstraintExprs = prepare_checks(estate);
			ExecConstraints(rri, slot, estate);
		}
		table_tuple_insert(rel, slot, estate->es_output_cid, 0, NULL);
		recheck = ExecInsertIndexTuples(rri, slot, estate, false, false, NULL, NIL);
		ExecARInsertTriggers(estate, rri, slot, recheck, NULL);
		*id = DatumGetInt64(slot_getattr(slot, Anum_cel_log_id, &isnull));
	}
	else
		*id = 0;

	AfterTriggerEndQuery(estate);	/* the AFTER triggers: side effects, FKs */
	ExecCloseResultRelations(estate);
	ExecResetTupleTable(estate->es_tupleTable, false);
	FreeExecutorState(estate);
	table_close(rel, NoLock);
	PopActiveSnapshot();
	return true;
}
