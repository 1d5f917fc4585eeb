/*-------------------------------------------------------------------------
 *
 * append_only.c
 *	  The log is append-only (README "Logging"): its guard trigger refuses to
 *	  change or remove a log row, for everyone, the table owner included.
 *	  UPDATE and DELETE are refused per row, so a statement that matches no
 *	  row (Django's save() of an object with its primary key first tries an
 *	  UPDATE) changes nothing and passes; TRUNCATE, per statement.
 *
 *	  This file is also every way past the guard, each for one purpose
 *	  (README "Erasing a case, resetting a test database"):
 *	  - cla_eventlog.allow_log_maintenance, a superuser's session switch;
 *	  - _delete_logs(), the log rows that erase_cases() and
 *	    apply_retention() remove, through their one path _remove_history()
 *	    (sql/parts/75_erasure.sql; README "Retention"), which audits them;
 *	  - reset_test_data(), which empties the log and the timers of a test
 *	    database;
 *	  - TRUNCATE of a log that is already empty, which loses nothing: after
 *	    reset_test_data(), Django's flush truncates the case table with
 *	    CASCADE, and so the log too;
 *	  - _archive_logs() and _restore_logs(), which move log rows to
 *	    log_archive and back for remove_duplicate_outcomes() and
 *	    restore_archived_logs() (sql/parts/77_log_maintenance.sql);
 *	  - _set_log_contexts(), the one sanctioned change of a row's context
 *	    (add_sla_72h(), audited in log_change);
 *	  - _import_logs() and _import_timers(), the history import's rows,
 *	    stored as given with no trigger firing (import_history(),
 *	    sql/parts/79_history_import.sql; see run_import());
 *	  - a superuser's restore of a dump (cel_loading_dump): the log triggers
 *	    store a restored row as given, since it was checked and applied
 *	    when it was first written; so do they for a row _restore_logs()
 *	    puts back.
 *
 *-------------------------------------------------------------------------
 */
#include "cla_eventlog.h"

#include "access/tableam.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "tcop/pquery.h"
#include "utils/guc.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

PG_FUNCTION_INFO_V1(cel_log_guard);
PG_FUNCTION_INFO_V1(cel_delete_logs);
PG_FUNCTION_INFO_V1(cel_reset_test_data);
PG_FUNCTION_INFO_V1(cel_archive_logs);
PG_FUNCTION_INFO_V1(cel_restore_logs);
PG_FUNCTION_INFO_V1(cel_set_log_contexts);
PG_FUNCTION_INFO_V1(cel_import_logs);
PG_FUNCTION_INFO_V1(cel_import_timers);

/* Django's test runner names its databases test_<name> */
#define TEST_DATABASE_PREFIX	"test_"

/*
 * true while one of this file's SQL-callable functions runs its own
 * statement: the guard lets it change the log, and the log triggers store a
 * row it inserts as given (cel_loading_dump), as for a restored dump
 */
static bool sanctioned = false;

/*
 * Is this session loading a dump (README "Backup, restore and upgrade")?  pg_dump's output, in every
 * format and also through pg_restore -j, loads the log with COPY in sessions
 * that run with check_function_bodies off (PostgreSQL's own "loading a dump,
 * don't validate" switch).  A log row loaded so was validated and applied
 * when it was first written, and its case and timer are restored as they
 * were; checking it again would refuse it (a retired code, a case table
 * restored after the log), skip it (once_per, debounce) or rewrite its case.
 * So the log triggers store it as given and do nothing else.  Only a
 * superuser's COPY qualifies (restoring this untrusted extension needs one
 * anyway), so an application role cannot use this to get round the rules.
 */
bool
cel_loading_dump(void)
{
	return sanctioned ||
		(!check_function_bodies && ActivePortal != NULL &&
		 ActivePortal->commandTag == CMDTAG_COPY && superuser());
}

/*
 * Does the relation hold no row?  Called from BEFORE TRUNCATE, after
 * TRUNCATE has taken its ACCESS EXCLUSIVE lock, so no writer is in progress
 * and the latest snapshot sees every committed row, also in a REPEATABLE
 * READ transaction whose own snapshot is older.
 */
