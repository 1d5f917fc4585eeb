-- search_path_safety: objects planted in public and pg_temp by an
-- unprivileged role are never picked up (README "Privileges: a recipe for three roles").  The planter creates
-- same-named functions, operators, types and tables; each planted function
-- raises an error naming itself, so a statement that succeeds below proves
-- none of them ran.  Then every public entry point and the triggers run
-- under search_path = pg_temp, public, pg_catalog.  Found by this test:
-- the registry loader's IN (it ran a planted "=" as the extension's owner),
-- NULLIF and ::date in the inlined MI helpers, and the type names of a
-- resolver given with a signature.
\i test/setup.psql
\i test/reference.psql

---------------------------------------------------------------------------
-- Every SECURITY DEFINER function pins search_path (none listed), and the
-- functions that pin none: C functions (every SQL they run is qualified),
-- the SQL helpers left unpinned so the planner can inline them
-- (qualified bodies, checked below), and apply_retention(), a procedure
-- that commits and so may not pin one (it runs no SQL of its own; run
-- under the planted path below).
---------------------------------------------------------------------------
SELECT p.oid::regprocedure AS definer_without_pinned_path
  FROM pg_proc p
 WHERE p.pronamespace = 'cla_eventlog'::regnamespace AND p.prosecdef
   AND p.proconfig IS DISTINCT FROM '{"search_path=pg_catalog, pg_temp"}';
SELECT l.lanname, p.oid::regprocedure AS unpinned
  FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
 WHERE p.pronamespace = 'cla_eventlog'::regnamespace AND p.proconfig IS NULL
 ORDER BY l.lanname, p.oid::regprocedure::text;

---------------------------------------------------------------------------
-- An application schema: a resolver given with its signature, a
-- set_requires_action_by function, and register_events() for autodiscover.
---------------------------------------------------------------------------
CREATE SCHEMA sp_app;
CREATE FUNCTION sp_app.pick(case_id bigint, params jsonb) RETURNS text
    LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$ SELECT 'SP1' $$;
CREATE FUNCTION sp_app.owner_of(case_id bigint, current text) RETURNS text
    LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$ SELECT 'operator_manager' $$;
CREATE FUNCTION sp_app.register_events() RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM cla_eventlog.register_event('sp_event', '{
        "SP1": {"type": "outcome", "level": 29, "selectable_by": ["operator"],
                "description": "Picked by sp_app.pick", "stops_timer": true,
                "set_requires_action_by": {"function": "sp_app.owner_of"}},
        "SP2": {"type": "event", "level": "MINOR", "selectable_by": [],
                "description": "Never picked", "stops_timer": false, "order": 1}}',
        'sp_app.pick(bigint, jsonb)');
END
$$;

