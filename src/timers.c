/* timers.c: see cla_eventlog.h */
#include "cla_eventlog.h"
