/*-------------------------------------------------------------------------
 *
 * log_trigger.c
 *	  The BEFORE INSERT row trigger on cla_eventlog.log: validates and
 *	  completes every inserted row, and skips duplicates (once_per, the
 *	  same-day outcome debounce) (README "Logging").  log_event() and plain
 *	  INSERTs both come through here: this is the one place where the rules
 *	  of a log row live.  What a stored row does to the case and to timers is
 *	  log_apply.c.
 *
 * Order of work for one row: required columns; registry (event key, live
 * code, type, level, role); context and content reference; timer; case
 * (existence and lock); once_per; debounce.  Errors name the offending
 * value and carry the table and column.
 *
 * Concurrency: a row with case side effects, or one that once_per may
 * skip, locks the case row FOR NO KEY UPDATE before the duplicate checks,
 * so two transactions checking the same case for duplicates are
 * serialised, and under READ COMMITTED the second sees the first's row.
 *
 *-------------------------------------------------------------------------
 */
#include "cla_eventlog.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "pgtime.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/rel.h"

PG_FUNCTION_INFO_V1(cel_log_validate);


/*
 * Error for a NULL in a required column of the row: 23502, as a NOT NULL
 * constraint would raise (a NULL function argument is 22004, args.c)
 */
static void
require_column(const char *name, bool isnull)
{
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("%s must not be null", name)));
}

/*
 * The row's id must be the one its column default issued for it (see
 * log_insert.c): an application role may not choose one, because the id
 * orders the log.  cla_eventlog.allow_explicit_ids (superuser only) lets a
 * history import give its own.  A log whose default is not _log_id() (a
 * database still at 1.0) issues ids this cannot recognise: no check.
 */
static void
check_id(Relation rel, Datum id, bool isnull)
{
	if (!isnull && cel_log_id_claim(DatumGetInt64(id)))
		return;
	if (cel_allow_explicit_ids || !cel_log_ids_issued(rel))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_GENERATED_ALWAYS),
			 errmsg("cannot insert a non-DEFAULT value into column \"id\" of table \"%s\"",
					RelationGetRelationName(rel)),
			 errdetail("Log ids are issued by the column default in the order rows are logged, and a higher id means a later log: a case shows its highest-id HIGH outcome, and MI's \"first\" is the lowest id."),
			 errhint("Leave id out (or write DEFAULT). A history import run by a superuser may SET LOCAL cla_eventlog.allow_explicit_ids = on."),
			 errtablecol(rel, Anum_cel_log_id)));
}

/* The definition the row names, filling a NULL event key */
static CelCode *
resolve_code(Relation rel, const char *event_key, const char *code)
{
	CelCode    *def;

	if (event_key == NULL)
	{
		CelCode   **cands;
		int			n = cel_registry_candidates(code, &cands);
		const char **keys;

		if (n == 1)
			return cands[0];
		if (n == 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("code \"%s\" is not a live code of any event", code),
					 errhint("See cla_eventlog.codes for the registered codes."),
					 errtablecol(rel, Anum_cel_log_code)));
		keys = palloc(sizeof(char *) * n);
		for (int i = 0; i < n; i++)
			keys[i] = cands[i]->event_key;
		ereport(ERROR,
				(errcode(ERRCODE_AMBIGUOUS_PARAMETER),
				 errmsg("code \"%s\" is ambiguous", code),
				 errdetail("It is a live code of the events %s.", cel_quoted_list(keys, n)),
				 errhint("Give the event key."),
				 errtablecol(rel, Anum_cel_log_event_key)));
	}

	def = cel_registry_lookup(event_key, code);
	if (def == NULL)
	{
		(void) cel_require_event(event_key, rel);
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("code \"%s\" is not registered for event \"%s\"", code, event_key),
				 cel_errdetail_live_codes(event_key),
				 errtablecol(rel, Anum_cel_log_code)));
	}
	if (def->retired)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("code \"%s\" of event \"%s\" is retired", code, event_key),
				 errdetail("Retired codes are kept for old logs but refused for new ones. Live codes of event \"%s\": %s.",
						   event_key, cel_registry_live_codes(event_key)),
				 errtablecol(rel, Anum_cel_log_code)));
	return def;
}

