-- Registry validation (README "Registry"): the checks register_event()
-- runs on its arguments before it stores anything, and the way their
-- errors show a value.
--
-- Design rules:
-- * Error messages name the event, the code and the attribute; values from
--   the caller's JSON are shown as JSON text (a string keeps its double
--   quotes, so the string "29" and the number 29 read differently) and are
--   abbreviated, so a huge value never floods the log.
-- * Codes are validated in code order (bytewise, COLLATE "C"): the first
--   failure is the bytewise-first bad code.
-- * SQLSTATEs: 22004 for a NULL argument, 22023 for a bad value; function
--   checks keep the SQLSTATE of _check_function() (11_internal.sql: 42883
--   missing, 42809 wrong signature or result type, 22023 unqualified).
-- * PUBLIC may execute these helpers (80_privileges.sql): register_event()
--   calls them with its caller's rights.

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

-- Shown value of a list of names in an error message: each as _reg_quote()
-- shows it, joined by sep; NULL for an empty list.
CREATE FUNCTION @extschema@._reg_quote_list(names text[], sep text DEFAULT ', ') RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    RETURN (SELECT pg_catalog.string_agg(@extschema@._reg_quote(n.name), sep ORDER BY n.ord)
              FROM pg_catalog.unnest(names) WITH ORDINALITY AS n(name, ord));
COMMENT ON FUNCTION @extschema@._reg_quote_list(text[], text) IS
    'Internal: a list of names as shown in error messages (each as _reg_quote shows it, joined by sep)';

