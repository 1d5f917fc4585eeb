-- Erasure (README "Erasing a case, resetting a test database"): the audited
-- way a case's log and timer rows leave the extension, so that the
-- application can then delete the case (the service's personal-data
-- retention), and the reset of a test database.  Both get past the log's
-- append-only guard through append_only.c, and nothing else does.
-- _remove_history() is the one path by which log rows and timers leave:
-- erase_cases() here and apply_retention() (78_retention.sql) both use it.

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

CREATE FUNCTION @extschema@._delete_logs(log_ids bigint[]) RETURNS bigint
    LANGUAGE c VOLATILE
    AS 'MODULE_PATHNAME', 'cel_delete_logs';
COMMENT ON FUNCTION @extschema@._delete_logs(bigint[]) IS
    'Internal: deletes the given log rows past the append-only guard; only _remove_history() calls it';

---------------------------------------------------------------------------
-- _remove_history(log_ids, timer_ids, archive, who, reason): the one path
-- by which log rows and timers leave the extension, for erase_cases() and
-- apply_retention() (README "Retention").  The log rows are deleted, or
-- moved to log_archive with who and why (archive); then the given timers
-- are deleted, except one that a log row or an archived row still names
-- (the log's foreign key, and restore_archived_logs(), need it) or that a
-- concurrent writer holds (it is left for a later run).  Per case: how many
-- log rows and timers went.  The callers lock the cases whose state the
-- rows decide and write their own audit; the rows' cases are not repaired
-- here.
CREATE FUNCTION @extschema@._remove_history(log_ids bigint[], timer_ids bigint[], archive boolean,
                                            who text, reason text)
RETURNS TABLE (case_id bigint, log_rows bigint, timer_rows bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    log_cases bigint[];
    log_counts bigint[];
    locked bigint[];
    timer_cases bigint[];
    timer_counts bigint[];
BEGIN
    IF log_ids IS NOT NULL AND cardinality(log_ids) > 0 THEN
        SELECT array_agg(g.case_id ORDER BY g.case_id), array_agg(g.n ORDER BY g.case_id)
          INTO log_cases, log_counts
          FROM (SELECT l.case_id, count(*) AS n FROM @extschema@.log l
                 WHERE l.id = ANY (log_ids) GROUP BY l.case_id) g;
        IF archive THEN
            PERFORM @extschema@._archive_logs(log_ids, who, reason);
        ELSE
            PERFORM @extschema@._delete_logs(log_ids);
        END IF;
    END IF;
    IF timer_ids IS NOT NULL AND cardinality(timer_ids) > 0 THEN
        -- A writer naming one of these timers in a new log row holds it
        -- (its foreign-key check): skip it.  Locked, a timer cannot gain a
        -- log row before this transaction ends, so the next statement's
        -- check that none names it holds until the DELETE.
        SELECT array_agg(t.id) INTO locked
          FROM (SELECT t.id FROM @extschema@.timer t WHERE t.id = ANY (timer_ids)
                 ORDER BY t.id FOR UPDATE SKIP LOCKED) t;
        WITH gone AS (
            DELETE FROM @extschema@.timer t
             WHERE t.id = ANY (locked)
               AND NOT EXISTS (SELECT 1 FROM @extschema@.log l WHERE l.timer_id = t.id)
               AND NOT EXISTS (SELECT 1 FROM @extschema@.log_archive a WHERE a.timer_id = t.id)
            RETURNING t.linked_case)
        SELECT array_agg(g.linked_case ORDER BY g.linked_case), array_agg(g.n ORDER BY g.linked_case)
          INTO timer_cases, timer_counts
          FROM (SELECT gone.linked_case, count(*) AS n FROM gone GROUP BY gone.linked_case) g;
    END IF;
    RETURN QUERY
        SELECT u.id, sum(u.l)::bigint, sum(u.t)::bigint
          FROM (SELECT l.id, l.n, 0 FROM unnest(log_cases, log_counts) l(id, n)
                UNION ALL
                SELECT t.id, 0, t.n FROM unnest(timer_cases, timer_counts) t(id, n)) u(id, l, t)
         GROUP BY u.id ORDER BY u.id;
END
$$;
COMMENT ON FUNCTION @extschema@._remove_history(bigint[], bigint[], boolean, text, text) IS
    'Internal: deletes (or, archive, moves to log_archive) the given log rows, then deletes the given timers that no log or archived row names; per case the rows that went. The one path of erase_cases() and apply_retention()';

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
    archived_rows bigint[];
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
    -- their rows in the log and in the archive (remove_duplicate_outcomes(),
    -- apply_retention(archive => true)) go; so do their timers, except one
    -- that another case's log still names: it is only unlinked
    WITH gone AS (
        DELETE FROM @extschema@.log_archive a WHERE a.case_id = ANY (ids) RETURNING a.case_id)
    SELECT array_agg((SELECT count(*) FROM gone g WHERE g.case_id = u.id) ORDER BY u.id)
      INTO archived_rows FROM unnest(ids) u(id);
    SELECT array_agg(u.n + COALESCE(r.log_rows, 0) ORDER BY u.id), array_agg(COALESCE(r.timer_rows, 0) ORDER BY u.id)
      INTO logs, timers
      FROM unnest(ids, archived_rows) u(id, n)
      LEFT JOIN @extschema@._remove_history(
                    ARRAY(SELECT l.id FROM @extschema@.log l WHERE l.case_id = ANY (ids) ORDER BY l.id),
                    ARRAY(SELECT t.id FROM @extschema@.timer t WHERE t.linked_case = ANY (ids) ORDER BY t.id),
                    false, who, reason) r ON r.case_id = u.id;
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
    'Deletes the given cases'' log rows (also those in log_archive) and their timers, clears their outcome columns and records each case in cla_eventlog.erasure; the application then deletes the cases. For a role granted EXECUTE that holds DELETE on the case table';

CREATE FUNCTION @extschema@.reset_test_data() RETURNS void
    LANGUAGE c VOLATILE
    AS 'MODULE_PATHNAME', 'cel_reset_test_data';
COMMENT ON FUNCTION @extschema@.reset_test_data() IS
    'Empties the log, the timers, the erasure audit, log_archive and log_change, in a database whose name begins with test_ only, for the owner of those tables: Django''s TransactionTestCase can then flush';