---------------------------------------------------------------------------
-- The planter: no privilege but CREATE on public (and its temporary schema).
---------------------------------------------------------------------------
CREATE ROLE search_path_planter;
GRANT CREATE ON SCHEMA public TO search_path_planter;
SET ROLE search_path_planter;
CREATE FUNCTION public.planted(what text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'planted % was used, by %', what, current_user;
END
$$;
-- Functions with the names and argument types of those the extension calls,
-- and of its own entry points.  (The planter's own blocks name pg_catalog:
-- the planted format(text, text) is a better match than
-- pg_catalog.format(text, VARIADIC "any") wherever public is searched.)
DO $$
DECLARE
    f record;
BEGIN
    FOR f IN SELECT * FROM (VALUES
        ('now()', 'timestamptz'), ('jsonb_typeof(jsonb)', 'text'),
        ('format(text, text)', 'text'), ('format(text, text, text)', 'text'),
        ('current_setting(text)', 'text'), ('current_setting(text, boolean)', 'text'),
        ('nextval(regclass)', 'bigint'), ('length(text)', 'integer'),
        ('octet_length(text)', 'integer'), ('left(text, integer)', 'text'),
        ('upper(text)', 'text'), ('btrim(text)', 'text'),
        ('array_to_string(text[], text)', 'text'), ('string_to_array(text, text)', 'text[]'),
        ('to_regclass(text)', 'regclass'), ('jsonb_build_object(text, text)', 'jsonb'),
        ('ceil(numeric)', 'numeric'), ('date_trunc(text, timestamptz)', 'timestamptz'),
        ('generate_series(timestamptz, timestamptz, interval)', 'SETOF timestamptz'),
        ('jsonb_each(jsonb, OUT key text, OUT value jsonb)', 'SETOF record'),
        ('jsonb_each_text(jsonb, OUT key text, OUT value text)', 'SETOF record'),
        ('jsonb_object_keys(jsonb)', 'SETOF text'), ('jsonb_array_elements_text(jsonb)', 'SETOF text'),
        ('jsonb_array_length(jsonb)', 'integer'), ('unnest(bigint[])', 'SETOF bigint'),
        ('has_table_privilege(text, regclass, text)', 'boolean'),
        ('log_event(text, bigint, bigint, text, text, jsonb, jsonb, text, jsonb, text, bigint)', 'bigint'),
        ('start_timer(bigint)', 'bigint'), ('stop_timer(bigint)', 'bigint'),
        ('register_event(text, jsonb, text)', 'integer'), ('_iso_time(text)', 'timestamptz'),
        ('_reg_quote(text)', 'text'), ('_mi_seconds(timestamptz, timestamptz)', 'bigint'),
        ('_report_time_zone()', 'text')) v(sig, ret)
    LOOP
        EXECUTE pg_catalog.format('CREATE FUNCTION public.%s RETURNS %s LANGUAGE plpgsql AS %L',
                       f.sig, f.ret,
                       pg_catalog.format('BEGIN PERFORM public.planted(%L); END', 'function public.' || f.sig));
    END LOOP;
END
$$;
-- Operators on the types the extension compares, joins and builds.
DO $$
DECLARE
    o record;
    n integer := 0;
BEGIN
    FOR o IN SELECT * FROM (VALUES
        ('=', 'bigint', 'bigint', 'boolean'), ('=', 'integer', 'integer', 'boolean'),
        ('=', 'text', 'text', 'boolean'), ('=', 'jsonb', 'jsonb', 'boolean'),
        ('=', 'boolean', 'boolean', 'boolean'), ('<>', 'text', 'text', 'boolean'),
        ('<', 'bigint', 'bigint', 'boolean'), ('>', 'bigint', 'bigint', 'boolean'),
        ('>=', 'integer', 'integer', 'boolean'), ('<', 'timestamptz', 'timestamptz', 'boolean'),
        ('>=', 'timestamptz', 'timestamptz', 'boolean'), ('||', 'text', 'text', 'text'),
        ('->', 'jsonb', 'text', 'jsonb'), ('->>', 'jsonb', 'text', 'text'),
        ('#>>', 'jsonb', 'text[]', 'text'), ('?', 'jsonb', 'text', 'boolean'),
        ('-', 'timestamptz', 'timestamptz', 'interval'), ('+', 'timestamptz', 'interval', 'timestamptz'),
        ('~~', 'text', 'text', 'boolean'), ('@>', 'text[]', 'text[]', 'boolean')) v(op, l, r, ret)
    LOOP
        n := n + 1;
        EXECUTE pg_catalog.format('CREATE FUNCTION public.planted_op_%s(%s, %s) RETURNS %s LANGUAGE plpgsql AS %L',
                       n, o.l, o.r, o.ret,
                       pg_catalog.format('BEGIN PERFORM public.planted(%L); END',
                              pg_catalog.format('operator public.%s (%s, %s)', o.op, o.l, o.r)));
        EXECUTE pg_catalog.format('CREATE OPERATOR public.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = public.planted_op_%s)',
                       o.op, o.l, o.r, n);
    END LOOP;
END
$$;
-- Tables of the extension's and the application's names, in public and in
-- pg_temp: views that raise when read (and cannot be written).
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['log', 'timer', 'code', 'event', 'role', 'case_binding', 'codes', 'legalaid_case'] LOOP
        EXECUTE pg_catalog.format('CREATE VIEW public.%I AS SELECT public.planted(%L) AS planted', t, 'table public.' || t);
        EXECUTE pg_catalog.format('CREATE TEMP VIEW %I AS SELECT public.planted(%L) AS planted', t, 'table pg_temp.' || t);
    END LOOP;
END
$$;
-- Functions in pg_temp (never searched for functions, unless named).
CREATE FUNCTION pg_temp.start_timer(bigint) RETURNS bigint LANGUAGE plpgsql
    AS $$ BEGIN PERFORM public.planted('function pg_temp.start_timer'); END $$;
CREATE FUNCTION pg_temp.now() RETURNS timestamptz LANGUAGE plpgsql
    AS $$ BEGIN PERFORM public.planted('function pg_temp.now'); END $$;
-- Types whose names are not keywords: a cast to one of these domains runs
-- its CHECK.
CREATE DOMAIN public.date AS pg_catalog.date CHECK (public.planted('type public.date'));
CREATE DOMAIN public.jsonb AS pg_catalog.jsonb CHECK (public.planted('type public.jsonb'));
CREATE DOMAIN public.timestamptz AS pg_catalog.timestamptz CHECK (public.planted('type public.timestamptz'));
CREATE DOMAIN public.text AS pg_catalog.text CHECK (public.planted('type public.text'));
RESET ROLE;
SELECT count(*) AS planted_functions FROM pg_proc WHERE pronamespace = 'public'::regnamespace;
SELECT count(*) AS planted_operators FROM pg_operator WHERE oprnamespace = 'public'::regnamespace;

---------------------------------------------------------------------------
-- Every entry point, with the planted objects first in the search path.
-- Statements below name pg_catalog for anything they compute themselves.
---------------------------------------------------------------------------
SET search_path = pg_temp, public, pg_catalog;

-- The registry: autodiscover (its app pins its own path), register with
-- every attribute, roles, reading, retiring.
SELECT * FROM cla_eventlog.autodiscover(ARRAY['sp_app']);
SELECT cla_eventlog.add_role('sp_role') AS added;
SELECT cla_eventlog.register_event('sp_more', '{
    "SPM": {"type": "outcome", "level": "HIGH", "selectable_by": ["sp_role", "operator"],
            "description": "Every attribute", "stops_timer": false, "order": 5,
            "set_requires_action_by": {"clear_if_owned_by": ["operator"]},
            "set_case_columns": {"provider_viewed": "now_if_null", "provider_closed": null},
            "once_per": {"scope": "case_timer", "with": ["SP1"]}},
    "SPN": {"type": "system", "level": 11, "selectable_by": [], "description": "Null owner",
            "stops_timer": false, "set_requires_action_by": null, "once_per": {"scope": "case"}}}') AS registered;
SELECT code, sort_order FROM cla_eventlog.event_codes('sp_more');
SELECT event_key, code FROM cla_eventlog.selectable_codes('sp_role');
SELECT cla_eventlog.register_event('sp_gone', '{"G": {"type": "event", "level": 11, "selectable_by": [],
    "description": "Gone", "stops_timer": false}}') AS registered;
