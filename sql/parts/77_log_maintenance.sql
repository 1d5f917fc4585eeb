-- Log maintenance (README "Log maintenance"): the clean-up of same-day
-- duplicate outcomes (behaviour e.1, LGA-125) and the sanctioned change of
-- a log row's context (add_sla_72h, behaviour e.2).  Both are maintenance:
-- SECURITY DEFINER, EXECUTE for the roles the DBA grants it to, audited,
-- and they get past the append-only guard only through append_only.c.

-- Log rows moved out of the log by remove_duplicate_outcomes(): the whole
-- row, and who moved it, when and why.  Dumped and restored like the log;
-- restore_archived_logs() puts rows back.
CREATE TABLE @extschema@.log_archive (
    LIKE @extschema@.log,
    archived_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    archived_by     text NOT NULL,
    reason          text NOT NULL CHECK (pg_catalog.btrim(reason) <> ''),
    PRIMARY KEY (id)
);
COMMENT ON TABLE @extschema@.log_archive IS
    'Log rows moved out of the log by remove_duplicate_outcomes() and apply_retention(archive => true), whole, with who moved them, when and why; restore_archived_logs() puts them back';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.log_archive', '');
-- An archived case's rows (erase_cases() removes them too) and the rows
-- that name a timer (a timer they name is kept, so that they can go back).
CREATE INDEX log_archive_case ON @extschema@.log_archive (case_id);
CREATE INDEX log_archive_timer ON @extschema@.log_archive (timer_id) WHERE timer_id IS NOT NULL;

-- Every sanctioned change of a log row's context: the row, the context
-- before and after, who, when, which job.
CREATE SEQUENCE @extschema@.log_change_id_seq;
CREATE TABLE @extschema@.log_change (
    id              bigint PRIMARY KEY DEFAULT pg_catalog.nextval('@extschema@.log_change_id_seq'),
    log_id          bigint NOT NULL,
    changed_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    changed_by      text NOT NULL,
    job             text NOT NULL,
    context_before  jsonb,
    context_after   jsonb
);
ALTER SEQUENCE @extschema@.log_change_id_seq OWNED BY @extschema@.log_change.id;
COMMENT ON TABLE @extschema@.log_change IS
    'Audit of every sanctioned change of a log row''s context (add_sla_72h): the row, the context before and after, who, when, which job';
CREATE INDEX log_change_log ON @extschema@.log_change (log_id);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.log_change', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.log_change_id_seq', '');

CREATE FUNCTION @extschema@._archive_logs(log_ids bigint[], archived_by text, reason text) RETURNS bigint
    LANGUAGE c VOLATILE
    AS 'MODULE_PATHNAME', 'cel_archive_logs';
COMMENT ON FUNCTION @extschema@._archive_logs(bigint[], text, text) IS
    'Internal: moves the given log rows into log_archive past the append-only guard; only remove_duplicate_outcomes() and _remove_history() call it';
CREATE FUNCTION @extschema@._restore_logs(log_ids bigint[]) RETURNS bigint
    LANGUAGE c VOLATILE
    AS 'MODULE_PATHNAME', 'cel_restore_logs';
COMMENT ON FUNCTION @extschema@._restore_logs(bigint[]) IS
    'Internal: puts the given archived rows back into the log as they were (no rule re-applied, no side effect replayed); only restore_archived_logs() calls it';
CREATE FUNCTION @extschema@._set_log_contexts(log_ids bigint[], contexts jsonb[]) RETURNS bigint
    LANGUAGE c VOLATILE
    AS 'MODULE_PATHNAME', 'cel_set_log_contexts';
COMMENT ON FUNCTION @extschema@._set_log_contexts(bigint[], jsonb[]) IS
    'Internal: sets the context of the given log rows (arrays in step) past the append-only guard, without touching modified; only add_sla_72h() calls it';


