-- The registry API (README "Registry"): registering and retiring events,
-- the roles codes may name, and reading the registry (the codes view,
-- event_codes(), selectable_codes()).
--
-- Design rules:
-- * register_event() validates everything before it writes anything, so
--   the first failure wins and a failed call stores nothing.  Validation
--   loops over the codes (20_registry_validation.sql: clear errors);
--   storing is set-based (one INSERT ... ON CONFLICT from jsonb_each, one
--   UPDATE to retire), so 10,000 codes in one call take well under a few
--   seconds.
-- * Registration order: reg_order comes from a sequence.  jsonb does not
--   remember the order in which object keys were written, so within one
--   call the new codes are numbered in code order (bytewise, COLLATE "C"),
--   and they are validated in that order too.  Use "order" when the display
--   order matters.
-- * The registry tables fire a statement trigger (11_internal.sql) that
--   invalidates every backend's registry cache, so nothing here has to.
-- * SQLSTATEs: 22004 for a NULL argument, 22023 for a bad value, 42704 for
--   an unregistered event.

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
        RAISE EXCEPTION 'codes must not be null'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Give a JSON object of code definitions, for example {"CB1": {...}}.';
    ELSIF pg_catalog.jsonb_typeof(codes) <> 'object' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('invalid codes: expected an object, got %s', @extschema@._reg_json(codes)),
            HINT = 'Give a JSON object of code definitions, for example {"CB1": {...}}.';
    ELSIF codes = '{}' THEN
        RAISE EXCEPTION 'invalid codes: the object is empty'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'An event has one or more codes.',
                  HINT = 'To retire every code of an event, call cla_eventlog.unregister_event().';
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
        RAISE EXCEPTION 'event key must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    -- Lock the event row like register_event() does.
    PERFORM FROM @extschema@.event AS e
      WHERE e.key = unregister_event.event_key
      FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'undefined_object',
            MESSAGE = pg_catalog.format('event %s is not registered', @extschema@._reg_quote(event_key));
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

-- The name of a level (29 HIGH, 21 MODERATE, 11 MINOR), NULL for another
-- number: the codes view and case_history() show it.  Inlined; its body is
-- parsed once, at creation, so no caller's search_path reaches it.
CREATE FUNCTION @extschema@._level_name(level integer) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN level OPERATOR(pg_catalog.=) 29 THEN 'HIGH'
                WHEN level OPERATOR(pg_catalog.=) 21 THEN 'MODERATE'
                WHEN level OPERATOR(pg_catalog.=) 11 THEN 'MINOR' END;
COMMENT ON FUNCTION @extschema@._level_name(integer) IS
    'Internal: the name of a level (HIGH, MODERATE, MINOR)';

CREATE VIEW @extschema@.codes AS
SELECT c.event_key,
       c.code,
       c.type,
       c.level,
       @extschema@._level_name(c.level) AS level_name,
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

-- Role membership (README "Registry"): a role acts as itself and as every
-- role it is a member of, transitively.  _role_lineage() goes up (what a
-- role may log), _role_family() goes down (whom MI counts as a role); an
-- unregistered role has neither.  add_role() refuses a membership that
-- would make a cycle; the depth bound only keeps a hand-edited table from
-- looping.  SECURITY DEFINER: role names are
-- no secret, and the MI views and a writer's event_codes() read them
-- without SELECT on the role table.
CREATE FUNCTION @extschema@._role_lineage(role text) RETURNS text[]
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    BEGIN ATOMIC
        WITH RECURSIVE up(name, member_of, depth) AS (
            SELECT r.name, r.member_of, 1 FROM @extschema@.role r WHERE r.name = _role_lineage.role
            UNION ALL
            SELECT r.name, r.member_of, up.depth + 1
              FROM up JOIN @extschema@.role r ON r.name = up.member_of
             WHERE up.depth < 64)
        SELECT COALESCE(array_agg(up.name ORDER BY up.depth), '{}') FROM up;
    END;
COMMENT ON FUNCTION @extschema@._role_lineage(text) IS
    'Internal: the role and every role it is a member of, nearest first; empty for an unregistered role';

CREATE FUNCTION @extschema@._role_family(role text) RETURNS text[]
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    BEGIN ATOMIC
        WITH RECURSIVE down(name, depth) AS (
            SELECT r.name, 1 FROM @extschema@.role r WHERE r.name = _role_family.role
            UNION ALL
            SELECT r.name, down.depth + 1
              FROM down JOIN @extschema@.role r ON r.member_of = down.name
             WHERE down.depth < 64)
        SELECT COALESCE(array_agg(down.name ORDER BY down.name), '{}') FROM down;
    END;
COMMENT ON FUNCTION @extschema@._role_family(text) IS
    'Internal: the role and every role that is a member of it, transitively (MI counts them all as the role); empty for an unregistered role';