static bool
relation_is_empty(Relation rel)
{
	Snapshot	snapshot = RegisterSnapshot(GetLatestSnapshot());
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	TableScanDesc scan = table_beginscan(rel, snapshot, 0, NULL);
	bool		empty = !table_scan_getnextslot(scan, ForwardScanDirection, slot);

	table_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	UnregisterSnapshot(snapshot);
	return empty;
}

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
		cel_trigger_misused("_log_guard", "called as a trigger");
	if (cel_allow_log_maintenance || sanctioned ||
		(TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event) &&
		 relation_is_empty(trigdata->tg_relation)))
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
			 errhint("To erase a case, use cla_eventlog.erase_cases(); to empty a test database, cla_eventlog.reset_test_data()."),
			 errtable(trigdata->tg_relation)));
	pg_unreachable();
}

/* Run one statement of this file past the guard; SPI_processed after it */
static uint64
run_sanctioned(const char *sql, int nargs, Oid *argtypes, Datum *values,
			   int expected)
{
	uint64		processed = 0;

	cel_spi_connect();
	PG_TRY();
	{
		sanctioned = true;
		if (SPI_execute_with_args(sql, nargs, argtypes, values, NULL,
								  false, 0) != expected)
			elog(ERROR, "SPI_execute failed: %s", sql);
		processed = SPI_processed;
	}
	PG_FINALLY();
	{
		sanctioned = false;
	}
	PG_END_TRY();
	SPI_finish();
	return processed;
}

/*
 * _delete_logs(log_ids bigint[]) RETURNS bigint: delete the given log rows;
 * the number deleted (a row already gone is not counted).  Only
 * _remove_history() calls it (PUBLIC has no EXECUTE), for erase_cases() and
 * apply_retention(), after they have locked the cases whose state the rows
 * decide and before they audit.
 */
Datum
cel_delete_logs(PG_FUNCTION_ARGS)
{
	Oid			argtypes[1] = {INT8ARRAYOID};
	Datum		values[1];

	values[0] = cel_arg(fcinfo, 0, "log_ids");
	PG_RETURN_INT64((int64) run_sanctioned("DELETE FROM cla_eventlog.log"
										   " WHERE id OPERATOR(pg_catalog.=) ANY ($1)",
										   1, argtypes, values, SPI_OK_DELETE));
}

/*
 * reset_test_data() RETURNS void: empty the log, the timers, the erasure
 * audit, the archive and the change audit, in a test database only.  TRUNCATE's own privilege check applies:
 * only the owner of those tables (or a superuser) can run it.
 */
Datum
cel_reset_test_data(PG_FUNCTION_ARGS)
{
	char	   *dbname = get_database_name(MyDatabaseId);

	if (strncmp(dbname, TEST_DATABASE_PREFIX, strlen(TEST_DATABASE_PREFIX)) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("database \"%s\" is not a test database", dbname),
				 errdetail("reset_test_data() empties the event log, so it runs only in a database whose name begins with \"%s\".",
						   TEST_DATABASE_PREFIX),
				 errhint("Django's test runner creates such a database; to remove one case's history, use cla_eventlog.erase_cases().")));
	(void) run_sanctioned("TRUNCATE cla_eventlog.log, cla_eventlog.timer, cla_eventlog.erasure,"
						  " cla_eventlog.log_archive, cla_eventlog.log_change",
						  0, NULL, NULL, SPI_OK_UTILITY);
	PG_RETURN_VOID();
}

/*
 * _archive_logs(log_ids bigint[], archived_by text, reason text) RETURNS
 * bigint: move the given log rows, whole, into log_archive with who, when
 * and why; the number moved.  Only remove_duplicate_outcomes() calls it,
 * after it has locked their cases.
 */
Datum
cel_archive_logs(PG_FUNCTION_ARGS)
{
	Oid			argtypes[3] = {INT8ARRAYOID, TEXTOID, TEXTOID};
	Datum		values[3];

	values[0] = cel_arg(fcinfo, 0, "log_ids");
	values[1] = cel_arg(fcinfo, 1, "archived_by");
	values[2] = cel_arg(fcinfo, 2, "reason");
	PG_RETURN_INT64((int64) run_sanctioned("WITH moved AS (DELETE FROM cla_eventlog.log"
										   " WHERE id OPERATOR(pg_catalog.=) ANY ($1) RETURNING *)"
										   " INSERT INTO cla_eventlog.log_archive"
										   " SELECT moved.*, pg_catalog.now(), $2, $3 FROM moved",
										   3, argtypes, values, SPI_OK_INSERT));
}

