-- registry_bad_input: register_event() refuses every malformed definition
-- with a clear error (message naming the event, the code and the
-- attribute; hint listing what is allowed), the first failure wins, and a
-- failed call stores nothing.
\i test/setup.psql

-- Functions for the function-valued attributes: the right signatures, and
-- wrong ones.
CREATE SCHEMA bad_app;
CREATE FUNCTION bad_app.rab(case_id bigint, current text) RETURNS text
    LANGUAGE sql AS $$ SELECT 'operator' $$;
CREATE FUNCTION bad_app.rab_int(case_id bigint, current text) RETURNS integer
    LANGUAGE sql AS $$ SELECT 1 $$;
CREATE FUNCTION bad_app.pick(case_id bigint, params jsonb) RETURNS text
    LANGUAGE sql AS $$ SELECT 'CB1' $$;
CREATE FUNCTION bad_app.pick_int(case_id bigint, params jsonb) RETURNS integer
    LANGUAGE sql AS $$ SELECT 1 $$;

-- The registry every failed call must leave unchanged: one event.
SELECT cla_eventlog.register_event('call_me_back', '{
    "CB1": {"type": "outcome", "level": 29, "selectable_by": ["operator"],
            "description": "Callback 1", "stops_timer": true}}', 'bad_app.pick');

-- A checksum of the whole registry (roles, events, codes), and :check,
-- which shows the SQLSTATE of the error just raised and whether the
-- registry still has that checksum.
\i test/registry_checksum.psql
SELECT pg_temp.registry() AS baseline \gset
\set check 'SELECT :''SQLSTATE'' AS sqlstate, pg_temp.registry() = :''baseline'' AS unchanged;'

-- cb1(patch, drop): codes {"CB1": <a valid definition>} with the attributes
-- of patch replaced or added, and the attribute drop removed.
CREATE FUNCTION pg_temp.cb1(patch jsonb, drop text DEFAULT NULL) RETURNS jsonb
    LANGUAGE sql AS $$
    SELECT jsonb_build_object('CB1',
        ('{"type": "outcome", "level": 29, "selectable_by": ["operator"],
           "description": "Callback 1", "stops_timer": true}'::jsonb || patch)
        - COALESCE(drop, ''))
$$;

---------------------------------------------------------------------------
-- 1. codes must be a non-empty JSON object.
---------------------------------------------------------------------------

-- NULL codes (22004).
SELECT cla_eventlog.register_event('call_me_back', NULL);
:check
-- An array, a string, JSON null (22023).
SELECT cla_eventlog.register_event('call_me_back', '[{"CB1": {}}]');
:check
SELECT cla_eventlog.register_event('call_me_back', '"CB1"');
:check
SELECT cla_eventlog.register_event('call_me_back', 'null');
:check
-- An empty object.
SELECT cla_eventlog.register_event('call_me_back', '{}');
:check
-- The codes are checked before the key: both bad, the codes error wins.
SELECT cla_eventlog.register_event(NULL, '{}');
:check

---------------------------------------------------------------------------
-- 2. event_key: not NULL, not empty, at most 63 bytes.
---------------------------------------------------------------------------

SELECT cla_eventlog.register_event(NULL, pg_temp.cb1('{}'));
:check
SELECT cla_eventlog.register_event('', pg_temp.cb1('{}'));
:check
SELECT cla_eventlog.register_event(repeat('k', 64), pg_temp.cb1('{}'));
:check
-- The limit is in bytes: 32 two-byte characters are 64 bytes.
SELECT cla_eventlog.register_event(repeat('é', 32), pg_temp.cb1('{}'));
:check
-- The key is checked before the codes: both bad, the key error wins.
SELECT cla_eventlog.register_event('', pg_temp.cb1('{"type": "foo"}'));
:check

---------------------------------------------------------------------------
-- 3. Every code: its name, its definition, each attribute.
---------------------------------------------------------------------------

-- An empty code, a code longer than 63 bytes.
SELECT cla_eventlog.register_event('call_me_back', '{"": {"type": "outcome", "level": 29,
    "selectable_by": [], "description": "x", "stops_timer": true}}');
:check
SELECT cla_eventlog.register_event('call_me_back',
    jsonb_build_object(repeat('C', 64), pg_temp.cb1('{}') -> 'CB1'));
:check

