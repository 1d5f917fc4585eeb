-- A timer cycle (workload 3): an operator starts a timer, then logs a
-- stops_timer outcome on a case through log_event, which attaches the
-- running timer, stops it and recomputes the case's billable time.  Each
-- pgbench client is its own user (1000000 + client id), so clients never
-- share a timer; half the cycles end in call_me_back/CB1 (requires-action-by
-- "operator"), half in suspend_case/ABND (clear if owned by operator).
-- Two statements, each its own transaction, as the application does.
\set case random(1, :ncases)
\set user 1000000 + :client_id
\set n random(1, 1000000000)
\set cb random(0, 1)
SELECT 1 FROM cla_eventlog.start_timer(:user);
\if :cb
SELECT cla_eventlog.log_event('call_me_back', :case, :user, 'CB1', notes => :n::text,
                              acting_role => 'operator');
\else
SELECT cla_eventlog.log_event('suspend_case', :case, :user, 'ABND', notes => :n::text,
                              acting_role => 'operator');
\endif