CREATE FUNCTION @extschema@.event_codes(event_key text, role text DEFAULT NULL)
    RETURNS SETOF @extschema@.codes
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    lineage text[];
BEGIN
    IF event_key IS NULL THEN
        RAISE EXCEPTION 'event key must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NOT EXISTS (SELECT FROM @extschema@.event AS e WHERE e.key = event_codes.event_key) THEN
        RAISE EXCEPTION USING ERRCODE = 'undefined_object',
            MESSAGE = pg_catalog.format('event %s is not registered', @extschema@._reg_quote(event_key));
    END IF;
    IF role IS NOT NULL THEN
        lineage := @extschema@._role_lineage(role);
        IF lineage = '{}' THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = pg_catalog.format('role %s is not registered', @extschema@._reg_quote(role)),
                HINT = 'Registered roles are in cla_eventlog.role; an application adds its own with cla_eventlog.add_role().';
        END IF;
    END IF;
    RETURN QUERY
        SELECT v.*
          FROM @extschema@.codes AS v
          JOIN @extschema@.code AS c ON c.event_key = v.event_key AND c.code = v.code
         WHERE c.event_key = event_codes.event_key
           AND NOT c.retired
           AND (lineage IS NULL OR c.selectable_by = '{}' OR c.selectable_by && lineage)
         ORDER BY c.sort_order, c.reg_order;
END;
$$;
COMMENT ON FUNCTION @extschema@.event_codes(text, text) IS
    'The live codes of an event in display order ("order", then registration order); given a role, only the codes it may log (selectable_by empty, or naming the role or a role it is a member of)';

CREATE FUNCTION @extschema@.selectable_codes(role text)
    RETURNS TABLE (event_key text, code text, description text, sort_order integer)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    lineage text[];
BEGIN
    IF role IS NULL THEN
        RAISE EXCEPTION 'role must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    lineage := @extschema@._role_lineage(role);
    RETURN QUERY
        SELECT c.event_key, c.code, c.description, c.sort_order
          FROM @extschema@.code AS c
         WHERE NOT c.retired
           AND c.type = 'outcome'
           AND c.selectable_by && lineage
         ORDER BY c.event_key, c.sort_order, c.reg_order;
END;
$$;
COMMENT ON FUNCTION @extschema@.selectable_codes(text) IS
    'Live outcome codes whose selectable_by names the role or a role it is a member of (codes open to anyone are not listed), by event and display order';

CREATE FUNCTION @extschema@.add_role(name text, member_of text DEFAULT NULL) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    n       integer;
BEGIN
    PERFORM @extschema@._reg_check_name('role', name);
    IF member_of IS NOT NULL THEN
        -- one membership change at a time, so that two cannot make a cycle
        -- together; logging only reads the table and is not blocked
        LOCK TABLE @extschema@.role IN SHARE ROW EXCLUSIVE MODE;
        IF NOT EXISTS (SELECT FROM @extschema@.role AS r WHERE r.name = add_role.member_of) THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = pg_catalog.format('role %s is not registered', @extschema@._reg_quote(member_of)),
                HINT = pg_catalog.format('Add %s first; a role can only be a member of a registered role.',
                                         @extschema@._reg_quote(member_of));
        END IF;
        IF name = ANY (@extschema@._role_lineage(member_of)) THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = pg_catalog.format('role %s cannot be a member of %s', @extschema@._reg_quote(name),
                                            @extschema@._reg_quote(member_of)),
                DETAIL = pg_catalog.format('%s already acts as %s: %s.', @extschema@._reg_quote(member_of),
                                           @extschema@._reg_quote(name),
                                           pg_catalog.array_to_string(@extschema@._role_lineage(member_of), ' -> ')),
                HINT = 'Memberships may not form a cycle.';
        END IF;
    END IF;
    -- a given member_of is set (also on an existing role); none leaves an
    -- existing role's membership as it is
    INSERT INTO @extschema@.role AS r (name, member_of) VALUES (add_role.name, add_role.member_of)
    ON CONFLICT ON CONSTRAINT role_pkey DO UPDATE
        SET member_of = excluded.member_of
        WHERE excluded.member_of IS NOT NULL AND r.member_of IS DISTINCT FROM excluded.member_of;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n > 0;
END;
$$;
COMMENT ON FUNCTION @extschema@.add_role(text, text) IS
    'Adds a role that codes may name in selectable_by, or makes an existing role a member of member_of (it may then log that role''s codes, and MI counts it as that role); returns false when nothing changed';

-- Administrative: changing the registry is for the database owner's roles.
REVOKE ALL ON FUNCTION @extschema@.register_event(text, jsonb, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.unregister_event(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.add_role(text, text) FROM PUBLIC;
