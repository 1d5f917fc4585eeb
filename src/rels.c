/*-------------------------------------------------------------------------
 *
 * rels.c
 *	  The extension's own relations: their OIDs and their owner, looked up
 *	  by name in the extension's schema and cached for the backend, and the
 *	  check that a log trigger fires on the extension's log and on nothing
 *	  else.
 *
 * Rules:
 *	- The cache (cel_rels) is loaded on first use and forgotten on any
 *	  relcache invalidation of the log or timer table (DROP EXTENSION,
 *	  ALTER ... OWNER) or a cache reset; the callback only marks it stale.
 *	- A relation is the extension's when it lies in the extension's schema
 *	  under the expected name: only the extension's owner can create one
 *	  there.
 *
 *-------------------------------------------------------------------------
 */
#include "cla_eventlog.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

static CelRels rels;

/* OID of a table in the extension's schema, or InvalidOid */
Oid
cel_table_oid(const char *relname)
{
	Oid			nsp = get_namespace_oid(CEL_SCHEMA, true);

	if (!OidIsValid(nsp))
		return InvalidOid;
	return get_relname_relid(relname, nsp);
}

/* Relcache callback: forget the relations when the log or timer changes */
static void
rels_relcache_callback(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == rels.log || relid == rels.timer)
		rels.valid = false;
}

/* Register the invalidation callback; called once from _PG_init */
void
cel_rels_init(void)
{
	CacheRegisterRelcacheCallback(rels_relcache_callback, (Datum) 0);
}

/* The extension's relations and their owner (cached; see the banner) */
const CelRels *
cel_rels(void)
{
	HeapTuple	tp;

	if (rels.valid)
		return &rels;
	rels.log = cel_table_oid("log");
	rels.timer = cel_table_oid("timer");
	rels.timer_running_idx = cel_table_oid("timer_one_running_per_user");
	rels.log_high_outcome_idx = cel_table_oid("log_case_high_outcome");
	rels.log_case_idx = cel_table_oid("log_case");
	rels.log_timer_idx = cel_table_oid("log_timer");
	rels.timer_pkey = cel_table_oid("timer_pkey");
	rels.timer_billable_idx = cel_table_oid("timer_billable_by_case");
	if (!OidIsValid(rels.log) || !OidIsValid(rels.timer) ||
		!OidIsValid(rels.timer_running_idx) || !OidIsValid(rels.log_high_outcome_idx) ||
		!OidIsValid(rels.log_case_idx) || !OidIsValid(rels.log_timer_idx) ||
		!OidIsValid(rels.timer_pkey) || !OidIsValid(rels.timer_billable_idx))
		elog(ERROR, "the extension's tables are missing");
	tp = SearchSysCache1(RELOID, ObjectIdGetDatum(rels.log));
	if (!HeapTupleIsValid(tp))
		elog(ERROR, "cache lookup failed for relation %u", rels.log);
	rels.owner = ((Form_pg_class) GETSTRUCT(tp))->relowner;
	ReleaseSysCache(tp);
	rels.valid = true;
	return &rels;
}

/*
 * Error unless a log trigger function fires on cla_eventlog.log.  The row
 * triggers read the row by the log's column numbers and act on timers as
 * the extension's owner: attached to another table they would read its
 * columns as the wrong types (a crash) or stop timers on its owner's
 * behalf.  Only the extension's owner can create a table named "log" in the
 * extension's schema, so schema and name identify it; the schema's OID is
 * cached (one comparison per row).
 */
void
cel_require_log_table(Relation rel, const char *function)
{
	static Oid	schema_oid = InvalidOid;

	if (RelationGetNamespace(rel) != schema_oid)
		schema_oid = get_namespace_oid(CEL_SCHEMA, true);
	if (RelationGetNamespace(rel) != schema_oid ||
		strcmp(RelationGetRelationName(rel), "log") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("trigger function %s() fires only on table %s.log, not on table \"%s\"",
						function, CEL_SCHEMA, RelationGetRelationName(rel)),
				 errtable(rel)));
}