SELECT cla_eventlog.unregister_event('sp_gone') AS retired;
-- Binding again (the binding cache reloads under this path too).
SELECT cla_eventlog.bind_case_table('cla_reference.legalaid_case');

-- Logging: the registry and the binding load now, under this path.
SELECT created_by FROM cla_eventlog.start_timer(7);
SELECT cla_eventlog.log_event('case', 1, 7, 'CASE_CREATED') IS NOT NULL AS logged;
SELECT cla_eventlog.log_event('case', 1, 7, 'CASE_VIEWED') IS NULL AS skipped_once_per_timer;
-- the resolver given with its signature, and the set_requires_action_by function
SELECT cla_eventlog.log_event('sp_event', 1, 7, acting_role => 'operator') IS NOT NULL AS logged;
SELECT cla_eventlog.current_timer(7) IS NULL AS timer_stopped_by_sp1;
-- a resolver that reads the case, a CB1 context read by the index
SELECT cla_eventlog.log_event('call_me_back', 2, 7, acting_role => 'operator',
    context => '{"requires_action_at": "2024-03-01T10:00:00Z", "sla_120": "2024-03-01T12:00:00Z",
                 "sla_480": "2024-03-01T18:00:00Z", "sla_72h": "2024-03-04T10:00:00Z"}') IS NOT NULL AS logged;
-- once per case, clear_if_owned_by, stamps, debounce, a content reference
SELECT cla_eventlog.log_event('case', 2, 7, 'CALL_STARTED', acting_role => 'operator') IS NOT NULL AS logged;
SELECT cla_eventlog.log_event('case', 2, 7, 'CALL_STARTED', acting_role => 'operator') IS NULL AS skipped_once_per_case;
SELECT cla_eventlog.log_event('decline_help', 2, 7, 'DESP', acting_role => 'operator', notes => 'n') IS NOT NULL AS logged;
SELECT cla_eventlog.log_event('decline_help', 2, 7, 'DESP', acting_role => 'operator', notes => 'n') IS NULL AS debounced;
SELECT cla_eventlog.log_event('accept_case', 3, 8) IS NOT NULL AS logged;
SELECT cla_eventlog.log_event('sp_more', 3, 8, 'SPM', acting_role => 'sp_role',
                              content_type => 'complaint', object_id => 1) IS NOT NULL AS logged;
-- a plain INSERT: event key, type and level filled, the running timer attached
SELECT created_by FROM cla_eventlog.create_timer(9);
INSERT INTO cla_eventlog.log (case_id, code, created_by, created_by_role) VALUES (4, 'CBSP', 9, 'operator');
-- the timer functions, and their errors
SELECT created_by FROM cla_eventlog.create_timer(10);
SELECT created_by FROM cla_eventlog.create_timer(10);
SELECT created_by FROM cla_eventlog.current_timer(10);
SELECT cancelled FROM cla_eventlog.cancel_timer(10);
SELECT cla_eventlog.stop_timer(10);
SELECT created_by FROM cla_eventlog.start_timer(11);
SELECT cla_eventlog.stop_timer(11);
SELECT cla_eventlog.log_event('case', 5, 11, 'CASE_CREATED') IS NOT NULL AS logged;
SELECT linked_case FROM cla_eventlog.stop_timer(11);

