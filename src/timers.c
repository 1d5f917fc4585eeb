/*-------------------------------------------------------------------------
 *
 * timers.c
 *	  Timers and billable time (README "Timers"): the one place where a
 *	  timer is stopped or cancelled and where a case's billable time is
 *	  computed, used both by the log triggers (a stops_timer code) and by
 *	  stop_timer()/cancel_timer().
 *
 * Locking: whoever stops a timer linked to a case first locks the case row
 * (cel_case_exists(..., true)), then updates the timer row, then sums the
 * case's timers (an index scan, case_billable()).  The case lock serialises
 * every writer of one case's billable time, and under READ COMMITTED the
 * sum's snapshot, taken after the lock and the update, sees every timer
 * committed by the writers it waited for, so the stored billable time
 * always equals the sum of its timers.  The order "case, then timer" is the same everywhere, so stops
 * cannot deadlock.  Timers are read and written as the extension's owner.
 *
 *-------------------------------------------------------------------------
 */
#include "cla_eventlog.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/hsearch.h"
#include "utils/builtins.h"
#include "utils/snapmgr.h"

PG_FUNCTION_INFO_V1(cel_stop_timer);
PG_FUNCTION_INFO_V1(cel_cancel_timer);
PG_FUNCTION_INFO_V1(cel_current_timer);
PG_FUNCTION_INFO_V1(cel_create_timer);
PG_FUNCTION_INFO_V1(cel_start_timer);

static SPIPlanPtr insert_plan = NULL;
static SPIPlanPtr finish_plan = NULL;

static Datum timer_datum(FunctionCallInfo fcinfo, HeapTuple tuple);

/*
 * The user's running timer under "snapshot" (NULL: the active one), or
 * false; *tuple gets a copy of its row when not NULL.
 */
static bool
timer_running_row(int64 user_id, Snapshot snapshot, HeapTuple *tuple, int64 *id)
{
	const CelRels *r = cel_rels();
	CelProbe	spec = cel_int8_probe(r->timer, r->timer_running_idx);
	Datum		value;

	if (!cel_probe(&spec, Int64GetDatum(user_id), ForwardScanDirection, snapshot,
				   tuple, Anum_cel_timer_id, &value))
		return false;
	*id = DatumGetInt64(value);
	return true;
}

/*
 * Memo of cel_timer_running() for bulk loads.  A COPY or an INSERT ...
 * SELECT validates all its rows under one active snapshot, and a probe's
 * answer depends only on the snapshot and the user.  Two snapshots of the
 * same transaction see the same rows when they have the same command id
 * and the same transactions in progress: same xmax (no transaction ended
 * above it) and as many in progress below it (new ones start above xmax,
 * so the set can only shrink), or no transaction ended at all between them
 * (snapXactCompletionCount, the test PostgreSQL uses to reuse a snapshot).
 * Under such a snapshot the answers are remembered, for at most
 * TIMER_MEMO_MAX users.  The memo is made only at the second probe under
 * one snapshot, so that a single-row INSERT pays nothing for it.
 */
#define TIMER_MEMO_MAX	10000

typedef struct TimerMemoEntry
{
	int64		user_id;		/* hash key */
	int64		timer_id;		/* 0: no running timer */
} TimerMemoEntry;

/* What makes two snapshots of this backend see the same rows */
typedef struct SnapshotKey
{
	LocalTransactionId lxid;
	CommandId	curcid;
	uint64		completion;
	TransactionId xmin;
	TransactionId xmax;
	uint32		xcnt;
	int32		subxcnt;
	bool		suboverflowed;
} SnapshotKey;

static SnapshotKey timer_memo_key;
static int	timer_memo_probes;	/* under that snapshot */
static HTAB *timer_memo = NULL; /* NULL until the second probe */

/* Is the memo's snapshot "snapshot"?  If not, start a memo for it. */
static bool
timer_memo_same(Snapshot snapshot)
{
	SnapshotKey key;

	memset(&key, 0, sizeof(key));	/* padding too: keys are compared whole */
	key.lxid = MyProc->lxid;
	key.curcid = snapshot->curcid;
	key.completion = snapshot->snapXactCompletionCount;
	key.xmin = snapshot->xmin;
	key.xmax = snapshot->xmax;
	key.xcnt = snapshot->xcnt;
	key.subxcnt = snapshot->subxcnt;
	key.suboverflowed = snapshot->suboverflowed;
	if (memcmp(&key, &timer_memo_key, sizeof(key)) == 0)
		return true;
	if (timer_memo != NULL)
		hash_destroy(timer_memo);
	timer_memo = NULL;
	timer_memo_key = key;
	timer_memo_probes = 0;
	return false;
}

