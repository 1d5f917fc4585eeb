-- Gives the baselines the log's history, for the workloads that run on the
-- 1,000,000-row data set (groups 1 to 3 of run.sh): bench.plain_log (the
-- limit) and bench.plpgsql_log (the PL/pgSQL rules, whose debounce reads
-- it) get a copy of every log row, so that each side inserts into a table
-- of the same size and reads the same history.  The rows were validated on
-- their way into the log, so the copies skip triggers (superuser).
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SET session_replication_role = replica;
INSERT INTO bench.plain_log SELECT * FROM cla_eventlog.log;
INSERT INTO bench.plpgsql_log SELECT * FROM cla_eventlog.log;
RESET session_replication_role;
VACUUM ANALYZE bench.plain_log, bench.plpgsql_log;
SELECT (SELECT pg_catalog.count(*) FROM cla_eventlog.log) AS log_rows,
       (SELECT pg_catalog.count(*) FROM bench.plain_log) AS plain_rows,
       (SELECT pg_catalog.count(*) FROM bench.plpgsql_log) AS plpgsql_rows;
