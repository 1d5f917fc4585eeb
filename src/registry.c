/* registry.c: see cla_eventlog.h */
#include "cla_eventlog.h"
#include "fmgr.h"
#include "commands/trigger.h"
#include "utils/inval.h"
PG_FUNCTION_INFO_V1(cel_registry_changed);
void cel_registry_init(void) {}
Datum cel_registry_changed(PG_FUNCTION_ARGS) { return PointerGetDatum(NULL); }