/* The id of the user's running timer, or 0 (an index probe, or the memo) */
int64
cel_timer_running(int64 user_id)
{
	Snapshot	snapshot = GetActiveSnapshot();
	TimerMemoEntry *entry;
	int64		id;
	bool		found;

	if (!timer_memo_same(snapshot) || timer_memo_probes++ == 0)
		return timer_running_row(user_id, NULL, NULL, &id) ? id : 0;
	if (timer_memo == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(int64);
		ctl.entrysize = sizeof(TimerMemoEntry);
		ctl.hcxt = TopMemoryContext;
		timer_memo = hash_create("cla_eventlog running timers", 256, &ctl,
									  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	entry = hash_search(timer_memo, &user_id, HASH_FIND, NULL);
	if (entry != NULL)
		return entry->timer_id;
	if (!timer_running_row(user_id, NULL, NULL, &id))
		id = 0;
	if (hash_get_num_entries(timer_memo) < TIMER_MEMO_MAX)
	{
		entry = hash_search(timer_memo, &user_id, HASH_ENTER, &found);
		entry->timer_id = id;
	}
	return id;
}

/* Error unless timer_id exists and belongs to user_id */
void
cel_timer_check(int64 timer_id, int64 user_id)
{
	const CelRels *r = cel_rels();
	CelProbe	spec = cel_int8_probe(r->timer, r->timer_pkey);
	Datum		owner;

	if (!cel_probe(&spec, Int64GetDatum(timer_id), ForwardScanDirection, NULL, NULL,
				   Anum_cel_timer_created_by, &owner))
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("timer %lld does not exist", (long long) timer_id),
				 errhint("Leave timer_id NULL to attach the user's running timer.")));
	if (DatumGetInt64(owner) != user_id)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("timer %lld belongs to user %lld, not to user %lld",
						(long long) timer_id, (long long) DatumGetInt64(owner),
						(long long) user_id),
				 errhint("A log row may only carry a timer of the user who created it.")));
}

/* case_billable(): add one timer row's billable seconds to *(int64 *) arg */
static bool
add_billable(TupleTableSlot *slot, void *arg)
{
	int64	   *sum = (int64 *) arg;
	bool		isnull;
	Datum		created = slot_getattr(slot, Anum_cel_timer_created, &isnull);
	Datum		stopped = slot_getattr(slot, Anum_cel_timer_stopped, &isnull);
	int64		usecs;

	if (isnull || DatumGetBool(slot_getattr(slot, Anum_cel_timer_cancelled, &isnull)))
		return false;			/* not billable (the index predicate says so) */
	if (TIMESTAMP_NOT_FINITE(DatumGetTimestampTz(created)) ||
		TIMESTAMP_NOT_FINITE(DatumGetTimestampTz(stopped)) ||
		pg_sub_s64_overflow(DatumGetTimestampTz(stopped), DatumGetTimestampTz(created), &usecs) ||
		pg_add_s64_overflow(*sum, usecs / USECS_PER_SEC + (usecs % USECS_PER_SEC > 0 ? 1 : 0), sum))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("billable time out of range"),
				 errdetail("A timer linked to the case has an infinite or out-of-range duration.")));
	return false;				/* visit every timer of the case */
}

/*
 * Make the transaction's latest changes visible to the timer functions'
 * lookups: a new command and a new active snapshot (pop it with
 * PopActiveSnapshot()).  A statement that starts a timer and then reads or
 * stops it (SELECT start_timer(7), log_event(...), stop_timer(7)) must see
 * the timer it created, as log_event() in that statement does; the
 * statement's own snapshot predates it.
 */
static void
push_own_snapshot(void)
{
	CommandCounterIncrement();
	PushActiveSnapshot(GetTransactionSnapshot());
}

/*
 * Billable seconds of a case (README "Timers"): the sum over its stopped,
 * non-cancelled timers of ceil(stopped - created), read through the partial
 * index timer_billable_by_case under a new snapshot that sees this
 * transaction's latest changes (push_own_snapshot).
 */
static int64
case_billable(int64 case_id)
{
	const CelRels *r = cel_rels();
	CelProbe	spec = cel_int8_probe(r->timer, r->timer_billable_idx);
	int64		sum = 0;

	push_own_snapshot();
	(void) cel_probe_match(&spec, Int64GetDatum(case_id), ForwardScanDirection, NULL,
						   add_billable, &sum, NULL, 0, NULL);
	PopActiveSnapshot();
	return sum;
}

