-- registry: registering events, re-registering (update, retire, revive),
-- unregistering, the codes view, event_codes(), selectable_codes() and
-- add_role().
\i test/setup.psql

-- A fresh extension knows the two seeded roles and no codes.
SELECT name, seeded FROM cla_eventlog.role ORDER BY name;
SELECT count(*) AS codes FROM cla_eventlog.codes;

-- Functions named by codes: a requires-action-by policy and a code resolver.
CREATE SCHEMA reg_app;
CREATE FUNCTION reg_app.rab(case_id bigint, current text) RETURNS text
    LANGUAGE sql AS $$ SELECT 'operator' $$;
CREATE FUNCTION reg_app.pick(case_id bigint, params jsonb) RETURNS text
    LANGUAGE sql AS $$ SELECT 'CB1' $$;

-- register_event returns the number of codes.  A level given by name (any
-- case) is stored as the number; order defaults to 10000.
SELECT cla_eventlog.register_event('call_me_back', '{
    "CB1": {"type": "outcome", "level": 29, "selectable_by": ["operator"],
            "description": "Callback 1", "stops_timer": true,
            "set_requires_action_by": "operator"},
    "CB2": {"type": "outcome", "level": "high", "selectable_by": ["operator"],
            "description": "Callback 2", "stops_timer": true,
            "set_requires_action_by": "operator"},
    "PCB": {"type": "outcome", "level": "MODERATE", "selectable_by": [],
            "description": "Priority callback", "stops_timer": false, "order": 5}
}', 'reg_app.pick');
SELECT * FROM cla_eventlog.codes ORDER BY event_key, code;

-- Every optional attribute is stored as given.  set_requires_action_by is
-- SQL NULL when absent and JSON null when given as null.
SELECT cla_eventlog.register_event('case', '{
    "CASE_CREATED": {"type": "system", "level": 29, "selectable_by": [],
                     "description": "Case created", "stops_timer": false},
    "CASE_VIEWED":  {"type": "system", "level": 11, "selectable_by": [],
                     "description": "Case viewed", "stops_timer": false,
                     "once_per": {"scope": "case_timer", "with": ["CASE_CREATED"]}},
    "CALL_STARTED": {"type": "event", "level": "minor", "selectable_by": ["operator"],
                     "description": "Operator started call", "stops_timer": false,
                     "once_per": {"scope": "case"}},
    "CLSP":         {"type": "outcome", "level": 29, "selectable_by": ["specialist"],
                     "description": "Closed SP Case", "stops_timer": false, "order": -3,
                     "set_requires_action_by": null,
                     "set_case_columns": {"provider_closed": "now", "provider_viewed": "now_if_null",
                                          "provider_accepted": null}},
    "DESP":         {"type": "outcome", "level": 29, "selectable_by": ["operator", "specialist"],
                     "description": "Client declined Specialist", "stops_timer": true,
                     "set_requires_action_by": {"clear_if_owned_by": ["operator", "operator_manager"]}},
    "FUNC":         {"type": "outcome", "level": 21, "selectable_by": ["operator"],
                     "description": "Decided by a function", "stops_timer": false,
                     "set_requires_action_by": {"function": "reg_app.rab"}}
}');
SELECT code, level, level_name, sort_order, set_requires_action_by,
       set_requires_action_by IS NULL AS sql_null,
       pg_catalog.jsonb_typeof(set_requires_action_by) AS json_type,
       set_case_columns, once_per, code_resolver
  FROM cla_eventlog.codes WHERE event_key = 'case' ORDER BY code;

-- The same code string may appear under several events with different
-- definitions: everything is keyed by (event_key, code).
SELECT cla_eventlog.register_event('reject_case', '{
    "DUPL": {"type": "outcome", "level": 29, "selectable_by": ["specialist"],
             "description": "Duplicate case", "stops_timer": false}}');
SELECT cla_eventlog.register_event('suspend_case', '{
    "DUPL": {"type": "outcome", "level": 29, "selectable_by": ["operator"],
             "description": "Duplicate", "stops_timer": true}}');
SELECT event_key, code, selectable_by, description, stops_timer
  FROM cla_eventlog.codes WHERE code = 'DUPL' ORDER BY event_key;

