-- timer_cycle.sql against the PL/pgSQL baseline (plpgsql_baseline.sql)
-- (workload 3).
\set case random(1, :ncases)
\set user 1000000 + :client_id
\set n random(1, 1000000000)
\set cb random(0, 1)
SELECT 1 FROM bench.start_timer_plpgsql(:user);
\if :cb
SELECT bench.log_event_plpgsql('call_me_back', :case, :user, 'CB1', notes => :n::text,
                               acting_role => 'operator');
\else
SELECT bench.log_event_plpgsql('suspend_case', :case, :user, 'ABND', notes => :n::text,
                               acting_role => 'operator');
\endif