/*
 * Stop (or cancel) a running timer and link it to case_id (0: keep the
 * link), and, when billable is not NULL, compute the billable seconds of
 * the case it is then linked to (case_billable(); 0 when it has none), for
 * a caller that writes them to a bound column.  Returns false when the timer is
 * no longer running.  On success SPI_tuptable holds the updated timer row.
 * Caller is connected to SPI and has locked the linked case row, so no
 * other transaction changes the case's timers before the sum is read.
 * "stopped" is now(), the start of this transaction, or the timer's start
 * when another transaction started the timer later and committed before
 * this one read it (zero length, never stopped before created).
 */
bool
cel_timer_finish(int64 timer_id, int64 case_id, bool cancelled, int64 *billable)
{
	Oid			types[3] = {INT8OID, INT8OID, BOOLOID};
	Datum		values[3] = {Int64GetDatum(timer_id), Int64GetDatum(case_id),
	BoolGetDatum(cancelled)};
	char		nulls[3] = {' ', case_id == 0 ? 'n' : ' ', ' '};
	bool		isnull;
	Datum		linked;

	if (finish_plan == NULL)
		finish_plan = cel_prepare("UPDATE cla_eventlog.timer"
								  "   SET stopped = GREATEST(pg_catalog.now(), created), cancelled = $3,"
								  "       linked_case = COALESCE($2, linked_case),"
								  "       modified = pg_catalog.now()"
								  " WHERE id OPERATOR(pg_catalog.=) $1 AND stopped IS NULL"
								  " RETURNING *", 3, types);
	if (cel_exec_as_owner(finish_plan, values, nulls, false, 0, SPI_OK_UPDATE_RETURNING) == 0)
		return false;
	linked = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
						   Anum_cel_timer_linked_case, &isnull);
	if (billable != NULL)
		*billable = isnull ? 0 : case_billable(DatumGetInt64(linked));
	return true;
}

/*
 * The case of the timer's latest log, or 0 when the timer has no log: the
 * newest entry of index log_timer (an index probe, like the trigger's
 * lookups, so the plan cannot go stale while the log grows).
 */
static int64
timer_latest_case(int64 timer_id)
{
	const CelRels *r = cel_rels();
	CelProbe	spec = cel_int8_probe(r->log, r->log_timer_idx);
	Datum		case_id;

	if (!cel_probe(&spec, Int64GetDatum(timer_id), BackwardScanDirection, NULL, NULL,
				   Anum_cel_log_case_id, &case_id))
		return 0;
	return DatumGetInt64(case_id);
}

/* The user_id argument, which must not be NULL */
static int64
user_arg(FunctionCallInfo fcinfo)
{
	cel_require_arg("user_id", PG_ARGISNULL(0));
	return PG_GETARG_INT64(0);
}

/*
 * Shared body of stop_timer() and cancel_timer(): finish the user's running
 * timer, link it to the case of its latest log, recompute that case's
 * billable time, and return the timer row.
 */
static Datum
finish_user_timer(FunctionCallInfo fcinfo, bool cancelled)
{
	int64		user_id;
	int64		timer_id;
	int64		case_id;
	int64		billable;
	bool		bills;
	Datum		result;

	user_id = user_arg(fcinfo);

	cel_spi_connect();

	push_own_snapshot();
	timer_id = cel_timer_running(user_id);
	if (timer_id == 0)
		ereport(ERROR,
				(errcode(ERRCODE_CEL_TIMER_STATE),
				 errmsg("user %lld has no running timer", (long long) user_id),
				 errhint("Start one with cla_eventlog.start_timer(%lld).", (long long) user_id)));

	case_id = timer_latest_case(timer_id);
	if (case_id == 0 && !cancelled)
		ereport(ERROR,
				(errcode(ERRCODE_CEL_TIMER_STATE),
				 errmsg("cannot stop a timer without a log"),
				 errdetail("Timer %lld of user %lld has no log rows, so it has no case to bill.",
						   (long long) timer_id, (long long) user_id),
				 errhint("Log an event for the case first, or cancel the timer with cla_eventlog.cancel_timer(%lld).",
						 (long long) user_id)));

	if (case_id != 0)
		(void) cel_case_exists(case_id, true);
	bills = case_id != 0 && cel_case_has_role(ROLE_BILLABLE_TIME);
	if (!cel_timer_finish(timer_id, case_id, cancelled, bills ? &billable : NULL))
		ereport(ERROR,
				(errcode(ERRCODE_CEL_TIMER_STATE),
				 errmsg("timer %lld of user %lld is already stopped",
						(long long) timer_id, (long long) user_id),
				 errdetail("Another transaction stopped it first.")));

	result = SPI_datumTransfer(timer_datum(fcinfo, SPI_tuptable->vals[0]), false, -1);
	PopActiveSnapshot();

	if (bills)
	{
		CelCaseChange change;

		cel_case_change_init(&change, case_id);
		change.set_billable = true;
		change.billable = billable;
		(void) cel_case_apply(&change);
	}

	SPI_finish();
	PG_RETURN_DATUM(result);
}

