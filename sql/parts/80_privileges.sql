-- Privileges (README "Privileges: a recipe for three roles"): what the extension grants on its own objects.
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
--    (event_codes, selectable_codes: 21_registry.sql holds them to that) and on
--    the internal helpers below.  They change nothing and read only what the
--    caller may read (the case-table helpers do only what the caller's own
--    privileges on the case table allow, as the table's owner),
--    and PostgreSQL checks EXECUTE on them where a role cannot avoid calling
--    them: the MI views call _mi_seconds, _report_days and
--    _report_time_zone with the reader's rights, the index
--    log_callback_requires_action_at evaluates _iso_time and the log's id
--    default evaluates _log_id with the inserting writer's rights (_log_id
--    takes nextval of log_id_seq, so the writer still needs USAGE on it),
--    and register_event() validates with the _reg_* functions and
--    _check_function with the administrator's.
--  * The trigger functions stay revoked: CREATE TRIGGER needs EXECUTE, so no
--    one but the owner can attach them to a table of their own.
--  * pg_monitor keeps what 72_status.sql granted it (USAGE on the schema,
--    status() and status_json()).

REVOKE ALL ON ALL TABLES IN SCHEMA @extschema@ FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA @extschema@ FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA @extschema@ FROM PUBLIC;
REVOKE ALL ON ALL PROCEDURES IN SCHEMA @extschema@ FROM PUBLIC;

GRANT EXECUTE ON FUNCTION
    @extschema@.event_codes(text, text),
    @extschema@.selectable_codes(text),
    -- role membership, for the registry readers and the MI
    @extschema@._role_lineage(text),
    @extschema@._role_family(text),
    @extschema@.library_version(),
    -- registry validation (register_event, with the caller's rights)
    @extschema@._check_function(text, text),
    @extschema@._reg_quote(text),
    @extschema@._reg_json(jsonb),
    @extschema@._reg_check_name(text, text),
    @extschema@._reg_expect(text, text, jsonb, text[], text, text),
    @extschema@._reg_check_strings(text, text, jsonb, boolean, boolean, text),
    @extschema@._reg_check_function(text, text, text, text),
    @extschema@._reg_check_code(text, text, jsonb, text[], text[]),
    -- the level names of the codes view, read with the reader's rights
    @extschema@._level_name(integer),
    -- the id default of the log, evaluated with the inserting writer's rights
    @extschema@._log_id(),
    -- called by the MI views, and by the CB1 index
    @extschema@._report_time_zone(),
    @extschema@._mi_seconds(timestamptz, timestamptz),
    @extschema@._report_days(timestamptz, timestamptz),
    @extschema@._iso_time(text),
    -- the case table as its owner, for a caller with the rights to do the
    -- same itself (its SELECT, or SELECT and UPDATE, on the table)
    @extschema@._case_rows(bigint[], timestamptz, timestamptz),
    @extschema@.bound_case(bigint),
    @extschema@._case_lock(bigint[], boolean),
    @extschema@._case_write(bigint[], text[], bigint[], bigint[], bigint[]),
    -- read-only internals of status(), verify() and repair_cases()
    @extschema@._require_binding(),
    @extschema@._require_case_role(text, text),
    @extschema@._case_roles(),
    @extschema@._case_expected(bigint[]),
    @extschema@._case_batches(bigint[], integer),
    @extschema@._case_mismatches(bigint[]),
    @extschema@._status_sample(),
    @extschema@._case_read_problem(),
    @extschema@._check_library_version(),
    @extschema@._check_registry(),
    @extschema@._check_case_binding(),
    @extschema@._check_sampled_cases(text),
    @extschema@._check_stale_timers(),
    @extschema@._check_log_id_headroom(),
    @extschema@._check_triggers(),
    @extschema@._disk_space(),
    @extschema@._check_disk_space(),
    @extschema@._check_standby(),
    @extschema@._subscriptions(),
    @extschema@._database_detail(),
    -- the first step of the procedures that commit per batch (it only
    -- refuses a transaction block): EXECUTE on the procedure decides
    @extschema@._require_own_transactions(text)
TO PUBLIC;

-- The working-hours calendar is reference data: anyone may read it and
-- compute SLA times from it (65_calendar.sql); changing it is the DBA's.
GRANT SELECT ON @extschema@.opening_hours, @extschema@.bank_holiday,
    @extschema@.calendar_exception TO PUBLIC;
GRANT EXECUTE ON FUNCTION
    @extschema@.opening_hours_on(date),
    @extschema@.sla_time(timestamptz, integer),
    @extschema@._iso_local(timestamptz),
    @extschema@.cb1_context(timestamptz, timestamptz, text)
TO PUBLIC;
