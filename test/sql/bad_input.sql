-- bad_input: every public function given NULLs, wrong types, huge (10 MB)
-- and malformed JSON, deeply nested JSON and invalid names gets a clear
-- error or a documented result, changes nothing when it fails, and never
-- takes the backend down.  An error shows at most a short prefix
-- of a huge value.  Crashes found here, now errors: a log trigger function
-- attached to another table, a STRICT built-in as a registry function given
-- a NULL, a malformed set_requires_action_by written by raw DML.  The file
-- ends with SELECT 1: the connection survived.
\i test/setup.psql
\i test/reference.psql
\i test/registry_checksum.psql

-- Hostile values: 10 MB of text, a 10 MB JSON document, JSON nested deeper
-- than the parser allows and nested deep but parseable.
CREATE FUNCTION pg_temp.huge() RETURNS text LANGUAGE sql IMMUTABLE
    AS $$ SELECT repeat('x', 10 * 1024 * 1024) $$;
CREATE FUNCTION pg_temp.huge_json() RETURNS jsonb LANGUAGE sql IMMUTABLE
    AS $$ SELECT jsonb_build_object('blob', repeat('j', 10 * 1024 * 1024)) $$;
CREATE FUNCTION pg_temp.nested(depth integer) RETURNS text LANGUAGE sql IMMUTABLE
    AS $$ SELECT repeat('{"a": ', depth) || '1' || repeat('}', depth) $$;
-- error_of(statement): 'ok', or the SQLSTATE and message of its error; for
-- a list of bad values in one query.
CREATE FUNCTION pg_temp.error_of(statement text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE statement;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ' ' || SQLERRM;
END
$$;
-- state(): what every failed call must leave as it is.
CREATE TEMP TABLE baseline AS SELECT pg_temp.registry() AS registry;
CREATE FUNCTION pg_temp.state() RETURNS text LANGUAGE sql AS $$
    SELECT format('logs %s, timers %s, running %s, registry %s', (SELECT count(*) FROM cla_eventlog.log),
                  (SELECT count(*) FROM cla_eventlog.timer),
                  (SELECT count(*) FROM cla_eventlog.timer WHERE stopped IS NULL),
                  CASE WHEN pg_temp.registry() = (SELECT registry FROM baseline) THEN 'unchanged' ELSE 'CHANGED' END)
$$;
SELECT pg_temp.state();

---------------------------------------------------------------------------
-- 1. The registry: register_event, unregister_event, event_codes,
--    selectable_codes, add_role, autodiscover.
---------------------------------------------------------------------------
-- NULLs and wrong types.
SELECT cla_eventlog.register_event(NULL, NULL, NULL);
SELECT cla_eventlog.register_event(1, 2);
SELECT cla_eventlog.register_event('k', '{"C": 1}', 42);
-- Malformed JSON fails in the input function, before the call.
SELECT cla_eventlog.register_event('k', '{"C": {"type": ');
SELECT cla_eventlog.register_event('k', '{C: 1}');
-- JSON nested deeper than the parser's stack allows; nested 1000 deep
-- inside a definition (an unknown attribute); a JSON scalar, an array.
SELECT cla_eventlog.register_event('k', pg_temp.nested(100000)::jsonb);
SELECT cla_eventlog.register_event('k', ('{"C": ' || pg_temp.nested(1000) || '}')::jsonb);
SELECT cla_eventlog.register_event('k', ('[' || pg_temp.nested(1000) || ']')::jsonb);
SELECT cla_eventlog.register_event('k', '"C"');
-- 10 MB: a description, a code name, an event key, a resolver name, a
-- whole codes document.
SELECT cla_eventlog.register_event('k', jsonb_build_object('C', jsonb_build_object(
    'type', 'event', 'level', 11, 'selectable_by', '[]'::jsonb, 'stops_timer', false,
    'description', pg_temp.huge())));
SELECT cla_eventlog.register_event('k', jsonb_build_object(pg_temp.huge(), '{}'::jsonb));
SELECT cla_eventlog.register_event(pg_temp.huge(), '{"C": {"type": "event", "level": 11,
    "selectable_by": [], "stops_timer": false, "description": "d"}}');
