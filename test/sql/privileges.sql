-- privileges: the three roles of the README recipe (test/privileges_recipe.psql,
-- run here verbatim), and for each role every action it may take and every
-- one it may not (README "Privileges: a recipe for three roles": an application role that may log events cannot
-- rewrite or delete history).  The extension itself grants PUBLIC nothing
-- but its internal helpers (sql/parts/80_privileges.sql).
\i test/setup.psql
\i test/reference.psql

---------------------------------------------------------------------------
-- What PUBLIC may do: read the working-hours calendar (reference data)
-- and no other table, view or sequence; EXECUTE on the internal helpers
-- and the SLA clock only, none of them SECURITY DEFINER.  A new object
-- shows up here.
---------------------------------------------------------------------------
SELECT c.relname, c.relkind
  FROM pg_class c
 WHERE c.relnamespace = 'cla_eventlog'::regnamespace AND c.relkind IN ('r', 'v', 'S')
   AND has_table_privilege('public', c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')
 ORDER BY 1;
SELECT p.oid::regprocedure AS public_may_execute, p.prosecdef
  FROM pg_proc p
 WHERE p.pronamespace = 'cla_eventlog'::regnamespace
   AND EXISTS (SELECT FROM aclexplode(p.proacl) a WHERE a.grantee = 0 AND a.privilege_type = 'EXECUTE')
 ORDER BY 1::text;
-- and the public entry points nobody may call until the DBA grants them
SELECT p.oid::regprocedure AS closed_to_public
  FROM pg_proc p
 WHERE p.pronamespace = 'cla_eventlog'::regnamespace
   AND NOT EXISTS (SELECT FROM aclexplode(p.proacl) a WHERE a.grantee = 0 AND a.privilege_type = 'EXECUTE')
 ORDER BY 1::text;

---------------------------------------------------------------------------
-- The recipe, as the README quotes it (and it does, byte for byte).
---------------------------------------------------------------------------
\set recipe `cat test/privileges_recipe.psql`
\set readme `sed -n '/^<!-- test\/privileges_recipe.psql -->$/,/^~~~$/p' README.md | sed '1,2d;$d'`
SELECT :'recipe' = :'readme' AS readme_quotes_the_recipe, length(:'readme') > 1000 AS readme_block_found;
\i test/privileges_recipe.psql
-- A timer running for user 9, and a table of another application the
-- administrator has no REFERENCES on.
SELECT id AS timer_9 FROM cla_eventlog.start_timer(9) \gset
CREATE SCHEMA other_app;
CREATE TABLE other_app.ticket (id bigint PRIMARY KEY);
GRANT USAGE ON SCHEMA other_app TO eventlog_admin;
GRANT SELECT ON other_app.ticket TO eventlog_admin;

---------------------------------------------------------------------------
-- 1. The writer.
---------------------------------------------------------------------------
SET ROLE eventlog_writer;
-- It logs: through log_event (the resolver reads the case as the writer)...
SELECT cla_eventlog.log_event('call_me_back', 1, 7, acting_role => 'operator') IS NOT NULL AS logged;
-- ... and through a plain INSERT.
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, created_by_role)
VALUES (2, 'decline_help', 'DECL', 7, 'operator');
-- It runs timers: the triggers stop one when a stops_timer code is logged,
-- and write the case's billable time as the writer.
SELECT created_by, stopped IS NULL AS running FROM cla_eventlog.start_timer(7);
SELECT created_by FROM cla_eventlog.current_timer(7);
SELECT cla_eventlog.log_event('suspend_case', 3, 7, 'TERM', acting_role => 'operator') IS NOT NULL AS logged;
SELECT cla_eventlog.current_timer(7) IS NULL AS no_timer_running;
SELECT created_by FROM cla_eventlog.create_timer(7);
SELECT cla_eventlog.log_event('case', 4, 7, 'CASE_CREATED') IS NOT NULL AS logged;
SELECT linked_case, cancelled FROM cla_eventlog.stop_timer(7);
SELECT created_by FROM cla_eventlog.create_timer(7);
SELECT cancelled FROM cla_eventlog.cancel_timer(7);
SELECT id, outcome_code, requires_action_by, billable_time >= 1 AS billed
  FROM cla_reference.legalaid_case WHERE id <= 4 ORDER BY id;
