/*-------------------------------------------------------------------------
 *
 * log_apply.c
 *	  The AFTER INSERT row trigger on cla_eventlog.log: what a stored log
 *	  row does to its case and to timers, in the inserting transaction
 *	  (README "Side effects (trigger log_apply)"): outcome denormalisation, requires-action-by, case column
 *	  stamps, stopping the timer and billable time.
 *
 * Every change to the case is made by one UPDATE of the case row
 * (cel_case_apply), after the timer is stopped and the billable time
 * summed.  The BEFORE trigger already locked the case row of every row that
 * gets here with side effects, so the order of locks is always case, then
 * timer.  Running AFTER the insert means only rows that were really stored
 * (not skipped by once_per or the debounce, nor by another BEFORE trigger)
 * have side effects.
 *
 *-------------------------------------------------------------------------
 */
#include "cla_eventlog.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

PG_FUNCTION_INFO_V1(cel_log_apply);

/*
 * Call a set_requires_action_by function (case_id bigint, current text)
 * and return its result (NULL for SQL NULL).
 */
static char *
call_rab_function(const CelCode *def, int64 case_id)
{
	Oid			argtypes[2] = {INT8OID, TEXTOID};
	Oid			fn;
	bool		current_null;
	char	   *current;

	/* only a registry row written behind register_event()'s back lacks it */
	if (def->rab_function == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("set_requires_action_by of code \"%s\" of event \"%s\" is malformed",
						def->code, def->event_key),
				 errdetail("It is neither null, a string, {\"clear_if_owned_by\": [...]} nor {\"function\": \"schema.name\"}."),
				 errhint("Register the event again with cla_eventlog.register_event().")));
	fn = cel_resolve_function(def->rab_function, 2, argtypes,
							  "set_requires_action_by function", false);
	current = cel_case_current_rab(case_id, &current_null);
	return cel_call_text_function(fn, case_id,
								  current_null ? (Datum) 0 : CStringGetTextDatum(current),
								  current_null);
}

/*
 * Stop the row's timer; *billable (unless NULL) gets the case's new
 * billable seconds.  Under REPEATABLE READ a timer stopped by a transaction
 * that committed after our snapshot raises a serialization failure; that
 * timer is stopped already, which is all this row asked for, so the
 * failure is swallowed in a subtransaction and the row is kept.
 *
 * The subtransaction ends on every path, as in PL/pgSQL's exec_stmt_block:
 * released when the stop succeeds, rolled back on any error, and only then
 * is an error other than 40001 (a lock or statement timeout, a cancel, a
 * deadlock) re-thrown, from a copy made in the caller's memory context.  An
 * error escaping with the subtransaction still open would leave the
 * session inside it: an autocommit transaction that never ends, or one
 * that only a fatal ROLLBACK leaves.
 */
static bool
stop_row_timer(int64 timer_id, int64 case_id, int64 *billable)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	volatile bool stopped = false;

	if (!IsolationUsesXactSnapshot())
		return cel_timer_finish(timer_id, case_id, false, billable);

	BeginInternalSubTransaction(NULL);
	/* run in the caller's memory context, as PL/pgSQL does */
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		stopped = cel_timer_finish(timer_id, case_id, false, billable);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		/* save the error where the subtransaction's abort cannot free it */
		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();

		/* end the subtransaction whatever the error */
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;

		if (edata->sqlerrcode != ERRCODE_T_R_SERIALIZATION_FAILURE)
			ReThrowError(edata);
		FreeErrorData(edata);
		stopped = false;
	}
	PG_END_TRY();
	return stopped;
}

/* cla_eventlog._log_apply(): AFTER INSERT FOR EACH ROW on the log */
Datum
cel_log_apply(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	HeapTuple	tup;
	bool		isnull;
	bool		timer_null;
	int64		log_id;
	int64		case_id;
	int64		timer_id;
	char	   *event_key;
	char	   *code;
	CelCode    *def;
	CelCaseChange change;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		!TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
		cel_trigger_misused("_log_apply", "an AFTER INSERT row trigger");
	cel_require_log_table(trigdata->tg_relation, "_log_apply");
	if (cel_loading_dump())
		return PointerGetDatum(NULL);	/* restored as it was */
	desc = RelationGetDescr(trigdata->tg_relation);
	tup = trigdata->tg_trigtuple;

	log_id = DatumGetInt64(heap_getattr(tup, Anum_cel_log_id, desc, &isnull));
	case_id = DatumGetInt64(heap_getattr(tup, Anum_cel_log_case_id, desc, &isnull));
	timer_id = DatumGetInt64(heap_getattr(tup, Anum_cel_log_timer_id, desc, &timer_null));
	if (timer_null)
		timer_id = 0;
	event_key = TextDatumGetCString(heap_getattr(tup, Anum_cel_log_event_key, desc, &isnull));
	code = TextDatumGetCString(heap_getattr(tup, Anum_cel_log_code, desc, &isnull));
	def = cel_registry_lookup(event_key, code);

	/*
	 * The BEFORE trigger found the code; AFTER row triggers run at the end
	 * of the statement, so raw DML on the registry run in between (by a
	 * function the statement calls) renamed or deleted it.  The row cannot
	 * be applied as it was checked: refuse the statement.
	 */
	if (def == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_TRIGGERED_DATA_CHANGE_VIOLATION),
				 errmsg("code \"%s\" of event \"%s\" is no longer registered", code, event_key),
				 errdetail("The registry changed while the statement was inserting log row %lld: the row was checked against the code, which was renamed or removed before the row could be applied to its case.",
						   (long long) log_id),
				 errhint("Change the registry in its own statement, not from a statement that logs."),
				 errtablecol(trigdata->tg_relation, Anum_cel_log_code)));
	if (!cel_row_has_case_effects(def, timer_id))
		return PointerGetDatum(NULL);

	cel_spi_connect();

	cel_case_change_init(&change, case_id);
	if (cel_is_high_outcome(def))
	{
		change.outcome_log_id = log_id;
		change.outcome_code = def->code;
		change.outcome_level = def->level;
	}
	change.rab_mode = def->rab_mode;
	change.rab_value = def->rab_value;
	change.rab_list = def->rab_list;
	if (def->rab_mode == CEL_RAB_FUNCTION)
	{
		change.rab_mode = CEL_RAB_SET;
		change.rab_value = call_rab_function(def, case_id);
	}
	memcpy(change.stamps, def->stamps, sizeof(change.stamps));

	if (def->stops_timer && timer_id != 0)
	{
		bool		bills = cel_case_has_role(ROLE_BILLABLE_TIME);

		change.set_billable = stop_row_timer(timer_id, case_id,
											 bills ? &change.billable : NULL) && bills;
	}

	if (!cel_case_apply(&change))
		cel_case_missing(case_id, NULL);
	SPI_finish();
	return PointerGetDatum(NULL);
}
