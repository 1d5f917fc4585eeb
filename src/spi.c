/*-------------------------------------------------------------------------
 *
 * spi.c
 *	  Thin wrappers around SPI for every file that talks to tables through
 *	  it: connecting, saved plans, and execution with return-code checks.
 *
 * Rules: all SQL run through these helpers is fully qualified, so the
 * caller's search_path never changes what it means; every SPI return code
 * is checked here, so a caller never sees a half-done call.  A failure of
 * SPI itself is a can't-happen state (elog); a user's error raised by the
 * SQL run reaches the caller unchanged.
 *
 *-------------------------------------------------------------------------
 */
#include "cla_eventlog.h"

/* Connect to SPI (disconnect with SPI_finish()) */
void
cel_spi_connect(void)
{
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
}

/*
 * Prepare a plan and keep it for the life of the backend.  The caller
 * stores the pointer; a plan whose tables change is re-planned by
 * PostgreSQL's plan cache.
 */
SPIPlanPtr
cel_prepare(const char *sql, int nargs, Oid *argtypes)
{
	SPIPlanPtr	plan = SPI_prepare(sql, nargs, argtypes);

	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for \"%s\": %s",
			 sql, SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "SPI_keepplan failed");
	return plan;
}

/*
 * Execute a saved plan and check its return code against the expected
 * SPI_OK_* value.  Returns SPI_processed.
 */
int
cel_exec(SPIPlanPtr plan, Datum *values, const char *nulls,
		 bool read_only, long tcount, int expected)
{
	int			rc = SPI_execute_plan(plan, values, nulls, read_only, tcount);

	if (rc != expected)
		elog(ERROR, "SPI_execute_plan returned %s, expected %s",
			 SPI_result_code_string(rc), SPI_result_code_string(expected));
	return (int) SPI_processed;
}