-- It reads the history and the registry.
SELECT count(*) AS logs FROM cla_eventlog.log;
SELECT count(*) AS operator_codes FROM cla_eventlog.selectable_codes('operator');
SELECT code FROM cla_eventlog.event_codes('decline_help');
-- It cannot rewrite or delete history...
UPDATE cla_eventlog.log SET notes = 'rewritten';
DELETE FROM cla_eventlog.log;
TRUNCATE cla_eventlog.log;
-- ... nor bypass the triggers: not the owner, no TRIGGER privilege, no
-- replication role, and it cannot attach the extension's trigger functions
-- to a table of its own.
ALTER TABLE cla_eventlog.log DISABLE TRIGGER log_validate;
ALTER TABLE cla_eventlog.log DISABLE TRIGGER USER;
DROP TRIGGER log_append_only ON cla_eventlog.log;
SET session_replication_role = replica;
CREATE TEMP TABLE my_log (LIKE cla_eventlog.log);
CREATE TRIGGER fake AFTER INSERT ON my_log FOR EACH ROW EXECUTE FUNCTION cla_eventlog._log_apply();
-- ... nor write timers directly (user 9's timer is not its to stop).
UPDATE cla_eventlog.timer SET stopped = now() WHERE id = :timer_9;
INSERT INTO cla_eventlog.timer (created_by) VALUES (7);
DELETE FROM cla_eventlog.timer;
-- ... nor change the registry or the binding.
SELECT cla_eventlog.register_event('mine', '{"X": {"type": "event", "level": 11, "selectable_by": [], "description": "x", "stops_timer": false}}');
SELECT cla_eventlog.unregister_event('case');
SELECT cla_eventlog.add_role('boss');
SELECT * FROM cla_eventlog.autodiscover(ARRAY['cla_reference']);
SELECT cla_eventlog.bind_case_table('cla_reference.legalaid_case');
INSERT INTO cla_eventlog.code (event_key, code, type, level, description, stops_timer)
VALUES ('case', 'X', 'event', 11, 'x', false);
UPDATE cla_eventlog.code SET selectable_by = '{}';
UPDATE cla_eventlog.event SET code_resolver = NULL;
INSERT INTO cla_eventlog.role (name) VALUES ('boss');
DELETE FROM cla_eventlog.case_binding;
-- ... nor run the administrator's checks and repairs, nor read MI.
SELECT * FROM cla_eventlog.verify();
SELECT cla_eventlog.repair_cases();
SELECT count(*) FROM cla_eventlog.mi_outcomes;
RESET ROLE;
-- Nothing it attempted changed the log, the timers or the registry.
SELECT count(*) AS logs, count(*) FILTER (WHERE notes IS NOT NULL) AS rewritten FROM cla_eventlog.log;
SELECT stopped IS NULL AS timer_9_running FROM cla_eventlog.timer WHERE id = :timer_9;
SELECT count(*) AS codes, count(*) FILTER (WHERE retired) AS retired FROM cla_eventlog.code;

---------------------------------------------------------------------------
-- 2. The MI reader.
---------------------------------------------------------------------------
SET ROLE eventlog_reader;
-- Every MI view and function, and the status check.
SELECT count(*) AS outcomes FROM cla_eventlog.mi_outcomes;
SELECT count(*) AS case_outcomes FROM cla_eventlog.mi_case_outcomes;
SELECT sum(count) AS daily_logs FROM cla_eventlog.mi_daily_codes;
SELECT count(*) AS timers FROM cla_eventlog.mi_timers;
SELECT sum(timers) AS daily_timers FROM cla_eventlog.mi_billable_daily;
SELECT count(*) AS cases FROM cla_eventlog.mi_first_actions();
SELECT count(*) AS callbacks FROM cla_eventlog.mi_callback_sla('2000-01-01', '2100-01-01');
SELECT check_name, ok FROM cla_eventlog.status();
SELECT cla_eventlog.status_json() -> 'ok' AS ok;
-- Nothing else: not the log, the timers, the registry or the cases...
SELECT count(*) FROM cla_eventlog.log;
SELECT count(*) FROM cla_eventlog.timer;
SELECT count(*) FROM cla_eventlog.code;
SELECT count(*) FROM cla_eventlog.codes;
SELECT count(*) FROM cla_reference.legalaid_case;
-- ... and it cannot write.
SELECT cla_eventlog.log_event('case', 1, 8, 'CASE_CREATED');
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by) VALUES (1, 'case', 'CASE_CREATED', 8);
SELECT cla_eventlog.start_timer(8);
SELECT cla_eventlog.register_event('mine', '{"X": {"type": "event", "level": 11, "selectable_by": [], "description": "x", "stops_timer": false}}');
SELECT * FROM cla_eventlog.verify();
RESET ROLE;

