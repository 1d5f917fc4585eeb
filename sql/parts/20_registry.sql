-- The event registry (SPEC 2): registering and retiring events, reading
-- the registry, roles, and autodiscovery of application event definitions.
--
-- Design rules:
-- * register_event() validates everything before it writes anything, so
--   the first failure wins and a failed call stores nothing.  Validation
--   loops over the codes (clear errors); storing is set-based (one INSERT
--   ... ON CONFLICT from jsonb_each, one UPDATE to retire), so 10,000 codes
--   in one call take well under a few seconds.
-- * Error messages name the event, the code and the attribute; values from
--   the caller's JSON are shown as JSON text (a string keeps its double
--   quotes, so the string "29" and the number 29 read differently) and are
--   abbreviated, so a huge value never floods the log.
-- * Registration order: reg_order comes from a sequence.  jsonb does not
--   remember the order in which object keys were written, so within one
--   call the new codes are numbered in code order (bytewise, COLLATE "C"),
--   and they are validated in that order too (the first failure is the
--   bytewise-first bad code).  Use "order" when the display order matters.
-- * The registry tables fire a statement trigger (11_internal.sql) that
--   invalidates every backend's registry cache, so nothing here has to.
-- * SQLSTATEs: 22004 for a NULL argument, 22023 for a bad value, 42704 for
--   an unregistered event, 3F000 for a missing app schema; function checks
--   keep the SQLSTATE of _check_function() (42883 missing, 42809 wrong
--   signature or result type, 22023 unqualified).

