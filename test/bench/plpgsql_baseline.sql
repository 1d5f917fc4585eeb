-- "What a DBA would write": the rules of the log's C triggers (README "Logging",
-- "Side effects", "Timers") in plain PL/pgSQL, on copies of the log and timer tables,
-- for the reference application's case table.  The benchmark compares
-- log_event with log_event_plpgsql (workloads 2 and 3).  Loaded by
-- setup.sql after the reference application is bound.
--
--   bench.plpgsql_timer       cla_eventlog.timer's shape (indexes included:
--                             one running timer per user, billable index)
--   bench.plpgsql_log         cla_eventlog.log's shape, its indexes, foreign
--                             keys to the case table and to plpgsql_timer;
--                             ids from the log's own sequence, so the "newer
--                             outcome" test compares ids of one sequence
--   bench._plpgsql_log_before BEFORE INSERT: registry lookup (event key filled
--                             when unambiguous, live, type/level filled or
--                             checked), role check, running timer (or the
--                             given timer's owner), case lock, once_per,
--                             same-day debounce
--   bench._plpgsql_log_after  AFTER INSERT: stop timer + billable sum,
--                             requires-action-by, case columns, outcome
--                             denormalisation (only when newer), one UPDATE
--   bench.start_timer_plpgsql get-or-create, as cla_eventlog.start_timer
--   bench.log_event_plpgsql   code choice (resolver / only code), INSERT
--
-- Written straightforwardly but competently: schema-qualified, one UPDATE
-- of the case row, the same indexes as the extension, the case locked only
-- when the row writes to it or may be a duplicate.  The case table and its
-- column names are hard-coded (a DBA writes for one application), the
-- context / content checks and NOT NULLs are left to the table's
-- constraints, case existence to the foreign key.  Not SECURITY DEFINER
-- (no per-call search_path switch): that only flatters the baseline.
SET client_min_messages = warning;
CREATE SCHEMA IF NOT EXISTS bench;

CREATE TABLE bench.plpgsql_timer (LIKE cla_eventlog.timer INCLUDING ALL);
ALTER TABLE bench.plpgsql_timer
    ADD FOREIGN KEY (linked_case) REFERENCES cla_reference.legalaid_case (id);

CREATE TABLE bench.plpgsql_log (LIKE cla_eventlog.log INCLUDING ALL);
-- (a DBA's table takes nextval; the log's _log_id() belongs to its trigger)
ALTER TABLE bench.plpgsql_log
    ALTER COLUMN id SET DEFAULT pg_catalog.nextval('cla_eventlog.log_id_seq'),
    ADD FOREIGN KEY (case_id) REFERENCES cla_reference.legalaid_case (id),
    ADD FOREIGN KEY (timer_id) REFERENCES bench.plpgsql_timer (id);

CREATE FUNCTION bench._plpgsql_log_before() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    c       cla_eventlog.code;
    keys    text[];
    owner   bigint;
    prev    record;
    tz      text;
    hi      boolean;
BEGIN
    -- registry: the event key is filled when the code is unambiguous
    IF NEW.event_key IS NULL THEN
        SELECT array_agg(k.event_key ORDER BY k.event_key) INTO keys
          FROM cla_eventlog.code k WHERE k.code = NEW.code AND NOT k.retired;
        IF keys IS NULL THEN
            RAISE EXCEPTION 'code "%" is not a live code of any event', NEW.code
                USING ERRCODE = 'undefined_object';
        ELSIF cardinality(keys) > 1 THEN
            RAISE EXCEPTION 'code "%" is ambiguous', NEW.code
                USING ERRCODE = 'ambiguous_parameter',
                      DETAIL = format('It is a live code of the events %s.', array_to_string(keys, ', ')),
                      HINT = 'Give the event key.';
        END IF;
        NEW.event_key := keys[1];
    END IF;
    SELECT * INTO c FROM cla_eventlog.code k
     WHERE k.event_key = NEW.event_key AND k.code = NEW.code;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'code "%" is not registered for event "%"', NEW.code, NEW.event_key
            USING ERRCODE = 'undefined_object';
    END IF;
    IF c.retired THEN
        RAISE EXCEPTION 'code "%" of event "%" is retired', NEW.code, NEW.event_key
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;

    -- type and level: filled, or equal to the registry's
    IF NEW.type IS NULL THEN
        NEW.type := c.type;
    ELSIF NEW.type <> c.type THEN
        RAISE EXCEPTION 'type "%" does not match code "%" of event "%"', NEW.type, c.code, c.event_key
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NEW.level IS NULL THEN
        NEW.level := c.level;
    ELSIF NEW.level <> c.level THEN
        RAISE EXCEPTION 'level % does not match code "%" of event "%"', NEW.level, c.code, c.event_key
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    -- acting role
    IF NEW.created_by_role IS NULL THEN
        NEW.created_by_role := nullif(current_setting('cla_eventlog.acting_role', true), '');
    END IF;
    IF NEW.created_by_role IS NULL THEN
        IF coalesce(nullif(current_setting('cla_eventlog.require_acting_role', true), ''), 'off')::boolean THEN
            RAISE EXCEPTION 'an acting role is required to log code "%" of event "%"', c.code, c.event_key
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    ELSE
        IF NOT EXISTS (SELECT FROM cla_eventlog.role r WHERE r.name = NEW.created_by_role) THEN
            RAISE EXCEPTION 'role "%" is not registered', NEW.created_by_role
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF cardinality(c.selectable_by) > 0 AND NOT NEW.created_by_role = ANY (c.selectable_by) THEN
            RAISE EXCEPTION 'role "%" may not log code "%" of event "%"', NEW.created_by_role, c.code, c.event_key
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    END IF;

    -- timer: the user's running one, or the given one must be the user's
    IF NEW.timer_id IS NULL THEN
        SELECT t.id INTO NEW.timer_id FROM bench.plpgsql_timer t
         WHERE t.created_by = NEW.created_by AND t.stopped IS NULL;
    ELSE
        SELECT t.created_by INTO owner FROM bench.plpgsql_timer t WHERE t.id = NEW.timer_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'timer % does not exist', NEW.timer_id USING ERRCODE = 'foreign_key_violation';
        ELSIF owner <> NEW.created_by THEN
            RAISE EXCEPTION 'timer % belongs to user %, not to user %', NEW.timer_id, owner, NEW.created_by
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END IF;

    -- the case row is locked when the row writes to it or may be a duplicate
    hi := c.type = 'outcome' AND c.level >= 29;
    IF hi OR c.set_requires_action_by IS NOT NULL OR c.set_case_columns IS NOT NULL
       OR (c.stops_timer AND NEW.timer_id IS NOT NULL)
       OR c.once_per->>'scope' = 'case'
       OR (c.once_per->>'scope' = 'case_timer' AND NEW.timer_id IS NOT NULL) THEN
        PERFORM FROM cla_reference.legalaid_case lc WHERE lc.id = NEW.case_id FOR NO KEY UPDATE;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'case % does not exist', NEW.case_id USING ERRCODE = 'foreign_key_violation';
        END IF;
    END IF;

    -- once_per
    IF c.once_per->>'scope' = 'case' THEN
        IF EXISTS (SELECT FROM bench.plpgsql_log l
                    WHERE l.case_id = NEW.case_id AND l.event_key = NEW.event_key AND l.code = NEW.code) THEN
            RETURN NULL;
        END IF;
    ELSIF c.once_per->>'scope' = 'case_timer' AND NEW.timer_id IS NOT NULL THEN
        IF EXISTS (SELECT FROM bench.plpgsql_log l
                    WHERE l.timer_id = NEW.timer_id AND l.case_id = NEW.case_id
                      AND (l.code = NEW.code OR l.code IN (SELECT jsonb_array_elements_text(c.once_per->'with')))) THEN
            RETURN NULL;
        END IF;
    END IF;

    -- same-day outcome debounce
    IF hi AND coalesce(nullif(current_setting('cla_eventlog.debounce_outcomes', true), ''), 'on')::boolean THEN
        SELECT l.event_key, l.code, l.notes, l.created INTO prev FROM bench.plpgsql_log l
         WHERE l.case_id = NEW.case_id AND l.type = 'outcome' AND l.level >= 29
         ORDER BY l.id DESC LIMIT 1;
        IF FOUND AND prev.event_key = NEW.event_key AND prev.code = NEW.code
           AND prev.notes IS NOT DISTINCT FROM NEW.notes THEN
            tz := coalesce(nullif(current_setting('cla_eventlog.day_time_zone', true), ''), 'UTC');
            IF (prev.created AT TIME ZONE tz)::date = (NEW.created AT TIME ZONE tz)::date THEN
                RETURN NULL;
            END IF;
        END IF;
    END IF;
    RETURN NEW;
END
$$;

CREATE FUNCTION bench._plpgsql_log_after() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    c         cla_eventlog.code;
    hi        boolean;
    rab_mode  int := 0;      -- 0 keep, 1 set to rab, 2 clear if owned by one of rab_list
    rab       text;
    rab_list  text[];
    cols      jsonb;
    billable  bigint;
BEGIN
    SELECT * INTO c FROM cla_eventlog.code k
     WHERE k.event_key = NEW.event_key AND k.code = NEW.code;
    hi := c.type = 'outcome' AND c.level >= 29;
    IF NOT (hi OR c.set_requires_action_by IS NOT NULL OR c.set_case_columns IS NOT NULL
            OR (c.stops_timer AND NEW.timer_id IS NOT NULL)) THEN
        RETURN NULL;
    END IF;

    -- stop the timer, and the case's billable time
    IF c.stops_timer AND NEW.timer_id IS NOT NULL THEN
        UPDATE bench.plpgsql_timer t
           SET stopped = now(), linked_case = NEW.case_id, modified = now()
         WHERE t.id = NEW.timer_id AND t.stopped IS NULL;
        IF FOUND THEN
            SELECT coalesce(sum(ceil(extract(epoch FROM t.stopped - t.created))), 0)::bigint INTO billable
              FROM bench.plpgsql_timer t
             WHERE t.linked_case = NEW.case_id AND t.stopped IS NOT NULL AND NOT t.cancelled;
        END IF;
    END IF;

    -- requires-action-by (README "Registry")
    IF c.set_requires_action_by IS NOT NULL THEN
        CASE jsonb_typeof(c.set_requires_action_by)
            WHEN 'null' THEN rab_mode := 1;
            WHEN 'string' THEN rab_mode := 1; rab := c.set_requires_action_by #>> '{}';
            ELSE
                IF c.set_requires_action_by ? 'clear_if_owned_by' THEN
                    rab_mode := 2;
                    rab_list := ARRAY(SELECT jsonb_array_elements_text(c.set_requires_action_by->'clear_if_owned_by'));
                ELSE
                    rab_mode := 1;
                    EXECUTE format('SELECT %s($1, $2)', c.set_requires_action_by->>'function') INTO rab
                        USING NEW.case_id,
                              (SELECT lc.requires_action_by::text FROM cla_reference.legalaid_case lc WHERE lc.id = NEW.case_id);
                END IF;
        END CASE;
    END IF;
    cols := coalesce(c.set_case_columns, '{}');

    -- one UPDATE: the outcome only when newer than the case's; requires-
    -- action-by and case columns unless the row is an outdated outcome
    UPDATE cla_reference.legalaid_case lc SET
        outcome_code    = CASE WHEN hi AND (lc.outcome_code_id IS NULL OR lc.outcome_code_id < NEW.id) THEN NEW.code ELSE lc.outcome_code END,
        level           = CASE WHEN hi AND (lc.outcome_code_id IS NULL OR lc.outcome_code_id < NEW.id) THEN NEW.level ELSE lc.level END,
        outcome_code_id = CASE WHEN hi AND (lc.outcome_code_id IS NULL OR lc.outcome_code_id < NEW.id) THEN NEW.id ELSE lc.outcome_code_id END,
        requires_action_by = CASE
            WHEN hi AND lc.outcome_code_id > NEW.id THEN lc.requires_action_by
            WHEN rab_mode = 1 THEN rab
            WHEN rab_mode = 2 AND lc.requires_action_by::text = ANY (rab_list) THEN NULL
            ELSE lc.requires_action_by END,
        billable_time   = coalesce(billable, lc.billable_time),
        provider_viewed = CASE
            WHEN (hi AND lc.outcome_code_id > NEW.id) OR NOT cols ? 'provider_viewed' THEN lc.provider_viewed
            WHEN cols->>'provider_viewed' = 'now' THEN now()
            WHEN cols->>'provider_viewed' = 'now_if_null' THEN coalesce(lc.provider_viewed, now())
            ELSE NULL END,
        provider_accepted = CASE
            WHEN (hi AND lc.outcome_code_id > NEW.id) OR NOT cols ? 'provider_accepted' THEN lc.provider_accepted
            WHEN cols->>'provider_accepted' = 'now' THEN now()
            WHEN cols->>'provider_accepted' = 'now_if_null' THEN coalesce(lc.provider_accepted, now())
            ELSE NULL END,
        provider_closed = CASE
            WHEN (hi AND lc.outcome_code_id > NEW.id) OR NOT cols ? 'provider_closed' THEN lc.provider_closed
            WHEN cols->>'provider_closed' = 'now' THEN now()
            WHEN cols->>'provider_closed' = 'now_if_null' THEN coalesce(lc.provider_closed, now())
            ELSE NULL END,
        provider_assigned_at = CASE
            WHEN (hi AND lc.outcome_code_id > NEW.id) OR NOT cols ? 'provider_assigned_at' THEN lc.provider_assigned_at
            WHEN cols->>'provider_assigned_at' = 'now' THEN now()
            WHEN cols->>'provider_assigned_at' = 'now_if_null' THEN coalesce(lc.provider_assigned_at, now())
            ELSE NULL END,
        modified        = now()
     WHERE lc.id = NEW.case_id;
    RETURN NULL;
END
$$;

CREATE TRIGGER plpgsql_log_before BEFORE INSERT ON bench.plpgsql_log
    FOR EACH ROW EXECUTE FUNCTION bench._plpgsql_log_before();
CREATE TRIGGER plpgsql_log_after AFTER INSERT ON bench.plpgsql_log
    FOR EACH ROW EXECUTE FUNCTION bench._plpgsql_log_after();

CREATE FUNCTION bench.start_timer_plpgsql(user_id bigint) RETURNS bench.plpgsql_timer
LANGUAGE plpgsql AS $$
DECLARE
    t bench.plpgsql_timer;
BEGIN
    LOOP
        SELECT * INTO t FROM bench.plpgsql_timer p WHERE p.created_by = user_id AND p.stopped IS NULL;
        IF FOUND THEN
            RETURN t;
        END IF;
        INSERT INTO bench.plpgsql_timer (created_by) VALUES (user_id)
            ON CONFLICT (created_by) WHERE stopped IS NULL DO NOTHING
            RETURNING * INTO t;
        IF FOUND THEN
            RETURN t;
        END IF;
    END LOOP;
END
$$;

CREATE FUNCTION bench.log_event_plpgsql(
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
LANGUAGE plpgsql AS $$
DECLARE
    resolver text;
    codes    text[];
    new_id   bigint;
BEGIN
    IF code IS NULL THEN
        SELECT e.code_resolver INTO resolver FROM cla_eventlog.event e WHERE e.key = log_event_plpgsql.event_key;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'event "%" is not registered', log_event_plpgsql.event_key
                USING ERRCODE = 'undefined_object';
        END IF;
        IF resolver IS NOT NULL THEN
            EXECUTE format('SELECT %s($1, $2)', resolver) INTO code USING case_id, params;
        ELSE
            SELECT array_agg(k.code) INTO codes FROM cla_eventlog.code k
             WHERE k.event_key = log_event_plpgsql.event_key AND NOT k.retired;
            IF cardinality(codes) <> 1 THEN
                RAISE EXCEPTION 'event "%" has several codes: give one', log_event_plpgsql.event_key
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
            code := codes[1];
        END IF;
    END IF;
    INSERT INTO bench.plpgsql_log (case_id, event_key, code, created_by, created_by_role,
                                   notes, context, patch, content_type, object_id)
    VALUES (case_id, event_key, code, created_by, acting_role,
            notes, context, patch, content_type, object_id)
    RETURNING id INTO new_id;
    RETURN new_id;
END
$$;
