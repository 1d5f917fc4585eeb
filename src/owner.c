/*-------------------------------------------------------------------------
 *
 * owner.c
 *	  Switching users: to the extension's owner for the extension's own
 *	  tables, and to an application table's owner for that table, and back.
 *
 * Rules (README "Privileges: a recipe for three roles"):
 *	- The triggers and timer functions read and write the extension's own
 *	  tables as the role that owns them (the owner of cla_eventlog.log), as
 *	  PostgreSQL's foreign-key triggers do, so that an application role
 *	  needs no privileges on them beyond INSERT on the log.
 *	- The application's case table and its functions are never used with
 *	  the extension owner's rights: the case table as its own owner in a
 *	  security-restricted operation (cel_become_table_owner), the registry's
 *	  functions as the calling user.
 *	- An error between a switch and cel_restore_user() needs no cleanup:
 *	  (sub)transaction abort restores the user and the settings.
 *
 *-------------------------------------------------------------------------
 */
#include "cla_eventlog.h"

#include "miscadmin.h"
#include "utils/guc.h"
#include "utils/snapmgr.h"

/* The role that owns the extension's tables (see the banner) */
Oid
cel_owner(void)
{
	return cel_rels()->owner;
}

/* Become the extension's owner until cel_restore_user() */
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
 * and the settings it changes are undone on return.
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

/*
 * Run a SELECT of the extension's own tables for a backend cache (the
 * registry, the binding) as the extension's owner under the latest
 * snapshot, so that a transaction sees its own changes and a long
 * REPEATABLE READ transaction never caches what is older than the
 * committed state.  "snapshot" is one the caller registered from
 * GetLatestSnapshot() to read several tables as of one moment, or NULL to
 * have one taken here.  "what" names what is read, for the can't-happen
 * error.  The rows are in SPI_tuptable; caller is connected to SPI.
 */
uint64
cel_read_as_owner(const char *sql, Snapshot snapshot, const char *what)
{
	CelUserContext saved;
	SPIPlanPtr	plan;
	Snapshot	snap = snapshot ? snapshot : RegisterSnapshot(GetLatestSnapshot());

	cel_become_owner(&saved);
	plan = SPI_prepare(sql, 0, NULL);
	if (plan == NULL ||
		SPI_execute_snapshot(plan, NULL, NULL, snap, InvalidSnapshot,
							 true, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read %s", what);
	cel_restore_user(&saved);
	if (snapshot == NULL)
		UnregisterSnapshot(snap);
	return SPI_processed;
}
