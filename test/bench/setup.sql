-- Prepares a benchmark database: the extension, the reference application
-- (72 real codes registered, its case table bound), the cases, the "limit"
-- table bench.plain_log (the log's shape without its triggers) and the
-- PL/pgSQL baseline (plpgsql_baseline.sql: bench.plpgsql_log, ...).
-- Shared by test/bench/run.sh and test/t/bench_smoke.sh.
--
--   psql -v cases=N -v logs=M -f test/bench/setup.sql
--
-- cases: cases to create (default 1000); logs: log rows to generate through
-- the triggers with test/fixtures/generate.sql (default 0).
\set ON_ERROR_STOP on
\if :{?cases}
\else
\set cases 1000
\endif
\if :{?logs}
\else
\set logs 0
\endif
SET client_min_messages = warning;
CREATE EXTENSION cla_eventlog;
\ir ../fixtures/cla_reference.sql
SELECT cla_reference.register_events() \g /dev/null
SELECT cla_reference.bind() \g /dev/null

-- Cases (and optionally a realistic log), same seed: same data everywhere.
\o /dev/null
\ir ../fixtures/generate.sql
\o

-- The limit: the same columns, defaults, checks and indexes as the log, the
-- log's foreign key to timers, plus a foreign key to the case table (the
-- log's trigger checks the case exists); no triggers.
CREATE SCHEMA bench;
CREATE TABLE bench.plain_log (LIKE cla_eventlog.log INCLUDING ALL);
-- (the log's id default, _log_id(), pairs each id with the log's trigger: a
-- plain table takes nextval of the same sequence, as the log did before)
ALTER TABLE bench.plain_log
    ALTER COLUMN id SET DEFAULT pg_catalog.nextval('cla_eventlog.log_id_seq'),
    ADD FOREIGN KEY (case_id) REFERENCES cla_reference.legalaid_case (id),
    ADD FOREIGN KEY (timer_id) REFERENCES cla_eventlog.timer (id);

-- "What a DBA would write": the same rules in PL/pgSQL on copies of the
-- log and timer tables.
\ir plpgsql_baseline.sql
VACUUM ANALYZE;
