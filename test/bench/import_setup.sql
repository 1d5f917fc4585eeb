-- Workload 6, the history import (README "Moving an existing cla_backend
-- database"): after test/fixtures/django_source.sql has made the service's
-- tables, the extension beside them with the service's registry and its
-- case table bound, and the baseline: untriggered copies of the log and
-- the timers (same columns, constraints and indexes, no triggers, no
-- foreign keys) that the same rows are written into with INSERT ... SELECT.
SET client_min_messages = warning;
CREATE EXTENSION cla_eventlog;
\i test/fixtures/cla_reference.sql
SELECT cla_reference.register_events() \g /dev/null
ALTER TABLE public.legalaid_case ALTER COLUMN outcome_code_id TYPE bigint;   -- the runbook's step 1
SELECT cla_eventlog.bind_case_table('public.legalaid_case') \g /dev/null
CREATE SCHEMA bench;
CREATE TABLE bench.import_timer (LIKE cla_eventlog.timer INCLUDING ALL);
CREATE TABLE bench.import_log (LIKE cla_eventlog.log INCLUDING ALL);
VACUUM ANALYZE;