-- MI, status, verify and repair.
SELECT pg_catalog.count(*) AS outcomes FROM cla_eventlog.mi_outcomes;
SELECT pg_catalog.count(*) AS case_outcomes FROM cla_eventlog.mi_case_outcomes;
SELECT pg_catalog.count(*) AS daily_rows FROM cla_eventlog.mi_daily_codes;
SELECT pg_catalog.count(*) AS timers FROM cla_eventlog.mi_timers;
SELECT pg_catalog.count(*) AS billable_days FROM cla_eventlog.mi_billable_daily;
SELECT pg_catalog.count(*) AS cases FROM cla_eventlog.mi_first_actions();
SELECT case_id, source, next_outcome, call_started_at IS NOT NULL AS call_started, missed_sla_1
  FROM cla_eventlog.mi_callback_sla('2024-03-01', '2024-03-02', '2024-03-01T11:00:00Z');
SELECT check_name, ok, CASE WHEN check_name OPERATOR(pg_catalog.=) 'disk_space' THEN '(this machine''s disks)' ELSE detail END AS detail FROM cla_eventlog.status();
SELECT cla_eventlog.status_json() OPERATOR(pg_catalog.->) 'ok' AS ok;
SELECT * FROM cla_eventlog.verify();
SELECT cla_eventlog.repair_cases() AS repaired;
RESET search_path;

-- What the calls did: the logs and the cases they changed.
SELECT id, case_id, event_key, code, type, level, created_by_role, timer_id IS NOT NULL AS has_timer
  FROM cla_eventlog.log ORDER BY id;
SELECT id, outcome_code, requires_action_by, billable_time > 0 AS billed,
       provider_accepted IS NOT NULL AS accepted, provider_viewed IS NOT NULL AS viewed
  FROM cla_reference.legalaid_case WHERE id <= 5 ORDER BY id;

---------------------------------------------------------------------------
-- The case table's owner: the MI functions and status() read the case
-- table as the extension's owner, so they first lock it and check its bound
-- columns still have built-in types.  Here its owner changes the source
-- column to an enum of its own with a cast to text that would run as the
-- extension's owner when mi_callback_sla reads "source::text".
---------------------------------------------------------------------------
GRANT USAGE ON SCHEMA cla_reference TO search_path_planter;
ALTER TABLE cla_reference.legalaid_case OWNER TO search_path_planter;
SET ROLE search_path_planter;
CREATE TYPE public.case_source AS ENUM ('WEB', 'PHONE', 'SMS', 'VOICEMAIL');
CREATE FUNCTION public.case_source_text(public.case_source) RETURNS pg_catalog.text
    LANGUAGE plpgsql AS $$ BEGIN PERFORM public.planted('cast case_source AS text'); END $$;
CREATE CAST (public.case_source AS pg_catalog.text) WITH FUNCTION public.case_source_text(public.case_source);
ALTER TABLE cla_reference.legalaid_case DROP CONSTRAINT legalaid_case_source_check,
    ALTER COLUMN source DROP DEFAULT,
    ALTER COLUMN source TYPE public.case_source USING source::pg_catalog.text::public.case_source;
RESET ROLE;
SELECT count(*) FROM cla_eventlog.mi_callback_sla('2024-03-01', '2024-03-02');
SELECT count(*) FROM cla_eventlog.mi_first_actions();
SELECT check_name, ok, detail FROM cla_eventlog.status()
 WHERE check_name IN ('case_binding', 'denormalised_outcomes', 'billable_time');
-- Binding refuses the column too; without the source role, MI works again.
SELECT cla_eventlog.bind_case_table('cla_reference.legalaid_case');
SELECT cla_eventlog.bind_case_table('cla_reference.legalaid_case', '{"source": null}');
SELECT case_id, source FROM cla_eventlog.mi_callback_sla('2024-03-01', '2024-03-02');
SELECT count(*) AS cases FROM cla_eventlog.mi_first_actions();

-- Retention, with the planted objects first in the path: the procedure
-- commits, so it cannot pin its path; it runs no SQL of its own (its two
-- steps pin theirs).  Everything logged above is older than the cutoff.
SET search_path = pg_temp, public, pg_catalog;
SET client_min_messages = warning;
CALL cla_eventlog.apply_retention(pg_catalog.now(), reason => 'search path');
RESET client_min_messages;
RESET search_path;
SELECT log_rows > 0 AS removed, kept_rows > 0 AS kept, finished_at IS NOT NULL AS finished FROM cla_eventlog.retention_run;
SELECT * FROM cla_eventlog.verify();

SET client_min_messages = warning;
DROP SCHEMA cla_reference CASCADE;
DROP SCHEMA sp_app CASCADE;
DROP CAST (public.case_source AS pg_catalog.text);
DROP OWNED BY search_path_planter;
DROP ROLE search_path_planter;
