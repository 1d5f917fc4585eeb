-- Timers (README "Timers"), all in C (timers.c), shared with the log triggers.
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
