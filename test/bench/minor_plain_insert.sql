-- The limit of minor_log_event.sql: the same row, plain INSERT into a table
-- of the same shape without triggers (workload 1).
\set case random(1, :ncases)
\set user random(1, 40)
INSERT INTO bench.plain_log (case_id, event_key, code, type, level, created_by)
VALUES (:case, 'case', 'CASE_VIEWED', 'system', 11, :user);