/* Check the acting role, or a role it is a member of, against the code's selectable_by */
static void
check_role(Relation rel, const CelCode *def, const char *role)
{
	if (role == NULL)
	{
		if (cel_require_acting_role)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("an acting role is required to log code \"%s\" of event \"%s\"",
							def->code, def->event_key),
					 errhint("Give created_by_role, or SET cla_eventlog.acting_role."),
					 errtablecol(rel, Anum_cel_log_created_by_role)));
		return;
	}
	if (!cel_registry_role_exists(role))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("role \"%s\" is not registered", role),
				 errhint("Registered roles are in cla_eventlog.role; an application adds its own with cla_eventlog.add_role()."),
				 errtablecol(rel, Anum_cel_log_created_by_role)));
	if (def->n_selectable == 0)
		return;
	for (int i = 0; i < def->n_selectable; i++)
	{
		if (cel_registry_role_acts_as(role, def->selectable_by[i]))
			return;
	}
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("role \"%s\" may not log code \"%s\" of event \"%s\"",
					role, def->code, def->event_key),
			 errdetail("The code is selectable by %s.",
					   cel_quoted_list((const char *const *) def->selectable_by,
									   def->n_selectable)),
			 errtablecol(rel, Anum_cel_log_created_by_role)));
}

/* Can once_per skip this row, so that it must be checked? */
static bool
once_per_applies(const CelCode *def, int64 timer_id)
{
	return def->once_per == CEL_ONCE_CASE ||
		(def->once_per == CEL_ONCE_CASE_TIMER && timer_id != 0);
}

/* once_per case: a log of the same case with this event key and code */
static bool
same_event_code(TupleTableSlot *slot, void *arg)
{
	const CelCode *def = (const CelCode *) arg;
	bool		isnull;

	return strcmp(TextDatumGetCString(slot_getattr(slot, Anum_cel_log_code, &isnull)),
				  def->code) == 0 &&
		strcmp(TextDatumGetCString(slot_getattr(slot, Anum_cel_log_event_key, &isnull)),
			   def->event_key) == 0;
}

/* once_per case_timer: a log of the same case and timer with one of the codes */
typedef struct TimerDupArg
{
	int64		case_id;
	Datum	   *codes;
	int			ncodes;
} TimerDupArg;

static bool
same_case_listed_code(TupleTableSlot *slot, void *arg)
{
	TimerDupArg *a = (TimerDupArg *) arg;
	bool		isnull;
	char	   *code;

	if (DatumGetInt64(slot_getattr(slot, Anum_cel_log_case_id, &isnull)) != a->case_id)
		return false;
	code = TextDatumGetCString(slot_getattr(slot, Anum_cel_log_code, &isnull));
	for (int i = 0; i < a->ncodes; i++)
	{
		if (strcmp(TextDatumGetCString(a->codes[i]), code) == 0)
			return true;
	}
	return false;
}

/*
 * Does once_per make this row a duplicate?  Scans the case's
 * logs (index log_case) or the timer's logs (index log_timer) under a new
 * snapshot taken after the case row was locked.
 */
