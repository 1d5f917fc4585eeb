-- cla_eventlog install script; the version is in the file name.
--
-- The newest version's script is assembled by the Makefile from
-- sql/parts/*.sql in name order; edit the parts, not the assembled file.
-- The scripts of released versions are frozen copies of it, never edited:
-- a change goes into the parts and, for databases that have an older
-- version, into an upgrade script cla_eventlog--OLD--NEW.sql
-- (test/t/upgrade.sh checks that the two give the same objects).  Every
-- object is created in the extension's schema (@extschema@ = cla_eventlog)
-- and every name in a body is schema-qualified, so nothing depends on the
-- caller's search_path.

\echo Use "CREATE EXTENSION cla_eventlog" to load this file. \quit

COMMENT ON SCHEMA @extschema@ IS
    'cla_eventlog: event registry, append-only event log, case denormalisation, timers, MI views and status check';
-- Catalog and data tables.
--
-- Registry: role, event, code.  Binding: case_binding (one row).  Data:
-- timer and log.  Every table whose rows users create is registered with
-- pg_extension_config_dump so pg_dump/pg_restore loses nothing; seeded rows
-- are filtered out so a restore does not insert them twice.

-- Roles that may create codes (SPEC 2.6).
CREATE TABLE @extschema@.role (
    name        text PRIMARY KEY CHECK (name <> ''),
    seeded      boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE @extschema@.role IS
    'Roles that may be named in a code''s selectable_by (seeded: operator, specialist; applications may add more)';
INSERT INTO @extschema@.role (name, seeded) VALUES ('operator', true), ('specialist', true);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.role', 'WHERE NOT seeded');

-- Registered events (SPEC 2.1).
CREATE TABLE @extschema@.event (
    key             text PRIMARY KEY CHECK (key <> ''),
    code_resolver   text,
    registered_at   timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE @extschema@.event IS
    'Registered event keys; code_resolver names a function (case_id bigint, params jsonb) RETURNS text';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.event', '');

-- Code definitions, keyed by (event_key, code).  reg_order keeps
-- registration order for ties in sort_order; a retired code stays so old
-- logs keep their description.
CREATE SEQUENCE @extschema@.code_reg_order_seq;
SELECT pg_catalog.pg_extension_config_dump('@extschema@.code_reg_order_seq', '');

CREATE TABLE @extschema@.code (
    event_key               text NOT NULL REFERENCES @extschema@.event (key) ON UPDATE CASCADE,
    code                    text NOT NULL CHECK (code <> ''),
    type                    text NOT NULL CHECK (type IN ('outcome', 'system', 'event')),
    level                   integer NOT NULL CHECK (level IN (11, 21, 29)),
    selectable_by           text[] NOT NULL DEFAULT '{}',
    description             text NOT NULL,
    stops_timer             boolean NOT NULL,
    sort_order              integer NOT NULL DEFAULT 10000,
    reg_order               bigint NOT NULL DEFAULT pg_catalog.nextval('@extschema@.code_reg_order_seq'),
    set_requires_action_by  jsonb,
    set_case_columns        jsonb,
    once_per                jsonb,
    retired                 boolean NOT NULL DEFAULT false,
    PRIMARY KEY (event_key, code)
);
COMMENT ON TABLE @extschema@.code IS
    'Code definitions of every registered event; retired codes are kept for old logs but refused for new ones';
COMMENT ON COLUMN @extschema@.code.set_requires_action_by IS
    'SQL NULL: attribute absent (case untouched); JSON null: set to NULL; JSON string: set to it; {"clear_if_owned_by": [...]} or {"function": "schema.name"}';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.code', '');

-- The application's case table (SPEC 3): one row, or none before binding.
-- columns maps each active case-column role to its column name.
CREATE TABLE @extschema@.case_binding (
    singleton       boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    case_schema     text NOT NULL,
    case_table      text NOT NULL,
    columns         jsonb NOT NULL,
    bound_at        timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE @extschema@.case_binding IS
    'The bound application case table and the column of each case-column role (set by bind_case_table)';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.case_binding', '');

-- Timers (SPEC 7.1).  Running = stopped IS NULL; a cancelled timer is
-- stopped with cancelled = true.
CREATE SEQUENCE @extschema@.timer_id_seq;
CREATE TABLE @extschema@.timer (
    id              bigint PRIMARY KEY DEFAULT pg_catalog.nextval('@extschema@.timer_id_seq'),
    created_by      bigint NOT NULL,
    created         timestamptz NOT NULL DEFAULT pg_catalog.now(),
    stopped         timestamptz,
    linked_case     bigint,
    cancelled       boolean NOT NULL DEFAULT false,
    modified        timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CHECK (NOT cancelled OR stopped IS NOT NULL),
    CHECK (stopped IS NULL OR stopped >= created)
);
ALTER SEQUENCE @extschema@.timer_id_seq OWNED BY @extschema@.timer.id;
COMMENT ON TABLE @extschema@.timer IS
    'Per-user timers measuring billable time; at most one running (stopped IS NULL) per user';
-- One running timer per user, also under concurrency.
CREATE UNIQUE INDEX timer_one_running_per_user
    ON @extschema@.timer (created_by) WHERE stopped IS NULL;
-- Billable time of a case: stopped, non-cancelled timers linked to it.
CREATE INDEX timer_billable_by_case
    ON @extschema@.timer (linked_case) INCLUDE (created, stopped)
    WHERE stopped IS NOT NULL AND NOT cancelled;
CREATE INDEX timer_created ON @extschema@.timer (created);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.timer', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.timer_id_seq', '');

-- The event log (SPEC 4.1).  Rows are validated and completed by the
-- BEFORE INSERT trigger and applied to the case and timers by the AFTER
-- INSERT trigger (see 40_log.sql); UPDATE/DELETE/TRUNCATE are refused.
CREATE SEQUENCE @extschema@.log_id_seq;
CREATE TABLE @extschema@.log (
    id              bigint PRIMARY KEY DEFAULT pg_catalog.nextval('@extschema@.log_id_seq'),
    case_id         bigint NOT NULL,
    timer_id        bigint REFERENCES @extschema@.timer (id),
    event_key       text NOT NULL,
    code            text NOT NULL,
    type            text NOT NULL,
    level           integer NOT NULL,
    created_by      bigint NOT NULL,
    created_by_role text,
    notes           text,
    patch           jsonb,
    context         jsonb CHECK (context IS NULL OR pg_catalog.jsonb_typeof(context) = 'object'),
    content_type    text,
    object_id       bigint,
    created         timestamptz NOT NULL DEFAULT pg_catalog.now(),
    modified        timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CHECK ((content_type IS NULL) = (object_id IS NULL))
);
ALTER SEQUENCE @extschema@.log_id_seq OWNED BY @extschema@.log.id;
COMMENT ON TABLE @extschema@.log IS
    'Append-only event log: one row per event on a case, validated by triggers';
COMMENT ON COLUMN @extschema@.log.created_by IS 'The application''s user id';
COMMENT ON COLUMN @extschema@.log.created_by_role IS 'Acting role (from the row or the setting cla_eventlog.acting_role)';
COMMENT ON COLUMN @extschema@.log.context IS 'JSON object with event details (e.g. requires_action_at and SLA times for CB1)';
COMMENT ON COLUMN @extschema@.log.content_type IS 'Optional reference to another application object: its type (with object_id)';
-- Logs of a case, newest first: once_per(case), repair, verify, MI.
CREATE INDEX log_case ON @extschema@.log (case_id, id);
-- Latest HIGH outcome of a case: debounce, denormalisation checks.
CREATE INDEX log_case_high_outcome ON @extschema@.log (case_id, id)
    WHERE type = 'outcome' AND level >= 29;
-- Logs of a timer: once_per(case_timer), stop_timer's latest log.
CREATE INDEX log_timer ON @extschema@.log (timer_id, id) WHERE timer_id IS NOT NULL;
-- MI day ranges.
CREATE INDEX log_created ON @extschema@.log (created);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.log', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.log_id_seq', '');
-- Internal C functions shared by the other parts.

CREATE FUNCTION @extschema@.library_version() RETURNS text
    LANGUAGE c IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cel_library_version';
COMMENT ON FUNCTION @extschema@.library_version() IS
    'Version of the loaded C library (compare with the extension version: status check library_version)';

-- Registration-time check of a function named in the registry: same lookup
-- and same errors as at use time.  kind: code_resolver | set_requires_action_by.
CREATE FUNCTION @extschema@._check_function(name text, kind text) RETURNS void
    LANGUAGE c STABLE
    AS 'MODULE_PATHNAME', 'cel_check_function';
COMMENT ON FUNCTION @extschema@._check_function(text, text) IS
    'Internal: checks that a registry function exists with the right signature';

-- Statement trigger on the registry tables: marks every backend's registry
-- cache stale (transactionally, through a relcache invalidation), so raw DML
-- on the catalog is seen as surely as register_event().
CREATE FUNCTION @extschema@._registry_changed() RETURNS trigger
    LANGUAGE c
    AS 'MODULE_PATHNAME', 'cel_registry_changed';
COMMENT ON FUNCTION @extschema@._registry_changed() IS
    'Internal: invalidates the registry cache of every backend when the registry tables change';

CREATE TRIGGER registry_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON @extschema@.role FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._registry_changed();
CREATE TRIGGER registry_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON @extschema@.event FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._registry_changed();
CREATE TRIGGER registry_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON @extschema@.code FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._registry_changed();
CREATE TRIGGER binding_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON @extschema@.case_binding FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._registry_changed();
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
-- Binding the application's case table (SPEC 3).
--
-- Binding adds foreign keys to the extension's log and timer tables, which
-- only their owner may alter: bind_case_table() runs as the extension's
-- owner (SECURITY DEFINER) so that an administrator role granted EXECUTE
-- can bind.  The caller must still hold REFERENCES on the case table, the
-- privilege PostgreSQL asks for a foreign key: "the caller" is the role the
-- session acts as (SET ROLE, else the session user), which a SECURITY
-- DEFINER function cannot change.

-- The foreign keys from the log and the timers to the bound case table,
-- (re)created from the stored binding.  bind_case_table() ends with it; after
-- pg_restore it is the one step to run by hand: pg_dump does not dump
-- constraints that were added to an extension's tables, so a restored
-- database has the binding but not its foreign keys (status check
-- case_binding says so).
CREATE FUNCTION @extschema@.rebind_case_table()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    b record;
BEGIN
    SELECT * INTO b FROM @extschema@.case_binding;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no case table is bound to cla_eventlog'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Call cla_eventlog.bind_case_table(''app.case_table'') once, as the extension''s administrator.';
    END IF;
    IF to_regclass(format('%I.%I', b.case_schema, b.case_table)) IS NULL THEN
        RAISE EXCEPTION 'bound case table %.% does not exist', quote_ident(b.case_schema), quote_ident(b.case_table)
            USING ERRCODE = 'undefined_table',
                  HINT = 'Bind the case table again with cla_eventlog.bind_case_table().';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_constraint k
                WHERE k.conrelid = '@extschema@.log'::regclass AND k.conname = 'log_case_fkey') THEN
        ALTER TABLE @extschema@.log DROP CONSTRAINT log_case_fkey;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_constraint k
                WHERE k.conrelid = '@extschema@.timer'::regclass AND k.conname = 'timer_linked_case_fkey') THEN
        ALTER TABLE @extschema@.timer DROP CONSTRAINT timer_linked_case_fkey;
    END IF;
    EXECUTE format('ALTER TABLE @extschema@.log ADD CONSTRAINT log_case_fkey'
                   ' FOREIGN KEY (case_id) REFERENCES %I.%I (%I)',
                   b.case_schema, b.case_table, b.columns ->> 'id');
    EXECUTE format('ALTER TABLE @extschema@.timer ADD CONSTRAINT timer_linked_case_fkey'
                   ' FOREIGN KEY (linked_case) REFERENCES %I.%I (%I)',
                   b.case_schema, b.case_table, b.columns ->> 'id');
END
$$;
COMMENT ON FUNCTION @extschema@.rebind_case_table() IS
    'Re-creates the log''s and timers'' foreign keys to the bound case table from the stored binding; run it after pg_restore (pg_dump does not dump them)';
REVOKE ALL ON FUNCTION @extschema@.rebind_case_table() FROM PUBLIC;

CREATE FUNCTION @extschema@.bind_case_table(case_table regclass, columns jsonb DEFAULT '{}')
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    -- role => (default column, allowed types)
    roles constant jsonb := '{
        "id":                   ["id",                   "integer"],
        "outcome_code":         ["outcome_code",         "text"],
        "outcome_code_id":      ["outcome_code_id",      "integer"],
        "level":                ["level",                "integer"],
        "requires_action_by":   ["requires_action_by",   "text"],
        "billable_time":        ["billable_time",        "number"],
        "modified":             ["modified",             "timestamp"],
        "source":               ["source",               "text"],
        "created":              ["created",              "timestamp"],
        "provider_viewed":      ["provider_viewed",      "timestamp"],
        "provider_accepted":    ["provider_accepted",    "timestamp"],
        "provider_closed":      ["provider_closed",      "timestamp"],
        "provider_assigned_at": ["provider_assigned_at", "timestamp"]
    }';
    kinds constant jsonb := '{
        "integer":   ["smallint", "integer", "bigint"],
        "number":    ["smallint", "integer", "bigint", "numeric"],
        "text":      ["text", "character varying", "character"],
        "timestamp": ["timestamp with time zone", "timestamp without time zone"]
    }';
    nsp text;
    rel text;
    role text;
    spec jsonb;
    colname text;
    explicit boolean;
    coltype text;
    resolved jsonb := '{}';
    bad text;
    caller constant text := CASE WHEN current_setting('role') = 'none' THEN session_user::text
                                 ELSE current_setting('role') END;
BEGIN
    IF case_table IS NULL THEN
        RAISE EXCEPTION 'case_table must not be null' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NOT has_table_privilege(caller, case_table, 'REFERENCES') THEN
        RAISE EXCEPTION 'permission denied for table %', case_table
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = format('Binding adds foreign keys to the case table, which needs the REFERENCES privilege on it; role %s does not have it.', caller),
                  HINT = 'Bind as the table''s owner, or have the owner GRANT REFERENCES on the table.';
    END IF;
    IF columns IS NULL OR jsonb_typeof(columns) <> 'object' THEN
        RAISE EXCEPTION 'columns must be a JSON object'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Map case-column roles to column names, for example {"billable_time": "billable_seconds"}, or switch a role off with null.';
    END IF;
    SELECT n.nspname, c.relname INTO nsp, rel
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.oid = case_table AND c.relkind IN ('r', 'p');
    IF NOT FOUND THEN
        RAISE EXCEPTION 'case table % is not a table', case_table USING ERRCODE = 'wrong_object_type';
    END IF;

    SELECT string_agg(@extschema@._reg_quote(k), ', ') INTO bad
      FROM jsonb_object_keys(columns) k WHERE NOT roles ? k;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'unknown case-column role %', bad
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Roles: ' || (SELECT string_agg(k, ', ') FROM jsonb_object_keys(roles) k) || '.';
    END IF;

    FOR role, spec IN SELECT * FROM jsonb_each(roles) LOOP
        explicit := columns ? role;
        IF explicit AND jsonb_typeof(columns -> role) = 'null' THEN
            IF role = 'id' THEN
                RAISE EXCEPTION 'case-column role "id" cannot be switched off'
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
            CONTINUE;
        END IF;
        IF explicit AND jsonb_typeof(columns -> role) <> 'string' THEN
            RAISE EXCEPTION 'column for case-column role "%" must be a string or null', role
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        colname := CASE WHEN explicit THEN columns ->> role ELSE spec ->> 0 END;
        SELECT format_type(a.atttypid, NULL) INTO coltype
          FROM pg_attribute a
         WHERE a.attrelid = case_table AND a.attname = colname
           AND a.attnum > 0 AND NOT a.attisdropped;
        IF NOT FOUND THEN
            IF explicit OR role = 'id' THEN
                RAISE EXCEPTION 'column % of case table % does not exist', @extschema@._reg_quote(colname), case_table
                    USING ERRCODE = 'undefined_column',
                          DETAIL = format('It was given for the case-column role "%s".', role);
            END IF;
            CONTINUE;               -- a default name that is absent: role off
        END IF;
        IF NOT (kinds -> (spec ->> 1)) ? coltype THEN
            RAISE EXCEPTION 'column "%" of case table % has unsuitable type %', colname, case_table, coltype
                USING ERRCODE = 'datatype_mismatch',
                      DETAIL = format('The case-column role "%s" needs one of: %s.', role,
                                      (SELECT string_agg(t, ', ') FROM jsonb_array_elements_text(kinds -> (spec ->> 1)) t));
        END IF;
        resolved := resolved || jsonb_build_object(role, colname);
    END LOOP;

    -- Replace the binding and its foreign keys.
    DELETE FROM @extschema@.case_binding;
    INSERT INTO @extschema@.case_binding (case_schema, case_table, columns)
    VALUES (nsp, rel, resolved);
    PERFORM @extschema@.rebind_case_table();
END
$$;
COMMENT ON FUNCTION @extschema@.bind_case_table(regclass, jsonb) IS
    'Binds the application''s case table: columns overrides role => column name, or null to switch a role off';
REVOKE ALL ON FUNCTION @extschema@.bind_case_table(regclass, jsonb) FROM PUBLIC;

-- The current binding, readable.
CREATE VIEW @extschema@.case_binding_columns AS
SELECT b.case_schema, b.case_table, r.key AS role, r.value AS column_name
  FROM @extschema@.case_binding b, jsonb_each_text(b.columns) r;
COMMENT ON VIEW @extschema@.case_binding_columns IS
    'The bound case table and the column of each active case-column role';

-- Before a SECURITY DEFINER function reads the case table with dynamic SQL
-- (MI, status), it locks the table and checks it is still a table whose
-- bound columns have built-in types, so that nothing of the table owner's
-- making (a cast or operator of its own type, a view in the table's place)
-- runs with the extension owner's rights.
CREATE FUNCTION @extschema@._case_table_check(case_table text, columns text[]) RETURNS void
LANGUAGE c STABLE
AS 'MODULE_PATHNAME', 'cel_case_table_check';
COMMENT ON FUNCTION @extschema@._case_table_check(text, text[]) IS
    'Internal: locks the bound case table and checks it is a table whose given columns exist with built-in types (error otherwise)';
-- Log rows: the triggers that hold every rule (SPEC 4, 6) and log_event (SPEC 5).

CREATE FUNCTION @extschema@._log_validate() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'cel_log_validate';
COMMENT ON FUNCTION @extschema@._log_validate() IS
    'Internal: validates and completes an inserted log row; skips duplicates (once_per, debounce)';
CREATE FUNCTION @extschema@._log_apply() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'cel_log_apply';
COMMENT ON FUNCTION @extschema@._log_apply() IS
    'Internal: applies a stored log row to its case and timer (denormalisation, requires-action-by, stamps, timer, billable time)';
CREATE FUNCTION @extschema@._log_guard() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'cel_log_guard';
COMMENT ON FUNCTION @extschema@._log_guard() IS
    'Internal: refuses UPDATE, DELETE and TRUNCATE on the log unless cla_eventlog.allow_log_maintenance is on';

CREATE TRIGGER log_validate BEFORE INSERT ON @extschema@.log
    FOR EACH ROW EXECUTE FUNCTION @extschema@._log_validate();
CREATE TRIGGER log_apply AFTER INSERT ON @extschema@.log
    FOR EACH ROW EXECUTE FUNCTION @extschema@._log_apply();
CREATE TRIGGER log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON @extschema@.log
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._log_guard();

CREATE FUNCTION @extschema@.log_event(
    event_key    text,
    case_id      bigint,
    created_by   bigint,
    code         text   DEFAULT NULL,
    notes        text   DEFAULT NULL,
    context      jsonb  DEFAULT NULL,
    patch        jsonb  DEFAULT NULL,
    acting_role  text   DEFAULT NULL,
    params       jsonb  DEFAULT NULL,
    content_type text   DEFAULT NULL,
    object_id    bigint DEFAULT NULL)
RETURNS bigint
LANGUAGE c VOLATILE
AS 'MODULE_PATHNAME', 'cel_log_event';
COMMENT ON FUNCTION @extschema@.log_event(text, bigint, bigint, text, text, jsonb, jsonb, text, jsonb, text, bigint) IS
    'Logs an event on a case; the code is chosen by the event''s resolver or its only code when NULL. Returns the log id, or NULL when skipped as a duplicate';
-- Timers (SPEC 7), all in C (timers.c), shared with the log triggers.
-- Application roles have no privileges on the timer table: the functions
-- read and write it as the extension's owner, and the case table (billable
-- time) as the caller.

CREATE FUNCTION @extschema@.current_timer(user_id bigint)
RETURNS @extschema@.timer
LANGUAGE c STABLE
AS 'MODULE_PATHNAME', 'cel_current_timer';
COMMENT ON FUNCTION @extschema@.current_timer(bigint) IS
    'The user''s running timer, or NULL';

CREATE FUNCTION @extschema@.create_timer(user_id bigint)
RETURNS @extschema@.timer
LANGUAGE c VOLATILE
AS 'MODULE_PATHNAME', 'cel_create_timer';
COMMENT ON FUNCTION @extschema@.create_timer(bigint) IS
    'Starts a new timer for the user; error if one is already running';

CREATE FUNCTION @extschema@.start_timer(user_id bigint)
RETURNS @extschema@.timer
LANGUAGE c VOLATILE
AS 'MODULE_PATHNAME', 'cel_start_timer';
COMMENT ON FUNCTION @extschema@.start_timer(bigint) IS
    'The user''s running timer, or a new one (get-or-create; concurrent calls end with one timer)';

CREATE FUNCTION @extschema@.stop_timer(user_id bigint)
RETURNS @extschema@.timer
LANGUAGE c VOLATILE
AS 'MODULE_PATHNAME', 'cel_stop_timer';
COMMENT ON FUNCTION @extschema@.stop_timer(bigint) IS
    'Stops the user''s running timer, links it to the case of its latest log and recomputes that case''s billable time';

CREATE FUNCTION @extschema@.cancel_timer(user_id bigint)
RETURNS @extschema@.timer
LANGUAGE c VOLATILE
AS 'MODULE_PATHNAME', 'cel_cancel_timer';
COMMENT ON FUNCTION @extschema@.cancel_timer(bigint) IS
    'Cancels the user''s running timer (no log needed); the linked case''s billable time is recomputed';
-- Management information (SPEC 8): views and set-returning functions named
-- mi_*, readable by a DBA without knowing the internals.
--
-- Design rules:
--  * Plain views read only the extension's own tables (log, timer, code).
--    What needs the application's case table (its creation time, its
--    source) is a plpgsql function that reads the bound table with dynamic
--    SQL, because a view cannot name a table that is only known at binding
--    time.
--  * Views and functions alike read with the extension owner's rights (the
--    functions are SECURITY DEFINER), so a reporting role needs SELECT on
--    the views and EXECUTE on the functions, and nothing on the log.  Before
--    a function reads the case table it locks it and checks that its bound
--    columns still have built-in types (_case_table_check), so the table's
--    owner cannot make it run code of theirs with those rights.
--  * Day boundaries and local times are taken in the setting
--    cla_eventlog.report_time_zone (default Europe/London); the helper below
--    also works in a session that has not loaded the C library yet.
--  * Every object can be read for a short range through an index: the row
--    views filter on created (log_created, timer_created); the daily views
--    join a series of local days to the table by a created range, so
--    "WHERE day = ..." becomes an index range scan, one per day; the callback
--    SLA reads CB1 rows through an expression index on their
--    requires_action_at.
--  * Seconds are whole seconds rounded up, the rule of billable time (SPEC
--    6.5), everywhere in MI.

-- The report time zone.  Not given a pinned search_path on purpose: the body
-- is fully qualified, and without SET the planner inlines it into the views.
-- Inlining parses the body under the caller's search_path, so it names its
-- operator (NULLIF would look "=" up there and could run one planted in
-- public).
CREATE FUNCTION @extschema@._report_time_zone() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT CASE WHEN pg_catalog.current_setting('cla_eventlog.report_time_zone', true) OPERATOR(pg_catalog.<>) ''
                THEN pg_catalog.current_setting('cla_eventlog.report_time_zone', true)
                ELSE 'Europe/London' END
$$;
COMMENT ON FUNCTION @extschema@._report_time_zone() IS
    'Internal: the setting cla_eventlog.report_time_zone, or Europe/London when the library is not loaded';

-- Whole seconds from earlier to later, rounded up (the MI rule); NULL if
-- either is NULL.  Inlined.
CREATE FUNCTION @extschema@._mi_seconds(later timestamptz, earlier timestamptz) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT pg_catalog.ceil(EXTRACT(EPOCH FROM later OPERATOR(pg_catalog.-) earlier))::bigint
$$;
COMMENT ON FUNCTION @extschema@._mi_seconds(timestamptz, timestamptz) IS
    'Internal: ceil(seconds(later - earlier)), the MI rounding of durations';

-- Local days from the one holding first to the one holding last, each with
-- its bounds as timestamptz (a DST day has 23 or 25 hours).  Inlined, so
-- parsed under the caller's search_path: the type is qualified too ("date"
-- is not a keyword; a domain public.date could run its CHECK).
CREATE FUNCTION @extschema@._report_days(first timestamptz, last timestamptz)
RETURNS TABLE(day date, day_start timestamptz, day_end timestamptz)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT g.d::pg_catalog.date,
           g.d AT TIME ZONE @extschema@._report_time_zone(),
           (g.d OPERATOR(pg_catalog.+) interval '1 day') AT TIME ZONE @extschema@._report_time_zone()
      FROM pg_catalog.generate_series(
               pg_catalog.date_trunc('day', first AT TIME ZONE @extschema@._report_time_zone()),
               pg_catalog.date_trunc('day', last AT TIME ZONE @extschema@._report_time_zone()),
               interval '1 day') AS g(d)
$$;
COMMENT ON FUNCTION @extschema@._report_days(timestamptz, timestamptz) IS
    'Internal: the local days (report time zone) from first to last, with their start and end instants';

-- A time written in a log's context (requires_action_at, sla_120, ...) as
-- timestamptz.  IMMUTABLE, so it can be indexed: only ISO 8601 is read
-- ("2024-03-01T10:30:00+00:00", "...Z", a space instead of T, fractions),
-- whose meaning depends neither on DateStyle nor on the session's TimeZone;
-- a time without an offset is read as UTC.  Anything else, or an impossible
-- date, gives NULL instead of an error.
CREATE FUNCTION @extschema@._iso_time(value text) RETURNS timestamptz
LANGUAGE plpgsql IMMUTABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF value !~ '^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}(:?\d{2})?)?$' THEN
        RETURN NULL;
    END IF;
    IF value !~ '([Zz]|[+-]\d{2}(:?\d{2})?)$' THEN
        value := value || '+00';
    END IF;
    -- Only now the subtransaction of an exception block: well-formed text
    -- that names an impossible time (month 13, 31 February).
    BEGIN
        RETURN value::timestamptz;
    EXCEPTION WHEN data_exception THEN
        RETURN NULL;
    END;
END
$$;
COMMENT ON FUNCTION @extschema@._iso_time(text) IS
    'Internal: an ISO 8601 time from a log context as timestamptz (no offset = UTC); NULL when malformed';

-- CB1 rows by the start of their callback window, for mi_callback_sla.
CREATE INDEX log_cb1_requires_action_at
    ON @extschema@.log (@extschema@._iso_time(context OPERATOR(pg_catalog.->>) 'requires_action_at'))
    WHERE code = 'CB1';

---------------------------------------------------------------------------
-- mi_outcomes: one row per outcome log.
CREATE VIEW @extschema@.mi_outcomes AS
SELECT l.id AS log_id,
       l.case_id,
       l.event_key,
       l.code,
       c.description,
       l.level,
       l.created,
       l.created_by,
       l.created_by_role,
       l.timer_id,
       CASE WHEN t.stopped IS NOT NULL AND NOT t.cancelled
            THEN @extschema@._mi_seconds(t.stopped, t.created)
       END AS timer_seconds,
       CASE WHEN NOT EXISTS (SELECT 1 FROM @extschema@.log n
                              WHERE n.case_id OPERATOR(pg_catalog.=) l.case_id
                                AND n.id OPERATOR(pg_catalog.>) l.id
                                AND n.type OPERATOR(pg_catalog.=) 'outcome')
            THEN (SELECT COALESCE(pg_catalog.sum(@extschema@._mi_seconds(b.stopped, b.created)), 0)::bigint
                    FROM @extschema@.timer b
                   WHERE b.linked_case OPERATOR(pg_catalog.=) l.case_id
                     AND b.stopped IS NOT NULL AND NOT b.cancelled)
       END AS cumulative_seconds,
       CASE WHEN l.code OPERATOR(pg_catalog.=) 'COI' OR l.code OPERATOR(pg_catalog.~~) 'MIS%'
            THEN l.code
       END AS reject_reason,
       l.context OPERATOR(pg_catalog.->>) 'provider' AS provider
  FROM @extschema@.log l
  LEFT JOIN @extschema@.code c
         ON c.event_key OPERATOR(pg_catalog.=) l.event_key AND c.code OPERATOR(pg_catalog.=) l.code
  LEFT JOIN @extschema@.timer t ON t.id OPERATOR(pg_catalog.=) l.timer_id
 WHERE l.type OPERATOR(pg_catalog.=) 'outcome';
COMMENT ON VIEW @extschema@.mi_outcomes IS
    'MI: one row per outcome log (any level), with its timer''s seconds and, on the case''s latest outcome row, the case''s billable time. Filter on created for an index range scan';
COMMENT ON COLUMN @extschema@.mi_outcomes.log_id IS 'The outcome log';
COMMENT ON COLUMN @extschema@.mi_outcomes.case_id IS 'Its case';
COMMENT ON COLUMN @extschema@.mi_outcomes.event_key IS 'Its event';
COMMENT ON COLUMN @extschema@.mi_outcomes.code IS 'Its code';
COMMENT ON COLUMN @extschema@.mi_outcomes.description IS 'The code''s description (also for retired codes)';
COMMENT ON COLUMN @extschema@.mi_outcomes.level IS 'The log level (29 HIGH, 21 MODERATE, 11 MINOR)';
COMMENT ON COLUMN @extschema@.mi_outcomes.created IS 'When it was logged';
COMMENT ON COLUMN @extschema@.mi_outcomes.created_by IS 'The application user who logged it';
COMMENT ON COLUMN @extschema@.mi_outcomes.created_by_role IS 'The acting role, NULL when none was given';
COMMENT ON COLUMN @extschema@.mi_outcomes.timer_id IS 'The timer the log carries, if any';
COMMENT ON COLUMN @extschema@.mi_outcomes.timer_seconds IS 'ceil(stopped - created) of its timer in seconds, when that timer is stopped and not cancelled; else NULL';
COMMENT ON COLUMN @extschema@.mi_outcomes.cumulative_seconds IS 'On the case''s latest (highest id) outcome row only: the case''s billable time, the sum of its stopped non-cancelled timers; else NULL';
COMMENT ON COLUMN @extschema@.mi_outcomes.reject_reason IS 'The code when it is COI or starts with MIS (a specialist''s reason for rejecting); else NULL';
COMMENT ON COLUMN @extschema@.mi_outcomes.provider IS 'context->>''provider'' of the log';

---------------------------------------------------------------------------
-- mi_case_outcomes: one row per case with a HIGH outcome, showing the
-- outcome the case is denormalised to.  Written as "the outcome row with no
-- later one" so that filters on outcome_at (log_created) and on case_id
-- (log_case_high_outcome) both reach an index.
CREATE VIEW @extschema@.mi_case_outcomes AS
SELECT l.case_id,
       l.event_key,
       l.code AS outcome_code,
       l.id AS outcome_log_id,
       l.level,
       l.created AS outcome_at,
       (SELECT pg_catalog.count(*) FROM @extschema@.log a
         WHERE a.case_id OPERATOR(pg_catalog.=) l.case_id
           AND a.type OPERATOR(pg_catalog.=) 'outcome' AND a.level OPERATOR(pg_catalog.>=) 29) AS outcome_count
  FROM @extschema@.log l
 WHERE l.type OPERATOR(pg_catalog.=) 'outcome' AND l.level OPERATOR(pg_catalog.>=) 29
   AND NOT EXISTS (SELECT 1 FROM @extschema@.log n
                    WHERE n.case_id OPERATOR(pg_catalog.=) l.case_id
                      AND n.type OPERATOR(pg_catalog.=) 'outcome' AND n.level OPERATOR(pg_catalog.>=) 29
                      AND n.id OPERATOR(pg_catalog.>) l.id);
COMMENT ON VIEW @extschema@.mi_case_outcomes IS
    'MI: one row per case that has an outcome log at HIGH or above: its latest such log (what the case is denormalised to) and how many it has';
COMMENT ON COLUMN @extschema@.mi_case_outcomes.case_id IS 'The case';
COMMENT ON COLUMN @extschema@.mi_case_outcomes.event_key IS 'Event of the latest HIGH outcome';
COMMENT ON COLUMN @extschema@.mi_case_outcomes.outcome_code IS 'Code of the latest (highest id) HIGH outcome log';
COMMENT ON COLUMN @extschema@.mi_case_outcomes.outcome_log_id IS 'Id of that log';
COMMENT ON COLUMN @extschema@.mi_case_outcomes.level IS 'Its level';
COMMENT ON COLUMN @extschema@.mi_case_outcomes.outcome_at IS 'When it was logged';
COMMENT ON COLUMN @extschema@.mi_case_outcomes.outcome_count IS 'Number of HIGH outcome logs of the case, the latest included';

---------------------------------------------------------------------------
-- mi_daily_codes: local day x event key x code.
CREATE VIEW @extschema@.mi_daily_codes AS
SELECT d.day,
       l.event_key,
       l.code,
       l.type,
       l.level,
       pg_catalog.count(*) AS count,
       pg_catalog.count(DISTINCT l.case_id) AS cases,
       pg_catalog.count(DISTINCT l.created_by) AS users
  FROM (SELECT pg_catalog.min(created) AS first, pg_catalog.max(created) AS last
          FROM @extschema@.log) r
 CROSS JOIN LATERAL @extschema@._report_days(r.first, r.last) d
  JOIN @extschema@.log l
    ON l.created OPERATOR(pg_catalog.>=) d.day_start AND l.created OPERATOR(pg_catalog.<) d.day_end
 GROUP BY d.day, l.event_key, l.code, l.type, l.level;
COMMENT ON VIEW @extschema@.mi_daily_codes IS
    'MI: logs per local day (cla_eventlog.report_time_zone), event key and code. "WHERE day = ..." or a day range reads the log through its created index';
COMMENT ON COLUMN @extschema@.mi_daily_codes.day IS 'Local date in cla_eventlog.report_time_zone';
COMMENT ON COLUMN @extschema@.mi_daily_codes.event_key IS 'Event key';
COMMENT ON COLUMN @extschema@.mi_daily_codes.code IS 'Code';
COMMENT ON COLUMN @extschema@.mi_daily_codes.type IS 'Log type of the code';
COMMENT ON COLUMN @extschema@.mi_daily_codes.level IS 'Log level of the code';
COMMENT ON COLUMN @extschema@.mi_daily_codes.count IS 'Number of logs';
COMMENT ON COLUMN @extschema@.mi_daily_codes.cases IS 'Number of distinct cases';
COMMENT ON COLUMN @extschema@.mi_daily_codes.users IS 'Number of distinct users (created_by)';

---------------------------------------------------------------------------
-- mi_timers: one row per timer.
CREATE VIEW @extschema@.mi_timers AS
SELECT t.id AS timer_id,
       t.created_by,
       t.linked_case,
       t.created,
       t.stopped,
       CASE WHEN t.stopped IS NOT NULL
            THEN @extschema@._mi_seconds(t.stopped, t.created)
       END AS seconds,
       CASE WHEN t.stopped IS NULL THEN 'running'
            WHEN t.cancelled THEN 'cancelled'
            ELSE 'stopped'
       END AS state,
       CASE WHEN t.stopped IS NOT NULL AND NOT t.cancelled
            THEN @extschema@._mi_seconds(t.stopped, t.created)
            ELSE 0
       END AS billable_seconds
  FROM @extschema@.timer t;
COMMENT ON VIEW @extschema@.mi_timers IS
    'MI: one row per timer with its duration and state. Filter on created for an index range scan';
COMMENT ON COLUMN @extschema@.mi_timers.timer_id IS 'The timer';
COMMENT ON COLUMN @extschema@.mi_timers.created_by IS 'The user who ran it';
COMMENT ON COLUMN @extschema@.mi_timers.linked_case IS 'The case it was billed to (case of its latest log when stopped), NULL if none';
COMMENT ON COLUMN @extschema@.mi_timers.created IS 'When it started';
COMMENT ON COLUMN @extschema@.mi_timers.stopped IS 'When it was stopped or cancelled; NULL while running';
COMMENT ON COLUMN @extschema@.mi_timers.seconds IS 'ceil(stopped - created) in seconds, also for a cancelled timer; NULL while running';
COMMENT ON COLUMN @extschema@.mi_timers.state IS 'running, stopped or cancelled';
COMMENT ON COLUMN @extschema@.mi_timers.billable_seconds IS 'seconds when stopped and not cancelled (what counts towards the case''s billable time), else 0';

---------------------------------------------------------------------------
-- mi_billable_daily: local day (of the timer's start) x user.
CREATE VIEW @extschema@.mi_billable_daily AS
SELECT d.day,
       t.created_by,
       pg_catalog.count(*) AS timers,
       pg_catalog.sum(CASE WHEN t.stopped IS NOT NULL AND NOT t.cancelled
                           THEN @extschema@._mi_seconds(t.stopped, t.created)
                           ELSE 0 END)::bigint AS billable_seconds,
       pg_catalog.count(*) FILTER (WHERE t.stopped IS NOT NULL AND NOT t.cancelled) AS billable_timers,
       pg_catalog.count(*) FILTER (WHERE t.cancelled) AS cancelled_timers,
       pg_catalog.count(*) FILTER (WHERE t.stopped IS NULL) AS running_timers
  FROM (SELECT pg_catalog.min(created) AS first, pg_catalog.max(created) AS last
          FROM @extschema@.timer) r
 CROSS JOIN LATERAL @extschema@._report_days(r.first, r.last) d
  JOIN @extschema@.timer t
    ON t.created OPERATOR(pg_catalog.>=) d.day_start AND t.created OPERATOR(pg_catalog.<) d.day_end
 GROUP BY d.day, t.created_by;
COMMENT ON VIEW @extschema@.mi_billable_daily IS
    'MI: timers per local day of their start (cla_eventlog.report_time_zone) and user, with billable seconds. "WHERE day = ..." reads timers through their created index';
COMMENT ON COLUMN @extschema@.mi_billable_daily.day IS 'Local date the timers started on, in cla_eventlog.report_time_zone';
COMMENT ON COLUMN @extschema@.mi_billable_daily.created_by IS 'The user';
COMMENT ON COLUMN @extschema@.mi_billable_daily.timers IS 'Timers the user started that day, whatever their state';
COMMENT ON COLUMN @extschema@.mi_billable_daily.billable_seconds IS 'Sum of ceil(stopped - created) in seconds over those stopped and not cancelled';
COMMENT ON COLUMN @extschema@.mi_billable_daily.billable_timers IS 'Of the timers, those stopped and not cancelled';
COMMENT ON COLUMN @extschema@.mi_billable_daily.cancelled_timers IS 'Of the timers, those cancelled';
COMMENT ON COLUMN @extschema@.mi_billable_daily.running_timers IS 'Of the timers, those still running';

---------------------------------------------------------------------------
-- The bound case table, for the MI functions: "schema.table" quoted, and
-- the quoted column of each role the caller needs (NULL when switched off).
-- The table is locked and checked (_case_table_check) before a caller reads
-- it: the MI functions and status() do so as the extension's owner.
CREATE FUNCTION @extschema@._bound_case_table(OUT qualified text, OUT columns jsonb)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    SELECT format('%I.%I', b.case_schema, b.case_table), b.columns
      INTO qualified, columns
      FROM @extschema@.case_binding b;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no case table is bound to cla_eventlog'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Call cla_eventlog.bind_case_table(''app.case_table'') once, as the extension''s administrator.';
    END IF;
    PERFORM @extschema@._case_table_check(qualified,
                ARRAY(SELECT c.value FROM jsonb_each_text(columns) AS c));
END
$$;
COMMENT ON FUNCTION @extschema@._bound_case_table() IS
    'Internal: the bound case table (quoted) and its role => column map; error when nothing is bound';

---------------------------------------------------------------------------
-- mi_first_actions: one row per case created in [from_ts, to_ts).
CREATE FUNCTION @extschema@.mi_first_actions(from_ts timestamptz DEFAULT NULL, to_ts timestamptz DEFAULT NULL)
RETURNS TABLE(case_id bigint,
              created timestamptz,
              seconds_to_operator_access bigint,
              seconds_to_operator_action bigint,
              seconds_to_specialist_access bigint,
              operator_access_at timestamptz,
              operator_action_at timestamptz,
              assigned_at timestamptz,
              specialist_access_at timestamptz)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    tab text;
    cols jsonb;
BEGIN
    IF from_ts > to_ts THEN
        RAISE EXCEPTION 'from_ts (%) is after to_ts (%)', from_ts, to_ts
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT m.qualified, m.columns INTO tab, cols FROM @extschema@._bound_case_table() m;
    IF NOT cols ? 'created' THEN
        RAISE EXCEPTION 'the case-column role "created" is not bound'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'mi_first_actions measures from the case''s creation time.',
                  HINT = 'Bind the case table again with the created role, for example cla_eventlog.bind_case_table(''app.case'', ''{"created": "created_at"}'').';
    END IF;
    RETURN QUERY EXECUTE format($q$
        SELECT c.id, c.created,
               @extschema@._mi_seconds(acc.created, c.created),
               @extschema@._mi_seconds(act.created, c.created),
               @extschema@._mi_seconds(sp.created, asg.created),
               acc.created, act.created, asg.created, sp.created
          FROM (SELECT %1$I::bigint AS id, %2$I::timestamptz AS created FROM %3$s
                 WHERE ($1 IS NULL OR %2$I >= $1) AND ($2 IS NULL OR %2$I < $2)) c
          LEFT JOIN LATERAL (
                SELECT l.created FROM @extschema@.log l
                 WHERE l.case_id = c.id AND l.created_by_role = 'operator' AND l.code <> 'CASE_CREATED'
                 ORDER BY l.id LIMIT 1) acc ON true
          LEFT JOIN LATERAL (
                SELECT l.created FROM @extschema@.log l
                 WHERE l.case_id = c.id AND l.created_by_role = 'operator' AND l.code <> 'CASE_CREATED'
                   AND l.level >= 29
                 ORDER BY l.id LIMIT 1) act ON true
          LEFT JOIN LATERAL (
                SELECT l.id, l.created FROM @extschema@.log l
                 WHERE l.case_id = c.id AND l.code IN ('REFSP', 'MANALC', 'MANREF', 'SPOR')
                 ORDER BY l.id LIMIT 1) asg ON true
          LEFT JOIN LATERAL (
                SELECT l.created FROM @extschema@.log l
                 WHERE l.case_id = c.id AND l.id > asg.id AND l.created_by_role = 'specialist'
                 ORDER BY l.id LIMIT 1) sp ON true
         ORDER BY c.id
        $q$, cols ->> 'id', cols ->> 'created', tab)
        USING from_ts, to_ts;
END
$$;
COMMENT ON FUNCTION @extschema@.mi_first_actions(timestamptz, timestamptz) IS
    'MI: for each case created in [from_ts, to_ts) (NULL = unbounded): seconds from creation to the first operator log other than CASE_CREATED (access, any level; action, HIGH or above), and from the first assignment log (REFSP, MANALC, MANREF, SPOR) to the first specialist log after it. Columns: case_id, created, seconds_to_operator_access, seconds_to_operator_action, seconds_to_specialist_access, and the four instants. "Operator"/"specialist" is the log''s created_by_role; "first" is the lowest log id';

---------------------------------------------------------------------------
-- mi_callback_sla (SPEC 8.1): one row per CB1 log whose requires_action_at
-- lies strictly between from_ts and to_ts.
CREATE FUNCTION @extschema@.mi_callback_sla(
    from_ts        timestamptz,
    to_ts          timestamptz,
    at_ts          timestamptz DEFAULT pg_catalog.now(),
    terminal_codes text[] DEFAULT ARRAY['TERM', 'ABND', 'PCB', 'COPE', 'DUPL', 'INSUF', 'IRCB', 'NCOE',
                                        'DESP', 'DECL', 'IRKB', 'MRCC', 'NRES', 'SAME', 'COSPF', 'SPFM',
                                        'EDFF', 'SPFN', 'CBSP', 'MANALC', 'MANREF', 'RDSP', 'REFSP', 'SPOR',
                                        'WROF', 'REFDPA', 'RELBD', 'RSTR', 'NOLA'])
RETURNS TABLE(log_id bigint,
              case_id bigint,
              source text,
              created timestamptz,
              created_by bigint,
              window_start timestamptz,
              window_end timestamptz,
              first_operator_view_at timestamptz,
              first_operator_action_at timestamptz,
              next_outcome text,
              call_started_at timestamptz,
              terminal_at timestamptz,
              terminal_code text,
              sla_120 timestamptz,
              sla_480 timestamptz,
              sla_72h timestamptz,
              missed_sla_1 boolean,
              missed_sla_2 boolean)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    source_expr text := 'NULL::text';
    tab text;
    cols jsonb;
BEGIN
    IF from_ts IS NULL OR to_ts IS NULL THEN
        RAISE EXCEPTION '% must not be null', CASE WHEN from_ts IS NULL THEN 'from_ts' ELSE 'to_ts' END
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Give the range of callback times to report on, for example a day: mi_callback_sla(''2024-03-01'', ''2024-03-02'').';
    END IF;
    IF at_ts IS NULL OR terminal_codes IS NULL THEN
        RAISE EXCEPTION '% must not be null', CASE WHEN at_ts IS NULL THEN 'at_ts' ELSE 'terminal_codes' END
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Leave it out to get its default.';
    END IF;
    IF from_ts > to_ts THEN
        RAISE EXCEPTION 'from_ts (%) is after to_ts (%)', from_ts, to_ts
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- Without a binding (or without the source role) every source is NULL,
    -- an "other source": the report still lists the callbacks.
    SELECT format('%I.%I', b.case_schema, b.case_table), b.columns
      INTO tab, cols
      FROM @extschema@.case_binding b;
    IF cols ? 'source' THEN
        PERFORM @extschema@._case_table_check(tab, ARRAY[cols ->> 'id', cols ->> 'source']);
        source_expr := format('(SELECT c.%I::text FROM %s c WHERE c.%I = l.case_id)',
                              cols ->> 'source', tab, cols ->> 'id');
    END IF;

    RETURN QUERY EXECUTE format($q$
        SELECT s.id, s.case_id, s.source, s.created, s.created_by, s.w0, s.w1,
               s.view_at, s.action_at, s.action_code, s.call_at, s.terminal_at, s.terminal_code,
               s.sla_120, s.sla_480, s.sla_72h,
               CASE
                 WHEN s.source IN ('WEB', 'PHONE') THEN
                   CASE WHEN s.action_at IS NULL AND $3 < s.w0 THEN false
                        WHEN s.action_at IS NULL THEN $3 > s.w1
                        ELSE s.action_at < s.w0 OR s.action_at > s.w1 END
                 WHEN s.source IN ('SMS', 'VOICEMAIL') THEN
                   CASE WHEN s.call_at IS NULL THEN $3 > s.sla_120
                        ELSE s.call_at > s.sla_120 END
                 ELSE false
               END,
               CASE
                 WHEN s.source IN ('WEB', 'PHONE') THEN
                   CASE WHEN s.terminal_at IS NULL THEN $3 > s.sla_72h
                        WHEN s.action_at IS NULL THEN false
                        ELSE s.action_at > s.sla_72h END
                 WHEN s.source IN ('SMS', 'VOICEMAIL') THEN
                   CASE WHEN s.terminal_at IS NULL THEN $3 > s.sla_480
                        ELSE s.terminal_at > s.sla_480 END
                 ELSE false
               END
          FROM (
            SELECT l.id, l.case_id, %1$s AS source, l.created, l.created_by,
                   w.w0, w.w0 + interval '30 minutes' AS w1,
                   @extschema@._iso_time(l.context ->> 'sla_120') AS sla_120,
                   @extschema@._iso_time(l.context ->> 'sla_480') AS sla_480,
                   @extschema@._iso_time(l.context ->> 'sla_72h') AS sla_72h,
                   v.created AS view_at, a.created AS action_at, a.code AS action_code,
                   cs.created AS call_at, t.created AS terminal_at, t.code AS terminal_code
              FROM @extschema@.log l
             CROSS JOIN LATERAL (SELECT @extschema@._iso_time(l.context ->> 'requires_action_at') AS w0) w
              LEFT JOIN LATERAL (
                    SELECT n.created FROM @extschema@.log n
                     WHERE n.case_id = l.case_id AND n.id > l.id AND n.created_by_role = 'operator'
                     ORDER BY n.id LIMIT 1) v ON true
              LEFT JOIN LATERAL (
                    SELECT n.created, n.code FROM @extschema@.log n
                     WHERE n.case_id = l.case_id AND n.id > l.id AND n.created_by_role = 'operator'
                       AND n.level >= 29 AND n.type IN ('outcome', 'event')
                     ORDER BY n.id LIMIT 1) a ON true
              LEFT JOIN LATERAL (
                    SELECT n.created FROM @extschema@.log n
                     WHERE n.case_id = l.case_id AND n.id > l.id AND n.code = 'CALL_STARTED'
                     ORDER BY n.id LIMIT 1) cs ON true
              LEFT JOIN LATERAL (
                    SELECT n.created, n.code FROM @extschema@.log n
                     WHERE n.case_id = l.case_id AND n.id > l.id AND n.code = ANY ($4)
                     ORDER BY n.id LIMIT 1) t ON true
             WHERE l.code = 'CB1'
               AND @extschema@._iso_time(l.context ->> 'requires_action_at') > $1
               AND @extschema@._iso_time(l.context ->> 'requires_action_at') < $2
            OFFSET 0    -- computed once per row, not once per use above
          ) s
         ORDER BY s.w0, s.id
        $q$, source_expr)
        USING from_ts, to_ts, at_ts, terminal_codes;
END
$$;
COMMENT ON FUNCTION @extschema@.mi_callback_sla(timestamptz, timestamptz, timestamptz, text[]) IS
    'MI: the callback SLA report (SPEC 8.1): one row per CB1 log whose context->>''requires_action_at'' lies strictly between from_ts and to_ts, with the first operator view and action, call started and terminal log after it, and missed_sla_1/missed_sla_2 as of at_ts. CB1 rows whose requires_action_at is missing or not an ISO 8601 time are skipped; a missing sla_120/sla_480/sla_72h makes the flag that needs it NULL. Reads CB1 rows through the index log_cb1_requires_action_at';
-- Status check, verification and repair (SPEC 9).
--
-- Design rules:
--  * status() is a health probe: every check is a handful of index lookups
--    (never a scan of the log), each runs in its own exception block so one
--    broken check reports itself instead of failing the probe, and it runs
--    as the extension's owner so a monitoring role needs only EXECUTE
--    (granted to pg_monitor).
--  * The two consistency checks sample the 100 most recently logged cases
--    (from the newest log rows, read backwards through the primary key) and
--    the cases of the 100 newest timers; verify() runs the same comparison
--    over every case, in batches of 10,000.
--  * What a case "should" show is computed in one place, _case_expected(),
--    from the log and the timers only: the latest (highest id) outcome log
--    at HIGH or above, and the sum of ceil(stopped - created) over the
--    case's stopped, non-cancelled timers.  verify() and status() compare it
--    with the case row; repair_cases() writes it.

-- What the case's denormalised columns should hold, per case id (NULLs and
-- 0 seconds for a case with no HIGH outcome and no timers).  Inlined.
CREATE FUNCTION @extschema@._case_expected(case_ids bigint[])
RETURNS TABLE(case_id bigint, outcome_log_id bigint, outcome_code text, level integer, billable bigint)
LANGUAGE sql STABLE
AS $$
    SELECT x.id, o.id, o.code, o.level, b.seconds
      FROM (SELECT DISTINCT u.id FROM pg_catalog.unnest(case_ids) AS u(id) WHERE u.id IS NOT NULL) x
      LEFT JOIN LATERAL (
            SELECT l.id, l.code, l.level FROM @extschema@.log l
             WHERE l.case_id OPERATOR(pg_catalog.=) x.id
               AND l.type OPERATOR(pg_catalog.=) 'outcome' AND l.level OPERATOR(pg_catalog.>=) 29
             ORDER BY l.id DESC LIMIT 1) o ON true
      CROSS JOIN LATERAL (
            SELECT COALESCE(pg_catalog.sum(@extschema@._mi_seconds(t.stopped, t.created)), 0)::bigint AS seconds
              FROM @extschema@.timer t
             WHERE t.linked_case OPERATOR(pg_catalog.=) x.id
               AND t.stopped IS NOT NULL AND NOT t.cancelled) b
$$;
COMMENT ON FUNCTION @extschema@._case_expected(bigint[]) IS
    'Internal: per case, its latest HIGH outcome log (id, code, level) and the billable seconds of its timers';

-- Case ids in batches of batch_size, in id order: every case of the bound
-- table when case_ids is NULL, else the given ids.
CREATE FUNCTION @extschema@._case_batches(case_ids bigint[], batch_size integer)
RETURNS SETOF bigint[]
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    tab text;
    cols jsonb;
BEGIN
    IF case_ids IS NOT NULL THEN
        SELECT array_agg(DISTINCT v.id ORDER BY v.id) INTO case_ids
          FROM unnest(case_ids) v(id) WHERE v.id IS NOT NULL;
        FOR i IN 1 .. coalesce(cardinality(case_ids), 0) BY batch_size LOOP
            RETURN NEXT case_ids[i : i + batch_size - 1];
        END LOOP;
        RETURN;
    END IF;
    SELECT b.qualified, b.columns INTO tab, cols FROM @extschema@._bound_case_table() b;
    RETURN QUERY EXECUTE format(
        'SELECT array_agg(id ORDER BY id) FROM (SELECT %1$I::bigint AS id,'
        ' (row_number() OVER (ORDER BY %1$I) - 1) / $1 AS batch FROM %2$s) s'
        ' GROUP BY batch ORDER BY batch', cols ->> 'id', tab)
        USING batch_size;
END
$$;
COMMENT ON FUNCTION @extschema@._case_batches(bigint[], integer) IS
    'Internal: case ids in batches (all cases of the bound table when case_ids is NULL)';

-- Cases whose denormalised columns disagree with the log and timers: one
-- row per case and disagreement (check_name denormalised_outcomes or
-- billable_time).  Only the roles the binding has are compared.
CREATE FUNCTION @extschema@._case_mismatches(case_ids bigint[])
RETURNS TABLE(case_id bigint, check_name text, problem text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    tab text;
    cols jsonb;
    role text;
    differs text[] := '{}';
    shown text[] := '{}';
    expected text[] := '{}';
    billable_differs text := 'false';
    billable_shown text := 'NULL::text';
BEGIN
    SELECT b.qualified, b.columns INTO tab, cols FROM @extschema@._bound_case_table() b;
    FOREACH role IN ARRAY ARRAY['outcome_code', 'outcome_code_id', 'level'] LOOP
        CONTINUE WHEN NOT cols ? role;
        differs := differs || format(CASE role WHEN 'outcome_code' THEN 'c.%I::text IS DISTINCT FROM e.%s'
                                               ELSE 'c.%I IS DISTINCT FROM e.%s' END,
                                     cols ->> role,
                                     CASE role WHEN 'outcome_code_id' THEN 'outcome_log_id' ELSE role END);
        shown := shown || format('%L || COALESCE(c.%I::text, ''NULL'')', role || '=', cols ->> role);
        expected := expected || format('%L || COALESCE(e.%s::text, ''NULL'')', role || '=',
                                       CASE role WHEN 'outcome_code_id' THEN 'outcome_log_id' ELSE role END);
    END LOOP;
    IF cols ? 'billable_time' THEN
        billable_differs := format('c.%I IS DISTINCT FROM e.billable', cols ->> 'billable_time');
        billable_shown := format('COALESCE(c.%I::text, ''NULL'')', cols ->> 'billable_time');
    END IF;

    RETURN QUERY EXECUTE format($q$
        SELECT m.id, m.check_name, m.problem FROM (
          SELECT c.%1$I::bigint AS id, 'denormalised_outcomes' AS check_name,
                 'outcome columns show ' || concat_ws(' ', %3$s) ||
                 ' but the latest HIGH outcome log gives ' || concat_ws(' ', %4$s) AS problem
            FROM %2$s c JOIN @extschema@._case_expected($1) e ON e.case_id = c.%1$I
           WHERE %5$s
          UNION ALL
          SELECT c.%1$I::bigint, 'billable_time',
                 'billable_time is ' || %7$s || ' but its timers sum to ' || e.billable || ' seconds'
            FROM %2$s c JOIN @extschema@._case_expected($1) e ON e.case_id = c.%1$I
           WHERE %6$s) m
         ORDER BY m.id, m.check_name
        $q$,
        cols ->> 'id', tab,
        coalesce(nullif(array_to_string(shown, ', '), ''), 'NULL'),
        coalesce(nullif(array_to_string(expected, ', '), ''), 'NULL'),
        coalesce(nullif(array_to_string(differs, ' OR '), ''), 'false'),
        billable_differs, billable_shown)
        USING case_ids;
END
$$;
COMMENT ON FUNCTION @extschema@._case_mismatches(bigint[]) IS
    'Internal: the given cases whose outcome columns or billable time disagree with the log and timers';

-- The cases a status check samples: the 100 most recently logged cases
-- (newest log rows first, read backwards through the primary key) and the
-- linked cases of the 100 newest timers.
CREATE FUNCTION @extschema@._status_sample() RETURNS bigint[]
LANGUAGE sql STABLE
AS $$
    SELECT COALESCE(pg_catalog.array_agg(DISTINCT s.case_id ORDER BY s.case_id), '{}')
      FROM ((SELECT r.case_id
               FROM (SELECT l.case_id, l.id FROM @extschema@.log l ORDER BY l.id DESC LIMIT 1000) r
              GROUP BY r.case_id
              ORDER BY pg_catalog.max(r.id) DESC LIMIT 100)
            UNION ALL
            (SELECT t.linked_case FROM @extschema@.timer t
              WHERE t.linked_case IS NOT NULL ORDER BY t.id DESC LIMIT 100)) AS s(case_id)
$$;
COMMENT ON FUNCTION @extschema@._status_sample() IS
    'Internal: the case ids the status checks sample (recently logged cases, cases of recent timers)';

---------------------------------------------------------------------------
-- The checks of status(), one function each: (ok, detail).  An error in a
-- check is caught by status() and reported as that check failing.

-- library_version: the loaded C library is the installed SQL version.
CREATE FUNCTION @extschema@._check_library_version(OUT ok boolean, OUT detail text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_sql text;
    v_lib text;
BEGIN
    SELECT e.extversion INTO v_sql FROM pg_extension e WHERE e.extname = 'cla_eventlog';
    v_lib := @extschema@.library_version();
    ok := v_lib IS NOT DISTINCT FROM v_sql;
    detail := format('library %s, SQL objects %s', v_lib, v_sql);
    IF NOT ok THEN
        detail := detail || '; install the matching library (make install) or ALTER EXTENSION cla_eventlog UPDATE, then reconnect';
    END IF;
END
$$;

-- registry: at least one live code.
CREATE FUNCTION @extschema@._check_registry(OUT ok boolean, OUT detail text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n_events bigint;
    n_live bigint;
    n_retired bigint;
BEGIN
    SELECT count(*) INTO n_events FROM @extschema@.event;
    SELECT count(*) FILTER (WHERE NOT c.retired), count(*) FILTER (WHERE c.retired)
      INTO n_live, n_retired FROM @extschema@.code c;
    ok := n_live > 0;
    detail := format('%s events, %s live codes, %s retired codes', n_events, n_live, n_retired);
    IF NOT ok THEN
        detail := detail || '; register events with cla_eventlog.register_event() or cla_eventlog.autodiscover()';
    END IF;
END
$$;

-- case_binding: bound; the table and every bound column exist with a
-- suitable type; the log's and timers' foreign keys point at it.
CREATE FUNCTION @extschema@._check_case_binding(OUT ok boolean, OUT detail text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    -- role => kind of type, and kind => types (as bind_case_table accepts)
    kinds constant jsonb := '{
        "id": "integer", "outcome_code": "text", "outcome_code_id": "integer", "level": "integer",
        "requires_action_by": "text", "billable_time": "number", "modified": "timestamp",
        "source": "text", "created": "timestamp", "provider_viewed": "timestamp",
        "provider_accepted": "timestamp", "provider_closed": "timestamp",
        "provider_assigned_at": "timestamp"}';
    types constant jsonb := '{
        "integer":   ["smallint", "integer", "bigint"],
        "number":    ["smallint", "integer", "bigint", "numeric"],
        "text":      ["text", "character varying", "character"],
        "timestamp": ["timestamp with time zone", "timestamp without time zone"]}';
    bind record;
    rel regclass;
    role text;
    col text;
    coltype text;
    problems text[] := '{}';
BEGIN
    SELECT * INTO bind FROM @extschema@.case_binding;
    IF NOT FOUND THEN
        ok := false;
        detail := 'no case table is bound; call cla_eventlog.bind_case_table()';
        RETURN;
    END IF;
    rel := to_regclass(format('%I.%I', bind.case_schema, bind.case_table));
    IF rel IS NULL THEN
        problems := problems || 'the table does not exist'::text;
    ELSE
        IF NOT bind.columns ? 'id' THEN
            problems := problems || 'no column is bound to the role id'::text;
        END IF;
        FOR role, col IN SELECT r.key, r.value FROM jsonb_each_text(bind.columns) r ORDER BY r.key LOOP
            SELECT format_type(a.atttypid, NULL) INTO coltype
              FROM pg_attribute a
             WHERE a.attrelid = rel AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped;
            IF NOT FOUND THEN
                problems := problems || format('column "%s" (role %s) does not exist', col, role);
            ELSIF NOT kinds ? role THEN
                problems := problems || format('column "%s" has the unknown role %s', col, role);
            ELSIF NOT (types -> (kinds ->> role)) ? coltype THEN
                problems := problems || format('column "%s" (role %s) has unsuitable type %s', col, role, coltype);
            END IF;
        END LOOP;
        IF NOT EXISTS (SELECT 1 FROM pg_constraint k
                        WHERE k.conrelid = '@extschema@.log'::regclass AND k.contype = 'f' AND k.confrelid = rel) THEN
            problems := problems || 'the log has no foreign key to the table'::text;
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_constraint k
                        WHERE k.conrelid = '@extschema@.timer'::regclass AND k.contype = 'f' AND k.confrelid = rel) THEN
            problems := problems || 'the timers have no foreign key to the table'::text;
        END IF;
    END IF;
    ok := cardinality(problems) = 0;
    detail := format('%I.%I: ', bind.case_schema, bind.case_table) ||
        CASE WHEN ok THEN format('%s columns bound, foreign keys in place',
                                 (SELECT count(*) FROM jsonb_object_keys(bind.columns)))
             ELSE array_to_string(problems, '; ') || '; bind the table again with cla_eventlog.bind_case_table()'
        END;
END
$$;

-- denormalised_outcomes and billable_time: the sampled recent cases agree
-- with their latest HIGH outcome log, or with their timers.
CREATE FUNCTION @extschema@._check_sampled_cases(check_name text, OUT ok boolean, OUT detail text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    sample bigint[] := @extschema@._status_sample();
    bad bigint[];
    what constant text := CASE check_name WHEN 'billable_time' THEN 'timers' ELSE 'latest HIGH outcome log' END;
BEGIN
    SELECT array_agg(m.case_id ORDER BY m.case_id) INTO bad
      FROM @extschema@._case_mismatches(sample) m WHERE m.check_name = _check_sampled_cases.check_name;
    ok := bad IS NULL;
    IF cardinality(sample) = 0 THEN
        detail := 'no case has logs or timers yet';
    ELSIF ok THEN
        detail := format('%s recent cases sampled, all agree with their %s', cardinality(sample), what);
    ELSE
        detail := format('%s of %s recent cases sampled disagree with their %s: case %s%s; see cla_eventlog.verify(), fix with cla_eventlog.repair_cases()',
                         cardinality(bad), cardinality(sample), what, array_to_string(bad[1:5], ', '),
                         CASE WHEN cardinality(bad) > 5 THEN ', ...' ELSE '' END);
    END IF;
END
$$;

-- stale_timers: no timer running longer than cla_eventlog.stale_timer_after.
-- Reads running timers only (partial index timer_one_running_per_user).
CREATE FUNCTION @extschema@._check_stale_timers(OUT ok boolean, OUT detail text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    -- the setting reads "12h", "90s", "1d"; taken as seconds, so a day is
    -- 24 hours also across a DST change, and shown as the setting reads
    setting constant text := COALESCE(NULLIF(current_setting('cla_eventlog.stale_timer_after', true), ''), '12h');
    after constant interval := make_interval(secs => EXTRACT(EPOCH FROM setting::interval));
    n_running bigint;
    n_stale bigint;
    stale_list text;
BEGIN
    SELECT count(*), count(*) FILTER (WHERE t.created < now() - after)
      INTO n_running, n_stale
      FROM @extschema@.timer t WHERE t.stopped IS NULL;
    SELECT string_agg(format('timer %s of user %s', s.id, s.created_by), ', ' ORDER BY s.created, s.id)
      INTO stale_list
      FROM (SELECT t.id, t.created_by, t.created FROM @extschema@.timer t
             WHERE t.stopped IS NULL AND t.created < now() - after
             ORDER BY t.created, t.id LIMIT 5) s;
    ok := n_stale = 0;
    detail := CASE WHEN ok
                   THEN format('no timer has run longer than %s (%s running)', setting, n_running)
                   ELSE format('%s of %s running timers have run longer than %s: %s%s; stop or cancel them',
                               n_stale, n_running, setting, stale_list,
                               CASE WHEN n_stale > 5 THEN ', ...' ELSE '' END)
              END;
END
$$;

-- triggers: the extension's triggers are present and enabled (a disabled
-- trigger lets rows past the rules, or leaves backend caches stale).
CREATE FUNCTION @extschema@._check_triggers(OUT ok boolean, OUT detail text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    problems text[];
BEGIN
    SELECT array_agg(format('%s on %s %s', w.tgname, w.relname,
                            CASE WHEN t.oid IS NULL THEN 'is missing' ELSE 'is disabled' END)
                     ORDER BY w.relname, w.tgname)
      INTO problems
      FROM (VALUES ('log', 'log_validate'), ('log', 'log_apply'), ('log', 'log_append_only'),
                   ('role', 'registry_changed'), ('event', 'registry_changed'),
                   ('code', 'registry_changed'), ('case_binding', 'binding_changed')) w(relname, tgname)
      LEFT JOIN pg_trigger t
             ON t.tgrelid = to_regclass('@extschema@.' || w.relname) AND t.tgname = w.tgname
     WHERE t.oid IS NULL OR t.tgenabled NOT IN ('O', 'A');
    ok := problems IS NULL;
    detail := CASE WHEN ok THEN 'the 7 triggers of the log and the registry are enabled'
                   ELSE array_to_string(problems, '; ') || '; enable them with ALTER TABLE ... ENABLE TRIGGER'
              END;
END
$$;

COMMENT ON FUNCTION @extschema@._check_library_version() IS
    'Internal: status check library_version (the C library and the SQL objects are the same version)';
COMMENT ON FUNCTION @extschema@._check_registry() IS
    'Internal: status check registry (at least one live code)';
COMMENT ON FUNCTION @extschema@._check_case_binding() IS
    'Internal: status check case_binding (bound, columns exist with suitable types, foreign keys in place)';
COMMENT ON FUNCTION @extschema@._check_sampled_cases(text) IS
    'Internal: status checks denormalised_outcomes and billable_time over the sampled recent cases';
COMMENT ON FUNCTION @extschema@._check_stale_timers() IS
    'Internal: status check stale_timers (no timer running longer than cla_eventlog.stale_timer_after)';
COMMENT ON FUNCTION @extschema@._check_triggers() IS
    'Internal: status check triggers (the log''s and the registry''s triggers exist and are enabled)';

---------------------------------------------------------------------------
-- status(): the health probe.
CREATE FUNCTION @extschema@.status()
RETURNS TABLE(check_name text, ok boolean, detail text)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    call text;
BEGIN
    -- database: this function ran, so the database answers.
    check_name := 'database';
    ok := true;
    detail := CASE WHEN pg_is_in_recovery() THEN 'answers (a standby, read-only)' ELSE 'answers (the primary)' END;
    RETURN NEXT;

    FOR check_name, call IN
        VALUES ('library_version', '_check_library_version()'),
               ('registry', '_check_registry()'),
               ('case_binding', '_check_case_binding()'),
               ('denormalised_outcomes', '_check_sampled_cases(''denormalised_outcomes'')'),
               ('billable_time', '_check_sampled_cases(''billable_time'')'),
               ('stale_timers', '_check_stale_timers()'),
               ('triggers', '_check_triggers()')
    LOOP
        BEGIN
            EXECUTE 'SELECT c.ok, c.detail FROM @extschema@.' || call || ' c' INTO ok, detail;
        EXCEPTION WHEN OTHERS THEN
            ok := false;
            detail := 'the check failed: ' || SQLERRM;
        END;
        RETURN NEXT;
    END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@.status() IS
    'Health probe: one row per check (database, library_version, registry, case_binding, denormalised_outcomes, billable_time, stale_timers, triggers) with ok and a detail; cheap (index lookups only). See the README for what each check means';
REVOKE ALL ON FUNCTION @extschema@.status() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.status() TO pg_monitor;
-- A monitoring role must be able to name the probe; the tables stay private.
GRANT USAGE ON SCHEMA @extschema@ TO pg_monitor;

CREATE FUNCTION @extschema@.status_json() RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
               'ok', bool_and(s.ok),
               'checks', jsonb_object_agg(s.check_name, jsonb_build_object('ok', s.ok, 'detail', s.detail)))
      FROM @extschema@.status() s
$$;
COMMENT ON FUNCTION @extschema@.status_json() IS
    'status() as one JSON document: {"ok": every check ok, "checks": {name: {"ok": ..., "detail": ...}}}';
REVOKE ALL ON FUNCTION @extschema@.status_json() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.status_json() TO pg_monitor;

---------------------------------------------------------------------------
-- verify(): the two consistency checks over every case.
CREATE FUNCTION @extschema@.verify()
RETURNS TABLE(case_id bigint, problem text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    batch bigint[];
BEGIN
    FOR batch IN SELECT b FROM @extschema@._case_batches(NULL, 10000) b LOOP
        RETURN QUERY SELECT m.case_id, m.problem FROM @extschema@._case_mismatches(batch) m;
    END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@.verify() IS
    'Every case whose outcome columns differ from its latest HIGH outcome log, or whose billable time differs from the sum of its timers, with the problem in words (reads every case: not for a probe)';
REVOKE ALL ON FUNCTION @extschema@.verify() FROM PUBLIC;

---------------------------------------------------------------------------
-- repair_cases(): recompute the denormalised columns from log and timers.
CREATE FUNCTION @extschema@.repair_cases(case_ids bigint[] DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    batch_size constant integer := 10000;
    tab text;
    cols jsonb;
    role text;
    sets text[] := '{}';
    differs text[] := '{}';
    lock_sql text;
    update_sql text;
    batch bigint[];
    total bigint;
    done bigint := 0;
    changed bigint := 0;
    n bigint;
    started timestamptz := clock_timestamp();
BEGIN
    SELECT b.qualified, b.columns INTO tab, cols FROM @extschema@._bound_case_table() b;
    FOREACH role IN ARRAY ARRAY['outcome_code', 'outcome_code_id', 'level', 'billable_time'] LOOP
        CONTINUE WHEN NOT cols ? role;
        sets := sets || format('%I = e.%s', cols ->> role,
                               CASE role WHEN 'outcome_code_id' THEN 'outcome_log_id'
                                         WHEN 'billable_time' THEN 'billable' ELSE role END);
        differs := differs || format(CASE role WHEN 'outcome_code' THEN 'c.%I::text IS DISTINCT FROM e.%s'
                                               ELSE 'c.%I IS DISTINCT FROM e.%s' END,
                                     cols ->> role,
                                     CASE role WHEN 'outcome_code_id' THEN 'outcome_log_id'
                                               WHEN 'billable_time' THEN 'billable' ELSE role END);
    END LOOP;
    IF cardinality(sets) = 0 THEN
        RAISE NOTICE 'repair_cases: the case table binds no outcome or billable_time column; nothing to repair';
        RETURN 0;
    END IF;
    IF cols ? 'modified' THEN
        sets := sets || format('%I = now()', cols ->> 'modified');
    END IF;
    -- Lock the batch's case rows first, in id order (the triggers lock a
    -- case row before they write to it), then compute and write in a new
    -- statement, which under READ COMMITTED sees every log and timer
    -- committed by the writers it waited for.
    lock_sql := format('SELECT count(*) FROM (SELECT 1 FROM %1$s c WHERE c.%2$I = ANY ($1)'
                       ' ORDER BY c.%2$I FOR NO KEY UPDATE OF c) s', tab, cols ->> 'id');
    update_sql := format('UPDATE %1$s c SET %3$s FROM @extschema@._case_expected($1) e'
                         ' WHERE c.%2$I = e.case_id AND (%4$s)',
                         tab, cols ->> 'id', array_to_string(sets, ', '), array_to_string(differs, ' OR '));

    IF case_ids IS NULL THEN
        EXECUTE format('SELECT count(*) FROM %s', tab) INTO total;
    ELSE
        SELECT count(DISTINCT u.id) INTO total FROM unnest(case_ids) u(id) WHERE u.id IS NOT NULL;
    END IF;

    FOR batch IN SELECT b FROM @extschema@._case_batches(case_ids, batch_size) b LOOP
        EXECUTE lock_sql USING batch;
        EXECUTE update_sql USING batch;
        GET DIAGNOSTICS n = ROW_COUNT;
        changed := changed + n;
        done := done + cardinality(batch);
        IF cardinality(batch) = batch_size THEN
            RAISE NOTICE 'repair_cases: % of % cases done, % changed', done, total, changed
                USING DETAIL = format('%s cases per second.',
                                      round(done / greatest(EXTRACT(EPOCH FROM clock_timestamp() - started), 0.001)));
        END IF;
    END LOOP;
    RETURN changed;
END
$$;
COMMENT ON FUNCTION @extschema@.repair_cases(bigint[]) IS
    'Recomputes outcome_code, outcome_code_id, level (latest HIGH outcome log; NULL when none) and billable_time (sum of the timers) of the given cases, or of every case when NULL, writing only cases that differ (and touching their modified). NOTICE every 10,000 cases. Returns the number of cases changed';
REVOKE ALL ON FUNCTION @extschema@.repair_cases(bigint[]) FROM PUBLIC;
-- Privileges (SPEC 11): what the extension grants on its own objects.
--
-- Design rules:
--  * Default deny.  PUBLIC gets nothing on the tables, views and sequences,
--    and EXECUTE on no entry point: every function is revoked here, after
--    all the other parts, so an entry point added later starts closed too.
--    Which application role may log, read MI or manage the registry is the
--    DBA's decision; the README ("Privileges: a recipe for three roles")
--    gives the GRANTs, and test/privileges_recipe.psql is that recipe,
--    tested verbatim.
--  * PUBLIC keeps EXECUTE on the reading functions of the registry
--    (event_codes, selectable_codes: registry.sql holds them to that) and on
--    the internal helpers below.  They run with the caller's rights, change
--    nothing and read only what the caller may read,
--    and PostgreSQL checks EXECUTE on them where a role cannot avoid calling
--    them: the MI views call _mi_seconds, _report_days and
--    _report_time_zone with the reader's rights, the index
--    log_cb1_requires_action_at evaluates _iso_time with the inserting
--    writer's rights, and register_event() validates with the _reg_*
--    functions and _check_function with the administrator's.
--  * The trigger functions stay revoked: CREATE TRIGGER needs EXECUTE, so no
--    one but the owner can attach them to a table of their own.
--  * pg_monitor keeps what 70_status.sql granted it (USAGE on the schema,
--    status() and status_json()).

REVOKE ALL ON ALL TABLES IN SCHEMA @extschema@ FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA @extschema@ FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA @extschema@ FROM PUBLIC;

GRANT EXECUTE ON FUNCTION
    @extschema@.event_codes(text),
    @extschema@.selectable_codes(text),
    @extschema@.library_version(),
    -- registry validation (register_event, with the caller's rights)
    @extschema@._check_function(text, text),
    @extschema@._reg_quote(text),
    @extschema@._reg_json(jsonb),
    @extschema@._reg_error(text, text, text, text),
    @extschema@._reg_check_name(text, text),
    @extschema@._reg_expect(text, text, jsonb, text[], text, text),
    @extschema@._reg_check_strings(text, text, jsonb, boolean, boolean, text),
    @extschema@._reg_check_function(text, text, text, text),
    @extschema@._reg_check_code(text, text, jsonb, text[], text[]),
    -- called by the MI views, and by the CB1 index
    @extschema@._report_time_zone(),
    @extschema@._mi_seconds(timestamptz, timestamptz),
    @extschema@._report_days(timestamptz, timestamptz),
    @extschema@._iso_time(text),
    -- read-only internals of status(), verify() and repair_cases()
    @extschema@._case_table_check(text, text[]),
    @extschema@._bound_case_table(),
    @extschema@._case_expected(bigint[]),
    @extschema@._case_batches(bigint[], integer),
    @extschema@._case_mismatches(bigint[]),
    @extschema@._status_sample(),
    @extschema@._check_library_version(),
    @extschema@._check_registry(),
    @extschema@._check_case_binding(),
    @extschema@._check_sampled_cases(text),
    @extschema@._check_stale_timers(),
    @extschema@._check_triggers()
TO PUBLIC;
