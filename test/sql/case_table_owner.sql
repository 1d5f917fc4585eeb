-- case_table_owner: nothing the case table's owner attaches to the table
-- (an index expression, a partial-index predicate, a CHECK constraint,
-- expression statistics, a trigger) ever runs with more rights than that
-- owner has, whichever entry point touches the table and whichever role
-- calls it (README, "Privileges").  Each planted object records who ran it
-- and whether that role is a superuser; every entry point runs in a new
-- session, so the table's index expressions and predicates are loaded
-- (and constant-folded, which runs their functions) inside it.  Rules on
-- the case table are refused at bind time and at use.
\i test/setup.psql
SET client_min_messages = warning;
DROP ROLE IF EXISTS cto_owner;
DROP ROLE IF EXISTS cto_monitor;
DROP ROLE IF EXISTS cto_reader;
DROP ROLE IF EXISTS cto_writer;
DROP ROLE IF EXISTS cto_admin;
RESET client_min_messages;
CREATE ROLE cto_owner;                  -- owns the application's case table
CREATE ROLE cto_monitor IN ROLE pg_monitor;
CREATE ROLE cto_reader;
CREATE ROLE cto_writer;
CREATE ROLE cto_admin;
CREATE SCHEMA cto_app AUTHORIZATION cto_owner;

SET ROLE cto_owner;
CREATE TABLE cto_app.legalaid_case (id bigint PRIMARY KEY, outcome_code text, outcome_code_id bigint,
    level integer, requires_action_by text, billable_time integer NOT NULL DEFAULT 0,
    modified timestamptz, created timestamptz NOT NULL DEFAULT now(), source text);
CREATE TABLE cto_app.ran (what text, who name, super boolean, step text);
GRANT INSERT ON cto_app.ran TO PUBLIC;
CREATE FUNCTION cto_app.record(what text) RETURNS integer LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO cto_app.ran SELECT what, current_user, r.rolsuper, current_setting('application_name')
      FROM pg_roles r WHERE r.rolname = current_user;
    RETURN 0;
END $$;
-- Functions that lie about being IMMUTABLE, as in the attack: the planner
-- folds them when it loads the table's index expressions and predicates.
CREATE FUNCTION cto_app.in_index(integer) RETURNS integer IMMUTABLE LANGUAGE plpgsql
    AS $$ BEGIN RETURN cto_app.record('index expression'); END $$;
CREATE FUNCTION cto_app.in_predicate(integer) RETURNS boolean IMMUTABLE LANGUAGE plpgsql
    AS $$ BEGIN RETURN cto_app.record('partial-index predicate') = 0; END $$;
CREATE FUNCTION cto_app.in_statistics(integer) RETURNS integer IMMUTABLE LANGUAGE plpgsql
    AS $$ BEGIN RETURN cto_app.record('statistics expression'); END $$;
CREATE FUNCTION cto_app.in_check(bigint) RETURNS boolean IMMUTABLE LANGUAGE plpgsql
    AS $$ BEGIN RETURN cto_app.record('check constraint') = 0; END $$;
CREATE FUNCTION cto_app.in_trigger() RETURNS trigger LANGUAGE plpgsql
    AS $$ BEGIN PERFORM cto_app.record('trigger'); RETURN NEW; END $$;
CREATE INDEX ON cto_app.legalaid_case ((id + cto_app.in_index(1)));
CREATE INDEX ON cto_app.legalaid_case (level) WHERE cto_app.in_predicate(1);
CREATE STATISTICS cto_app.case_stats ON (id + cto_app.in_statistics(1)) FROM cto_app.legalaid_case;
ALTER TABLE cto_app.legalaid_case ADD CHECK (cto_app.in_check(id));
CREATE TRIGGER planted BEFORE UPDATE ON cto_app.legalaid_case
    FOR EACH ROW EXECUTE FUNCTION cto_app.in_trigger();
INSERT INTO cto_app.legalaid_case (id, source) SELECT g, 'PHONE' FROM generate_series(1, 5) g;
ANALYZE cto_app.legalaid_case;
GRANT USAGE ON SCHEMA cto_app TO cto_writer, cto_admin;
GRANT SELECT, UPDATE ON cto_app.legalaid_case TO cto_writer;
GRANT REFERENCES ON cto_app.legalaid_case TO cto_admin;
RESET ROLE;

-- The roles of the README's recipe, reduced to what this test calls.
GRANT USAGE ON SCHEMA cla_eventlog TO cto_reader, cto_writer, cto_admin;
GRANT SELECT, INSERT ON cla_eventlog.log TO cto_writer;
GRANT USAGE ON SEQUENCE cla_eventlog.log_id_seq TO cto_writer;
GRANT EXECUTE ON FUNCTION cla_eventlog.log_event(text, bigint, bigint, text, text, jsonb, jsonb, text, jsonb, text, bigint),
    cla_eventlog.start_timer(bigint), cla_eventlog.stop_timer(bigint) TO cto_writer;
