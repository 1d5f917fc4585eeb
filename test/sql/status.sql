-- status: every check of status() is ok on a healthy database and turns
-- false when its part is broken; verify() lists broken cases and
-- repair_cases() fixes them; status_json() has the documented shape.
\i test/setup.psql

-- Registration (raw catalog rows; the C registry cache sees raw DML).
INSERT INTO cla_eventlog.event (key) VALUES ('case'), ('call_me_back'), ('suspend_case');
INSERT INTO cla_eventlog.code (event_key, code, type, level, selectable_by, description, stops_timer) VALUES
    ('case', 'CASE_CREATED', 'system', 29, '{}', 'Case created', false),
    ('call_me_back', 'CB1', 'outcome', 29, '{operator}', 'Callback 1', true),
    ('call_me_back', 'CB2', 'outcome', 29, '{operator}', 'Callback 2', true),
    ('suspend_case', 'TERM', 'outcome', 29, '{operator,specialist}', 'Hung up call', true);

\i test/mi_case_table.psql

-- Before anything is bound or registered, status() still answers, and says
-- what is missing; checks that cannot run are reported as failed.
SELECT check_name, ok, CASE WHEN check_name = 'disk_space' THEN '(this machine''s disks)' ELSE detail END AS detail FROM cla_eventlog.status();

SET client_min_messages = warning;
SELECT cla_eventlog.bind_case_table('mi_app.legalaid_case');
RESET client_min_messages;

-- A healthy day: cases 1-4 logged through the triggers, timers started,
-- attached to logs and stopped, so outcome columns and billable time are
-- the extension's own work.
INSERT INTO mi_app.legalaid_case (id, created, source) SELECT g, now(), 'PHONE' FROM generate_series(1, 5) g;
SELECT count(*) FROM (SELECT cla_eventlog.start_timer(u) FROM generate_series(1, 2) u) s;
SELECT cla_eventlog.log_event('case', c, 1, 'CASE_CREATED') IS NOT NULL AS logged FROM generate_series(1, 4) c;
SELECT cla_eventlog.log_event('call_me_back', 1, 1, 'CB1', acting_role => 'operator') IS NOT NULL AS logged;
SELECT cla_eventlog.log_event('call_me_back', 2, 2, 'CB1', acting_role => 'operator') IS NOT NULL AS logged;
SELECT count(*) FROM (SELECT cla_eventlog.start_timer(1)) s;
SELECT cla_eventlog.log_event('call_me_back', 2, 1, 'CB2', acting_role => 'operator') IS NOT NULL AS logged;
SELECT cla_eventlog.log_event('suspend_case', 3, 2, 'TERM', acting_role => 'operator') IS NOT NULL AS logged;
SELECT id, outcome_code, outcome_code_id, level FROM mi_app.legalaid_case ORDER BY id;
SELECT count(*) AS running_timers FROM cla_eventlog.timer WHERE stopped IS NULL;

-- Every check is ok.
SELECT check_name, ok, CASE WHEN check_name = 'disk_space' THEN '(this machine''s disks)' ELSE detail END AS detail FROM cla_eventlog.status();

-- status_json(): {"ok": ..., "checks": {name: {"ok": ..., "detail": ...}}}.
SELECT jsonb_typeof(j -> 'ok') AS ok_type, j -> 'ok' AS ok,
       (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(j) k) AS keys,
       (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(j -> 'checks') k) AS checks,
       (SELECT bool_and(v ?& ARRAY['ok', 'detail'] AND jsonb_typeof(v -> 'ok') = 'boolean')
          FROM jsonb_each(j -> 'checks') e(k, v)) AS each_has_ok_and_detail
  FROM cla_eventlog.status_json() j;

-- verify() finds nothing on a healthy database.
SELECT * FROM cla_eventlog.verify();

-- library_version: the installed SQL objects claim another version than
-- the loaded library (simulated by editing the catalog, then put back).
UPDATE pg_extension SET extversion = '0.9' WHERE extname = 'cla_eventlog';
SELECT ok, detail FROM cla_eventlog.status() WHERE check_name = 'library_version';
UPDATE pg_extension SET extversion = cla_eventlog.library_version() WHERE extname = 'cla_eventlog';

-- registry: no live code left.
UPDATE cla_eventlog.code SET retired = true;
SELECT ok, detail FROM cla_eventlog.status() WHERE check_name = 'registry';
UPDATE cla_eventlog.code SET retired = false;
UPDATE cla_eventlog.code SET retired = true WHERE code = 'CB2';
SELECT ok, detail FROM cla_eventlog.status() WHERE check_name = 'registry';
UPDATE cla_eventlog.code SET retired = false;

