-- Log rows: the triggers that hold every rule (README "Logging", "Side effects") and log_event.

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
    'Internal: refuses UPDATE, DELETE and TRUNCATE on the log, except for erase_cases(), reset_test_data(), cla_eventlog.allow_log_maintenance and the TRUNCATE of an empty log';

CREATE TRIGGER log_validate BEFORE INSERT ON @extschema@.log
    FOR EACH ROW EXECUTE FUNCTION @extschema@._log_validate();
CREATE TRIGGER log_apply AFTER INSERT ON @extschema@.log
    FOR EACH ROW EXECUTE FUNCTION @extschema@._log_apply();
-- Append-only: a changed or removed row is refused, so a statement that
-- matches no row passes (an ORM's UPDATE-then-INSERT save); TRUNCATE is
-- refused per statement.
CREATE TRIGGER log_append_only BEFORE UPDATE OR DELETE ON @extschema@.log
    FOR EACH ROW EXECUTE FUNCTION @extschema@._log_guard();
CREATE TRIGGER log_no_truncate BEFORE TRUNCATE ON @extschema@.log
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