SELECT cla_eventlog.register_event('k', '{"C": {"type": "event", "level": 11,
    "selectable_by": [], "stops_timer": false, "description": "d"}}', 'app.' || pg_temp.huge());
SELECT cla_eventlog.register_event('k', pg_temp.huge_json());
-- Names that are not identifiers: event keys and codes are text, so these
-- register (a documented result) ...
SELECT cla_eventlog.register_event(k, jsonb_build_object(k, '{"type": "event", "level": 11,
           "selectable_by": [], "stops_timer": false, "description": "odd name"}'::jsonb)) AS registered
  FROM unnest(ARRAY['a"b', 'x; DROP TABLE y', 'dotted.name', 'ünïcödé']) k;
-- ... but '', 500 characters, or a function name that is not one are refused.
SELECT cla_eventlog.register_event('', '{"C": {}}');
SELECT cla_eventlog.register_event(repeat('k', 500), '{"C": {}}');
SELECT cla_eventlog.register_event('k', '{"": {}}');
SELECT left(resolver, 20) AS resolver, pg_temp.error_of(format($$
           SELECT cla_eventlog.register_event('k', '{"C": {"type": "event", "level": 11,
               "selectable_by": [], "stops_timer": false, "description": "d"}}', %L)$$, resolver)) AS result
  FROM unnest(ARRAY['x; DROP TABLE y', 'a"b', 'a.b.c.d', 'app.' || repeat('f', 500), 'app.f(',
                    'app.f(nosuchtype)', 'app.f(bigint, jsonb)', '']) resolver;
SELECT count(*) AS odd_names, bool_and(code = event_key) AS each_stored_as_given
  FROM cla_eventlog.codes WHERE description = 'odd name';
SELECT cla_eventlog.unregister_event(k) AS retired
  FROM unnest(ARRAY['a"b', 'x; DROP TABLE y', 'dotted.name', 'ünïcödé']) k;
UPDATE baseline SET registry = pg_temp.registry();
-- unregister_event, event_codes, selectable_codes, add_role.
SELECT cla_eventlog.unregister_event(NULL);
SELECT cla_eventlog.unregister_event('');
SELECT cla_eventlog.unregister_event(pg_temp.huge());
SELECT cla_eventlog.event_codes(NULL);
SELECT cla_eventlog.event_codes('y; DROP TABLE x');
SELECT cla_eventlog.event_codes(pg_temp.huge());
SELECT cla_eventlog.selectable_codes(NULL);
SELECT count(*) AS no_rows FROM cla_eventlog.selectable_codes(pg_temp.huge());
SELECT count(*) AS no_rows FROM cla_eventlog.selectable_codes('');
SELECT cla_eventlog.add_role(NULL);
SELECT cla_eventlog.add_role('');
SELECT cla_eventlog.add_role(repeat('r', 500));
SELECT cla_eventlog.add_role(pg_temp.huge());
-- autodiscover: NULL and empty apps, missing schemas, bad on_error, a
-- setting that names no schema.
SELECT * FROM cla_eventlog.autodiscover(ARRAY[NULL]);
SELECT * FROM cla_eventlog.autodiscover(ARRAY['x; DROP TABLE y']);
SELECT * FROM cla_eventlog.autodiscover(ARRAY[pg_temp.huge()]);
SELECT * FROM cla_eventlog.autodiscover(ARRAY['cla_reference'], NULL);
SELECT * FROM cla_eventlog.autodiscover(ARRAY['cla_reference'], pg_temp.huge());
SELECT set_config('cla_eventlog.apps', ' , ,', false) IS NOT NULL AS set;
SELECT * FROM cla_eventlog.autodiscover();
-- schemas without register_events() are skipped (a documented result)
SELECT * FROM cla_eventlog.autodiscover(ARRAY['pg_catalog', 'information_schema']);
RESET cla_eventlog.apps;
SELECT pg_temp.state();

---------------------------------------------------------------------------
-- 2. bind_case_table: the binding stays as it was after each failure.
---------------------------------------------------------------------------
SELECT cla_eventlog.bind_case_table(NULL);
SELECT cla_eventlog.bind_case_table('cla_reference.legalaid_case', NULL);
SELECT cla_eventlog.bind_case_table('x; DROP TABLE y');
SELECT cla_eventlog.bind_case_table('a"b');
SELECT cla_eventlog.bind_case_table('a.b.c.d');
SELECT cla_eventlog.bind_case_table('');
SELECT cla_eventlog.bind_case_table('cla_eventlog.codes');
SELECT cla_eventlog.bind_case_table('pg_catalog.pg_class');
SELECT cla_eventlog.bind_case_table('cla_reference.legalaid_case', '[]');
SELECT cla_eventlog.bind_case_table('cla_reference.legalaid_case', '{"id": null}');
SELECT cla_eventlog.bind_case_table('cla_reference.legalaid_case', '{"source": 42}');
SELECT cla_eventlog.bind_case_table('cla_reference.legalaid_case', ('{"source": ' || pg_temp.nested(1000) || '}')::jsonb);
SELECT cla_eventlog.bind_case_table('cla_reference.legalaid_case', jsonb_build_object('source', 'x; DROP TABLE y'));
SELECT cla_eventlog.bind_case_table('cla_reference.legalaid_case', jsonb_build_object('source', pg_temp.huge()));
SELECT cla_eventlog.bind_case_table('cla_reference.legalaid_case', jsonb_build_object(pg_temp.huge(), 'source'));
SELECT cla_eventlog.bind_case_table('cla_reference.legalaid_case', pg_temp.huge_json());
SELECT case_schema, case_table, jsonb_object_keys(columns) = 'source' AS has_source
  FROM cla_eventlog.case_binding ORDER BY 3 DESC LIMIT 1;

---------------------------------------------------------------------------
-- 3. log_event and plain INSERTs.
---------------------------------------------------------------------------
SELECT cla_eventlog.log_event(NULL, NULL, NULL);
SELECT cla_eventlog.log_event('case', 'one', 1);
SELECT cla_eventlog.log_event(1, 1, 1);
SELECT cla_eventlog.log_event('case', 1, 1, 'CASE_CREATED', context => 'not json');
-- Names: not registered, too long (shown abbreviated), malformed.
SELECT k AS event_key, pg_temp.error_of(format('SELECT cla_eventlog.log_event(%L, 1, 1)', k)) AS result
  FROM unnest(ARRAY['y; DROP TABLE x', 'a"b', '', 'case.CASE_CREATED', 'x; DROP TABLE y']) k;
SELECT cla_eventlog.log_event(repeat('e', 500), 1, 1);
SELECT cla_eventlog.log_event(pg_temp.huge(), 1, 1);
SELECT cla_eventlog.log_event('case', 1, 1, pg_temp.huge());
SELECT cla_eventlog.log_event('case', 1, 1, 'x; DROP TABLE y');
SELECT cla_eventlog.log_event('case', 1, 1, 'CASE_CREATED', acting_role => pg_temp.huge());
SELECT cla_eventlog.log_event('case', 1, 1, 'CASE_CREATED', acting_role => 'x; DROP TABLE y');
SELECT set_config('cla_eventlog.acting_role', pg_temp.huge(), false) IS NOT NULL AS set;
SELECT cla_eventlog.log_event('case', 1, 1, 'CASE_CREATED');
RESET cla_eventlog.acting_role;
-- Cases and users: any bigint is a user id; a case must exist.
SELECT c AS case_id, pg_temp.error_of(format('SELECT cla_eventlog.log_event(%L, %s, %s, %L)', 'case', c, c, 'CASE_CREATED')) AS result
  FROM unnest(ARRAY[-9223372036854775808, -1, 0, 9223372036854775807]) c;
-- JSON: a 10 MB context is stored (a documented result; context is the
-- application's), an array or scalar context is refused, params the
-- resolver does not accept reach the caller as the resolver's error.
SELECT cla_eventlog.log_event('case', 1, 1, 'CASE_CREATED', context => '[]');
SELECT cla_eventlog.log_event('case', 1, 1, 'CASE_CREATED', context => 'null');
SELECT cla_eventlog.log_event('case', 1, 1, 'CASE_CREATED', context => pg_temp.nested(100000)::jsonb);
SELECT cla_eventlog.log_event('call_me_back', 1, 1, params => pg_temp.huge_json());
SELECT cla_eventlog.log_event('call_me_back', 1, 1, params => ('[' || pg_temp.nested(1000) || ']')::jsonb);
SELECT pg_temp.state();
SELECT cla_eventlog.log_event('case', 1, 1, 'CASE_CREATED', context => pg_temp.huge_json(),
                              notes => pg_temp.huge(), patch => pg_temp.nested(1000)::jsonb) AS huge_log \gset
SELECT length(notes) AS notes, length(context ->> 'blob') AS context_blob, length(patch::text) AS patch
  FROM cla_eventlog.log WHERE id = :huge_log;
-- Plain INSERTs: a time that never comes, garbage in type, level,
-- content reference and timer.
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, created) VALUES (1, 'case', 'CASE_CREATED', 1, 'infinity');
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, created) VALUES (1, 'case', 'CASE_CREATED', 1, '-infinity');
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, type) VALUES (1, 'case', 'CASE_CREATED', 1, pg_temp.huge());
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, level) VALUES (1, 'case', 'CASE_CREATED', 1, -2147483648);
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, object_id) VALUES (1, 'case', 'CASE_CREATED', 1, 1);
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, timer_id) VALUES (1, 'case', 'CASE_CREATED', 1, -1);
INSERT INTO cla_eventlog.log (case_id, code, created_by) VALUES (1, NULL, 1);
SELECT pg_temp.state();

