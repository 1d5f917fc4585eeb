/*-------------------------------------------------------------------------
 *
 * cla_eventlog.c
 *	  Library entry point: PG_MODULE_MAGIC and _PG_init, which calls each
 *	  subsystem's init (settings, registry cache, case binding cache).
 *
 *-------------------------------------------------------------------------
 */
#include "cla_eventlog.h"

#include "fmgr.h"
#include "utils/builtins.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(cel_library_version);

/* Load-time initialisation: settings and cache invalidation callbacks */
void
_PG_init(void)
{
	cel_guc_init();
	cel_rels_init();
	cel_registry_init();
	cel_binding_init();
	cel_log_insert_init();
}

/* library_version() RETURNS text: the version of the loaded C library */
Datum
cel_library_version(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(CEL_VERSION));
}
