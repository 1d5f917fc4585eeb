-- The history import (README "Moving an existing cla_backend database"):
-- the service's own Django tables (cla_eventlog_log, timer_timer, with
-- django_content_type, call_centre_operator and cla_provider_staff when
-- they exist) brought into the log and the timers, keeping every id.
--
-- Design rules:
-- * History is stored as it was: the log triggers store an imported row as
--   given (_import_logs() in append_only.c, the sanctioned path), so no
--   de-duplication rule is applied again and no side effect is replayed:
--   the case table already holds its state.
-- * One place for the rules: _import_log_rows() and _import_timer_rows()
--   stage a batch of source rows with what each becomes, or why it cannot
--   be imported; the pre-check of on_problem => 'stop', the import and the
--   report all read that staging.
-- * Resumable and safe beside the running service: a row is new when its
--   id is not in the log yet (an anti-join, not a high-water mark, so a
--   row that commits late is still found), every run brings over what is
--   new, and the batches of concurrent runs are serialised by an advisory
--   lock.  A source timer that changed since it was imported (stopped,
--   cancelled, linked) is updated when the source row is the newer.

-- One row per run: who, when, from where, what it did.
CREATE SEQUENCE @extschema@.import_run_id_seq;
CREATE TABLE @extschema@.import_run (
    id              bigint PRIMARY KEY DEFAULT pg_catalog.nextval('@extschema@.import_run_id_seq'),
    started         timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    finished        timestamptz,
    run_by          text NOT NULL,
    source_schema   text NOT NULL,
    on_problem      text NOT NULL CHECK (on_problem IN ('report', 'stop')),
    logs_imported   bigint NOT NULL DEFAULT 0,
    timers_imported bigint NOT NULL DEFAULT 0,
    timers_updated  bigint NOT NULL DEFAULT 0,
    codes_registered integer NOT NULL DEFAULT 0,
    problems        bigint NOT NULL DEFAULT 0
);
ALTER SEQUENCE @extschema@.import_run_id_seq OWNED BY @extschema@.import_run.id;
COMMENT ON TABLE @extschema@.import_run IS
    'History import runs (import_history()): who ran each, when, from which schema, and what it imported; updated after every batch';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.import_run', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.import_run_id_seq', '');

-- The source rows that were not imported, and why: what the operator has
-- to decide.  A later run that imports the row removes it from here.
CREATE TABLE @extschema@.import_problem (
    source_table    text NOT NULL CHECK (source_table IN ('cla_eventlog_log', 'timer_timer')),
    source_id       bigint NOT NULL,
    reason          text NOT NULL,
    detail          text NOT NULL,
    run_id          bigint NOT NULL REFERENCES @extschema@.import_run (id),
    PRIMARY KEY (source_table, source_id)
);
COMMENT ON TABLE @extschema@.import_problem IS
    'Source rows the history import left out, with the reason (case_missing, timer_not_imported, timer_owner, context_not_object, json_invalid, content_type, code_ambiguous, code_unregistrable, id_taken, timer_cancelled_running, timer_stopped_before_created, timer_second_running)';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.import_problem', '');

-- Is the text a JSON value that jsonb can hold?  Without an error, so a
-- whole batch can be judged in one statement (C, import.c).
CREATE FUNCTION @extschema@._jsonb_storable(value text) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cel_jsonb_storable';
COMMENT ON FUNCTION @extschema@._jsonb_storable(text) IS
    'Internal: whether the text parses as JSON that jsonb can store (no \u0000, valid escapes); never raises';

-- Stores the staged log rows past the log's rules, as given (C,
-- append_only.c): pg_temp.cel_import_log's rows without a problem.
CREATE FUNCTION @extschema@._import_logs() RETURNS bigint
    LANGUAGE c VOLATILE
    AS 'MODULE_PATHNAME', 'cel_import_logs';
COMMENT ON FUNCTION @extschema@._import_logs() IS
    'Internal: inserts the rows of pg_temp.cel_import_log that have no problem into the log, stored as given (no rule, no side effect); only import_history() calls it';

-- The same for the staged new timers (pg_temp.cel_import_timer).
CREATE FUNCTION @extschema@._import_timers() RETURNS bigint
    LANGUAGE c VOLATILE
    AS 'MODULE_PATHNAME', 'cel_import_timers';
COMMENT ON FUNCTION @extschema@._import_timers() IS
    'Internal: inserts the new timers of pg_temp.cel_import_timer that have no problem, with their own times and links; only import_history() calls it';