---------------------------------------------------------------------------
-- remove_duplicate_outcomes(dry_run, reason): the runs of consecutive
-- same-code outcome logs of a case on one day (in cla_eventlog.day_time_zone,
-- the debounce's day), by e.1's rule: a case-day qualifies when one of its
-- HIGH outcome logs has the same code as the HIGH outcome log before it;
-- there, every outcome log (any level) with the same code as the outcome log
-- just before it is a duplicate, and the oldest of each run is kept.  Notes
-- are ignored, as in the service.  Dry run by default: it only lists.
-- Otherwise the duplicates move to log_archive and their cases are
-- repaired.
CREATE FUNCTION @extschema@.remove_duplicate_outcomes(dry_run boolean DEFAULT true,
                                                      reason text DEFAULT 'same-day duplicate outcome (LGA-125)')
RETURNS TABLE(log_id bigint, case_id bigint, code text, created timestamptz, day date, kept_log_id bigint)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    tz constant text := current_setting('cla_eventlog.day_time_zone');
    ids bigint[];
    cases bigint[];
BEGIN
    IF dry_run IS NULL THEN
        RAISE EXCEPTION 'dry_run must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NOT dry_run AND (reason IS NULL OR btrim(reason) = '') THEN
        RAISE EXCEPTION 'moving log rows to the archive needs a reason'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Say why: it is kept with each archived row.';
    END IF;
    CREATE TEMP TABLE IF NOT EXISTS cel_duplicate_outcomes
        (log_id bigint, case_id bigint, code text, created timestamptz, day date, kept_log_id bigint)
        ON COMMIT DROP;
    TRUNCATE cel_duplicate_outcomes;
    INSERT INTO cel_duplicate_outcomes
    WITH o AS (
        SELECT l.id, l.case_id, l.code, l.level, l.created, (l.created AT TIME ZONE tz)::date AS day
          FROM @extschema@.log l
         WHERE l.type = 'outcome'),
    candidate AS (
        SELECT DISTINCT h.case_id, h.day
          FROM (SELECT o.case_id, o.day, o.code,
                       lag(o.code) OVER (PARTITION BY o.case_id, o.day ORDER BY o.id) AS before
                  FROM o WHERE o.level >= 29) h
         WHERE h.code = h.before),
    runs AS (
        SELECT r.*, sum(CASE WHEN r.before IS DISTINCT FROM r.code THEN 1 ELSE 0 END)
                        OVER (PARTITION BY r.case_id, r.day ORDER BY r.id) AS run
          FROM (SELECT o.*, lag(o.code) OVER (PARTITION BY o.case_id, o.day ORDER BY o.id) AS before
                  FROM o JOIN candidate c ON c.case_id = o.case_id AND c.day = o.day) r)
    SELECT k.id, k.case_id, k.code, k.created, k.day, k.kept
      FROM (SELECT r.*, min(r.id) OVER (PARTITION BY r.case_id, r.day, r.run) AS kept
              FROM runs r) k
     WHERE k.code = k.before;
    IF NOT dry_run THEN
        SELECT array_agg(d.log_id ORDER BY d.log_id), array_agg(DISTINCT d.case_id)
          INTO ids, cases FROM cel_duplicate_outcomes d;
        IF ids IS NOT NULL THEN
            PERFORM @extschema@._case_lock(cases);
            PERFORM @extschema@._archive_logs(ids, @extschema@._caller(), reason);
            PERFORM @extschema@.repair_cases(cases);
        END IF;
    END IF;
    RETURN QUERY SELECT d.* FROM cel_duplicate_outcomes d ORDER BY d.case_id, d.log_id;
END
$$;
COMMENT ON FUNCTION @extschema@.remove_duplicate_outcomes(boolean, text) IS
    'Maintenance: lists (dry_run, the default) or moves to log_archive the same-day duplicate outcome logs (runs of one code on a case-day, the oldest kept), then repairs their cases; returns each duplicate with the log kept';

-- restore_archived_logs(log_ids): archived rows back into the log, as they
-- were (ids, times, context), and their cases repaired.
CREATE FUNCTION @extschema@.restore_archived_logs(log_ids bigint[])
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    cases bigint[];
    restored bigint;
BEGIN
    IF log_ids IS NULL THEN
        RAISE EXCEPTION 'log_ids must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT array_agg(DISTINCT a.case_id) INTO cases
      FROM @extschema@.log_archive a WHERE a.id = ANY (log_ids);
    IF cases IS NULL THEN
        RETURN 0;
    END IF;
    PERFORM @extschema@._case_lock(cases);
    restored := @extschema@._restore_logs(log_ids);
    PERFORM @extschema@.repair_cases(cases);
    RETURN restored;
END
$$;
COMMENT ON FUNCTION @extschema@.restore_archived_logs(bigint[]) IS
    'Maintenance: puts the given rows of log_archive back into the log as they were and repairs their cases; returns the number restored';

---------------------------------------------------------------------------
-- add_sla_72h(): the service's add_72h_to_context job (e.2).  CB1 logs
-- whose context has no sla_72h get it: 72 working hours after the
-- context's own requires_action_at (the service used the case's current
-- requires_action_at, which a later callback has moved).  A CB1 without a
-- readable requires_action_at is listed with NULL and left alone (the
-- service's job crashed on it).  Every change is recorded in log_change.
CREATE FUNCTION @extschema@.add_sla_72h()
RETURNS TABLE(log_id bigint, requires_action_at timestamptz, sla_72h text)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ids bigint[];
    contexts jsonb[];
BEGIN
    CREATE TEMP TABLE IF NOT EXISTS cel_sla_72h
        (log_id bigint, requires_action_at timestamptz, sla_72h text, context_before jsonb)
        ON COMMIT DROP;
    TRUNCATE cel_sla_72h;
    INSERT INTO cel_sla_72h
    SELECT l.id, w.at, @extschema@._iso_local(@extschema@.sla_time(w.at, 4320)), l.context
      FROM @extschema@.log l
     CROSS JOIN LATERAL (SELECT @extschema@._iso_time(l.context ->> 'requires_action_at') AS at) w
     WHERE l.code = 'CB1' AND l.type = 'outcome'
       AND (l.context IS NULL OR NOT l.context ? 'sla_72h');
    SELECT array_agg(s.log_id ORDER BY s.log_id),
           array_agg(s.context_before || jsonb_build_object('sla_72h', s.sla_72h) ORDER BY s.log_id)
      INTO ids, contexts
      FROM cel_sla_72h s WHERE s.sla_72h IS NOT NULL;
    IF ids IS NOT NULL THEN
        PERFORM @extschema@._set_log_contexts(ids, contexts);
        INSERT INTO @extschema@.log_change (log_id, changed_by, job, context_before, context_after)
        SELECT s.log_id, @extschema@._caller(), 'add_sla_72h', s.context_before,
               s.context_before || jsonb_build_object('sla_72h', s.sla_72h)
          FROM cel_sla_72h s WHERE s.sla_72h IS NOT NULL;
    END IF;
    RETURN QUERY SELECT s.log_id, s.requires_action_at, s.sla_72h FROM cel_sla_72h s ORDER BY s.log_id;
END
$$;
COMMENT ON FUNCTION @extschema@.add_sla_72h() IS
    'Maintenance: adds sla_72h (72 working hours after its requires_action_at, by sla_time) to the context of every CB1 log that lacks it, recorded in log_change; returns each CB1 it looked at (sla_72h NULL: no readable requires_action_at, left alone)';
