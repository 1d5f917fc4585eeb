-- high_log_event.sql against the PL/pgSQL baseline (plpgsql_baseline.sql):
-- the same HIGH outcome, same rules, written by a DBA (workload 2).
\set case random(1, :ncases)
\set user random(41, 50)
\set n random(1, 1000000000)
SELECT bench.log_event_plpgsql('reject_case', :case, :user, 'MERI', notes => :n::text,
                               acting_role => 'mcc_specialist');
