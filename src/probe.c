/*-------------------------------------------------------------------------
 *
 * probe.c
 *	  Index probes without the executor, for the two lookups every log row
 *	  makes: the user's running timer and the existence of the case.  A
 *	  saved SPI plan costs an executor start and end per call; a probe is
 *	  one index descent.
 *
 * Probes read under the active snapshot (the statement's), take
 * AccessShareLock on the table and index, and check no privileges: they
 * stand for reads the extension makes as its owner (the timer) or that the
 * foreign-key check makes anyway (the case).  Anything that must lock a
 * row or see rows committed while we waited still goes through SPI.
 *
 *-------------------------------------------------------------------------
 */
#include "cla_eventlog.h"

#include "access/genam.h"
#include "access/relscan.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

/*
 * Probe "heap" through "index" for the first row whose first index column
 * equals "value" (compared with eq_proc); if found and attnum > 0, return
 * that column of it in *result.
 */
bool
cel_probe(Oid heapoid, Oid indexoid, RegProcedure eq_proc, Oid subtype,
		  Oid collation, Datum value, AttrNumber attnum, Datum *result)
{
	Relation	heap = table_open(heapoid, AccessShareLock);
	Relation	index = index_open(indexoid, AccessShareLock);
	TupleTableSlot *slot = table_slot_create(heap, NULL);
	IndexScanDesc scan;
	ScanKeyData key;
	bool		found;

	ScanKeyEntryInitialize(&key, 0, 1, BTEqualStrategyNumber, subtype,
						   collation, eq_proc, value);
	scan = index_beginscan(heap, index, GetActiveSnapshot(), 1, 0);
	index_rescan(scan, &key, 1, NULL, 0);
	found = index_getnext_slot(scan, ForwardScanDirection, slot);
	if (found && attnum > 0)
	{
		bool		isnull;

		*result = slot_getattr(slot, attnum, &isnull);
		found = !isnull;
	}
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	index_close(index, AccessShareLock);
	table_close(heap, AccessShareLock);
	return found;
}
