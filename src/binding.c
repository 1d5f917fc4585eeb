/* binding.c: see cla_eventlog.h */
#include "cla_eventlog.h"
void cel_binding_init(void) {}