-- Shown value of a name in an error message: in double quotes, abbreviated.
CREATE FUNCTION @extschema@._reg_quote(value text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    RETURN '"' OPERATOR(pg_catalog.||)
        CASE WHEN pg_catalog.length(value) OPERATOR(pg_catalog.>) 64
             THEN pg_catalog.left(value, 60) OPERATOR(pg_catalog.||) '...'
             ELSE value END
        OPERATOR(pg_catalog.||) '"';
COMMENT ON FUNCTION @extschema@._reg_quote(text) IS
    'Internal: a name as shown in registry error messages (double-quoted, abbreviated past 64 characters)';

-- Shown value of a JSON value in an error message: its JSON text, abbreviated.
CREATE FUNCTION @extschema@._reg_json(value jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    RETURN CASE WHEN pg_catalog.length(value::text) OPERATOR(pg_catalog.>) 64
                THEN pg_catalog.left(value::text, 60) OPERATOR(pg_catalog.||) '...'
                ELSE value::text END;
COMMENT ON FUNCTION @extschema@._reg_json(jsonb) IS
    'Internal: a JSON value as shown in registry error messages (JSON text, abbreviated past 64 characters)';

-- Raise an error; detail and hint may be NULL (RAISE refuses NULL options).
CREATE FUNCTION @extschema@._reg_error(sqlstate text, message text, detail text, hint text)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF detail IS NULL AND hint IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = sqlstate, MESSAGE = message;
    ELSIF detail IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = sqlstate, MESSAGE = message, HINT = hint;
    ELSIF hint IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = sqlstate, MESSAGE = message, DETAIL = detail;
    ELSE
        RAISE EXCEPTION USING ERRCODE = sqlstate, MESSAGE = message, DETAIL = detail, HINT = hint;
    END IF;
END;
$$;
COMMENT ON FUNCTION @extschema@._reg_error(text, text, text, text) IS
    'Internal: raises a registry error with an optional detail and hint';

-- Check that a name (event key, role) is non-null, non-empty and fits the C
-- cache's limit of 63 bytes.  what: how the name is described ("event key").
CREATE FUNCTION @extschema@._reg_check_name(what text, value text)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF value IS NULL THEN
        PERFORM @extschema@._reg_error('22004',
            pg_catalog.format('%s must not be null', what), NULL, NULL);
    ELSIF value = '' THEN
        PERFORM @extschema@._reg_error('22023',
            pg_catalog.format('%s must not be empty', what), NULL, NULL);
    ELSIF pg_catalog.octet_length(value) > 63 THEN
        PERFORM @extschema@._reg_error('22023',
            pg_catalog.format('%s %s is too long', what, @extschema@._reg_quote(value)),
            pg_catalog.format('It is %s bytes long; at most 63 bytes are allowed.',
                              pg_catalog.octet_length(value)),
            NULL);
    END IF;
END;
$$;
COMMENT ON FUNCTION @extschema@._reg_check_name(text, text) IS
    'Internal: a registry name must be non-null, non-empty and at most 63 bytes';

-- Raise "invalid <attr> ... expected <kinds>, got <value>" unless value's
-- JSON type is one of kinds.
CREATE FUNCTION @extschema@._reg_expect(place text, attr text, value jsonb,
                                        kinds text[], expected text, hint text)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF pg_catalog.jsonb_typeof(value) <> ALL (kinds) THEN
        PERFORM @extschema@._reg_error('22023',
            pg_catalog.format('invalid %s %s: expected %s, got %s',
                              @extschema@._reg_quote(attr), place, expected,
                              @extschema@._reg_json(value)),
            NULL, hint);
    END IF;
END;
$$;
COMMENT ON FUNCTION @extschema@._reg_expect(text, text, jsonb, text[], text, text) IS
    'Internal: raises a registry error unless a JSON value has one of the expected JSON types';

-- Check that value is a JSON array of strings (each non-empty and at most
-- 63 bytes when names is true); allow_empty: whether [] is accepted.
CREATE FUNCTION @extschema@._reg_check_strings(place text, attr text, value jsonb,
                                               allow_empty boolean, names boolean, hint text)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    elem jsonb;
BEGIN
    PERFORM @extschema@._reg_expect(place, attr, value, '{array}', 'an array of strings', hint);
    IF NOT allow_empty AND pg_catalog.jsonb_array_length(value) = 0 THEN
        PERFORM @extschema@._reg_error('22023',
            pg_catalog.format('invalid %s %s: the list must not be empty',
                              @extschema@._reg_quote(attr), place),
            NULL, hint);
    END IF;
    FOR elem IN SELECT e FROM pg_catalog.jsonb_array_elements(value) AS e LOOP
        IF pg_catalog.jsonb_typeof(elem) <> 'string'
           OR (names AND (elem #>> '{}' = '' OR pg_catalog.octet_length(elem #>> '{}') > 63)) THEN
            PERFORM @extschema@._reg_error('22023',
                pg_catalog.format('invalid %s %s: %s is not %s',
                                  @extschema@._reg_quote(attr), place,
                                  @extschema@._reg_json(elem),
                                  CASE WHEN names THEN 'a code string (1 to 63 bytes)'
                                       ELSE 'a string' END),
                NULL, hint);
        END IF;
    END LOOP;
END;
$$;
COMMENT ON FUNCTION @extschema@._reg_check_strings(text, text, jsonb, boolean, boolean, text) IS
    'Internal: raises a registry error unless a JSON value is an array of strings';

-- Check a function named in the registry (kind: code_resolver |
-- set_requires_action_by) with _check_function(), re-raising its error
-- (same SQLSTATE, detail and hint) with the place it was named at.
CREATE FUNCTION @extschema@._reg_check_function(place text, attr text, name text, kind text)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    e_state text;
    e_message text;
    e_detail text;
    e_hint text;
BEGIN
    IF name = '' THEN
        PERFORM @extschema@._reg_error('22023',
            pg_catalog.format('invalid %s %s: the function name must not be empty',
                              @extschema@._reg_quote(attr), place),
            NULL, 'Write it as schema.function, for example "app.my_function".');
    END IF;
    BEGIN
        PERFORM @extschema@._check_function(name, kind);
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_message = MESSAGE_TEXT,
                                e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
        PERFORM @extschema@._reg_error(e_state,
            pg_catalog.format('invalid %s %s: %s', @extschema@._reg_quote(attr), place, e_message),
            NULLIF(e_detail, ''), NULLIF(e_hint, ''));
    END;
END;
$$;
COMMENT ON FUNCTION @extschema@._reg_check_function(text, text, text, text) IS
    'Internal: checks a function named in the registry, naming the event and code in the error';

-- Validate one code definition (SPEC 2.1-2.3).  roles: the known roles;
-- functions: policy functions already checked in this call (not checked
-- twice).  Returns the policy function it checked, or NULL.
CREATE FUNCTION @extschema@._reg_check_code(event_key text, code text, def jsonb,
                                            roles text[], functions text[])
    RETURNS text
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    place text;
    required constant text[] := '{type,level,selectable_by,description,stops_timer}';
    optional constant text[] := '{order,set_requires_action_by,set_case_columns,once_per}';
    stamp_roles constant text[] := '{provider_viewed,provider_accepted,provider_closed,provider_assigned_at}';
    attr text;
    value jsonb;
    item record;
    checked text;
BEGIN
    place := pg_catalog.format('for code %s of event %s',
                               @extschema@._reg_quote(code), @extschema@._reg_quote(event_key));
    IF code = '' THEN
        PERFORM @extschema@._reg_error('22023',
            pg_catalog.format('invalid code "" for event %s: it must not be empty',
                              @extschema@._reg_quote(event_key)),
            NULL, 'Codes are the keys of the codes object, for example {"CB1": {...}}.');
    ELSIF pg_catalog.octet_length(code) > 63 THEN
        PERFORM @extschema@._reg_error('22023',
            pg_catalog.format('invalid code %s for event %s: it is too long',
                              @extschema@._reg_quote(code), @extschema@._reg_quote(event_key)),
            pg_catalog.format('It is %s bytes long; at most 63 bytes are allowed.',
                              pg_catalog.octet_length(code)),
            NULL);
    END IF;

    IF pg_catalog.jsonb_typeof(def) <> 'object' THEN
        PERFORM @extschema@._reg_error('22023',
            pg_catalog.format('invalid definition %s: expected an object, got %s',
                              place, @extschema@._reg_json(def)),
            NULL,
            'A definition looks like {"type": "outcome", "level": 29, "selectable_by": ["operator"], "description": "Callback 1", "stops_timer": true}.');
    END IF;

    -- Unknown attributes first: a misspelt attribute is reported as such,
    -- not as the required one it was meant to be.
    SELECT k INTO attr
      FROM pg_catalog.jsonb_object_keys(def) AS k
     WHERE k <> ALL (required) AND k <> ALL (optional)
     LIMIT 1;
    IF attr IS NOT NULL THEN
        PERFORM @extschema@._reg_error('22023',
            pg_catalog.format('unknown attribute %s %s', @extschema@._reg_quote(attr), place),
            NULL,
            'Allowed attributes: type, level, selectable_by, description, stops_timer, order, set_requires_action_by, set_case_columns, once_per.');
    END IF;

    FOREACH attr IN ARRAY required LOOP
        IF NOT def ? attr THEN
            PERFORM @extschema@._reg_error('22023',
                pg_catalog.format('missing attribute %s %s', @extschema@._reg_quote(attr), place),
                NULL,
                'Required attributes: type, level, selectable_by, description, stops_timer.');
        END IF;
    END LOOP;

    -- type
    value := def -> 'type';
    PERFORM @extschema@._reg_expect(place, 'type', value, '{string}', 'a string',
                                    'Allowed types: outcome, system, event.');
    IF value #>> '{}' NOT IN ('outcome', 'system', 'event') THEN
        PERFORM @extschema@._reg_error('22023',
            pg_catalog.format('invalid "type" %s: %s', place, @extschema@._reg_json(value)),
            NULL, 'Allowed types: outcome, system, event.');
    END IF;

    -- level: a number or the level's name
    value := def -> 'level';
    PERFORM @extschema@._reg_expect(place, 'level', value, '{number,string}',
        'a number or a level name',
        'Allowed levels: 29 (HIGH), 21 (MODERATE), 11 (MINOR), as a number or a name.');
    IF (pg_catalog.jsonb_typeof(value) = 'number' AND (value #>> '{}')::numeric NOT IN (11, 21, 29))
       OR (pg_catalog.jsonb_typeof(value) = 'string'
           AND pg_catalog.upper(value #>> '{}') NOT IN ('HIGH', 'MODERATE', 'MINOR')) THEN
        PERFORM @extschema@._reg_error('22023',
            pg_catalog.format('invalid "level" %s: %s', place, @extschema@._reg_json(value)),
            NULL,
            'Allowed levels: 29 (HIGH), 21 (MODERATE), 11 (MINOR), as a number or a name.');
    END IF;

    -- selectable_by: known roles; [] means anyone
    value := def -> 'selectable_by';
    PERFORM @extschema@._reg_check_strings(place, 'selectable_by', value, true, false,
        'Give a list of roles, for example ["operator"]; [] lets anyone create the code.');
    SELECT r INTO attr
      FROM pg_catalog.jsonb_array_elements_text(value) AS r
     WHERE r <> ALL (roles)
     LIMIT 1;
    IF attr IS NOT NULL THEN
        PERFORM @extschema@._reg_error('22023',
            pg_catalog.format('unknown role %s in "selectable_by" %s',
                              @extschema@._reg_quote(attr), place),
            NULL,
            pg_catalog.format('Known roles: %s. Add a role with cla_eventlog.add_role().',
                              pg_catalog.array_to_string(roles, ', ')));
    END IF;

    -- description: non-empty, at most 1000 characters
    value := def -> 'description';
    PERFORM @extschema@._reg_expect(place, 'description', value, '{string}', 'a string', NULL);
    IF pg_catalog.btrim(value #>> '{}') = '' THEN
        PERFORM @extschema@._reg_error('22023',
            pg_catalog.format('invalid "description" %s: it must not be empty', place),
            NULL, NULL);
    ELSIF pg_catalog.length(value #>> '{}') > 1000 THEN
        PERFORM @extschema@._reg_error('22023',
            pg_catalog.format('invalid "description" %s: it is too long', place),
            pg_catalog.format('It has %s characters; at most 1000 are allowed.',
                              pg_catalog.length(value #>> '{}')),
            NULL);
    END IF;

    -- stops_timer: strictly a JSON boolean
    PERFORM @extschema@._reg_expect(place, 'stops_timer', def -> 'stops_timer', '{boolean}',
                                    'a boolean', 'Write true or false, without quotes.');

    -- order: an integer (a JSON number without fraction)
    IF def ? 'order' THEN
        value := def -> 'order';
        PERFORM @extschema@._reg_expect(place, 'order', value, '{number}', 'an integer',
                                        'Give a whole number, for example 10.');
        IF (value #>> '{}')::numeric <> pg_catalog.trunc((value #>> '{}')::numeric)
           OR (value #>> '{}')::numeric NOT BETWEEN -2147483648 AND 2147483647 THEN
            PERFORM @extschema@._reg_error('22023',
                pg_catalog.format('invalid "order" %s: %s is not an integer',
                                  place, @extschema@._reg_json(value)),
                NULL, 'Give a whole number between -2147483648 and 2147483647, for example 10.');
        END IF;
    END IF;

    -- set_requires_action_by: null, a string, {"clear_if_owned_by": [...]}
    -- or {"function": "schema.name"}
    IF def ? 'set_requires_action_by' THEN
        value := def -> 'set_requires_action_by';
        PERFORM @extschema@._reg_expect(place, 'set_requires_action_by', value,
            '{"null",string,object}', 'null, a string or an object',
            'Allowed forms: null, "value", {"clear_if_owned_by": ["value", ...]}, {"function": "schema.name"}.');
        IF pg_catalog.jsonb_typeof(value) = 'object' THEN
            IF value ? 'clear_if_owned_by' AND value - 'clear_if_owned_by' = '{}' THEN
                PERFORM @extschema@._reg_check_strings(place, 'set_requires_action_by',
                    value -> 'clear_if_owned_by', false, false,
                    'Give the values to clear, for example {"clear_if_owned_by": ["operator"]}.');
            ELSIF value ? 'function' AND value - 'function' = '{}' THEN
                PERFORM @extschema@._reg_expect(place, 'set_requires_action_by',
                    value -> 'function', '{string}', 'a function name',
                    'Write it as schema.function, for example {"function": "app.requires_action_by"}.');
                checked := value ->> 'function';
                IF checked = ANY (functions) THEN
                    checked := NULL;
                ELSE
                    PERFORM @extschema@._reg_check_function(place, 'set_requires_action_by',
                                                            checked, 'set_requires_action_by');
                END IF;
            ELSE
                PERFORM @extschema@._reg_error('22023',
                    pg_catalog.format('invalid "set_requires_action_by" %s: %s',
                                      place, @extschema@._reg_json(value)),
                    'An object must have exactly one key, "clear_if_owned_by" or "function".',
                    'Allowed forms: null, "value", {"clear_if_owned_by": ["value", ...]}, {"function": "schema.name"}.');
            END IF;
        END IF;
    END IF;

    -- set_case_columns: {role: "now" | "now_if_null" | null}
    IF def ? 'set_case_columns' THEN
        value := def -> 'set_case_columns';
        PERFORM @extschema@._reg_expect(place, 'set_case_columns', value, '{object}',
            'an object', 'For example {"provider_closed": "now"}.');
        FOR item IN SELECT e.key, e.value FROM pg_catalog.jsonb_each(value) AS e LOOP
            IF item.key <> ALL (stamp_roles) THEN
                PERFORM @extschema@._reg_error('22023',
                    pg_catalog.format('invalid "set_case_columns" %s: unknown case column %s',
                                      place, @extschema@._reg_quote(item.key)),
                    NULL,
                    'Allowed case columns: provider_viewed, provider_accepted, provider_closed, provider_assigned_at.');
            ELSIF pg_catalog.jsonb_typeof(item.value) <> 'null'
                  AND item.value NOT IN ('"now"', '"now_if_null"') THEN
                PERFORM @extschema@._reg_error('22023',
                    pg_catalog.format('invalid "set_case_columns" %s: %s for %s',
                                      place, @extschema@._reg_json(item.value),
                                      @extschema@._reg_quote(item.key)),
                    NULL, 'Allowed values: "now", "now_if_null", null.');
            END IF;
        END LOOP;
    END IF;

    -- once_per: {"scope": "case"} or {"scope": "case_timer", "with": [...]}
    IF def ? 'once_per' THEN
        value := def -> 'once_per';
        PERFORM @extschema@._reg_expect(place, 'once_per', value, '{object}', 'an object',
            'Allowed forms: {"scope": "case"}, {"scope": "case_timer", "with": ["CODE", ...]}.');
        IF NOT COALESCE(value -> 'scope' IN ('"case"', '"case_timer"'), false)
           OR value - '{scope,with}'::text[] <> '{}'
           OR (value ? 'with' AND value ->> 'scope' <> 'case_timer') THEN
            PERFORM @extschema@._reg_error('22023',
                pg_catalog.format('invalid "once_per" %s: %s', place, @extschema@._reg_json(value)),
                'The scope must be "case" or "case_timer"; "with" is allowed only with "case_timer".',
                'Allowed forms: {"scope": "case"}, {"scope": "case_timer", "with": ["CODE", ...]}.');
        END IF;
        IF value ? 'with' THEN
            PERFORM @extschema@._reg_check_strings(place, 'once_per', value -> 'with', true, true,
                'Give the other codes that count as this one, for example {"scope": "case_timer", "with": ["CASE_CREATED"]}.');
        END IF;
    END IF;

    RETURN checked;
END;
$$;
COMMENT ON FUNCTION @extschema@._reg_check_code(text, text, jsonb, text[], text[]) IS
    'Internal: validates one code definition of register_event(); raises the first problem found';

CREATE FUNCTION @extschema@.register_event(event_key text, codes jsonb,
                                           code_resolver text DEFAULT NULL)
    RETURNS integer
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    roles text[];
    functions text[] := '{}';
    checked text;
    item record;
    n integer;
BEGIN
    -- 1. codes: a non-empty object
    IF codes IS NULL THEN
        PERFORM @extschema@._reg_error('22004', 'codes must not be null', NULL,
            'Give a JSON object of code definitions, for example {"CB1": {...}}.');
    ELSIF pg_catalog.jsonb_typeof(codes) <> 'object' THEN
        PERFORM @extschema@._reg_error('22023',
            pg_catalog.format('invalid codes: expected an object, got %s', @extschema@._reg_json(codes)),
            NULL, 'Give a JSON object of code definitions, for example {"CB1": {...}}.');
    ELSIF codes = '{}' THEN
        PERFORM @extschema@._reg_error('22023', 'invalid codes: the object is empty',
            'An event has one or more codes.',
            'To retire every code of an event, call cla_eventlog.unregister_event().');
    END IF;

    -- 2. event_key
    PERFORM @extschema@._reg_check_name('event key', event_key);

    -- 3. every code, in code order
    roles := ARRAY(SELECT r.name FROM @extschema@.role AS r ORDER BY r.name);
    FOR item IN SELECT e.key, e.value FROM pg_catalog.jsonb_each(codes) AS e
                 ORDER BY e.key COLLATE "C" LOOP
        checked := @extschema@._reg_check_code(event_key, item.key, item.value, roles, functions);
        IF checked IS NOT NULL THEN
            functions := functions || checked;
        END IF;
    END LOOP;

    -- 4. the code resolver
    IF code_resolver IS NOT NULL THEN
        PERFORM @extschema@._reg_check_function(
            pg_catalog.format('for event %s', @extschema@._reg_quote(event_key)),
            'code_resolver', code_resolver, 'code_resolver');
    END IF;

    -- Store.  The event row first: its row lock serialises concurrent
    -- registrations of one key.  Updating it even when nothing changed also
    -- gives it a new row version, which autodiscover() counts.
    INSERT INTO @extschema@.event AS e (key, code_resolver)
    VALUES (register_event.event_key, register_event.code_resolver)
    ON CONFLICT ON CONSTRAINT event_pkey DO UPDATE
        SET code_resolver = excluded.code_resolver,
            registered_at = pg_catalog.now();

    -- New codes get the next reg_order, in code order; existing ones keep
    -- theirs and are revived if they were retired.
    INSERT INTO @extschema@.code AS c
        (event_key, code, type, level, selectable_by, description, stops_timer,
         sort_order, set_requires_action_by, set_case_columns, once_per, retired)
    SELECT register_event.event_key, d.key, d.value ->> 'type',
           CASE WHEN pg_catalog.jsonb_typeof(d.value -> 'level') = 'number'
                THEN (d.value ->> 'level')::numeric::integer
                ELSE CASE pg_catalog.upper(d.value ->> 'level')
                     WHEN 'HIGH' THEN 29 WHEN 'MODERATE' THEN 21 WHEN 'MINOR' THEN 11 END
           END,
           ARRAY(SELECT pg_catalog.jsonb_array_elements_text(d.value -> 'selectable_by')),
           d.value ->> 'description',
           (d.value -> 'stops_timer')::boolean,
           COALESCE((d.value ->> 'order')::numeric::integer, 10000),
           d.value -> 'set_requires_action_by',
           d.value -> 'set_case_columns',
           d.value -> 'once_per',
           false
      FROM pg_catalog.jsonb_each(codes) AS d
     ORDER BY d.key COLLATE "C"
    ON CONFLICT ON CONSTRAINT code_pkey DO UPDATE
        SET type = excluded.type,
            level = excluded.level,
            selectable_by = excluded.selectable_by,
            description = excluded.description,
            stops_timer = excluded.stops_timer,
            sort_order = excluded.sort_order,
            set_requires_action_by = excluded.set_requires_action_by,
            set_case_columns = excluded.set_case_columns,
            once_per = excluded.once_per,
            retired = false;
    GET DIAGNOSTICS n = ROW_COUNT;

    -- Codes no longer in the set are retired, not deleted: old logs keep
    -- joining to their description.
    UPDATE @extschema@.code AS c
       SET retired = true
     WHERE c.event_key = register_event.event_key
       AND NOT c.retired
       AND NOT codes ? c.code;

    RETURN n;
END;
$$;
COMMENT ON FUNCTION @extschema@.register_event(text, jsonb, text) IS
    'Registers an event and its codes {"CODE": {definition}}, replacing its previous definition set (missing codes are retired, re-added ones revived); returns the number of codes';

CREATE FUNCTION @extschema@.unregister_event(event_key text) RETURNS integer
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    n integer;
BEGIN
    IF event_key IS NULL THEN
        PERFORM @extschema@._reg_error('22004', 'event key must not be null', NULL, NULL);
    END IF;
    -- Lock the event row like register_event() does.
    PERFORM FROM @extschema@.event AS e
      WHERE e.key = unregister_event.event_key
      FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM @extschema@._reg_error('42704',
            pg_catalog.format('event %s is not registered', @extschema@._reg_quote(event_key)),
            NULL, NULL);
    END IF;
    UPDATE @extschema@.code AS c
       SET retired = true
     WHERE c.event_key = unregister_event.event_key
       AND NOT c.retired;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END;
$$;
COMMENT ON FUNCTION @extschema@.unregister_event(text) IS
    'Retires every live code of an event (kept for old logs, refused for new ones); returns how many were retired';

CREATE VIEW @extschema@.codes AS
SELECT c.event_key,
       c.code,
       c.type,
       c.level,
       CASE c.level WHEN 29 THEN 'HIGH' WHEN 21 THEN 'MODERATE' WHEN 11 THEN 'MINOR' END AS level_name,
       c.selectable_by,
       c.description,
       c.stops_timer,
       c.sort_order,
       c.set_requires_action_by,
       c.set_case_columns,
       c.once_per,
       e.code_resolver,
       c.retired
  FROM @extschema@.code AS c
  JOIN @extschema@.event AS e ON e.key = c.event_key;
COMMENT ON VIEW @extschema@.codes IS
    'One row per registered code (live and retired), with its event''s code resolver';
COMMENT ON COLUMN @extschema@.codes.event_key IS 'Event key';
COMMENT ON COLUMN @extschema@.codes.code IS 'Code, unique within its event';
COMMENT ON COLUMN @extschema@.codes.type IS 'Log type: outcome, system or event';
COMMENT ON COLUMN @extschema@.codes.level IS 'Level: 29 HIGH, 21 MODERATE, 11 MINOR';
COMMENT ON COLUMN @extschema@.codes.level_name IS 'Name of the level: HIGH, MODERATE or MINOR';
COMMENT ON COLUMN @extschema@.codes.selectable_by IS 'Roles allowed to create the code; empty: anyone';
COMMENT ON COLUMN @extschema@.codes.description IS 'Human description';
COMMENT ON COLUMN @extschema@.codes.stops_timer IS 'Logging the code stops the acting user''s running timer';
COMMENT ON COLUMN @extschema@.codes.sort_order IS 'Display order within the event (attribute "order", default 10000); ties keep registration order';
COMMENT ON COLUMN @extschema@.codes.set_requires_action_by IS
    'SQL NULL: attribute absent (case untouched); JSON null: set to NULL; a string: set to it; {"clear_if_owned_by": [...]} or {"function": "schema.name"}';
COMMENT ON COLUMN @extschema@.codes.set_case_columns IS 'Case columns stamped by the code: {"provider_closed": "now" | "now_if_null" | null, ...}';
COMMENT ON COLUMN @extschema@.codes.once_per IS 'De-duplication rule: {"scope": "case"} or {"scope": "case_timer", "with": [...]}';
COMMENT ON COLUMN @extschema@.codes.code_resolver IS 'The event''s code resolver function (case_id bigint, params jsonb) RETURNS text, or NULL';
COMMENT ON COLUMN @extschema@.codes.retired IS 'Retired codes are kept for old logs but refused for new ones';

CREATE FUNCTION @extschema@.event_codes(event_key text) RETURNS SETOF @extschema@.codes
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF event_key IS NULL THEN
        PERFORM @extschema@._reg_error('22004', 'event key must not be null', NULL, NULL);
    END IF;
    IF NOT EXISTS (SELECT FROM @extschema@.event AS e WHERE e.key = event_codes.event_key) THEN
        PERFORM @extschema@._reg_error('42704',
            pg_catalog.format('event %s is not registered', @extschema@._reg_quote(event_key)),
            NULL, NULL);
    END IF;
    RETURN QUERY
        SELECT v.*
          FROM @extschema@.codes AS v
          JOIN @extschema@.code AS c ON c.event_key = v.event_key AND c.code = v.code
         WHERE c.event_key = event_codes.event_key
           AND NOT c.retired
         ORDER BY c.sort_order, c.reg_order;
END;
$$;
COMMENT ON FUNCTION @extschema@.event_codes(text) IS
    'The live codes of an event in display order ("order", then registration order)';

CREATE FUNCTION @extschema@.selectable_codes(role text)
    RETURNS TABLE (event_key text, code text, description text, sort_order integer)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF role IS NULL THEN
        PERFORM @extschema@._reg_error('22004', 'role must not be null', NULL, NULL);
    END IF;
    RETURN QUERY
        SELECT c.event_key, c.code, c.description, c.sort_order
          FROM @extschema@.code AS c
         WHERE NOT c.retired
           AND c.type = 'outcome'
           AND c.selectable_by @> ARRAY[selectable_codes.role]
         ORDER BY c.event_key, c.sort_order, c.reg_order;
END;
$$;
COMMENT ON FUNCTION @extschema@.selectable_codes(text) IS
    'Live outcome codes whose selectable_by names the role (codes open to anyone are not listed), by event and display order';

CREATE FUNCTION @extschema@.add_role(name text) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    n integer;
BEGIN
    PERFORM @extschema@._reg_check_name('role', name);
    INSERT INTO @extschema@.role AS r (name) VALUES (add_role.name)
    ON CONFLICT ON CONSTRAINT role_pkey DO NOTHING;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n > 0;
END;
$$;
COMMENT ON FUNCTION @extschema@.add_role(text) IS
    'Adds a role that codes may name in selectable_by; returns false when it already exists';

-- Autodiscovery (SPEC 2.5).
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
-- whatever on_error says, before any app runs.
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
        PERFORM @extschema@._reg_error('22004', 'on_error must not be null', NULL,
                                       'Use ''raise'' or ''report''.');
    ELSIF on_error NOT IN ('raise', 'report') THEN
        PERFORM @extschema@._reg_error('22023',
            pg_catalog.format('invalid on_error %s', @extschema@._reg_quote(on_error)),
            NULL, 'Use ''raise'' or ''report''.');
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
            PERFORM @extschema@._reg_error('22023',
                pg_catalog.format('empty app name in %s', source),
                'Apps are schema names.', NULL);
        ELSIF NOT EXISTS (SELECT FROM pg_catalog.pg_namespace AS ns WHERE ns.nspname = a) THEN
            PERFORM @extschema@._reg_error('3F000',
                pg_catalog.format('app schema %s does not exist', @extschema@._reg_quote(a)),
                pg_catalog.format('It is listed in %s.', source),
                'Install the application''s schema, or remove it from the list of apps.');
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

-- Administrative: changing the registry is for the database owner's roles.
REVOKE ALL ON FUNCTION @extschema@.register_event(text, jsonb, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.unregister_event(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.autodiscover(text[], text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.add_role(text) FROM PUBLIC;