GRANT EXECUTE ON FUNCTION cla_eventlog.mi_first_actions(timestamptz, timestamptz),
    cla_eventlog.mi_callback_sla(timestamptz, timestamptz, timestamptz, text[]) TO cto_reader;
GRANT EXECUTE ON FUNCTION cla_eventlog.bind_case_table(regclass, jsonb) TO cto_admin;
SELECT cla_eventlog.register_event('call_me_back', '{"CB1": {"type": "outcome", "level": "HIGH",
    "selectable_by": [], "description": "Callback", "stops_timer": true, "set_requires_action_by": "operator"}}');
SELECT cla_eventlog.register_event('case', '{"CASE_VIEWED": {"type": "system", "level": "MINOR",
    "selectable_by": [], "description": "Viewed", "stops_timer": false}}');

-- Binding, by the administrator and by a superuser.
\c
SET ROLE cto_admin;
SELECT cla_eventlog.bind_case_table('cto_app.legalaid_case');
\c
SELECT cla_eventlog.bind_case_table('cto_app.legalaid_case');
SELECT cla_eventlog.rebind_case_table();

-- Writing: a writer's and a superuser's log_event(), a plain INSERT, timers.
\c
SET ROLE cto_writer;
SELECT (cla_eventlog.start_timer(7)).id IS NOT NULL AS started;
SELECT cla_eventlog.log_event('call_me_back', 1, 7, context => '{"requires_action_at": "2026-01-05T10:00:00Z"}') IS NOT NULL AS logged;
SELECT cla_eventlog.log_event('case', 2, 7) IS NOT NULL AS logged;
\c
SELECT (cla_eventlog.start_timer(8)).id IS NOT NULL AS started;
SELECT cla_eventlog.log_event('case', 3, 8) IS NOT NULL AS logged;
SELECT cla_eventlog.stop_timer(8) IS NOT NULL AS stopped;
INSERT INTO cla_eventlog.log (case_id, code, created_by, notes) VALUES (4, 'CB1', 9, 'by INSERT');

-- Reading: the probe as a pg_monitor member and as a superuser, MI as a
-- reporting role and as a superuser, verify() and repair_cases().
\c
SET ROLE cto_monitor;
SELECT check_name, ok FROM cla_eventlog.status() WHERE check_name IN ('denormalised_outcomes', 'billable_time');
\c
SET ROLE cto_monitor;
SELECT (cla_eventlog.status_json() -> 'checks' -> 'billable_time' ->> 'ok')::boolean AS billable_ok;
\c
SELECT bool_and(ok) AS all_ok FROM cla_eventlog.status() WHERE check_name <> 'stale_timers';
\c
SET ROLE cto_reader;
SELECT count(*) AS cases FROM cla_eventlog.mi_first_actions();
SELECT count(*) AS callbacks FROM cla_eventlog.mi_callback_sla('2026-01-01', '2026-02-01');
\c
SELECT count(*) AS cases FROM cla_eventlog.mi_first_actions('2000-01-01', '2100-01-01');
SELECT count(*) AS callbacks FROM cla_eventlog.mi_callback_sla('2026-01-01', '2026-02-01');
\c
SELECT count(*) AS problems FROM cla_eventlog.verify();
SET ROLE cto_owner;
UPDATE cto_app.legalaid_case SET billable_time = 99 WHERE id = 5;   -- a case out of step
\c
SELECT cla_eventlog.repair_cases() AS repaired;

-- Every planted object ran, and only ever as the table's owner: no row has
-- a superuser (before the fix, the probe and MI folded the index
-- expression and predicate as the extension's owner, a superuser).
SELECT what, who, super FROM cto_app.ran GROUP BY what, who, super ORDER BY what, who;
SELECT count(*) FILTER (WHERE super) AS ran_as_superuser, count(*) FILTER (WHERE who <> 'cto_owner') AS ran_as_another_role
  FROM cto_app.ran;

-- The extension checks the caller's own privileges before it acts as the
-- table's owner: a writer without UPDATE on the case table is refused.
SET ROLE cto_owner;
REVOKE UPDATE ON cto_app.legalaid_case FROM cto_writer;
RESET ROLE;
SET ROLE cto_writer;
SELECT cla_eventlog.log_event('call_me_back', 2, 7);
RESET ROLE;

-- Rules: refused when the table is bound, and at use when one is added
-- after binding (the UPDATE of a case must stay one UPDATE).
SET ROLE cto_owner;
CREATE RULE no_update AS ON UPDATE TO cto_app.legalaid_case DO INSTEAD NOTHING;
RESET ROLE;
SELECT cla_eventlog.log_event('call_me_back', 3, 7);
SELECT cla_eventlog.bind_case_table('cto_app.legalaid_case');
SELECT cla_eventlog.log_event('case', 3, 7) IS NOT NULL AS minor_codes_still_log;

SET client_min_messages = warning;
DROP EXTENSION cla_eventlog CASCADE;
DROP SCHEMA cto_app CASCADE;
DROP OWNED BY cto_owner, cto_monitor, cto_reader, cto_writer, cto_admin;
DROP ROLE cto_owner, cto_monitor, cto_reader, cto_writer, cto_admin;