-- A definition that is not an object.
SELECT cla_eventlog.register_event('call_me_back', '{"CB1": "Callback 1"}');
:check
SELECT cla_eventlog.register_event('call_me_back', '{"CB1": []}');
:check
SELECT cla_eventlog.register_event('call_me_back', '{"CB1": null}');
:check

-- An unknown attribute; a misspelt one is reported as unknown, not as the
-- required attribute it was meant to be.
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{"colour": "red"}'));
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{"stop_timer": true}', 'stops_timer'));
:check
-- A huge attribute name is abbreviated in the message.
SELECT cla_eventlog.register_event('call_me_back',
    pg_temp.cb1(jsonb_build_object(repeat('a', 100000), 1)));
:check

-- Each required attribute missing.
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{}', 'type'));
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{}', 'level'));
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{}', 'selectable_by'));
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{}', 'description'));
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{}', 'stops_timer'));
:check

-- type: a number for a string, an unknown type, the right word in the
-- wrong case.
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{"type": 1}'));
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{"type": "foo"}'));
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{"type": "Outcome"}'));
:check

-- level: a boolean, an array, an unknown number, a fraction, a number in a
-- string, an unknown name.
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{"level": true}'));
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{"level": [29]}'));
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{"level": 30}'));
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{"level": 28.9}'));
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{"level": "29"}'));
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{"level": "urgent"}'));
:check

-- selectable_by: a string or an object for an array, a number or null
-- element, an unknown role, a known role in the wrong case.
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{"selectable_by": "operator"}'));
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{"selectable_by": {"operator": true}}'));
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{"selectable_by": [1]}'));
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{"selectable_by": ["operator", null]}'));
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{"selectable_by": ["operator", "nobody"]}'));
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{"selectable_by": ["Operator"]}'));
:check

-- description: a number for a string, empty, blank, 1001 characters, 1 MB.
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{"description": 42}'));
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{"description": ""}'));
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{"description": "   "}'));
:check
SELECT cla_eventlog.register_event('call_me_back',
    pg_temp.cb1(jsonb_build_object('description', repeat('d', 1001))));
:check
SELECT cla_eventlog.register_event('call_me_back',
    pg_temp.cb1(jsonb_build_object('description', repeat('d', 1048576))));
:check

-- stops_timer is strictly a boolean: not the string "true", not 1 or 0,
-- not null.
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{"stops_timer": "true"}'));
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{"stops_timer": 1}'));
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{"stops_timer": 0}'));
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{"stops_timer": null}'));
:check

-- order: a string, a boolean, a fraction, beyond integer range.
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{"order": "10"}'));
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{"order": true}'));
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{"order": 1.5}'));
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{"order": 1e10}'));
:check

-- set_requires_action_by: a number, a boolean, an array, an empty object,
-- an unknown key, two keys.
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{"set_requires_action_by": 42}'));
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{"set_requires_action_by": true}'));
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{"set_requires_action_by": ["operator"]}'));
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{"set_requires_action_by": {}}'));
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{"set_requires_action_by": {"policy": "x"}}'));
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1(
    '{"set_requires_action_by": {"clear_if_owned_by": ["operator"], "function": "bad_app.rab"}}'));
:check
-- clear_if_owned_by: a string for an array, an empty list, a number element.
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1(
    '{"set_requires_action_by": {"clear_if_owned_by": "operator"}}'));
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1(
    '{"set_requires_action_by": {"clear_if_owned_by": []}}'));
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1(
    '{"set_requires_action_by": {"clear_if_owned_by": ["operator", 1]}}'));
:check
-- function: not a string, empty, missing, unqualified, existing with
-- other argument types, returning integer, an explicit wrong signature,
-- not a name at all.
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1(
    '{"set_requires_action_by": {"function": 1}}'));
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1(
    '{"set_requires_action_by": {"function": ""}}'));
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1(
    '{"set_requires_action_by": {"function": "bad_app.nope"}}'));
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1(
    '{"set_requires_action_by": {"function": "rab"}}'));
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1(
    '{"set_requires_action_by": {"function": "bad_app.pick"}}'));
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1(
    '{"set_requires_action_by": {"function": "bad_app.rab_int"}}'));
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1(
    '{"set_requires_action_by": {"function": "bad_app.pick(bigint,jsonb)"}}'));
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1(
    '{"set_requires_action_by": {"function": "bad_app.rab; DROP SCHEMA bad_app"}}'));
