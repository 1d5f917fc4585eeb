/*-------------------------------------------------------------------------
 *
 * maintenance.c
 *	  The log is append-only (SPEC 4.3): triggers refuse to change or remove
 *	  a log row, and TRUNCATE, for everyone, the table owner included, unless
 *	  a superuser has turned on cla_eventlog.allow_log_maintenance.  UPDATE
 *	  and DELETE are refused per row, so a statement that matches no row
 *	  (Django's save() of an object with its primary key first tries an
 *	  UPDATE) changes nothing and passes; TRUNCATE, per statement.
 *
 *-------------------------------------------------------------------------
 */
#include "cla_eventlog.h"

#include "commands/trigger.h"
#include "fmgr.h"
#include "utils/rel.h"

PG_FUNCTION_INFO_V1(cel_log_guard);

/*
 * cla_eventlog._log_guard(): BEFORE UPDATE OR DELETE per row, BEFORE
 * TRUNCATE per statement
 */
Datum
cel_log_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	const char *what;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "cla_eventlog: _log_guard() must be called as a trigger");
	if (cel_allow_log_maintenance)
	{
		if (!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event))
			return PointerGetDatum(NULL);
		return PointerGetDatum(TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ?
							   trigdata->tg_newtuple : trigdata->tg_trigtuple);
	}

	what = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ? "UPDATE" :
		TRIGGER_FIRED_BY_DELETE(trigdata->tg_event) ? "DELETE" : "TRUNCATE";
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("%s on the event log is not allowed", what),
			 errdetail("Table %s is append-only: history is never rewritten.",
					   RelationGetRelationName(trigdata->tg_relation)),
			 errhint("For audited clean-up, a superuser may SET cla_eventlog.allow_log_maintenance = on in that session."),
			 errtable(trigdata->tg_relation)));
	pg_unreachable();
}