/*
 * _restore_logs(log_ids bigint[]) RETURNS bigint: put the given archived rows
 * back into the log as they were (their ids, times and contexts; no rule
 * re-applied, no side effect replayed); the number restored.  Only
 * restore_archived_logs() calls it, which then repairs their cases.
 */
Datum
cel_restore_logs(PG_FUNCTION_ARGS)
{
	Oid			argtypes[1] = {INT8ARRAYOID};
	Datum		values[1];

	values[0] = cel_arg(fcinfo, 0, "log_ids");
	PG_RETURN_INT64((int64) run_sanctioned("WITH moved AS (DELETE FROM cla_eventlog.log_archive"
										   " WHERE id OPERATOR(pg_catalog.=) ANY ($1)"
										   " RETURNING id, case_id, timer_id, event_key, code, type, level,"
										   " created_by, created_by_role, notes, patch, context, content_type,"
										   " object_id, created, modified)"
										   " INSERT INTO cla_eventlog.log"
										   " SELECT * FROM moved",
										   1, argtypes, values, SPI_OK_INSERT));
}

/*
 * _set_log_contexts(log_ids bigint[], contexts jsonb[]) RETURNS bigint: set
 * the context of the given log rows (arrays in step), leaving modified as
 * it is; the number changed.  Only add_sla_72h() calls it, which records
 * each change in log_change.
 */
Datum
cel_set_log_contexts(PG_FUNCTION_ARGS)
{
	Oid			argtypes[2] = {INT8ARRAYOID, JSONBARRAYOID};
	Datum		values[2];

	values[0] = cel_arg(fcinfo, 0, "log_ids");
	values[1] = cel_arg(fcinfo, 1, "contexts");
	PG_RETURN_INT64((int64) run_sanctioned("UPDATE cla_eventlog.log l SET context = v.context"
										   " FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) AS v(id, context)"
										   " WHERE l.id OPERATOR(pg_catalog.=) v.id",
										   2, argtypes, values, SPI_OK_UPDATE));
}

/*
 * The history import's rows are stored with session_replication_role =
 * replica, so that no trigger fires for them: neither the log's own (they
 * would store the rows as given anyway) nor the foreign-key checks, one
 * query per row, which made the import three times slower than writing the
 * rows.  What those checks guarantee, the staging functions
 * (_import_log_rows(), _import_timer_rows()) have made sure of for the
 * whole batch: they lock the batch's cases and timers FOR KEY SHARE, as the
 * checks would, before they stage only rows whose case and timer exist.
 */
static uint64
run_import(const char *sql)
{
	int			nestlevel = NewGUCNestLevel();
	uint64		stored;

	(void) set_config_option("session_replication_role", "replica", PGC_SUSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	stored = run_sanctioned(sql, 0, NULL, NULL, SPI_OK_INSERT);
	AtEOXact_GUC(true, nestlevel);
	return stored;
}

/*
 * _import_logs() RETURNS bigint: store the staged log rows of the history
 * import (pg_temp.cel_import_log, those without a problem) in the log as
 * given: the service's history, with its ids, times and duplicates; no rule
 * re-applied, no side effect replayed (README "Moving an existing
 * cla_backend database").  The number stored.  Only import_history() calls
 * it (PUBLIC has no EXECUTE), through _import_batch(), which staged them.
 */
Datum
cel_import_logs(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64((int64) run_import("INSERT INTO cla_eventlog.log"
									   " SELECT id, case_id, timer_id, event_key, code, type, level,"
									   " created_by, created_by_role, notes, patch, context, content_type,"
									   " object_id, created, modified"
									   " FROM pg_temp.cel_import_log WHERE problem IS NULL"));
}

/*
 * _import_timers() RETURNS bigint: the same for the staged new timers
 * (pg_temp.cel_import_timer): their own created, stopped, cancelled and
 * linked case.
 */
Datum
cel_import_timers(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64((int64) run_import("INSERT INTO cla_eventlog.timer"
									   " (id, created_by, created, stopped, linked_case, cancelled, modified)"
									   " SELECT id, created_by, created, stopped, linked_case, cancelled, modified"
									   " FROM pg_temp.cel_import_timer WHERE problem IS NULL AND NOT existing"));
}
