/*-------------------------------------------------------------------------
 *
 * disk.c
 *	  The free space of the server's disks, for status check disk_space and
 *	  healthcheck_json() (README "Status checks: what each check means"):
 *	  statvfs(2) of the data directory and of pg_wal, taken by the server
 *	  process, so a pg_monitor probe that may not read the data directory
 *	  itself still gets it.  Available space is what an unprivileged writer
 *	  may use (f_bavail), as the service's own check counted it.  Whether it
 *	  is enough is decided in SQL (_check_disk_space) against
 *	  cla_eventlog.min_free_disk_percent.  A location statvfs cannot read
 *	  gets NULL figures and a WARNING, not an error: the status probe must
 *	  not raise (README "Reports on a standby").
 *
 *-------------------------------------------------------------------------
 */
#include "cla_eventlog.h"

#include <sys/statvfs.h>

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(cel_disk_space);

/*
 * _disk_space() RETURNS TABLE(location text, path text, available bigint,
 * total bigint, free_percent float8): one row for the data directory and
 * one for pg_wal (which may be a link to another file system).
 */
Datum
cel_disk_space(PG_FUNCTION_ARGS)
{
	static const char *const locations[2] = {"data directory", "pg_wal"};
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	InitMaterializedSRF(fcinfo, 0);
	for (int i = 0; i < 2; i++)
	{
		char	   *path = i == 0 ? pstrdup(DataDir) : psprintf("%s/pg_wal", DataDir);
		struct statvfs st;
		Datum		values[5];
		bool		nulls[5] = {false, false, false, false, false};
		uint64		available;
		uint64		total;

		values[0] = CStringGetTextDatum(locations[i]);
		values[1] = CStringGetTextDatum(path);
		if (statvfs(path, &st) != 0)
		{
			/* the figures NULL, not an error: the probe must not raise */
			ereport(WARNING,
					(errcode_for_file_access(),
					 errmsg("could not read the free space of \"%s\": %m", path)));
			nulls[2] = nulls[3] = nulls[4] = true;
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
			continue;
		}
		available = (uint64) st.f_bavail * st.f_frsize;
		total = (uint64) st.f_blocks * st.f_frsize;
		values[2] = Int64GetDatum((int64) available);
		values[3] = Int64GetDatum((int64) total);
		values[4] = Float8GetDatum(total > 0 ? (double) available * 100.0 / (double) total : 0.0);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