static bool
once_per_duplicate(const CelCode *def, int64 case_id, int64 timer_id)
{
	const CelRels *r = cel_rels();
	Snapshot	snapshot;
	bool		dup = false;

	if (!once_per_applies(def, timer_id))
		return false;
	/* make rows stored earlier by this statement visible, as SPI would */
	CommandCounterIncrement();
	snapshot = RegisterSnapshot(GetTransactionSnapshot());
	if (def->once_per == CEL_ONCE_CASE)
	{
		CelProbe	spec = cel_int8_probe(r->log, r->log_case_idx);

		dup = cel_probe_match(&spec, Int64GetDatum(case_id), ForwardScanDirection,
							  snapshot, same_event_code, (void *) def, NULL, 0, NULL);
	}
	else
	{
		CelProbe	spec = cel_int8_probe(r->log, r->log_timer_idx);
		TimerDupArg arg;
		bool	   *nulls;

		arg.case_id = case_id;
		deconstruct_array(DatumGetArrayTypeP(def->once_codes), TEXTOID, -1, false,
						  TYPALIGN_INT, &arg.codes, &nulls, &arg.ncodes);
		dup = cel_probe_match(&spec, Int64GetDatum(timer_id), ForwardScanDirection,
							  snapshot, same_case_listed_code, &arg, NULL, 0, NULL);
	}
	UnregisterSnapshot(snapshot);
	return dup;
}

/*
 * The calendar day of a log's created in the debounce time zone, as a Julian
 * day number; false for a time that has none (an infinite one, restored from
 * a dump).  The day is read from the broken-down local time rather than by
 * shifting the timestamp to local time, so a time near either end of the
 * timestamp range, whose local time may lie beyond it, cannot overflow
 * (22008).  The zone is looked up as the setting's check hook validated it
 * (pg_tzset), and remembered while the setting stays the same.
 */
static bool
local_day(Datum ts, int *day)
{
	static char *tz_name = NULL;
	static pg_tz *tz = NULL;
	TimestampTz t = DatumGetTimestampTz(ts);
	struct pg_tm tm;
	fsec_t		fsec;
	int			offset;

	if (TIMESTAMP_NOT_FINITE(t))
		return false;
	if (tz == NULL || strcmp(tz_name, cel_day_time_zone) != 0)
	{
		pg_tz	   *found = pg_tzset(cel_day_time_zone);

		if (found == NULL)
			elog(ERROR, "time zone \"%s\" of cla_eventlog.day_time_zone is not recognized",
				 cel_day_time_zone);
		if (tz_name != NULL)
			pfree(tz_name);
		tz_name = MemoryContextStrdup(TopMemoryContext, cel_day_time_zone);
		tz = found;
	}
	if (timestamp2tm(t, &offset, &tm, &fsec, NULL, tz) != 0)
		return false;
	*day = date2j(tm.tm_year, tm.tm_mon, tm.tm_mday);
	return true;
}

/*
 * Same-day outcome debounce (README "Logging"): is the case's latest HIGH outcome
 * the same code with the same notes, created on the same calendar day?
 * Reads the newest entry of the partial index log_case_high_outcome under a
 * new snapshot, taken after the case row was locked, so that under READ
 * COMMITTED a concurrent writer's committed row is seen.
 */
static bool
debounce_duplicate(TupleDesc desc, const CelCode *def, int64 case_id,
				   bool notes_null, Datum notes, Datum created)
{
	const CelRels *r = cel_rels();
	CelProbe	spec = cel_int8_probe(r->log, r->log_high_outcome_idx);
	Snapshot	snapshot;
	HeapTuple	prev;
	bool		found;
	bool		isnull;
	Datum		prev_notes;
	int			prev_day;
	int			day;

	/* make rows stored earlier by this statement visible, as SPI would */
	CommandCounterIncrement();
	snapshot = RegisterSnapshot(GetTransactionSnapshot());
	found = cel_probe(&spec, Int64GetDatum(case_id), BackwardScanDirection,
					  snapshot, &prev, 0, NULL);
	UnregisterSnapshot(snapshot);
	if (!found)
		return false;
	if (strcmp(TextDatumGetCString(heap_getattr(prev, Anum_cel_log_event_key, desc, &isnull)),
			   def->event_key) != 0 ||
		strcmp(TextDatumGetCString(heap_getattr(prev, Anum_cel_log_code, desc, &isnull)),
			   def->code) != 0)
		return false;
	prev_notes = heap_getattr(prev, Anum_cel_log_notes, desc, &isnull);
	if (isnull != notes_null)
		return false;
	if (!isnull && !DatumGetBool(DirectFunctionCall2Coll(texteq, C_COLLATION_OID,
														  prev_notes, notes)))
		return false;
	return local_day(heap_getattr(prev, Anum_cel_log_created, desc, &isnull), &prev_day) &&
		local_day(created, &day) && prev_day == day;
}

