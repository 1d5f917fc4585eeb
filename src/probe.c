/*-------------------------------------------------------------------------
 *
 * probe.c
 *	  Index probes and row locks without the executor, for the lookups every
 *	  log row makes: the user's running timer, the case (exists? lock it),
 *	  and the case's latest HIGH outcome (debounce).  A saved SPI plan costs
 *	  an executor start and end per call; a probe is one index descent.
 *
 * Probes take AccessShareLock on the table and index and check no
 * privileges: they stand for reads the extension makes as its owner (log,
 * timers) or that the foreign-key check makes anyway (the case).  Like any
 * read, they keep the lock until the end of the transaction; a later probe
 * finds it in the backend's local lock table (a hash probe, no shared
 * memory), so they keep no memo of their own.  The row lock follows what
 * SELECT ... FOR NO KEY UPDATE does (ExecLockRows): it waits for a
 * concurrent writer, follows the row to its newest version
 * under READ COMMITTED, and raises a serialization failure under
 * REPEATABLE READ when the row changed after the snapshot.
 *
 *-------------------------------------------------------------------------
 */
#include "cla_eventlog.h"

#include "access/genam.h"
#include "access/relscan.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

/* A probe of one of the extension's tables by a bigint-keyed index */
CelProbe
cel_int8_probe(Oid heap, Oid index)
{
	CelProbe	spec = {heap, index, F_INT8EQ, INT8OID, InvalidOid};

	return spec;
}

/*
 * Lock a relation by OID until the end of the transaction.  True when the
 * lock was taken now, not held already: then invalidation messages were
 * processed, as for any first lock (LockRelationOid).
 */
bool
cel_lock_relation(Oid relid, LOCKMODE mode)
{
	LOCKTAG		tag;
	bool		held;

	SET_LOCKTAG_RELATION(tag, MyDatabaseId, relid);
	held = LockHeldByMe(&tag, mode);
	LockRelationOid(relid, mode);
	return !held;
}

/* The scan of cel_probe_match(), on open relations */
static bool
probe_scan(Relation heap, Relation index, const CelProbe *spec, Datum value,
		   ScanDirection dir, Snapshot snapshot, CelProbeMatch match, void *arg,
		   HeapTuple *tuple, AttrNumber attnum, Datum *result)
{
	TupleTableSlot *slot = table_slot_create(heap, NULL);
	IndexScanDesc scan;
	ScanKeyData key;
	bool		found;

	ScanKeyEntryInitialize(&key, 0, 1, BTEqualStrategyNumber, spec->subtype,
						   spec->collation, spec->eq_proc, value);
	scan = index_beginscan(heap, index, snapshot ? snapshot : GetActiveSnapshot(), 1, 0);
	index_rescan(scan, &key, 1, NULL, 0);
	while ((found = index_getnext_slot(scan, dir, slot)) &&
		   match != NULL && !match(slot, arg))
		;
	if (found && tuple != NULL)
		*tuple = ExecCopySlotHeapTuple(slot);
	if (found && attnum > 0)
	{
		bool		isnull;

		*result = slot_getattr(slot, attnum, &isnull);
		found = !isnull;
	}
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	return found;
}

/*
 * The first row of spec->heap, in index order "dir", whose first index
 * column equals "value" (and, when match is not NULL, for which
 * match(slot, arg) is true), read under "snapshot" (NULL: the active one).
 * If found, *tuple (when not NULL) gets a copy of it, in the current memory
 * context, with its TID in t_self, and *result (when attnum > 0) its column
 * attnum (a by-value column: false if that column is NULL).
 */
bool
cel_probe_match(const CelProbe *spec, Datum value, ScanDirection dir,
				Snapshot snapshot, CelProbeMatch match, void *arg,
				HeapTuple *tuple, AttrNumber attnum, Datum *result)
{
	Relation	heap = table_open(spec->heap, AccessShareLock);
	Relation	index = index_open(spec->index, AccessShareLock);
	bool		found;

	found = probe_scan(heap, index, spec, value, dir, snapshot, match, arg,
					   tuple, attnum, result);
	index_close(index, NoLock);
	table_close(heap, NoLock);
	return found;
}

/* cel_probe_match() without a match function */
bool
cel_probe(const CelProbe *spec, Datum value, ScanDirection dir,
		  Snapshot snapshot, HeapTuple *tuple, AttrNumber attnum, Datum *result)
{
	return cel_probe_match(spec, value, dir, snapshot, NULL, NULL, tuple, attnum, result);
}

/*
 * Lock the row whose first index column equals "value" FOR NO KEY UPDATE,
 * as SELECT ... FOR NO KEY UPDATE would; false if there is no such row.
 */
bool
cel_probe_lock(const CelProbe *spec, Datum value)
{
	Relation	heap = table_open(spec->heap, RowShareLock);
	Relation	index = index_open(spec->index, AccessShareLock);
	TupleTableSlot *slot;
	HeapTuple	tuple;
	Snapshot	snapshot = RegisterSnapshot(GetTransactionSnapshot());
	TM_FailureData tmfd;
	TM_Result	result;
	bool		locked = false;

	if (!probe_scan(heap, index, spec, value, ForwardScanDirection, snapshot,
					NULL, NULL, &tuple, 0, NULL))
	{
		index_close(index, NoLock);
		table_close(heap, NoLock);
		UnregisterSnapshot(snapshot);
		return false;
	}
	slot = table_slot_create(heap, NULL);
	result = table_tuple_lock(heap, &tuple->t_self, snapshot, slot,
							  GetCurrentCommandId(true), LockTupleNoKeyExclusive,
							  LockWaitBlock,
							  IsolationUsesXactSnapshot() ? 0 : TUPLE_LOCK_FLAG_FIND_LAST_VERSION,
							  &tmfd);
	switch (result)
	{
		case TM_Ok:
		case TM_SelfModified:
			locked = true;
			break;
		case TM_Updated:
			if (IsolationUsesXactSnapshot())
				ereport(ERROR,
						(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
						 errmsg("could not serialize access due to concurrent update")));
			elog(ERROR, "unexpected table_tuple_lock status %d", result);
			break;
		case TM_Deleted:
			if (IsolationUsesXactSnapshot())
				ereport(ERROR,
						(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
						 errmsg("could not serialize access due to concurrent delete")));
			locked = false;		/* the case is gone */
			break;
		default:
			elog(ERROR, "unexpected table_tuple_lock status %d", result);
	}
	ExecDropSingleTupleTableSlot(slot);
	index_close(index, NoLock);
	table_close(heap, NoLock);
	UnregisterSnapshot(snapshot);
	return locked;
}
