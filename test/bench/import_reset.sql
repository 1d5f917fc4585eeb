-- Workload 6: back to before the import (as a superuser: the log's guard
-- lets the maintenance switch through), and empty baseline copies.
SET client_min_messages = warning;
SET cla_eventlog.allow_log_maintenance = on;
TRUNCATE cla_eventlog.log, cla_eventlog.timer, cla_eventlog.import_problem, cla_eventlog.import_run,
         bench.import_log, bench.import_timer;
RESET cla_eventlog.allow_log_maintenance;
