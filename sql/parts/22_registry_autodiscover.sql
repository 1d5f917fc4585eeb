-- Autodiscovery (README "Registry"): autodiscover() calls the
-- register_events() of every application schema that defines events.
--
-- Counting the events an app registered: before the app's call the keys of
-- the event table are recorded with their row's xmin; register_event()
-- always writes a new version of the event row, and the app's call runs in
-- its own subtransaction whose xid no existing row can carry, so the events
-- the app registered are exactly those whose xmin changed (or that are
-- new).  Unlike a timestamp this cannot be fooled by the clock, and unlike
-- a counter setting it needs no state outside the tables.
--
-- An app's register_events() runs with this function's search_path
-- (pg_catalog, pg_temp): it must qualify what it calls, or set its own
-- search_path.  A missing app schema is a configuration error, raised
-- whatever on_error says, before any app runs (SQLSTATE 3F000).
CREATE FUNCTION @extschema@.autodiscover(apps text[] DEFAULT NULL,
                                         on_error text DEFAULT 'raise')
    RETURNS TABLE (app text, events integer, error text)
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    app_list text[];
    source text;
    setting text;
    a text;
    kind "char";
    before jsonb;
BEGIN
    IF on_error IS NULL THEN
        RAISE EXCEPTION 'on_error must not be null'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Use ''raise'' or ''report''.';
    ELSIF on_error NOT IN ('raise', 'report') THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('invalid on_error %s', @extschema@._reg_quote(on_error)),
            HINT = 'Use ''raise'' or ''report''.';
    END IF;

    IF apps IS NULL THEN
        source := 'the setting cla_eventlog.apps';
        setting := pg_catalog.current_setting('cla_eventlog.apps', true);
        app_list := CASE WHEN pg_catalog.btrim(COALESCE(setting, '')) = '' THEN '{}'
                         ELSE ARRAY(SELECT pg_catalog.btrim(s)
                                      FROM pg_catalog.unnest(pg_catalog.string_to_array(setting, ','))
                                           WITH ORDINALITY AS u (s, n)
                                     ORDER BY u.n) END;
    ELSE
        source := 'the apps argument';
        app_list := apps;
    END IF;

    -- Every app must name an existing schema; checked before any app runs.
    FOREACH a IN ARRAY app_list LOOP
        IF a IS NULL OR a = '' THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = pg_catalog.format('empty app name in %s', source),
                DETAIL = 'Apps are schema names.';
        ELSIF NOT EXISTS (SELECT FROM pg_catalog.pg_namespace AS ns WHERE ns.nspname = a) THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_schema_name',
                MESSAGE = pg_catalog.format('app schema %s does not exist', @extschema@._reg_quote(a)),
                DETAIL = pg_catalog.format('It is listed in %s.', source),
                HINT = 'Install the application''s schema, or remove it from the list of apps.';
        END IF;
    END LOOP;

    FOREACH a IN ARRAY app_list LOOP
        app := a;
        events := 0;
        error := NULL;
        SELECT p.prokind INTO kind
          FROM pg_catalog.pg_proc AS p
         WHERE p.oid = pg_catalog.to_regprocedure(pg_catalog.format('%I.register_events()', a));
        IF kind IS NOT NULL THEN
            SELECT pg_catalog.jsonb_object_agg(e.key, e.xmin::text) INTO before
              FROM @extschema@.event AS e;
            before := COALESCE(before, '{}');
            BEGIN
                IF kind = 'p' THEN
                    EXECUTE pg_catalog.format('CALL %I.register_events()', a);
                ELSE
                    EXECUTE pg_catalog.format('SELECT %I.register_events()', a);
                END IF;
                SELECT pg_catalog.count(*) INTO events
                  FROM @extschema@.event AS e
                 WHERE before ->> e.key IS DISTINCT FROM e.xmin::text;
            EXCEPTION WHEN OTHERS THEN
                -- The subtransaction has undone everything the app did.
                IF on_error = 'raise' THEN
                    RAISE;
                END IF;
                events := 0;
                error := SQLERRM;
            END;
        END IF;
        RETURN NEXT;
    END LOOP;
END;
$$;
COMMENT ON FUNCTION @extschema@.autodiscover(text[], text) IS
    'Calls <app>.register_events() of every app (default: the setting cla_eventlog.apps), each in its own subtransaction; on_error raise|report; returns the events each app registered';

-- Administrative, like register_event().
REVOKE ALL ON FUNCTION @extschema@.autodiscover(text[], text) FROM PUBLIC;