---------------------------------------------------------------------------
-- 4. The timer functions.  Any bigint is a user id (a documented result).
---------------------------------------------------------------------------
SELECT cla_eventlog.start_timer(NULL);
SELECT cla_eventlog.create_timer(NULL);
SELECT cla_eventlog.current_timer(NULL);
SELECT cla_eventlog.stop_timer(NULL);
SELECT cla_eventlog.cancel_timer(NULL);
SELECT cla_eventlog.start_timer('seven');
SELECT cla_eventlog.stop_timer(9223372036854775807);
SELECT cla_eventlog.cancel_timer(-9223372036854775808);
SELECT created_by, stopped IS NULL AS running FROM cla_eventlog.start_timer(-9223372036854775808);
SELECT cancelled FROM cla_eventlog.cancel_timer(-9223372036854775808);
SELECT pg_temp.state();

-- A NULL argument is 22004 (null_value_not_allowed) for every function; a
-- NULL in a required column of a log row is 23502 (not_null_violation), as a
-- column constraint would give.  An unknown kind of registry function is
-- 22023, not an internal error.
\set VERBOSITY sqlstate
SELECT cla_eventlog.start_timer(NULL);
SELECT cla_eventlog.stop_timer(NULL);
SELECT cla_eventlog.log_event(NULL, 1, 1);
SELECT cla_eventlog.log_event('case', NULL, 1);
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by) VALUES (1, 'case', NULL, 1);
SELECT cla_eventlog._check_function('app.f', 'nonsense');
\set VERBOSITY default