-- Re-registering replaces the definition set: CB1 is updated (and keeps
-- its registration order), CB2 is retired, CB3 is new, and the code
-- resolver is replaced (here: removed).
SELECT code, reg_order FROM cla_eventlog.code WHERE event_key = 'call_me_back' ORDER BY code;
SELECT cla_eventlog.register_event('call_me_back', '{
    "CB1": {"type": "outcome", "level": 29, "selectable_by": ["operator", "specialist"],
            "description": "Callback one", "stops_timer": false},
    "CB3": {"type": "outcome", "level": 29, "selectable_by": ["operator"],
            "description": "Callback 3", "stops_timer": true},
    "PCB": {"type": "outcome", "level": 21, "selectable_by": [],
            "description": "Priority callback", "stops_timer": false, "order": 5}
}');
SELECT c.code, c.selectable_by, c.description, c.stops_timer,
       c.set_requires_action_by, c.code_resolver, c.retired, r.reg_order
  FROM cla_eventlog.codes c
  JOIN cla_eventlog.code r USING (event_key, code)
 WHERE c.event_key = 'call_me_back' ORDER BY c.code;

-- A retired code stays in the catalog but is not among the live codes.
SELECT code FROM cla_eventlog.event_codes('call_me_back');

-- Re-adding a retired code revives it, with its old registration order.
SELECT cla_eventlog.register_event('call_me_back', '{
    "CB1": {"type": "outcome", "level": 29, "selectable_by": ["operator"],
            "description": "Callback 1", "stops_timer": true},
    "CB2": {"type": "outcome", "level": 29, "selectable_by": ["operator"],
            "description": "Callback 2 again", "stops_timer": true},
    "CB3": {"type": "outcome", "level": 29, "selectable_by": ["operator"],
            "description": "Callback 3", "stops_timer": true},
    "PCB": {"type": "outcome", "level": 21, "selectable_by": [],
            "description": "Priority callback", "stops_timer": false, "order": 5}
}', 'reg_app.pick');
SELECT c.code, c.description, c.code_resolver, c.retired, r.reg_order
  FROM cla_eventlog.codes c
  JOIN cla_eventlog.code r USING (event_key, code)
 WHERE c.event_key = 'call_me_back' ORDER BY c.code;

-- unregister_event retires every live code and says how many; the event
-- then has no live codes; registering it again revives what it names.
SELECT cla_eventlog.unregister_event('call_me_back');
SELECT cla_eventlog.unregister_event('call_me_back') AS again;
SELECT count(*) AS live FROM cla_eventlog.event_codes('call_me_back');
SELECT code, retired FROM cla_eventlog.codes WHERE event_key = 'call_me_back' ORDER BY code;
SELECT cla_eventlog.register_event('call_me_back', '{
    "CB1": {"type": "outcome", "level": 29, "selectable_by": ["operator"],
            "description": "Callback 1", "stops_timer": true}}');
SELECT code, retired FROM cla_eventlog.codes WHERE event_key = 'call_me_back' ORDER BY code;

-- Unknown events: unregister_event and event_codes say so (SQLSTATE 42704).
SELECT cla_eventlog.unregister_event('no_such_event');
\echo :SQLSTATE
SELECT * FROM cla_eventlog.event_codes('no_such_event');
\echo :SQLSTATE
-- NULL arguments are refused (22004).
SELECT cla_eventlog.unregister_event(NULL);
\echo :SQLSTATE
SELECT * FROM cla_eventlog.event_codes(NULL);
\echo :SQLSTATE

-- event_codes: display order is "order", then registration order.  jsonb
-- forgets the order keys were written in, so within one call codes are
-- registered in code order (bytewise): here AA, B, E (all order 10), then
-- A (20), then C and DD (the default 10000).
SELECT cla_eventlog.register_event('ordering', '{
    "DD": {"type": "system", "level": 11, "selectable_by": [], "description": "dd", "stops_timer": false},
    "A":  {"type": "system", "level": 11, "selectable_by": [], "description": "a", "stops_timer": false, "order": 20},
    "E":  {"type": "system", "level": 11, "selectable_by": [], "description": "e", "stops_timer": false, "order": 10},
    "C":  {"type": "system", "level": 11, "selectable_by": [], "description": "c", "stops_timer": false},
    "B":  {"type": "system", "level": 11, "selectable_by": [], "description": "b", "stops_timer": false, "order": 10},
    "AA": {"type": "system", "level": 11, "selectable_by": [], "description": "aa", "stops_timer": false, "order": 10}
}');
SELECT code, sort_order FROM cla_eventlog.event_codes('ordering');