-- The patch of a source row as the log stores it: a JSON string literal
-- whose content is JSON (what the producers stored) is unwrapped; anything
-- else is kept as it is, a string that is not JSON too.  No search_path of
-- its own, so that the planner inlines it into the staging query (a body
-- qualified throughout).
CREATE FUNCTION @extschema@._import_patch(patch json) RETURNS jsonb
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN CASE WHEN pg_catalog.json_typeof(patch) OPERATOR(pg_catalog.=) 'string'
                     AND @extschema@._jsonb_storable(patch OPERATOR(pg_catalog.#>>) '{}')
                THEN (patch OPERATOR(pg_catalog.#>>) '{}')::pg_catalog.jsonb
                ELSE patch::pg_catalog.jsonb END;
COMMENT ON FUNCTION @extschema@._import_patch(json) IS
    'Internal: a source patch as jsonb: a JSON string literal holding JSON is unwrapped, anything else kept as it is';

-- Which registered code a source row is, from what the source has: the
-- code string, its type and level, and the creator's roles (operator: a
-- row in call_centre_operator; specialist: one in cla_provider_staff).
-- Candidates are the codes with the string, live or retired; those with
-- the row's type and level are preferred, then those the creator's role
-- may log (a member's codes count, README "Registry").  More than one left
-- is a problem the import reports.  created_by_role is the creator's role,
-- or, for a creator with both, the one the chosen code is for.
CREATE FUNCTION @extschema@._import_resolve(code text, type text, level integer, roles text[],
                                            OUT event_key text, OUT created_by_role text,
                                            OUT problem text, OUT detail text)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    cands   text[];
    narrow  text[];
    fits    text[];
BEGIN
    SELECT array_agg(c.event_key ORDER BY c.event_key) INTO cands
      FROM @extschema@.code c WHERE c.code = _import_resolve.code;
    IF cands IS NULL THEN
        problem := 'code_unknown';
        RETURN;
    END IF;
    IF cardinality(cands) > 1 THEN
        SELECT array_agg(c.event_key ORDER BY c.event_key) INTO narrow
          FROM @extschema@.code c
         WHERE c.code = _import_resolve.code AND c.type = _import_resolve.type AND c.level = _import_resolve.level;
        cands := COALESCE(narrow, cands);
    END IF;
    IF cardinality(cands) > 1 AND cardinality(roles) > 0 THEN
        SELECT array_agg(c.event_key ORDER BY c.event_key) INTO narrow
          FROM @extschema@.code c
         WHERE c.code = _import_resolve.code AND c.event_key = ANY (cands)
           AND EXISTS (SELECT FROM unnest(roles) r
                        WHERE c.selectable_by = '{}' OR c.selectable_by && @extschema@._role_family(r));
        cands := COALESCE(narrow, cands);
    END IF;
    IF cardinality(cands) > 1 THEN
        problem := 'code_ambiguous';
        detail := format('code %s (type %s, level %s) by a creator who is %s could be event %s',
                         code, type, level,
                         COALESCE(NULLIF(array_to_string(roles, ' and '), ''), 'neither operator nor provider staff'),
                         array_to_string(cands, ' or '));
        RETURN;
    END IF;
    event_key := cands[1];
    IF cardinality(roles) = 1 THEN
        created_by_role := roles[1];
    ELSIF cardinality(roles) > 1 THEN
        SELECT array_agg(r ORDER BY r) INTO fits
          FROM unnest(roles) r, @extschema@.code c
         WHERE c.event_key = _import_resolve.event_key AND c.code = _import_resolve.code
           AND c.selectable_by && @extschema@._role_family(r);
        IF cardinality(fits) = 1 THEN
            created_by_role := fits[1];
        END IF;
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@._import_resolve(text, text, integer, text[]) IS
    'Internal: the event key and acting role of a source log row from its code, type, level and the creator''s roles; a problem (code_unknown, code_ambiguous) when they do not decide';

-- The event under which codes the registry does not know are registered
-- for the history that uses them: retired, so no new row can use them.
CREATE FUNCTION @extschema@._import_register_unknown(codes text[], types text[], levels integer[])
    RETURNS integer
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    n integer;
BEGIN
    INSERT INTO @extschema@.event AS e (key) VALUES ('imported') ON CONFLICT (key) DO NOTHING;
    INSERT INTO @extschema@.code AS c (event_key, code, type, level, selectable_by, description,
                                       stops_timer, retired)
    SELECT 'imported', u.code, u.type, u.level, '{}',
           'Imported from history: not in the registry when the history was imported', false, true
      FROM unnest(codes, types, levels) AS u(code, type, level)
     WHERE u.type IN ('outcome', 'system', 'event') AND u.level IN (11, 21, 29)
    ON CONFLICT (event_key, code) DO NOTHING;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
COMMENT ON FUNCTION @extschema@._import_register_unknown(text[], text[], integer[]) IS
    'Internal: registers codes found in history but not in the registry as retired codes of event "imported"; returns the number registered';

-- The source's tables, checked once per run: the schema, the two tables
-- with the columns the import reads, and which optional tables exist.
CREATE FUNCTION @extschema@._import_source(source_schema text,
                                           OUT has_content_types boolean, OUT has_operators boolean,
                                           OUT has_staff boolean)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    t       text;
    missing text;
BEGIN
    IF source_schema IS NULL THEN
        RAISE EXCEPTION 'source_schema must not be null'
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Name the schema that holds cla_eventlog_log and timer_timer.';
    END IF;
    IF to_regnamespace(quote_ident(source_schema)) IS NULL THEN
        RAISE EXCEPTION 'schema "%" does not exist', source_schema
            USING ERRCODE = 'invalid_schema_name', HINT = 'Name the schema that holds cla_eventlog_log and timer_timer.';
    END IF;
    FOR t, missing IN
        SELECT w.tab, string_agg(w.col, ', ' ORDER BY w.col)
          FROM (VALUES ('cla_eventlog_log', ARRAY['id', 'created', 'modified', 'case_id', 'timer_id', 'code', 'type',
                                                  'level', 'created_by_id', 'notes', 'patch', 'context',
                                                  'content_type_id', 'object_id']),
                       ('timer_timer', ARRAY['id', 'created', 'modified', 'stopped', 'linked_case_id', 'cancelled',
                                             'created_by_id'])) AS v(tab, cols),
               unnest(v.cols) AS w0(col)
          CROSS JOIN LATERAL (SELECT v.tab, w0.col) AS w
         WHERE NOT EXISTS (SELECT FROM pg_attribute a
                            WHERE a.attrelid = to_regclass(quote_ident(source_schema) || '.' || quote_ident(w.tab))
                              AND a.attname = w.col AND a.attnum > 0 AND NOT a.attisdropped)
         GROUP BY w.tab
    LOOP
        RAISE EXCEPTION '%.% is not a cla_backend table: it lacks %', source_schema, t, missing
            USING ERRCODE = 'undefined_column',
                  HINT = 'Name the schema of the Django tables cla_eventlog_log and timer_timer.';
    END LOOP;
    has_content_types := to_regclass(quote_ident(source_schema) || '.django_content_type') IS NOT NULL;
    has_operators := to_regclass(quote_ident(source_schema) || '.call_centre_operator') IS NOT NULL;
    has_staff := to_regclass(quote_ident(source_schema) || '.cla_provider_staff') IS NOT NULL;
END
$$;
COMMENT ON FUNCTION @extschema@._import_source(text) IS
    'Internal: checks the source schema of a history import (cla_eventlog_log and timer_timer with their columns) and reports which optional tables it has';

-- What the foreign keys of a batch's rows would lock, locked for the batch
-- at once: FOR KEY SHARE the rows of target whose key_column is one of the
-- distinct values of source_column among the source rows with ids in
-- [lo, hi) (as an array: an index scan of just those rows).  The service's
-- updates of those rows go on; a delete of one waits for the batch.
CREATE FUNCTION @extschema@._import_lock(target regclass, key_column text, source regclass,
                                         source_column text, lo bigint, hi bigint) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    n bigint;
BEGIN
    EXECUTE format($q$
        SELECT count(*) FROM (SELECT FROM %1$s t
                               WHERE t.%2$I = ANY (ARRAY(SELECT DISTINCT s.%4$I FROM %3$s s
                                                          WHERE s.id >= $1 AND s.id < $2 AND s.%4$I IS NOT NULL))
                                 FOR KEY SHARE OF t) x
        $q$, target, key_column, source, source_column)
    INTO n
    USING lo, hi;
    RETURN n;
END
$$;
COMMENT ON FUNCTION @extschema@._import_lock(regclass, text, regclass, text, bigint, bigint) IS
    'Internal: locks FOR KEY SHARE the target rows that the source rows with ids in [lo, hi) refer to through source_column, as their foreign keys would; returns the number locked';

-- Stage the source timers with ids in [lo, hi) that are new, or changed
-- and newer than the imported copy, into pg_temp.cel_import_timer, each
-- with its problem, if any.
CREATE FUNCTION @extschema@._import_timer_rows(source_schema text, lo bigint, hi bigint) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    SET client_min_messages = warning
    AS $$
DECLARE
    b   @extschema@.case_binding := @extschema@._require_binding();
    n   bigint;
BEGIN
    -- CREATE TABLE AS: the timer's columns without their NOT NULLs (a
    -- problem row may lack a value)
    CREATE TEMP TABLE IF NOT EXISTS cel_import_timer ON COMMIT DELETE ROWS AS
        SELECT t.*, NULL::boolean AS existing, NULL::text AS problem, NULL::text AS detail
          FROM @extschema@.timer t WITH NO DATA;
    TRUNCATE pg_temp.cel_import_timer;
    -- the linked cases, locked as the timer's foreign key would lock them
    -- (see _import_log_rows())
    PERFORM @extschema@._import_lock(format('%I.%I', b.case_schema, b.case_table)::regclass,
                                     COALESCE(b.columns ->> 'id', 'id'),
                                     format('%I.timer_timer', source_schema)::regclass, 'linked_case_id', lo, hi);
    EXECUTE format($q$
        INSERT INTO pg_temp.cel_import_timer
        SELECT s.id, s.created_by_id, s.created, s.stopped, s.linked_case_id, s.cancelled, s.modified,
               t.id IS NOT NULL,
               CASE WHEN s.cancelled AND s.stopped IS NULL THEN 'timer_cancelled_running'
                    WHEN s.stopped < s.created THEN 'timer_stopped_before_created'
                    WHEN s.linked_case_id IS NOT NULL AND c.%3$I IS NULL THEN 'case_missing'
               END,
               CASE WHEN s.cancelled AND s.stopped IS NULL THEN 'the timer is cancelled but has no stop time'
                    WHEN s.stopped < s.created THEN format('stopped %%s is before created %%s', s.stopped, s.created)
                    WHEN s.linked_case_id IS NOT NULL AND c.%3$I IS NULL
                    THEN format('linked case %%s is not in %%I.%%I', s.linked_case_id, %4$L, %5$L)
               END
          FROM %6$I.timer_timer s
          LEFT JOIN @extschema@.timer t ON t.id = s.id
          LEFT JOIN %1$I.%2$I c ON c.%3$I = s.linked_case_id
         WHERE s.id >= $1 AND s.id < $2
           AND (t.id IS NULL
                OR (s.modified > t.modified
                    AND (s.stopped, s.cancelled, s.linked_case_id) IS DISTINCT FROM (t.stopped, t.cancelled, t.linked_case)))
        $q$, b.case_schema, b.case_table, COALESCE(b.columns ->> 'id', 'id'), b.case_schema, b.case_table,
             source_schema)
    USING lo, hi;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
COMMENT ON FUNCTION @extschema@._import_timer_rows(text, bigint, bigint) IS
    'Internal: stages the new or changed source timers with ids in [lo, hi) into pg_temp.cel_import_timer, each with its problem';

-- Stage the new source log rows with ids in [lo, hi) into
-- pg_temp.cel_import_log: each as the log will store it, or with the
-- reason it cannot be imported.  When storing, codes the registry does not
-- know are registered first (retired, event "imported"), and a row's timer
-- must already be imported; the pre-check (store false) changes nothing and
-- counts a source timer without a problem as one that will be.  Returns
-- the codes registered.
CREATE FUNCTION @extschema@._import_log_rows(source_schema text, lo bigint, hi bigint, store boolean) RETURNS integer
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    SET client_min_messages = warning
    AS $$
DECLARE
    b       @extschema@.case_binding := @extschema@._require_binding();
    has_ct  boolean;
    has_op  boolean;
    has_sp  boolean;
    users   text;
    ctypes  text;
    reg     integer := 0;
BEGIN
    SELECT x.has_content_types, x.has_operators, x.has_staff INTO has_ct, has_op, has_sp
      FROM @extschema@._import_source(source_schema) x;
    CREATE TEMP TABLE IF NOT EXISTS cel_import_log ON COMMIT DELETE ROWS AS
        SELECT l.*, NULL::text AS problem, NULL::text AS detail FROM @extschema@.log l WITH NO DATA;
    CREATE TEMP TABLE IF NOT EXISTS cel_import_combo (
        code text, type text, level integer, roles text[],
        event_key text, created_by_role text, problem text, detail text) ON COMMIT DELETE ROWS;
    TRUNCATE pg_temp.cel_import_log, pg_temp.cel_import_combo;

    -- who is who: the creator's roles from the operator and staff tables
    users := format('SELECT u.user_id, array_agg(u.role ORDER BY u.role) AS roles FROM (%s UNION ALL %s) u GROUP BY u.user_id',
                    CASE WHEN has_op
                         THEN format('SELECT o.user_id, %L::text AS role FROM %I.call_centre_operator o', 'operator', source_schema)
                         ELSE 'SELECT NULL::integer, NULL::text WHERE false' END,
                    CASE WHEN has_sp
                         THEN format('SELECT p.user_id, %L::text FROM %I.cla_provider_staff p', 'specialist', source_schema)
                         ELSE 'SELECT NULL::integer, NULL::text WHERE false' END);
    ctypes := CASE WHEN has_ct
                   THEN format('SELECT ct.id, ct.app_label || %L || ct.model AS name FROM %I.django_content_type ct', '.', source_schema)
                   ELSE 'SELECT NULL::integer AS id, NULL::text AS name WHERE false' END;

    -- What the log's foreign keys would lock for each row, locked for the
    -- batch at once (FOR KEY SHARE: the service's updates of its cases go
    -- on; a delete of one waits): the rows are then stored without those
    -- checks (_import_logs()), and a case or timer found here stays.
    IF store THEN
        PERFORM @extschema@._import_lock(format('%I.%I', b.case_schema, b.case_table)::regclass,
                                         COALESCE(b.columns ->> 'id', 'id'),
                                         format('%I.cla_eventlog_log', source_schema)::regclass, 'case_id', lo, hi);
        PERFORM @extschema@._import_lock('@extschema@.timer', 'id',
                                         format('%I.cla_eventlog_log', source_schema)::regclass, 'timer_id', lo, hi);
    END IF;

    -- the distinct (code, type, level, roles) of the batch, resolved once each
    EXECUTE format($q$
        INSERT INTO pg_temp.cel_import_combo (code, type, level, roles)
        SELECT DISTINCT s.code, s.type, s.level, COALESCE(u.roles, '{}')
          FROM %1$I.cla_eventlog_log s
          LEFT JOIN (%2$s) u ON u.user_id = s.created_by_id
         WHERE s.id >= $1 AND s.id < $2
           AND NOT EXISTS (SELECT FROM @extschema@.log l WHERE l.id = s.id AND l.id >= $1 AND l.id < $2)
        $q$, source_schema, users)
    USING lo, hi;
    ANALYZE pg_temp.cel_import_combo;     -- (so that the planner joins it knowing its size)
    -- codes history has and the registry does not: registered, retired,
    -- with the type and level their rows have most
    IF store THEN
        SELECT @extschema@._import_register_unknown(array_agg(m.code), array_agg(m.type), array_agg(m.level)) INTO reg
          FROM (SELECT DISTINCT ON (c.code) c.code, c.type, c.level
                  FROM pg_temp.cel_import_combo c
                 WHERE NOT EXISTS (SELECT FROM @extschema@.code r WHERE r.code = c.code)
                   AND c.type IN ('outcome', 'system', 'event') AND c.level IN (11, 21, 29)
                 GROUP BY c.code, c.type, c.level
                 ORDER BY c.code, count(*) DESC, c.type, c.level) m;
    END IF;
    -- (a code still unknown is one the pre-check would register, or one
    -- whose rows have no type and level a code can have)
    UPDATE pg_temp.cel_import_combo c
       SET event_key = COALESCE(r.event_key, CASE WHEN r.problem = 'code_unknown' THEN 'imported' END),
           created_by_role = CASE WHEN r.problem = 'code_unknown' AND cardinality(c.roles) = 1 THEN c.roles[1]
                                  ELSE r.created_by_role END,
           problem = CASE WHEN r.problem IS DISTINCT FROM 'code_unknown' THEN r.problem
                          WHEN c.type NOT IN ('outcome', 'system', 'event') OR c.level NOT IN (11, 21, 29)
                          THEN 'code_unregistrable' END,
           detail = CASE WHEN r.problem IS DISTINCT FROM 'code_unknown' THEN r.detail
                         WHEN c.type NOT IN ('outcome', 'system', 'event') OR c.level NOT IN (11, 21, 29)
                         THEN format('code %s is not registered, and type %s with level %s is not one a code can have',
                                     c.code, c.type, c.level) END
      FROM (SELECT k.ctid AS tid, x.* FROM pg_temp.cel_import_combo k,
                   LATERAL @extschema@._import_resolve(k.code, k.type, k.level, k.roles) x) r
     WHERE c.ctid = r.tid;

    -- the rows, each as the log stores it or with its problem (the first
    -- that applies)
    EXECUTE format($q$
        INSERT INTO pg_temp.cel_import_log
        SELECT s.id, s.case_id, s.timer_id, m.event_key, s.code, s.type, s.level, s.created_by_id,
               m.created_by_role, s.notes,
               CASE WHEN p.problem IS NULL THEN @extschema@._import_patch(s.patch) END,
               CASE WHEN p.problem IS NULL THEN s.context::jsonb END,
               ct.name, s.object_id, s.created, s.modified,
               p.problem, p.detail
          FROM %1$I.cla_eventlog_log s
          LEFT JOIN (%2$s) u ON u.user_id = s.created_by_id
          JOIN pg_temp.cel_import_combo m
            ON m.code = s.code AND m.type = s.type AND m.level = s.level AND m.roles = COALESCE(u.roles, '{}')
          LEFT JOIN (%3$s) ct ON ct.id = s.content_type_id
          LEFT JOIN %4$I.%5$I c ON c.%6$I = s.case_id
          LEFT JOIN %9$s t ON t.id = s.timer_id
          CROSS JOIN LATERAL (
              SELECT CASE
                  WHEN c.%6$I IS NULL THEN 'case_missing'
                  WHEN s.timer_id IS NOT NULL AND t.id IS NULL THEN 'timer_not_imported'
                  WHEN t.created_by <> s.created_by_id THEN 'timer_owner'
                  WHEN json_typeof(s.context) <> 'object' THEN 'context_not_object'
                  -- (json that jsonb cannot hold has a \u escape: only those are parsed again)
                  WHEN (strpos(s.context::text, '\u') > 0 AND NOT @extschema@._jsonb_storable(s.context::text))
                       OR (strpos(s.patch::text, '\u') > 0 AND NOT @extschema@._jsonb_storable(s.patch::text))
                  THEN 'json_invalid'
                  WHEN (s.content_type_id IS NULL) <> (s.object_id IS NULL)
                       OR (s.content_type_id IS NOT NULL AND ct.id IS NULL) THEN 'content_type'
                  ELSE m.problem
              END AS problem) p0
          CROSS JOIN LATERAL (
              SELECT p0.problem,
                     CASE p0.problem
                         WHEN 'case_missing' THEN format('case %%s is not in %%I.%%I', s.case_id, %7$L, %8$L)
                         WHEN 'timer_not_imported' THEN format('its timer %%s is not imported (see its own problem)', s.timer_id)
                         WHEN 'timer_owner' THEN format('its timer %%s belongs to user %%s, the log to user %%s',
                                                        s.timer_id, t.created_by, s.created_by_id)
                         WHEN 'context_not_object' THEN format('context is a JSON %%s, not an object', json_typeof(s.context))
                         WHEN 'json_invalid' THEN 'context or patch is JSON that jsonb cannot store (\u0000 or a bad escape)'
                         WHEN 'content_type' THEN format('content_type_id %%s with object_id %%s', s.content_type_id, s.object_id)
                         ELSE m.detail
                     END AS detail) p
         WHERE s.id >= $1 AND s.id < $2
           AND NOT EXISTS (SELECT FROM @extschema@.log l WHERE l.id = s.id AND l.id >= $1 AND l.id < $2)
        $q$, source_schema, users, ctypes, b.case_schema, b.case_table, COALESCE(b.columns ->> 'id', 'id'),
             b.case_schema, b.case_table,
             -- a row's timer: imported; for the pre-check also a source
             -- timer that will be (not imported yet, no problem listed)
             CASE WHEN store THEN '@extschema@.timer'
                  ELSE format($t$(SELECT t.id, t.created_by FROM @extschema@.timer t
                                  UNION ALL
                                  SELECT st.id, st.created_by_id FROM %I.timer_timer st
                                   WHERE NOT EXISTS (SELECT FROM @extschema@.timer t WHERE t.id = st.id)
                                     AND NOT EXISTS (SELECT FROM @extschema@.import_problem p
                                                      WHERE p.source_table = 'timer_timer' AND p.source_id = st.id))$t$,
                              source_schema) END)
    USING lo, hi;
    RETURN reg;
END
$$;
COMMENT ON FUNCTION @extschema@._import_log_rows(text, bigint, bigint, boolean) IS
    'Internal: stages the new source log rows with ids in [lo, hi) into pg_temp.cel_import_log, each as the log stores it or with its problem; registers unknown codes first; returns the number registered';

-- Record problems of one run: the one way rows get into import_problem (a
-- row listed before gets this run's reason).
CREATE FUNCTION @extschema@._import_note(run_id bigint, source_table text, ids bigint[],
                                         reasons text[], details text[]) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    n bigint;
BEGIN
    INSERT INTO @extschema@.import_problem AS p (source_table, source_id, reason, detail, run_id)
    SELECT _import_note.source_table, u.id, u.reason, u.detail, _import_note.run_id
      FROM unnest(ids, reasons, details) AS u(id, reason, detail)
    ON CONFLICT ON CONSTRAINT import_problem_pkey DO UPDATE
        SET reason = excluded.reason, detail = excluded.detail, run_id = excluded.run_id;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
COMMENT ON FUNCTION @extschema@._import_note(bigint, text, bigint[], text[], text[]) IS
    'Internal: records source rows (ids, reasons, details in step) of a table as problems of a history-import run';

-- Rows of the source log whose id the log already holds for another row:
-- never imported, never silently taken as imported.
CREATE FUNCTION @extschema@._import_id_clashes(source_schema text, lo bigint, hi bigint,
                                               run_id bigint) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    ids     bigint[];
    details text[];
BEGIN
    -- (the first import of a range: no id of it in the log yet)
    IF NOT EXISTS (SELECT FROM @extschema@.log l WHERE l.id >= lo AND l.id < hi) THEN
        RETURN 0;
    END IF;
    EXECUTE format($q$
        SELECT array_agg(s.id),
               array_agg(format('log id %%s already holds another row (case %%s, code %%s, created %%s)',
                                l.id, l.case_id, l.code, l.created))
          FROM %I.cla_eventlog_log s
          JOIN @extschema@.log l ON l.id = s.id
         WHERE s.id >= $1 AND s.id < $2
           AND (l.case_id, l.code, l.created) IS DISTINCT FROM (s.case_id::bigint, s.code::text, s.created)
        $q$, source_schema)
    INTO ids, details
    USING lo, hi;
    IF ids IS NULL THEN
        RETURN 0;
    END IF;
    RETURN @extschema@._import_note(run_id, 'cla_eventlog_log', ids, array_fill('id_taken'::text, ARRAY[cardinality(ids)]), details);
END
$$;
COMMENT ON FUNCTION @extschema@._import_id_clashes(text, bigint, bigint, bigint) IS
    'Internal: records as problems (id_taken) the source log rows in [lo, hi) whose id the log holds for a different row';

-- One batch of each kind: stage, record the problems, store the rest.
-- With store false (the pre-check of on_problem => 'stop') only the
-- problems are recorded.  The advisory lock serialises the batches of
-- concurrent runs, so each sees what the other stored.
CREATE FUNCTION @extschema@._import_batch(run_id bigint, source_schema text, what text,
                                          lo bigint, hi bigint, store boolean,
                                          OUT stored bigint, OUT updated bigint, OUT problems bigint,
                                          OUT registered integer)
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    tab text := CASE what WHEN 'timers' THEN 'timer_timer' ELSE 'cla_eventlog_log' END;
BEGIN
    PERFORM pg_advisory_xact_lock('@extschema@.import_run'::regclass::oid::bigint);
    stored := 0; updated := 0; registered := 0;
    IF what = 'timers' THEN
        PERFORM @extschema@._import_timer_rows(source_schema, lo, hi);
        IF store THEN
            -- the changes first: a user's timer stopped at the source
            -- makes room for the one the user started next
            UPDATE @extschema@.timer t
               SET stopped = s.stopped, cancelled = s.cancelled, linked_case = s.linked_case, modified = s.modified
              FROM pg_temp.cel_import_timer s
             WHERE s.id = t.id AND s.problem IS NULL AND s.existing;
            GET DIAGNOSTICS updated = ROW_COUNT;
        END IF;
        -- a second running timer of a user (its first not yet stopped
        -- here: a later run imports it once the stop has come over)
        UPDATE pg_temp.cel_import_timer s
           SET problem = 'timer_second_running',
               detail = format('user %s already has running timer %s', s.created_by, r.id)
          FROM @extschema@.timer r
         WHERE s.problem IS NULL AND NOT s.existing AND s.stopped IS NULL
           AND r.created_by = s.created_by AND r.stopped IS NULL AND r.id <> s.id;
        SELECT @extschema@._import_note(_import_batch.run_id, tab, array_agg(s.id), array_agg(s.problem), array_agg(s.detail))
          INTO problems
          FROM pg_temp.cel_import_timer s WHERE s.problem IS NOT NULL;
        IF store THEN
            stored := @extschema@._import_timers();
        END IF;
    ELSE
        registered := @extschema@._import_log_rows(source_schema, lo, hi, store);
        SELECT @extschema@._import_note(_import_batch.run_id, tab, array_agg(s.id), array_agg(s.problem), array_agg(s.detail))
          INTO problems
          FROM pg_temp.cel_import_log s WHERE s.problem IS NOT NULL;
        problems := problems + @extschema@._import_id_clashes(source_schema, lo, hi, run_id);
        IF store THEN
            stored := @extschema@._import_logs();
        END IF;
    END IF;
    -- what is now imported, with no problem staged for it, is no longer a
    -- problem
    IF store THEN
        DELETE FROM @extschema@.import_problem p
         WHERE p.source_table = tab AND p.source_id >= lo AND p.source_id < hi
           AND p.reason <> 'id_taken'
           AND CASE WHEN what = 'timers'
                    THEN EXISTS (SELECT FROM @extschema@.timer t WHERE t.id = p.source_id)
                         AND NOT EXISTS (SELECT FROM pg_temp.cel_import_timer s
                                          WHERE s.id = p.source_id AND s.problem IS NOT NULL)
                    ELSE EXISTS (SELECT FROM @extschema@.log l WHERE l.id = p.source_id) END;
    END IF;
    UPDATE @extschema@.import_run r
       SET logs_imported = r.logs_imported + CASE WHEN what = 'logs' THEN _import_batch.stored ELSE 0 END,
           timers_imported = r.timers_imported + CASE WHEN what = 'timers' THEN _import_batch.stored ELSE 0 END,
           timers_updated = r.timers_updated + _import_batch.updated,
           codes_registered = r.codes_registered + _import_batch.registered,
           problems = r.problems + _import_batch.problems
     WHERE r.id = _import_batch.run_id;
END
$$;
COMMENT ON FUNCTION @extschema@._import_batch(bigint, text, text, bigint, bigint, boolean) IS
    'Internal: one history-import batch of timers or logs with ids in [lo, hi): stages, records problems, stores the rest unless store is false';

-- The batches a run covers: timers, then logs, each in id ranges of
-- batch_size over the source's ids as of now, with how far each gets.
CREATE FUNCTION @extschema@._import_batches(source_schema text, batch_size integer)
    RETURNS TABLE (what text, lo bigint, hi bigint, done bigint, total bigint)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    first   bigint;
    last    bigint;
BEGIN
    FOREACH what IN ARRAY ARRAY['timers', 'logs'] LOOP
        EXECUTE format('SELECT min(id), max(id) + 1 FROM %I.%I', source_schema,
                       CASE what WHEN 'timers' THEN 'timer_timer' ELSE 'cla_eventlog_log' END)
           INTO first, last;
        CONTINUE WHEN first IS NULL;
        RETURN QUERY
            SELECT what, g, LEAST(g + batch_size, last), LEAST(g + batch_size, last) - first, last - first
              FROM generate_series(first, last - 1, batch_size) g;
    END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@._import_batches(text, integer) IS
    'Internal: the id ranges [lo, hi) of a history import''s batches, timers then logs, with the ids covered so far and in all';

-- After the batches: the sequences past every imported id, the run closed.
CREATE FUNCTION @extschema@._import_finish(run_id bigint) RETURNS @extschema@.import_run
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    r @extschema@.import_run;
BEGIN
    PERFORM setval('@extschema@.log_id_seq', m.id)
       FROM (SELECT max(l.id) AS id FROM @extschema@.log l) m, @extschema@.log_id_seq s
      WHERE m.id IS NOT NULL AND (NOT s.is_called OR s.last_value < m.id);
    PERFORM setval('@extschema@.timer_id_seq', m.id)
       FROM (SELECT max(t.id) AS id FROM @extschema@.timer t) m, @extschema@.timer_id_seq s
      WHERE m.id IS NOT NULL AND (NOT s.is_called OR s.last_value < m.id);
    UPDATE @extschema@.import_run AS x
       SET finished = clock_timestamp(),
           problems = (SELECT count(*) FROM @extschema@.import_problem p)
     WHERE x.id = run_id
    RETURNING * INTO r;
    RETURN r;
END
$$;
COMMENT ON FUNCTION @extschema@._import_finish(bigint) IS
    'Internal: moves log_id_seq and timer_id_seq past the imported ids and closes the run (problems: what is still outstanding)';

-- The import itself: a procedure, so that each batch commits (progress is
-- visible in import_run, an interrupted run keeps what it did, and the
-- next run resumes).  Call it outside a transaction block.
CREATE PROCEDURE @extschema@.import_history(source_schema text DEFAULT 'public',
                                            on_problem text DEFAULT 'report',
                                            batch_size integer DEFAULT 50000)
    LANGUAGE plpgsql
    AS $$
DECLARE
    run     bigint;
    b       record;
    t0      timestamptz;
    r       @extschema@.import_run;
BEGIN
    PERFORM @extschema@._require_own_transactions('import_history()');
    IF on_problem IS NULL OR on_problem OPERATOR(pg_catalog.<>) ALL (ARRAY['report', 'stop']) THEN
        RAISE EXCEPTION 'on_problem must be ''report'' or ''stop'', not %', COALESCE(pg_catalog.quote_literal(on_problem), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = '''report'' imports what it can and lists the rest in cla_eventlog.import_problem; ''stop'' imports nothing while any row has a problem.';
    END IF;
    IF batch_size IS NULL OR batch_size OPERATOR(pg_catalog.<) 1 THEN
        RAISE EXCEPTION 'batch_size must be a positive number of rows, not %', COALESCE(batch_size::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM @extschema@._import_source(source_schema);
    PERFORM @extschema@._require_binding();
    INSERT INTO @extschema@.import_run (run_by, source_schema, on_problem)
    VALUES (@extschema@._caller(), source_schema, on_problem)
    RETURNING id INTO run;
    COMMIT;

    -- on_problem => 'stop': every row is judged before any is stored
    IF on_problem OPERATOR(pg_catalog.=) 'stop' THEN
        FOR b IN SELECT x.what, x.lo, x.hi FROM @extschema@._import_batches(source_schema, batch_size) x LOOP
            PERFORM @extschema@._import_batch(run, source_schema, b.what, b.lo, b.hi, false);
        END LOOP;
        COMMIT;
        IF EXISTS (SELECT FROM @extschema@.import_problem p WHERE p.run_id OPERATOR(pg_catalog.=) run) THEN
            r := @extschema@._import_finish(run);
            COMMIT;
            RAISE EXCEPTION 'history import stopped: % source rows cannot be imported', r.problems
                USING ERRCODE = 'data_exception',
                      DETAIL = pg_catalog.format('Run %s imported nothing.', run),
                      HINT = 'See cla_eventlog.import_problem for each row and its reason; fix the source, or run with on_problem => ''report'' to import the rest.';
        END IF;
    END IF;

    -- timers first (log rows name them), each batch committed
    t0 := pg_catalog.clock_timestamp();
    FOR b IN SELECT x.what, x.lo, x.hi, x.done, x.total FROM @extschema@._import_batches(source_schema, batch_size) x LOOP
        PERFORM @extschema@._import_batch(run, source_schema, b.what, b.lo, b.hi, true);
        COMMIT;
        RAISE NOTICE 'import_history: % ids % of % (% %%), % s',
            b.what, b.done, b.total, (100 OPERATOR(pg_catalog.*) b.done OPERATOR(pg_catalog./) b.total),
            pg_catalog.round(pg_catalog.date_part('epoch', pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) t0)::numeric, 1);
    END LOOP;
    r := @extschema@._import_finish(run);
    COMMIT;
    RAISE NOTICE 'import_history: run % imported % logs and % timers (% timers updated, % codes registered); % rows have problems (cla_eventlog.import_problem)',
        run, r.logs_imported, r.timers_imported, r.timers_updated, r.codes_registered, r.problems;
END
$$;
COMMENT ON PROCEDURE @extschema@.import_history(text, text, integer) IS
    'Imports cla_backend''s history (cla_eventlog_log, timer_timer in source_schema) into the log and the timers, keeping ids, in committed batches; resumable; problem rows are listed in import_problem (on_problem => ''stop'': nothing is imported while there are any)';