---------------------------------------------------------------------------
-- 5. MI functions, repair_cases, status.
---------------------------------------------------------------------------
SELECT * FROM cla_eventlog.mi_callback_sla(NULL, NULL);
SELECT * FROM cla_eventlog.mi_callback_sla('2024-03-02', '2024-03-01');
SELECT * FROM cla_eventlog.mi_callback_sla('2024-03-01', '2024-03-02', NULL);
SELECT * FROM cla_eventlog.mi_callback_sla('2024-03-01', '2024-03-02', now(), NULL);
SELECT * FROM cla_eventlog.mi_callback_sla('2024-03-01', 'soon');
SELECT count(*) AS callbacks FROM cla_eventlog.mi_callback_sla('-infinity', 'infinity', 'infinity');
SELECT count(*) AS callbacks FROM cla_eventlog.mi_callback_sla('-infinity', 'infinity', '-infinity', '{}');
SELECT count(*) AS callbacks FROM cla_eventlog.mi_callback_sla('-infinity', 'infinity', now(),
    ARRAY[NULL, pg_temp.huge()] || ARRAY(SELECT g::text FROM generate_series(1, 100000) g));
SELECT * FROM cla_eventlog.mi_first_actions('infinity', '-infinity');
SELECT count(*) AS cases FROM cla_eventlog.mi_first_actions('-infinity', 'infinity');
SELECT count(*) AS cases FROM cla_eventlog.mi_first_actions(NULL, '-infinity');
SELECT cla_eventlog.repair_cases(NULL) AS all_cases, cla_eventlog.repair_cases('{}') AS empty,
       cla_eventlog.repair_cases('{NULL}') AS null_id,
       cla_eventlog.repair_cases(ARRAY[-9223372036854775808, 0, 9223372036854775807]) AS extremes;
