-- A HIGH outcome through log_event: denormalised on the case, debounce check
-- (notes vary so no row is skipped) (workload 2).
\set case random(1, :ncases)
\set user random(41, 50)
\set n random(1, 1000000000)
SELECT cla_eventlog.log_event('reject_case', :case, :user, 'MERI', notes => :n::text,
                              acting_role => 'mcc_specialist');
