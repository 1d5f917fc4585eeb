-- high_log_event.sql as a plain INSERT into the log: the same row through
-- the triggers without log_event (workload 4).
\set case random(1, :ncases)
\set user random(41, 50)
\set n random(1, 1000000000)
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, created_by_role, notes)
VALUES (:case, 'reject_case', 'MERI', :user, 'mcc_specialist', :n::text);