/* stop_timer(user_id bigint) RETURNS cla_eventlog.timer */
Datum
cel_stop_timer(PG_FUNCTION_ARGS)
{
	return finish_user_timer(fcinfo, false);
}

/* cancel_timer(user_id bigint) RETURNS cla_eventlog.timer */
Datum
cel_cancel_timer(PG_FUNCTION_ARGS)
{
	return finish_user_timer(fcinfo, true);
}

/* A timer row as the function's composite result */
static Datum
timer_datum(FunctionCallInfo fcinfo, HeapTuple tuple)
{
	TupleDesc	desc;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "a timer function must return cla_eventlog.timer");
	return heap_copy_tuple_as_datum(tuple, desc);
}

/*
 * Insert a running timer for the user unless one is running; the new row,
 * or NULL when a running timer exists (committed, or committed by a
 * concurrent transaction this one waited for).
 */
static HeapTuple
timer_insert(int64 user_id)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1] = {Int64GetDatum(user_id)};
	HeapTuple	tuple = NULL;

	cel_spi_connect();
	if (insert_plan == NULL)
		insert_plan = cel_prepare("INSERT INTO cla_eventlog.timer (created_by) VALUES ($1)"
								  " ON CONFLICT (created_by) WHERE stopped IS NULL DO NOTHING"
								  " RETURNING *", 1, types);
	if (cel_exec_as_owner(insert_plan, values, NULL, false, 0, SPI_OK_INSERT_RETURNING) > 0)
		tuple = SPI_copytuple(SPI_tuptable->vals[0]);
	SPI_finish();
	return tuple;
}

/*
 * The user's running timer as this transaction sees it now
 * (push_own_snapshot), or false; *tuple gets a copy of its row.
 */
static bool
own_running_row(int64 user_id, HeapTuple *tuple)
{
	int64		id;
	bool		found;

	push_own_snapshot();
	found = timer_running_row(user_id, NULL, tuple, &id);
	PopActiveSnapshot();
	return found;
}

/* current_timer(user_id bigint) RETURNS cla_eventlog.timer */
Datum
cel_current_timer(PG_FUNCTION_ARGS)
{
	HeapTuple	tuple;

	if (!own_running_row(user_arg(fcinfo), &tuple))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(timer_datum(fcinfo, tuple));
}

/* create_timer(user_id bigint) RETURNS cla_eventlog.timer */
Datum
cel_create_timer(PG_FUNCTION_ARGS)
{
	int64		user_id = user_arg(fcinfo);
	HeapTuple	tuple = timer_insert(user_id);

	if (tuple == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_CEL_TIMER_STATE),
				 errmsg("there is already a timer running for user %lld", (long long) user_id),
				 errhint("Use cla_eventlog.start_timer() to get the running timer, or stop it first.")));
	PG_RETURN_DATUM(timer_datum(fcinfo, tuple));
}

/*
 * start_timer(user_id bigint) RETURNS cla_eventlog.timer: the
 * running timer or a new one.  The insert waits for a concurrent creator
 * (unique index); a fresh snapshot then finds its timer under READ
 * COMMITTED (REPEATABLE READ gets a serialization failure instead).  Loops
 * in case that timer was stopped in between.
 */
Datum
cel_start_timer(PG_FUNCTION_ARGS)
{
	int64		user_id = user_arg(fcinfo);

	for (;;)
	{
		HeapTuple	tuple;

		if (own_running_row(user_id, &tuple) ||
			(tuple = timer_insert(user_id)) != NULL)
			PG_RETURN_DATUM(timer_datum(fcinfo, tuple));
		CHECK_FOR_INTERRUPTS();
	}
}