/*
 * Is created inside the window a new log row may carry?  It must lie from
 * cla_eventlog.created_window_past before the transaction's start (so the
 * default, now(), is always inside) to cla_eventlog.created_window_future
 * after the current time (the clock is read only for a row beyond that as
 * of the transaction's start, so that a long import stamped by an
 * application server's clock is measured against the present).  Neither
 * bound can overflow: the settings are at most INT_MAX minutes and a day.
 * An absurd time made the daily MI views generate a day for every day up to
 * it, and one near the end of the timestamp range has no local day.
 */
static void
check_created_window(Relation rel, TimestampTz created)
{
	TimestampTz start = GetCurrentTransactionStartTimestamp();
	TimestampTz lower = start - (int64) cel_created_window_past * USECS_PER_MINUTE;
	int64		ahead = (int64) cel_created_window_future * USECS_PER_SEC;
	TimestampTz upper = start + ahead;
	bool		late;

	if (created >= lower && created <= upper)
		return;
	late = created > upper;
	upper = GetCurrentTimestamp() + ahead;
	if (late && created <= upper)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
			 errmsg("created \"%s\" is outside the window from %s before to %s after the current time",
					DatumGetCString(DirectFunctionCall1(timestamptz_out, TimestampTzGetDatum(created))),
					GetConfigOptionByName("cla_eventlog.created_window_past", NULL, false),
					GetConfigOptionByName("cla_eventlog.created_window_future", NULL, false)),
			 errdetail("A new log row's created must lie from %s (cla_eventlog.created_window_past before the transaction's start) to %s (cla_eventlog.created_window_future after the clock).",
					   DatumGetCString(DirectFunctionCall1(timestamptz_out, TimestampTzGetDatum(lower))),
					   DatumGetCString(DirectFunctionCall1(timestamptz_out, TimestampTzGetDatum(upper)))),
			 late ?
			 errhint("Leave created out to log at the transaction's time, or correct the clock that set it.") :
			 errhint("Leave created out to log at the transaction's time. To import older history, a superuser can widen cla_eventlog.created_window_past, for example SET LOCAL cla_eventlog.created_window_past = '36525d'."),
			 errtablecol(rel, Anum_cel_log_created)));
}

/*
 * cla_eventlog._log_validate(): BEFORE INSERT FOR EACH ROW on the log.
 * Returns the completed row, or NULL to skip a duplicate silently.
 */
