-- A MINOR system code, no timer, through log_event (workload 1, registry
-- size, log size).
\set case random(1, :ncases)
\set user random(1, 40)
SELECT cla_eventlog.log_event('case', :case, :user, 'CASE_VIEWED');