-- Shown value of a JSON value in an error message: its JSON text, abbreviated.
CREATE FUNCTION @extschema@._reg_json(value jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    RETURN CASE WHEN pg_catalog.length(value::text) OPERATOR(pg_catalog.>) 64
                THEN pg_catalog.left(value::text, 60) OPERATOR(pg_catalog.||) '...'
                ELSE value::text END;
COMMENT ON FUNCTION @extschema@._reg_json(jsonb) IS
    'Internal: a JSON value as shown in registry error messages (JSON text, abbreviated past 64 characters)';

-- Check that a name (event key, role) is non-null, non-empty and fits the C
-- cache's limit of 63 bytes.  what: how the name is described ("event key").
CREATE FUNCTION @extschema@._reg_check_name(what text, value text)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF value IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'null_value_not_allowed',
            MESSAGE = pg_catalog.format('%s must not be null', what);
    ELSIF value = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('%s must not be empty', what);
    ELSIF pg_catalog.octet_length(value) > 63 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('%s %s is too long', what, @extschema@._reg_quote(value)),
            DETAIL = pg_catalog.format('It is %s bytes long; at most 63 bytes are allowed.',
                              pg_catalog.octet_length(value));
    END IF;
END;
$$;
COMMENT ON FUNCTION @extschema@._reg_check_name(text, text) IS
    'Internal: a registry name must be non-null, non-empty and at most 63 bytes';

-- Raise "invalid <attr> ... expected <kinds>, got <value>" unless value's
-- JSON type is one of kinds; hint may be NULL.
CREATE FUNCTION @extschema@._reg_expect(place text, attr text, value jsonb,
                                        kinds text[], expected text, hint text)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    message text;
BEGIN
    IF pg_catalog.jsonb_typeof(value) <> ALL (kinds) THEN
        message := pg_catalog.format('invalid %s %s: expected %s, got %s',
                                     @extschema@._reg_quote(attr), place, expected,
                                     @extschema@._reg_json(value));
        IF hint IS NULL THEN            -- RAISE refuses a NULL option
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = message;
        END IF;
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = message, HINT = hint;
    END IF;
END;
$$;
COMMENT ON FUNCTION @extschema@._reg_expect(text, text, jsonb, text[], text, text) IS
    'Internal: raises a registry error unless a JSON value has one of the expected JSON types';

-- Check that value is a JSON array of strings (each non-empty and at most
-- 63 bytes when names is true); allow_empty: whether [] is accepted; hint:
-- the hint of its errors (not NULL).
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
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('invalid %s %s: the list must not be empty',
                              @extschema@._reg_quote(attr), place),
            HINT = hint;
    END IF;
    FOR elem IN SELECT e FROM pg_catalog.jsonb_array_elements(value) AS e LOOP
        IF pg_catalog.jsonb_typeof(elem) <> 'string'
           OR (names AND (elem #>> '{}' = '' OR pg_catalog.octet_length(elem #>> '{}') > 63)) THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = pg_catalog.format('invalid %s %s: %s is not %s',
                                  @extschema@._reg_quote(attr), place,
                                  @extschema@._reg_json(elem),
                                  CASE WHEN names THEN 'a code string (1 to 63 bytes)'
                                       ELSE 'a string' END),
                HINT = hint;
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
    message text;
    e_detail text;
    e_hint text;
BEGIN
    IF name = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('invalid %s %s: the function name must not be empty',
                              @extschema@._reg_quote(attr), place),
            HINT = 'Write it as schema.function, for example "app.my_function".';
    END IF;
    BEGIN
        PERFORM @extschema@._check_function(name, kind);
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_message = MESSAGE_TEXT,
                                e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
        message := pg_catalog.format('invalid %s %s: %s', @extschema@._reg_quote(attr), place, e_message);
        -- RAISE refuses a NULL option, and an empty one would show: one
        -- statement for each detail and hint the caught error may lack
        IF e_detail = '' AND e_hint = '' THEN
            RAISE EXCEPTION USING ERRCODE = e_state, MESSAGE = message;
        ELSIF e_detail = '' THEN
            RAISE EXCEPTION USING ERRCODE = e_state, MESSAGE = message, HINT = e_hint;
        ELSIF e_hint = '' THEN
            RAISE EXCEPTION USING ERRCODE = e_state, MESSAGE = message, DETAIL = e_detail;
        END IF;
        RAISE EXCEPTION USING ERRCODE = e_state, MESSAGE = message, DETAIL = e_detail, HINT = e_hint;
    END;
END;
$$;
COMMENT ON FUNCTION @extschema@._reg_check_function(text, text, text, text) IS
    'Internal: checks a function named in the registry, naming the event and code in the error';

-- Validate one code definition (README "Registry").  roles: the known roles;
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
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('invalid code "" for event %s: it must not be empty',
                              @extschema@._reg_quote(event_key)),
            HINT = 'Codes are the keys of the codes object, for example {"CB1": {...}}.';
    ELSIF pg_catalog.octet_length(code) > 63 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('invalid code %s for event %s: it is too long',
                              @extschema@._reg_quote(code), @extschema@._reg_quote(event_key)),
            DETAIL = pg_catalog.format('It is %s bytes long; at most 63 bytes are allowed.',
                              pg_catalog.octet_length(code));
    END IF;

    IF pg_catalog.jsonb_typeof(def) <> 'object' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('invalid definition %s: expected an object, got %s',
                              place, @extschema@._reg_json(def)),
            HINT = 'A definition looks like {"type": "outcome", "level": 29, "selectable_by": ["operator"], "description": "Callback 1", "stops_timer": true}.';
    END IF;

    -- Unknown attributes first: a misspelt attribute is reported as such,
    -- not as the required one it was meant to be.
    SELECT k INTO attr
      FROM pg_catalog.jsonb_object_keys(def) AS k
     WHERE k <> ALL (required) AND k <> ALL (optional)
     LIMIT 1;
    IF attr IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('unknown attribute %s %s', @extschema@._reg_quote(attr), place),
            HINT = 'Allowed attributes: type, level, selectable_by, description, stops_timer, order, set_requires_action_by, set_case_columns, once_per.';
    END IF;

    FOREACH attr IN ARRAY required LOOP
        IF NOT def ? attr THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = pg_catalog.format('missing attribute %s %s', @extschema@._reg_quote(attr), place),
                HINT = 'Required attributes: type, level, selectable_by, description, stops_timer.';
        END IF;
    END LOOP;

    -- type
    value := def -> 'type';
    PERFORM @extschema@._reg_expect(place, 'type', value, '{string}', 'a string',
                                    'Allowed types: outcome, system, event.');
    IF value #>> '{}' NOT IN ('outcome', 'system', 'event') THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('invalid "type" %s: %s', place, @extschema@._reg_json(value)),
            HINT = 'Allowed types: outcome, system, event.';
    END IF;

    -- level: a number or the level's name
    value := def -> 'level';
    PERFORM @extschema@._reg_expect(place, 'level', value, '{number,string}',
        'a number or a level name',
        'Allowed levels: 29 (HIGH), 21 (MODERATE), 11 (MINOR), as a number or a name.');
    IF (pg_catalog.jsonb_typeof(value) = 'number' AND (value #>> '{}')::numeric NOT IN (11, 21, 29))
       OR (pg_catalog.jsonb_typeof(value) = 'string'
           AND pg_catalog.upper(value #>> '{}') NOT IN ('HIGH', 'MODERATE', 'MINOR')) THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('invalid "level" %s: %s', place, @extschema@._reg_json(value)),
            HINT = 'Allowed levels: 29 (HIGH), 21 (MODERATE), 11 (MINOR), as a number or a name.';
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
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('unknown role %s in "selectable_by" %s',
                              @extschema@._reg_quote(attr), place),
            HINT = pg_catalog.format('Known roles: %s. Add a role with cla_eventlog.add_role().',
                              pg_catalog.array_to_string(roles, ', '));
    END IF;

    -- description: non-empty, at most 1000 characters
    value := def -> 'description';
    PERFORM @extschema@._reg_expect(place, 'description', value, '{string}', 'a string', NULL);
    IF pg_catalog.btrim(value #>> '{}') = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('invalid "description" %s: it must not be empty', place);
    ELSIF pg_catalog.length(value #>> '{}') > 1000 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('invalid "description" %s: it is too long', place),
            DETAIL = pg_catalog.format('It has %s characters; at most 1000 are allowed.',
                              pg_catalog.length(value #>> '{}'));
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
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = pg_catalog.format('invalid "order" %s: %s is not an integer',
                                  place, @extschema@._reg_json(value)),
                HINT = 'Give a whole number between -2147483648 and 2147483647, for example 10.';
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
                RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                    MESSAGE = pg_catalog.format('invalid "set_requires_action_by" %s: %s',
                                      place, @extschema@._reg_json(value)),
                    DETAIL = 'An object must have exactly one key, "clear_if_owned_by" or "function".',
                    HINT = 'Allowed forms: null, "value", {"clear_if_owned_by": ["value", ...]}, {"function": "schema.name"}.';
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
                RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                    MESSAGE = pg_catalog.format('invalid "set_case_columns" %s: unknown case column %s',
                                      place, @extschema@._reg_quote(item.key)),
                    HINT = 'Allowed case columns: provider_viewed, provider_accepted, provider_closed, provider_assigned_at.';
            ELSIF pg_catalog.jsonb_typeof(item.value) <> 'null'
                  AND item.value NOT IN ('"now"', '"now_if_null"') THEN
                RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                    MESSAGE = pg_catalog.format('invalid "set_case_columns" %s: %s for %s',
                                      place, @extschema@._reg_json(item.value),
                                      @extschema@._reg_quote(item.key)),
                    HINT = 'Allowed values: "now", "now_if_null", null.';
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
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = pg_catalog.format('invalid "once_per" %s: %s', place, @extschema@._reg_json(value)),
                DETAIL = 'The scope must be "case" or "case_timer"; "with" is allowed only with "case_timer".',
                HINT = 'Allowed forms: {"scope": "case"}, {"scope": "case_timer", "with": ["CODE", ...]}.';
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
