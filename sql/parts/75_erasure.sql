-- Erasure (README "Erasing a case, resetting a test database"): the audited
-- way a case's log and timer rows leave the extension, so that the
-- application can then delete the case (the service's personal-data
-- retention), and the reset of a test database.  Both get past the log's
-- append-only guard through append_only.c, and nothing else does.

-- One row per erased case: who, when, why and how much.  It keeps no
-- personal data, only the case id and counts.
CREATE SEQUENCE @extschema@.erasure_id_seq;
CREATE TABLE @extschema@.erasure (
    id              bigint PRIMARY KEY DEFAULT pg_catalog.nextval('@extschema@.erasure_id_seq'),
    erased_at       timestamptz NOT NULL DEFAULT pg_catalog.now(),
    erased_by       text NOT NULL,
    reason          text NOT NULL CHECK (pg_catalog.btrim(reason) <> ''),
    case_id         bigint NOT NULL,
    log_rows        bigint NOT NULL,
    timer_rows      bigint NOT NULL
);
COMMENT ON TABLE @extschema@.erasure IS
    'Audit of erase_cases(): one row per erased case, with the database role that erased it, when, why, and how many log and timer rows went';
CREATE INDEX erasure_case ON @extschema@.erasure (case_id);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.erasure', '');
ALTER SEQUENCE @extschema@.erasure_id_seq OWNED BY @extschema@.erasure.id;
SELECT pg_catalog.pg_extension_config_dump('@extschema@.erasure_id_seq', '');

-- The caller of a SECURITY DEFINER maintenance function: SET ROLE's role,
-- else the login role.
CREATE FUNCTION @extschema@._caller() RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN pg_catalog.current_setting('role') = 'none' THEN session_user::text
                ELSE pg_catalog.current_setting('role') END
$$;
COMMENT ON FUNCTION @extschema@._caller() IS
    'Internal: the role that called a SECURITY DEFINER maintenance function (SET ROLE''s, else the login role), for its audit';

CREATE FUNCTION @extschema@._erase_logs(case_ids bigint[]) RETURNS bigint
    LANGUAGE c VOLATILE
    AS 'MODULE_PATHNAME', 'cel_erase_logs';
COMMENT ON FUNCTION @extschema@._erase_logs(bigint[]) IS
    'Internal: deletes every log row of the given cases past the append-only guard; only erase_cases() calls it';

---------------------------------------------------------------------------
-- erase_cases(case_ids, reason): remove the cases' log rows and timers and
-- record it.  SECURITY DEFINER (the log is the extension owner's), EXECUTE
-- for the roles the DBA grants it to, and only for a role that may delete
-- the cases themselves.
CREATE FUNCTION @extschema@.erase_cases(case_ids bigint[], reason text)
RETURNS TABLE (case_id bigint, log_rows bigint, timer_rows bigint)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    -- the caller (current_user is this function's owner here)
    who constant text := @extschema@._caller();
    b record;
    ids bigint[];
    logs bigint[];
    timers bigint[];
BEGIN
    IF case_ids IS NULL THEN
        RAISE EXCEPTION 'case_ids must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF reason IS NULL OR btrim(reason) = '' THEN
        RAISE EXCEPTION 'an erasure needs a reason'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Say why, for example the retention rule or the request it carries out: it is kept in cla_eventlog.erasure.';
    END IF;
    b := @extschema@._require_binding();
    IF to_regclass(format('%I.%I', b.case_schema, b.case_table)) IS NOT NULL
       AND NOT has_table_privilege(who, format('%I.%I', b.case_schema, b.case_table), 'DELETE') THEN
        RAISE EXCEPTION 'permission denied to erase cases of %.%', b.case_schema, b.case_table
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = format('Erasing a case''s history is for a role that may delete the case; role %s has no DELETE on the table.', who),
                  HINT = 'Erase as the role that deletes cases, or have the table''s owner GRANT DELETE on it.';
    END IF;
    SELECT array_agg(DISTINCT u.id ORDER BY u.id) INTO ids FROM unnest(case_ids) u(id) WHERE u.id IS NOT NULL;
    IF ids IS NULL THEN
        RETURN;
    END IF;

    -- FOR UPDATE: a new log row for one of these cases (its foreign key
    -- takes FOR KEY SHARE) waits for this transaction, and fails once the
    -- application has deleted the case in it.
    PERFORM @extschema@._case_lock(ids, true);
    SELECT array_agg((SELECT count(*) FROM @extschema@.log l WHERE l.case_id = u.id) ORDER BY u.id)
      INTO logs FROM unnest(ids) u(id);
    PERFORM @extschema@._erase_logs(ids);
    -- the cases' timers go, except one that another case's log still names:
    -- it is only unlinked
    WITH gone AS (
        DELETE FROM @extschema@.timer t
         WHERE t.linked_case = ANY (ids)
           AND NOT EXISTS (SELECT 1 FROM @extschema@.log l WHERE l.timer_id = t.id)
        RETURNING t.linked_case)
    SELECT array_agg((SELECT count(*) FROM gone g WHERE g.linked_case = u.id) ORDER BY u.id)
      INTO timers FROM unnest(ids) u(id);
    UPDATE @extschema@.timer t SET linked_case = NULL, modified = now()
     WHERE t.linked_case = ANY (ids);
    -- the cases now have no history: their outcome columns say so until
    -- the application deletes them
    PERFORM @extschema@.repair_cases(ids);
    INSERT INTO @extschema@.erasure (erased_by, reason, case_id, log_rows, timer_rows)
    SELECT who, reason, u.id, u.l, u.t FROM unnest(ids, logs, timers) u(id, l, t);
    RETURN QUERY SELECT u.id, u.l, u.t FROM unnest(ids, logs, timers) u(id, l, t);
END
$$;
COMMENT ON FUNCTION @extschema@.erase_cases(bigint[], text) IS
    'Deletes the given cases'' log rows and their timers, clears their outcome columns and records each case in cla_eventlog.erasure; the application then deletes the cases. For a role granted EXECUTE that holds DELETE on the case table';

CREATE FUNCTION @extschema@.reset_test_data() RETURNS void
    LANGUAGE c VOLATILE
    AS 'MODULE_PATHNAME', 'cel_reset_test_data';
COMMENT ON FUNCTION @extschema@.reset_test_data() IS
    'Empties the log, the timers, the erasure audit, log_archive and log_change, in a database whose name begins with test_ only, for the owner of those tables: Django''s TransactionTestCase can then flush';
