-- autodiscover: each app schema's register_events() is called in the order
-- of the apps (the argument, or the setting cla_eventlog.apps); apps
-- without the function are skipped; a failing app leaves the registry
-- exactly as it was before that app, and its error is raised or reported.
\i test/setup.psql

-- The apps.
--   ad_one:  registers one_a and one_b.
--   ad_two:  registers two_a and re-registers one_a (CODE2 replaces CODE1),
--            registering two_a twice: it counts once.
--   ad_none: no register_events() (only one taking an argument).
--   ad_proc: register_events() is a procedure; registers proc_a.
--   ad_bad:  registers bad_a, re-registers one_a, adds a role, then fails.
CREATE SCHEMA ad_one;
CREATE FUNCTION ad_one.register_events() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM cla_eventlog.register_event('one_a', '{"CODE1": {"type": "system", "level": 11,
        "selectable_by": [], "description": "One A", "stops_timer": false}}');
    PERFORM cla_eventlog.register_event('one_b', '{"CODE1": {"type": "system", "level": 11,
        "selectable_by": [], "description": "One B", "stops_timer": false}}');
END;
$$;
CREATE SCHEMA ad_two;
CREATE FUNCTION ad_two.register_events() RETURNS integer LANGUAGE plpgsql AS $$
BEGIN
    PERFORM cla_eventlog.register_event('two_a', '{"CODE1": {"type": "system", "level": 11,
        "selectable_by": [], "description": "Two A", "stops_timer": false}}');
    PERFORM cla_eventlog.register_event('two_a', '{"CODE1": {"type": "system", "level": 11,
        "selectable_by": [], "description": "Two A", "stops_timer": false}}');
    PERFORM cla_eventlog.register_event('one_a', '{"CODE2": {"type": "system", "level": 11,
        "selectable_by": [], "description": "One A by two", "stops_timer": false}}');
    RETURN 42;
END;
$$;
CREATE SCHEMA ad_none;
CREATE FUNCTION ad_none.register_events(integer) RETURNS void LANGUAGE sql AS $$ SELECT $$;
CREATE SCHEMA ad_proc;
CREATE PROCEDURE ad_proc.register_events() LANGUAGE plpgsql AS $$
BEGIN
    PERFORM cla_eventlog.register_event('proc_a', '{"CODE1": {"type": "system", "level": 11,
        "selectable_by": [], "description": "Proc A", "stops_timer": false}}');
END;
$$;
CREATE SCHEMA ad_bad;
CREATE FUNCTION ad_bad.register_events() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM cla_eventlog.register_event('bad_a', '{"CODE1": {"type": "system", "level": 11,
        "selectable_by": [], "description": "Bad A", "stops_timer": false}}');
    PERFORM cla_eventlog.register_event('one_a', '{"CODE9": {"type": "system", "level": 11,
        "selectable_by": [], "description": "One A by bad", "stops_timer": false}}');
    PERFORM cla_eventlog.add_role('bad_role');
    RAISE EXCEPTION 'ad_bad cannot finish'
        USING ERRCODE = 'P0042', DETAIL = 'The app is broken on purpose.', HINT = 'Fix ad_bad.';
END;
$$;

-- A checksum of the whole registry (roles, events, codes), and the
-- registry in short.
\i test/registry_checksum.psql
CREATE VIEW pg_temp.short AS
    SELECT event_key, code, description, retired FROM cla_eventlog.codes ORDER BY 1, 2;

-- With cla_eventlog.apps unset (empty), there are no apps: no rows.
SHOW cla_eventlog.apps;
SELECT * FROM cla_eventlog.autodiscover();

-- Apps from the setting: comma-separated, spaces trimmed, visited in the
-- order given, one row each; ad_none has no register_events() and is
-- skipped with 0 events; a procedure is called too.
SET cla_eventlog.apps = ' ad_one , ad_none,ad_proc ';
SELECT * FROM cla_eventlog.autodiscover();
SELECT * FROM pg_temp.short;

-- Apps from the argument, which overrides the setting.  Re-registering an
-- event counts as registering it; an event registered twice counts once.
SELECT * FROM cla_eventlog.autodiscover(ARRAY['ad_two']);
SELECT * FROM pg_temp.short;

-- An app whose schema does not exist is an error (3F000), checked before
-- any app runs: ad_one is not visited (the registry is unchanged).
SELECT pg_temp.registry() AS before \gset
SELECT * FROM cla_eventlog.autodiscover(ARRAY['ad_one', 'no_such_app']);
\echo :SQLSTATE
SET cla_eventlog.apps = 'ad_one,no_such_app';
SELECT * FROM cla_eventlog.autodiscover();
\echo :SQLSTATE
-- App names are schema names, taken literally.
SELECT * FROM cla_eventlog.autodiscover(ARRAY['AD_ONE']);
-- Empty app names are refused.
SELECT * FROM cla_eventlog.autodiscover(ARRAY['ad_one', '']);
SET cla_eventlog.apps = 'ad_one,,ad_two';
SELECT * FROM cla_eventlog.autodiscover();
SELECT pg_temp.registry() = :'before' AS unchanged;
RESET cla_eventlog.apps;

-- on_error must be 'raise' or 'report'.
SELECT * FROM cla_eventlog.autodiscover(ARRAY['ad_one'], 'ignore');
\echo :SQLSTATE
SELECT * FROM cla_eventlog.autodiscover(ARRAY['ad_one'], NULL);
\echo :SQLSTATE

-- on_error => 'report': the failing app is undone exactly (bad_a is not
-- registered, one_a keeps the definition ad_two gave it, bad_role is not
-- added), its error is returned, and the other apps are still visited.
SELECT pg_temp.registry() AS before \gset
SELECT * FROM cla_eventlog.autodiscover(ARRAY['ad_bad'], 'report');
SELECT pg_temp.registry() = :'before' AS unchanged;
SELECT * FROM cla_eventlog.autodiscover(ARRAY['ad_one', 'ad_bad', 'ad_two'], on_error => 'report');
SELECT * FROM pg_temp.short;
SELECT name FROM cla_eventlog.role ORDER BY name;

-- on_error => 'raise' (the default): the app's own error reaches the
-- caller unchanged (message, detail, hint, SQLSTATE), and the call changes
-- nothing.
SELECT pg_temp.registry() AS before \gset
SELECT * FROM cla_eventlog.autodiscover(ARRAY['ad_one', 'ad_bad', 'ad_two']);
\echo :SQLSTATE
SELECT pg_temp.registry() = :'before' AS unchanged;

-- Clean up the apps.
SET client_min_messages = warning;
DROP SCHEMA ad_one, ad_two, ad_none, ad_proc, ad_bad CASCADE;
RESET client_min_messages;