-- case_binding: a bound column changed type, another renamed away, a
-- foreign key dropped; then the table itself renamed away.
ALTER TABLE mi_app.legalaid_case ALTER COLUMN level TYPE text;
ALTER TABLE mi_app.legalaid_case RENAME COLUMN source TO channel;
ALTER TABLE cla_eventlog.timer DROP CONSTRAINT timer_linked_case_fkey;
SELECT ok, detail FROM cla_eventlog.status() WHERE check_name = 'case_binding';
ALTER TABLE mi_app.legalaid_case RENAME TO legalaid_case_old;
SELECT ok, detail FROM cla_eventlog.status() WHERE check_name = 'case_binding';
ALTER TABLE mi_app.legalaid_case_old RENAME TO legalaid_case;
ALTER TABLE mi_app.legalaid_case RENAME COLUMN channel TO source;
ALTER TABLE mi_app.legalaid_case ALTER COLUMN level TYPE int USING level::int;
SET client_min_messages = warning;
SELECT cla_eventlog.bind_case_table('mi_app.legalaid_case');
RESET client_min_messages;
SELECT ok, detail FROM cla_eventlog.status() WHERE check_name = 'case_binding';

-- Unbound: case_binding is false, and the two sampled checks cannot run.
CREATE TABLE mi_app.saved_binding AS SELECT * FROM cla_eventlog.case_binding;
DELETE FROM cla_eventlog.case_binding;
SELECT check_name, ok, detail FROM cla_eventlog.status()
 WHERE check_name IN ('case_binding', 'denormalised_outcomes', 'billable_time');
INSERT INTO cla_eventlog.case_binding SELECT * FROM mi_app.saved_binding;

-- denormalised_outcomes and billable_time: the case table is written
-- behind the extension's back -- case 2 shows another outcome, case 1
-- has no outcome left, case 3 a billable time its timers do not add up
-- to, case 4 an outcome it never had.
UPDATE mi_app.legalaid_case SET outcome_code = 'CB1' WHERE id = 2;
UPDATE mi_app.legalaid_case SET outcome_code = NULL, outcome_code_id = NULL, level = NULL WHERE id = 1;
UPDATE mi_app.legalaid_case SET billable_time = billable_time + 5 WHERE id = 3;
UPDATE mi_app.legalaid_case SET outcome_code = 'TERM', level = 29 WHERE id = 4;
SELECT check_name, ok, detail FROM cla_eventlog.status()
 WHERE check_name IN ('denormalised_outcomes', 'billable_time');
SELECT ok FROM cla_eventlog.status_json() j, LATERAL (SELECT (j ->> 'ok')::boolean) s(ok);

-- verify() names each broken case and what is wrong with it.
SELECT case_id, regexp_replace(problem, 'outcome_code_id=\d+', 'outcome_code_id=N', 'g') AS problem
  FROM cla_eventlog.verify();

-- repair_cases() of some cases fixes only those, and counts what it changed.
SELECT cla_eventlog.repair_cases(ARRAY[1, 5, NULL, 1]);
SELECT case_id FROM cla_eventlog.verify();

-- repair_cases() of all cases fixes the rest; "modified" marks the cases it
-- wrote.  A second run changes nothing.
UPDATE mi_app.legalaid_case SET modified = '2000-01-01';
SELECT cla_eventlog.repair_cases();
SELECT id, outcome_code, level, modified > '2000-01-01' AS repaired FROM mi_app.legalaid_case ORDER BY id;
SELECT cla_eventlog.repair_cases();
SELECT * FROM cla_eventlog.verify();
SELECT check_name, ok FROM cla_eventlog.status() WHERE NOT ok;

-- Long repairs report progress every 10,000 cases (the rate per second is
-- in the DETAIL, hidden here because it varies).
INSERT INTO mi_app.legalaid_case (id, outcome_code) SELECT g, CASE WHEN g % 5000 = 0 THEN 'CB1' END
  FROM generate_series(100, 10099) g;
\set VERBOSITY terse
SELECT cla_eventlog.repair_cases();
\set VERBOSITY default
DELETE FROM mi_app.legalaid_case WHERE id >= 100;

-- stale_timers: a timer that started 13 hours ago and still runs.
INSERT INTO cla_eventlog.timer (created_by, created) VALUES (9, now() - interval '13 hours');
SELECT ok, regexp_replace(detail, 'timer \d+', 'timer N') AS detail
  FROM cla_eventlog.status() WHERE check_name = 'stale_timers';
-- The limit is the setting cla_eventlog.stale_timer_after.
SET cla_eventlog.stale_timer_after = '1d';
SELECT ok, detail FROM cla_eventlog.status() WHERE check_name = 'stale_timers';
RESET cla_eventlog.stale_timer_after;
SELECT count(*) FROM (SELECT cla_eventlog.cancel_timer(9)) s;
SELECT ok FROM cla_eventlog.status() WHERE check_name = 'stale_timers';

