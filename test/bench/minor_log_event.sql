-- A MINOR system code, no timer, through log_event (workloads 1, 2, 4).
\set case random(1, :ncases)
\set user random(1, 40)
SELECT cla_eventlog.log_event('case', :case, :user, 'CASE_VIEWED');