-- A code added by a later call ties after the earlier ones, even though
-- its key ("0") sorts first: registration order, not code order.
SELECT cla_eventlog.register_event('ordering', '{
    "DD": {"type": "system", "level": 11, "selectable_by": [], "description": "dd", "stops_timer": false},
    "A":  {"type": "system", "level": 11, "selectable_by": [], "description": "a", "stops_timer": false, "order": 20},
    "E":  {"type": "system", "level": 11, "selectable_by": [], "description": "e", "stops_timer": false, "order": 10},
    "C":  {"type": "system", "level": 11, "selectable_by": [], "description": "c", "stops_timer": false},
    "B":  {"type": "system", "level": 11, "selectable_by": [], "description": "b", "stops_timer": false, "order": 10},
    "AA": {"type": "system", "level": 11, "selectable_by": [], "description": "aa", "stops_timer": false, "order": 10},
    "0":  {"type": "system", "level": 11, "selectable_by": [], "description": "0", "stops_timer": false, "order": 10}
}');
SELECT code, sort_order FROM cla_eventlog.event_codes('ordering');

-- event_codes returns the columns of the codes view.
SELECT * FROM cla_eventlog.event_codes('suspend_case');

-- selectable_codes: live outcome codes whose selectable_by names the role,
-- by event key, order, registration order.  Not listed: PCB (open to
-- anyone: empty list), CALL_STARTED (type event), CB2/CB3 (retired),
-- CLSP (specialist only).
SELECT * FROM cla_eventlog.selectable_codes('operator');
SELECT * FROM cla_eventlog.selectable_codes('specialist');
-- An unknown role gets no rows; a NULL role is an error.
SELECT count(*) FROM cla_eventlog.selectable_codes('nobody');
SELECT count(*) FROM cla_eventlog.selectable_codes(NULL);
\echo :SQLSTATE

-- add_role adds a role (true) and is idempotent (false the second time);
-- the new role can then be named in selectable_by.
SELECT cla_eventlog.add_role('supervisor');
SELECT cla_eventlog.add_role('supervisor') AS again;
SELECT cla_eventlog.add_role('operator') AS seeded_again;
SELECT name, seeded FROM cla_eventlog.role ORDER BY name;
SELECT cla_eventlog.register_event('review', '{
    "REV": {"type": "outcome", "level": 29, "selectable_by": ["supervisor"],
            "description": "Reviewed", "stops_timer": false}}');
SELECT * FROM cla_eventlog.selectable_codes('supervisor');
-- Role names follow the rules of other registry names.
SELECT cla_eventlog.add_role(NULL);
\echo :SQLSTATE
SELECT cla_eventlog.add_role('');
\echo :SQLSTATE
SELECT cla_eventlog.add_role(repeat('r', 64));
\echo :SQLSTATE
SELECT name FROM cla_eventlog.role ORDER BY name;

-- The administrative functions are not executable by PUBLIC; the reading
-- ones are.
SELECT p.proname,
       has_function_privilege('public', p.oid, 'EXECUTE') AS public_execute
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'cla_eventlog'
   AND p.proname IN ('register_event', 'unregister_event', 'autodiscover', 'add_role',
                     'event_codes', 'selectable_codes')
 ORDER BY p.proname;

-- 10,000 codes in one call are stored in a few seconds (the bound here is
-- generous: it catches row-by-row storing, not a slow machine).
CREATE TEMP TABLE bulk_codes AS
SELECT pg_catalog.jsonb_object_agg('C' || i, pg_catalog.jsonb_build_object(
           'type', 'system', 'level', 11, 'selectable_by', '[]'::jsonb,
           'description', 'Bulk code ' || i, 'stops_timer', false,
           'order', i % 7)) AS codes
  FROM generate_series(1, 10000) AS i;
DO $$
DECLARE
    t0 timestamptz := clock_timestamp();
    n integer;
BEGIN
    n := cla_eventlog.register_event('bulk', (SELECT codes FROM bulk_codes));
    IF clock_timestamp() - t0 > interval '10 seconds' THEN
        RAISE EXCEPTION 'registering % codes took %', n, clock_timestamp() - t0;
    END IF;
    RAISE NOTICE 'registered % codes', n;
END;
$$;
SELECT count(*) AS codes, count(*) FILTER (WHERE retired) AS retired
  FROM cla_eventlog.codes WHERE event_key = 'bulk';
-- Re-registering it with half the codes retires the other half.
SELECT cla_eventlog.register_event('bulk',
    (SELECT pg_catalog.jsonb_object_agg(key, value) FROM bulk_codes, pg_catalog.jsonb_each(codes)
      WHERE substr(key, 2)::integer % 2 = 0));
SELECT count(*) AS codes, count(*) FILTER (WHERE retired) AS retired
  FROM cla_eventlog.codes WHERE event_key = 'bulk';

-- Clean up the functions this file created.
DROP SCHEMA reg_app CASCADE;