-- triggers: a disabled trigger of the log.
ALTER TABLE cla_eventlog.log DISABLE TRIGGER log_apply;
SELECT ok, detail FROM cla_eventlog.status() WHERE check_name = 'triggers';
ALTER TABLE cla_eventlog.log ENABLE TRIGGER log_apply;
-- triggers: a registry trigger for replicated rows enabled the ordinary way
-- (ORIGIN) would not fire in a logical replication apply worker.
ALTER TABLE cla_eventlog.code ENABLE TRIGGER registry_replicated;
SELECT ok, detail FROM cla_eventlog.status() WHERE check_name = 'triggers';
ALTER TABLE cla_eventlog.code ENABLE REPLICA TRIGGER registry_replicated;
-- triggers: a foreign BEFORE row trigger on the timers can change or skip a
-- row (red, whatever it does); a foreign AFTER statement trigger on the log
-- cannot, and is only named.
CREATE FUNCTION public.pass_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER a_timer_touch BEFORE INSERT OR UPDATE ON cla_eventlog.timer
    FOR EACH ROW EXECUTE FUNCTION public.pass_row();
CREATE TRIGGER z_log_notify AFTER INSERT ON cla_eventlog.log
    FOR EACH STATEMENT EXECUTE FUNCTION public.pass_row();
SELECT ok, detail FROM cla_eventlog.status() WHERE check_name = 'triggers';
DROP TRIGGER a_timer_touch ON cla_eventlog.timer;
SELECT ok, detail FROM cla_eventlog.status() WHERE check_name = 'triggers';
DROP TRIGGER z_log_notify ON cla_eventlog.log;
DROP FUNCTION public.pass_row();
-- The log is never a partition (the event trigger refuses it; test/t/logical.sh
-- shows check triggers red when it was disabled meanwhile).
CREATE TABLE public.all_logs (LIKE cla_eventlog.log) PARTITION BY RANGE (id);
ALTER TABLE public.all_logs ATTACH PARTITION cla_eventlog.log FOR VALUES FROM (0) TO (1000);
DROP TABLE public.all_logs;

-- Healthy again.
SELECT j -> 'ok' AS ok FROM cla_eventlog.status_json() j;

-- Who may call what: status() and status_json() are for pg_monitor
-- members (they run as the extension's owner, so need no table grants,
-- and pg_monitor may use the schema); verify() and repair_cases() are not
-- granted to anyone.
SELECT p.oid::regprocedure AS function,
       has_function_privilege('pg_monitor', p.oid, 'EXECUTE') AS pg_monitor,
       (SELECT bool_or(a.grantee = 0) FROM aclexplode(p.proacl) a WHERE a.privilege_type = 'EXECUTE') AS public
  FROM pg_proc p
 WHERE p.pronamespace = 'cla_eventlog'::regnamespace
   AND p.proname IN ('status', 'status_json', 'verify', 'repair_cases')
 ORDER BY 1::text;
CREATE ROLE regress_cel_probe IN ROLE pg_monitor;
CREATE ROLE regress_cel_nobody;
GRANT USAGE ON SCHEMA cla_eventlog TO regress_cel_nobody;
SET ROLE regress_cel_probe;
SELECT j -> 'ok' AS ok FROM cla_eventlog.status_json() j;
SELECT count(*) FROM cla_eventlog.log;
SET ROLE regress_cel_nobody;
SELECT count(*) FROM cla_eventlog.status();
SELECT cla_eventlog.repair_cases();
RESET ROLE;
REVOKE USAGE ON SCHEMA cla_eventlog FROM regress_cel_nobody;
DROP ROLE regress_cel_probe;
DROP ROLE regress_cel_nobody;

-- The probe reads cases through indexes only (seq scans off only so that
-- the tiny tables do not hide it): cases by id, their latest HIGH outcome
-- and their timers by case, running timers through their partial index.
CREATE FUNCTION mi_app.scans(query text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    line text;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || query LOOP
        IF line ~ 'Scan' THEN
            RETURN NEXT btrim(regexp_replace(line, '^[ ->]*', ''));
        END IF;
    END LOOP;
END
$$;
SET enable_seqscan = off;
SELECT mi_app.scans('SELECT * FROM mi_app.legalaid_case c JOIN cla_eventlog._case_expected(''{1,2,3}'') e ON e.case_id = c.id');
SELECT mi_app.scans('SELECT * FROM cla_eventlog.timer t WHERE t.stopped IS NULL');
RESET enable_seqscan;

SET client_min_messages = warning;
DROP SCHEMA mi_app CASCADE;

-- No subtransaction in the probe or the reports: on a hot standby a
-- recovery conflict inside one ends the connection (README "Reports on a
-- standby").  The only functions with an exception block are the
-- registry's write paths; status() and its checks report what would fail
-- them as red rows instead (see the unbound case above).
SELECT p.oid::regprocedure AS with_exception_block
  FROM pg_proc p
 WHERE p.pronamespace = 'cla_eventlog'::regnamespace AND p.prosrc ~* '\mexception\s+when\M'
 ORDER BY 1;