SET client_min_messages = warning;   -- progress NOTICEs every 10,000 cases
SELECT cla_eventlog.repair_cases(ARRAY(SELECT g FROM generate_series(1, 100000) g)) AS many;
RESET client_min_messages;
-- Settings are checked when set; status() reports, never fails.
SET cla_eventlog.stale_timer_after = -1;
SET cla_eventlog.stale_timer_after = 'x; DROP TABLE y';
SET cla_eventlog.report_time_zone = 'x; DROP TABLE y';
SET cla_eventlog.day_time_zone = '';
SET cla_eventlog.stale_timer_after = 2147483647;
SELECT check_name, ok FROM cla_eventlog.status();
RESET cla_eventlog.stale_timer_after;
SELECT pg_temp.state();

---------------------------------------------------------------------------
-- 6. Registry functions that crashed the backend or failed obscurely.
---------------------------------------------------------------------------
CREATE SCHEMA bad_app;
CREATE FUNCTION bad_app.all_codes(case_id bigint, params jsonb) RETURNS SETOF text
    LANGUAGE sql AS $$ SELECT 'A' UNION ALL SELECT 'B' $$;
CREATE FUNCTION bad_app.first(state text, case_id bigint, params jsonb) RETURNS text
    LANGUAGE sql AS $$ SELECT COALESCE(state, 'A') $$;
CREATE AGGREGATE bad_app.pick_agg(bigint, jsonb) (sfunc = bad_app.first, stype = text);
CREATE FUNCTION bad_app.strict_pick(case_id bigint, params jsonb) RETURNS text
    LANGUAGE sql STRICT AS $$ SELECT 'A' $$;