---------------------------------------------------------------------------
-- 3. The administrator.
---------------------------------------------------------------------------
SET ROLE eventlog_admin;
-- It manages the registry: register, retire, roles, autodiscovery, binding.
SELECT cla_eventlog.add_role('supervisor') AS added;
SELECT cla_eventlog.register_event('supervision', '{
    "SUP1": {"type": "event", "level": 21, "selectable_by": ["supervisor"],
             "description": "Supervisor reviewed", "stops_timer": false}}') AS registered;
SELECT code, description FROM cla_eventlog.event_codes('supervision');
SELECT cla_eventlog.unregister_event('supervision') AS retired;
SELECT * FROM cla_eventlog.autodiscover(ARRAY['cla_reference']);
SELECT cla_reference.bind();
SELECT count(*) AS bound_columns FROM cla_eventlog.case_binding_columns;
-- Binding needs REFERENCES on the table, as a foreign key does.
SELECT cla_eventlog.bind_case_table('other_app.ticket');
-- It cannot touch history, timers or cases, nor log.
UPDATE cla_eventlog.log SET notes = 'rewritten';
DELETE FROM cla_eventlog.log;
ALTER TABLE cla_eventlog.log DISABLE TRIGGER log_append_only;
UPDATE cla_eventlog.timer SET stopped = now();
SELECT cla_eventlog.log_event('case', 1, 9, 'CASE_CREATED');
SELECT cla_eventlog.stop_timer(9);
UPDATE cla_reference.legalaid_case SET outcome_code = NULL;
RESET ROLE;
SELECT key, code_resolver IS NOT NULL AS has_resolver FROM cla_eventlog.event WHERE key IN ('supervision', 'call_me_back') ORDER BY 1;
SELECT name FROM cla_eventlog.role ORDER BY 1;

---------------------------------------------------------------------------
-- pg_monitor (granted status() by the extension) may probe, nothing more:
-- before the default-deny part it could start timers for any user and attach
-- _log_apply to a table of its own (which crashed the server).
---------------------------------------------------------------------------
CREATE ROLE eventlog_probe IN ROLE pg_monitor;
SET ROLE eventlog_probe;
SELECT count(*) AS checks FROM cla_eventlog.status();
SELECT cla_eventlog.start_timer(10);
SELECT cla_eventlog.current_timer(9);
CREATE TEMP TABLE probe_log (id bigint, case_id bigint, timer_id bigint, event_key int, code int, type int,
                              level int, created_by bigint, created_by_role int, notes int, patch int,
                              context int, content_type int, object_id int, created int, modified int);
CREATE TRIGGER fake AFTER INSERT ON probe_log FOR EACH ROW EXECUTE FUNCTION cla_eventlog._log_apply();
RESET ROLE;

-- The state is consistent after all of it.
SELECT * FROM cla_eventlog.verify();

SET client_min_messages = warning;
DROP SCHEMA other_app CASCADE;
DROP SCHEMA cla_reference CASCADE;
DROP OWNED BY eventlog_writer, eventlog_reader, eventlog_admin, eventlog_probe;
DROP ROLE eventlog_writer, eventlog_reader, eventlog_admin, eventlog_probe;