:check

-- set_case_columns: a string or an array for an object, an unknown case
-- column, an unknown value, a boolean value, the right word in the wrong
-- case.
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{"set_case_columns": "provider_closed"}'));
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{"set_case_columns": ["provider_closed"]}'));
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{"set_case_columns": {"outcome_code": "now"}}'));
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{"set_case_columns": {"provider_closed": "later"}}'));
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{"set_case_columns": {"provider_closed": true}}'));
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{"set_case_columns": {"provider_closed": "NOW"}}'));
:check

-- once_per: a string for an object, no scope, an unknown scope, "with"
-- for scope case, an unknown key, "with" not a list of code strings.
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{"once_per": "case"}'));
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{"once_per": {}}'));
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{"once_per": {"scope": "day"}}'));
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{"once_per": {"scope": "case", "with": ["CB2"]}}'));
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{"once_per": {"scope": "case_timer", "per": "day"}}'));
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{"once_per": {"scope": "case_timer", "with": "CB2"}}'));
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{"once_per": {"scope": "case_timer", "with": [2]}}'));
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{"once_per": {"scope": "case_timer", "with": [""]}}'));
:check

-- Codes are checked in code order (bytewise), whatever order they are
-- written in: of two bad codes, "AAA" (bad type) is reported, not "ZZ"
-- (bad level).
SELECT cla_eventlog.register_event('call_me_back', '{
    "ZZ":  {"type": "outcome", "level": 99, "selectable_by": [], "description": "x", "stops_timer": true},
    "AAA": {"type": "foo", "level": 29, "selectable_by": [], "description": "x", "stops_timer": true}}');
:check
-- Within a code, a missing required attribute is reported before a bad
-- optional one.
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{"order": "x"}', 'type'));
:check

---------------------------------------------------------------------------
-- 4. code_resolver: a qualified function (case_id bigint, params jsonb)
--    RETURNS text.
---------------------------------------------------------------------------

SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{}'), '');
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{}'), 'bad_app.nope');
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{}'), 'pick');
:check
-- (case_id bigint, current text) is the policy signature, not a resolver's.
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{}'), 'bad_app.rab');
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{}'), 'bad_app.rab(bigint,text)');
:check
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{}'), 'bad_app.pick_int');
:check
-- A bad resolver is reported after the codes: both bad, the code wins.
SELECT cla_eventlog.register_event('call_me_back', pg_temp.cb1('{"type": "foo"}'), 'bad_app.nope');
:check

---------------------------------------------------------------------------
-- Nothing is stored on failure.
---------------------------------------------------------------------------

-- A new event whose second code is bad: the event is not created.
SELECT cla_eventlog.register_event('new_event', '{
    "A": {"type": "system", "level": 11, "selectable_by": [], "description": "a", "stops_timer": false},
    "BB": {"type": "system", "level": 11, "selectable_by": [], "description": "b", "stops_timer": "no"}}');
:check
-- Re-registering call_me_back with a new code and a bad resolver: CB1 is
-- neither retired nor changed, NEW is not added.
SELECT cla_eventlog.register_event('call_me_back', '{
    "NEW": {"type": "system", "level": 11, "selectable_by": [], "description": "n", "stops_timer": false}}',
    'bad_app.nope');
:check
SELECT event_key, code, description, retired, code_resolver FROM cla_eventlog.codes ORDER BY 1, 2;

---------------------------------------------------------------------------
-- The limits are inclusive: a 63-byte key and code and a 1000-character
-- description are accepted.  (Rolled back: the checks above compare with
-- the baseline.)
---------------------------------------------------------------------------
BEGIN;
SELECT cla_eventlog.register_event(repeat('k', 63),
    jsonb_build_object(repeat('C', 63), pg_temp.cb1(jsonb_build_object('description', repeat('d', 1000))) -> 'CB1'));
SELECT octet_length(event_key) AS key_bytes, octet_length(code) AS code_bytes,
       length(description) AS description_chars
  FROM cla_eventlog.codes WHERE event_key <> 'call_me_back';
ROLLBACK;
SELECT pg_temp.registry() = :'baseline' AS unchanged;

-- Clean up the functions this file created.
DROP SCHEMA bad_app CASCADE;
