-- Timers (SPEC 7).  Stopping and cancelling are in C (timers.c), shared
-- with the log triggers; getting, creating and reading are plain SQL.
-- Application roles have no privileges on the timer table: these functions
-- are SECURITY DEFINER (pinned search_path) and the C ones switch to the
-- extension's owner for the timer table only.

CREATE FUNCTION @extschema@.current_timer(user_id bigint)
RETURNS @extschema@.timer
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT t.* FROM @extschema@.timer t
     WHERE t.created_by OPERATOR(pg_catalog.=) user_id AND t.stopped IS NULL
$$;
COMMENT ON FUNCTION @extschema@.current_timer(bigint) IS
    'The user''s running timer, or NULL';

CREATE FUNCTION @extschema@.create_timer(user_id bigint)
RETURNS @extschema@.timer
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t @extschema@.timer;
BEGIN
    IF user_id IS NULL THEN
        RAISE EXCEPTION 'user_id must not be null' USING ERRCODE = 'not_null_violation';
    END IF;
    INSERT INTO @extschema@.timer (created_by) VALUES (user_id) RETURNING * INTO t;
    RETURN t;
EXCEPTION WHEN unique_violation THEN
    RAISE EXCEPTION 'there is already a timer running for user %', user_id
        USING ERRCODE = 'object_not_in_prerequisite_state',
              HINT = 'Use cla_eventlog.start_timer() to get the running timer, or stop it first.';
END
$$;
COMMENT ON FUNCTION @extschema@.create_timer(bigint) IS
    'Starts a new timer for the user; error if one is already running';

CREATE FUNCTION @extschema@.start_timer(user_id bigint)
RETURNS @extschema@.timer
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t @extschema@.timer;
BEGIN
    IF user_id IS NULL THEN
        RAISE EXCEPTION 'user_id must not be null' USING ERRCODE = 'not_null_violation';
    END IF;
    -- Get or create.  ON CONFLICT on the one-running-per-user index waits for
    -- a concurrent creator; then the SELECT (a new snapshot under READ
    -- COMMITTED) finds its timer.  Loop in case that timer was stopped
    -- meanwhile.
    LOOP
        SELECT * INTO t FROM @extschema@.timer
         WHERE created_by = user_id AND stopped IS NULL;
        IF FOUND THEN
            RETURN t;
        END IF;
        INSERT INTO @extschema@.timer (created_by) VALUES (user_id)
            ON CONFLICT (created_by) WHERE stopped IS NULL DO NOTHING
            RETURNING * INTO t;
        IF FOUND THEN
            RETURN t;
        END IF;
    END LOOP;
END
$$;
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