Datum
cel_log_validate(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Relation	rel;
	TupleDesc	desc;
	Datum		values[Natts_cel_log];
	bool		nulls[Natts_cel_log];
	bool		repl[Natts_cel_log] = {0};
	char	   *event_key;
	char	   *code;
	char	   *role;
	CelCode    *def;
	int64		case_id;
	int64		user_id;
	int64		timer_id = 0;
	bool		skip = false;
	const char *rule;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		!TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
		cel_trigger_misused("_log_validate", "a BEFORE INSERT row trigger");
	rel = trigdata->tg_relation;
	cel_require_log_table(rel, "_log_validate");
	desc = RelationGetDescr(rel);
	if (desc->natts != Natts_cel_log)
		elog(ERROR, "the log table has %d columns, the library expects %d",
			 desc->natts, Natts_cel_log);
	if (cel_loading_dump())
		return PointerGetDatum(trigdata->tg_trigtuple); /* append_only.c */
	heap_deform_tuple(trigdata->tg_trigtuple, desc, values, nulls);
	check_id(rel, values[Anum_cel_log_id - 1], nulls[Anum_cel_log_id - 1]);

	/* required columns, and a case table to check the case against */
	require_column("case_id", nulls[Anum_cel_log_case_id - 1]);
	require_column("created_by", nulls[Anum_cel_log_created_by - 1]);
	require_column("code", nulls[Anum_cel_log_code - 1]);
	require_column("created", nulls[Anum_cel_log_created - 1]);
	/* an infinite time has no day: MI would count days up to it forever */
	if (TIMESTAMP_NOT_FINITE(DatumGetTimestampTz(values[Anum_cel_log_created - 1])))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("created must be a finite time, not %s",
						TIMESTAMP_IS_NOBEGIN(DatumGetTimestampTz(values[Anum_cel_log_created - 1])) ?
						"-infinity" : "infinity"),
				 errhint("Leave created out to log at the transaction's time."),
				 errtablecol(rel, Anum_cel_log_created)));
	check_created_window(rel, DatumGetTimestampTz(values[Anum_cel_log_created - 1]));
	cel_binding_require();
	case_id = DatumGetInt64(values[Anum_cel_log_case_id - 1]);
	user_id = DatumGetInt64(values[Anum_cel_log_created_by - 1]);

	/* the registered code: fills the event key when unambiguous */
	code = TextDatumGetCString(values[Anum_cel_log_code - 1]);
	event_key = nulls[Anum_cel_log_event_key - 1] ? NULL :
		TextDatumGetCString(values[Anum_cel_log_event_key - 1]);
	cel_require_name_length("code", code, rel, Anum_cel_log_code);
	if (event_key != NULL)
		cel_require_name_length("event key", event_key, rel, Anum_cel_log_event_key);
	def = resolve_code(rel, event_key, code);
	if (event_key == NULL)
	{
		values[Anum_cel_log_event_key - 1] = CStringGetTextDatum(def->event_key);
		nulls[Anum_cel_log_event_key - 1] = false;
		repl[Anum_cel_log_event_key - 1] = true;
	}

	/* type and level: filled from the registry, or equal to it */
	if (!nulls[Anum_cel_log_type - 1])
		cel_require_name_length("type", TextDatumGetCString(values[Anum_cel_log_type - 1]),
								rel, Anum_cel_log_type);
	if (nulls[Anum_cel_log_type - 1])
	{
		values[Anum_cel_log_type - 1] = CStringGetTextDatum(def->type_name);
		nulls[Anum_cel_log_type - 1] = false;
		repl[Anum_cel_log_type - 1] = true;
	}
	else if (strcmp(TextDatumGetCString(values[Anum_cel_log_type - 1]), def->type_name) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("type \"%s\" does not match code \"%s\" of event \"%s\"",
						TextDatumGetCString(values[Anum_cel_log_type - 1]),
						def->code, def->event_key),
				 errdetail("The registered type is \"%s\".", def->type_name),
				 errhint("Leave type NULL to have it filled from the registry."),
				 errtablecol(rel, Anum_cel_log_type)));
	if (nulls[Anum_cel_log_level - 1])
	{
		values[Anum_cel_log_level - 1] = Int32GetDatum(def->level);
		nulls[Anum_cel_log_level - 1] = false;
		repl[Anum_cel_log_level - 1] = true;
	}
	else if (DatumGetInt32(values[Anum_cel_log_level - 1]) != def->level)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("level %d does not match code \"%s\" of event \"%s\"",
						DatumGetInt32(values[Anum_cel_log_level - 1]),
						def->code, def->event_key),
				 errdetail("The registered level is %d.", def->level),
				 errhint("Leave level NULL to have it filled from the registry."),
				 errtablecol(rel, Anum_cel_log_level)));

	/* acting role: from the row, else from the setting */
	if (!nulls[Anum_cel_log_created_by_role - 1])
		role = TextDatumGetCString(values[Anum_cel_log_created_by_role - 1]);
	else if (cel_acting_role != NULL && cel_acting_role[0] != '\0')
	{
		role = cel_acting_role;
		values[Anum_cel_log_created_by_role - 1] = CStringGetTextDatum(role);
		nulls[Anum_cel_log_created_by_role - 1] = false;
		repl[Anum_cel_log_created_by_role - 1] = true;
	}
	else
		role = NULL;
	if (role != NULL)
		cel_require_name_length("role", role, rel, Anum_cel_log_created_by_role);
	check_role(rel, def, role);

	/* context is an object; content_type and object_id go together */
	if (!nulls[Anum_cel_log_context - 1])
	{
		Jsonb	   *context = DatumGetJsonbP(values[Anum_cel_log_context - 1]);

		if (JB_ROOT_IS_SCALAR(context) || !JB_ROOT_IS_OBJECT(context))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("context must be a JSON object"),
					 errdetail("The context given is a JSON %s.",
							   JB_ROOT_IS_SCALAR(context) ? "scalar" : "array"),
					 errhint("Wrap the value in an object, for example {\"value\": ...}."),
					 errtablecol(rel, Anum_cel_log_context)));
	}
	if (nulls[Anum_cel_log_content_type - 1] != nulls[Anum_cel_log_object_id - 1])
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("content_type and object_id must be given together"),
				 errhint("Give both to refer to another application object, or neither."),
				 errtable(rel)));

	/* timer: the given one must be the user's; else attach the running one */
	if (nulls[Anum_cel_log_timer_id - 1])
	{
		timer_id = cel_timer_running(user_id);
		if (timer_id != 0)
		{
			values[Anum_cel_log_timer_id - 1] = Int64GetDatum(timer_id);
			nulls[Anum_cel_log_timer_id - 1] = false;
			repl[Anum_cel_log_timer_id - 1] = true;
		}
	}
	else
	{
		timer_id = DatumGetInt64(values[Anum_cel_log_timer_id - 1]);
		cel_timer_check(timer_id, user_id);
	}

	/*
	 * The case exists.  It is locked when the row will write to it or may
	 * be a duplicate: that serialises the duplicate checks below with any
	 * concurrent writer of the same case.  A row lock lives in the tuple,
	 * so a bulk load takes no lock-table entry per row.
	 */
	cel_require_case(case_id,
					 cel_row_has_case_effects(def, timer_id) ||
					 once_per_applies(def, timer_id),
					 rel);

	/* duplicates are skipped silently, or refused (cla_eventlog.duplicates) */
	skip = once_per_duplicate(def, case_id, timer_id);
	rule = "its once_per rule";
	if (!skip && cel_debounce_outcomes && cel_is_high_outcome(def))
	{
		skip = debounce_duplicate(desc, def, case_id, nulls[Anum_cel_log_notes - 1],
								  values[Anum_cel_log_notes - 1],
								  values[Anum_cel_log_created - 1]);
		rule = "the same-day outcome debounce";
	}

	if (skip && cel_duplicates_error)
		ereport(ERROR,
				(errcode(ERRCODE_CEL_DUPLICATE),
				 errmsg("code \"%s\" of event \"%s\" on case %lld is a duplicate",
						def->code, def->event_key, (long long) case_id),
				 errdetail("The row repeats an earlier log of the case, which %s skips; it was not stored.", rule),
				 errhint("Treat the event as logged, or SET cla_eventlog.duplicates = 'skip' to have duplicates skipped without an error."),
				 errtable(rel)));
	if (skip)
		return PointerGetDatum(NULL);
	return PointerGetDatum(heap_modify_tuple(trigdata->tg_trigtuple, desc,
											 values, nulls, repl));
}
