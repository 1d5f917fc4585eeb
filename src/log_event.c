/* log_event.c: see cla_eventlog.h */
#include "cla_eventlog.h"