-- A set-returning function or an aggregate is refused when registered
-- (they were accepted, then failed at use with "set-valued function called
-- in context that cannot accept a set" or an internal lookup error).
-- (A missing function given with a signature said "function 0x... returned
-- NULL".)
SELECT f AS resolver, pg_temp.error_of(format($$
           SELECT cla_eventlog.register_event('bad_pick', '{
               "A": {"type": "event", "level": 11, "selectable_by": [], "description": "A", "stops_timer": false},
               "B": {"type": "event", "level": 11, "selectable_by": [], "description": "B", "stops_timer": false}}',
               %L)$$, f)) AS result
  FROM unnest(ARRAY['bad_app.all_codes', 'bad_app.pick_agg', 'bad_app.nope(bigint,jsonb)']) f;
-- A STRICT resolver given NULL params returns NULL without being called.
SELECT cla_eventlog.register_event('bad_pick', '{
    "A": {"type": "event", "level": 11, "selectable_by": [], "description": "A", "stops_timer": false},
    "B": {"type": "event", "level": 11, "selectable_by": [], "description": "B", "stops_timer": false}}',
    'bad_app.strict_pick') AS registered;
SELECT cla_eventlog.log_event('bad_pick', 1, 1);
SELECT cla_eventlog.log_event('bad_pick', 1, 1, params => '{}') IS NOT NULL AS logged;
-- A STRICT built-in as set_requires_action_by function, called for a case
-- whose requires_action_by is NULL: it crashed the server; now the result
-- is NULL, as SQL would give.
SELECT cla_eventlog.register_event('bad_rab', '{"R": {"type": "event", "level": 11, "selectable_by": [],
    "description": "R", "stops_timer": false,
    "set_requires_action_by": {"function": "pg_catalog.to_char(bigint,text)"}}}') AS registered;
UPDATE cla_reference.legalaid_case SET requires_action_by = NULL WHERE id = 6;
SELECT cla_eventlog.log_event('bad_rab', 6, 1) IS NOT NULL AS logged;
SELECT requires_action_by FROM cla_reference.legalaid_case WHERE id = 6;
-- A set_requires_action_by written behind register_event()'s back that is
-- none of the allowed forms: it crashed the server when the code was logged.
UPDATE cla_eventlog.code SET set_requires_action_by = v
  FROM (VALUES ('{"x": 1}'::jsonb)) s(v) WHERE event_key = 'bad_rab';
SELECT cla_eventlog.log_event('bad_rab', 6, 1);
UPDATE cla_eventlog.code SET set_requires_action_by = '[1]' WHERE event_key = 'bad_rab';
SELECT cla_eventlog.log_event('bad_rab', 6, 1);
UPDATE cla_eventlog.code SET set_requires_action_by = '5' WHERE event_key = 'bad_rab';
SELECT cla_eventlog.log_event('bad_rab', 6, 1);
SELECT cla_eventlog.unregister_event('bad_rab') AS retired;

---------------------------------------------------------------------------
-- 7. The log's trigger functions on another table (only the owner can
--    attach them now): refused, where _log_apply crashed the server.
---------------------------------------------------------------------------
CREATE TABLE bad_app.fake_log (id bigint, case_id bigint, timer_id bigint, event_key int, code int,
    type int, level int, created_by bigint, created_by_role int, notes int, patch int, context int,
    content_type int, object_id int, created int, modified int);
CREATE TRIGGER fake_validate BEFORE INSERT ON bad_app.fake_log
    FOR EACH ROW EXECUTE FUNCTION cla_eventlog._log_validate();
INSERT INTO bad_app.fake_log VALUES (1, 1, NULL, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1);
DROP TRIGGER fake_validate ON bad_app.fake_log;
CREATE TRIGGER fake_apply AFTER INSERT ON bad_app.fake_log
    FOR EACH ROW EXECUTE FUNCTION cla_eventlog._log_apply();
INSERT INTO bad_app.fake_log VALUES (1, 1, NULL, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1);
-- Trigger functions cannot be called directly.
SELECT cla_eventlog._log_apply();

-- Every case still agrees with its log and timers.
SELECT * FROM cla_eventlog.verify();

SET client_min_messages = warning;
DROP SCHEMA bad_app CASCADE;
DROP SCHEMA cla_reference CASCADE;
RESET client_min_messages;
-- The connection survived all of it.
SELECT 1 AS still_connected;
