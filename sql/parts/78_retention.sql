-- Retention (README "Retention"): log rows and finished timers older than a
-- cutoff leave the extension, in batches, each committed, audited in
-- retention_run, deleted or moved to log_archive.
--
-- Design rules:
--  * Kept, whatever their age: per case the one log row its denormalised
--    outcome columns are derived from -- the row _case_expected() reads
--    (70_consistency.sql), asked of _case_expected() itself, so verify(),
--    repair_cases() and status() stay right with no change to them -- and
--    rows whose code is once_per case (the rule that skips a second such
--    row reads the first), and per case every row from the first one that
--    an MI report of the retained days reads: a callback booked for a time
--    at or after the cutoff (its context's requires_action_at; the callback
--    reports read it and the case's rows after it), the first row of an
--    application object (content_type, object_id: a complaint) that still
--    has a row after the cutoff.  Timers go only when they count for no case's
--    billable time (cancelled, or linked to no case), stopped before the
--    cutoff, and no log or archived row names them: a billable timer is
--    part of its case's billable_time, which every timer stop recomputes
--    from the timers, so it stays as long as its case (erase_cases()
--    removes it with the case).
--  * Rows leave through _remove_history() (75_erasure.sql), the path
--    erase_cases() uses, and so through append_only.c only.
--  * A batch is the next batch_size log rows older than the cutoff in id
--    order (then, once the log is done, the next batch_size removable
--    timers), up to the largest such id when the run started: rows logged
--    later are the next run's.  Before it decides which rows its cases
--    keep, a batch locks the cases of its HIGH outcome rows (FOR NO KEY
--    UPDATE, as the log triggers and repair_cases() lock a case before they
--    write it) and then reads in a new statement: a writer's outcome the
--    lock waited for is seen (the older outcome goes now), a writer that
--    waits for the lock applies its outcome on top of the kept one (which
--    goes in a later run).  MINOR rows take no case lock, so logging goes on,
--    except on a case with rows of an application object (a complaint) in
--    the batch: that case is locked FOR UPDATE, which conflicts with a
--    writer's foreign-key FOR KEY SHARE, so a new row of the object in
--    progress is waited for and seen (the object keeps its first row).
--  * apply_retention() is a PROCEDURE that commits after every batch: a run
--    over millions of rows holds its locks for one batch at a time, shows
--    its progress (NOTICE per batch, retention_run to other sessions), and
--    when interrupted keeps every batch done; running it again continues
--    (what is gone is gone, the scan finds only what is left).  A procedure
--    that commits may be neither SECURITY DEFINER nor pinned to a
--    search_path, so it runs no SQL of its own: it calls _retention_start()
--    and _retention_step(), which are both, and raises their messages.

-- One row per run: who, when, why, the cutoff, where it is, how much went.
CREATE SEQUENCE @extschema@.retention_run_id_seq;
CREATE TABLE @extschema@.retention_run (
    id              bigint PRIMARY KEY DEFAULT pg_catalog.nextval('@extschema@.retention_run_id_seq'),
    started_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at      timestamptz,
    finished_at     timestamptz,
    run_by          text NOT NULL,
    reason          text NOT NULL CHECK (pg_catalog.btrim(reason) <> ''),
    cutoff          timestamptz NOT NULL,
    archive         boolean NOT NULL,
    batch_size      integer NOT NULL CHECK (batch_size > 0),
    max_log_id      bigint NOT NULL,
    last_log_id     bigint NOT NULL,
    max_timer_id    bigint NOT NULL,
    last_timer_id   bigint NOT NULL,
    batches         integer NOT NULL DEFAULT 0,
    log_rows        bigint NOT NULL DEFAULT 0,
    kept_rows       bigint NOT NULL DEFAULT 0,
    timer_rows      bigint NOT NULL DEFAULT 0
);
ALTER SEQUENCE @extschema@.retention_run_id_seq OWNED BY @extschema@.retention_run.id;
COMMENT ON TABLE @extschema@.retention_run IS
    'Audit of apply_retention(): one row per run, with the role that ran it, why, the cutoff, its progress (updated per committed batch; finished_at NULL while it runs or when it was interrupted) and how many log rows went (deleted, or archived), were kept, and how many timers went';
COMMENT ON COLUMN @extschema@.retention_run.max_log_id IS
    'The largest id of a log row older than the cutoff when the run started: the end of its scan';
COMMENT ON COLUMN @extschema@.retention_run.last_log_id IS
    'The scan''s position: every log row older than the cutoff up to this id has been looked at';
COMMENT ON COLUMN @extschema@.retention_run.kept_rows IS
    'Log rows older than the cutoff that were kept: each case''s latest HIGH outcome, once_per case rows, and the rows MI of the retained days reads';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.retention_run', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.retention_run_id_seq', '');

-- _retention_start(cutoff, archive, batch_size, reason): check the
-- arguments and record a new run; its id.
CREATE FUNCTION @extschema@._retention_start(cutoff timestamptz, archive boolean,
                                             batch_size integer, reason text)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    run bigint;
BEGIN
    IF cutoff IS NULL THEN
        RAISE EXCEPTION 'cutoff must not be null'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Give the time before which logs go, for example now() - interval ''6 years''.';
    END IF;
    IF cutoff > now() THEN
        RAISE EXCEPTION 'cutoff "%" is in the future', cutoff
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('Retention removes the logs older than the cutoff; the current time is %s.', now()),
                  HINT = 'Give a time in the past, for example now() - interval ''6 years''.';
    END IF;
    IF archive IS NULL THEN
        RAISE EXCEPTION 'archive must not be null'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Say false to delete the rows, true to move them to cla_eventlog.log_archive.';
    END IF;
    IF batch_size IS NULL THEN
        RAISE EXCEPTION 'batch_size must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF batch_size <= 0 THEN
        RAISE EXCEPTION 'batch_size % is not positive', batch_size
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Give the number of rows per committed batch, for example 10000.';
    END IF;
    IF reason IS NULL OR btrim(reason) = '' THEN
        RAISE EXCEPTION 'a retention run needs a reason'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Say why, for example the retention rule it carries out: it is kept in cla_eventlog.retention_run.';
    END IF;
    INSERT INTO @extschema@.retention_run (run_by, reason, cutoff, archive, batch_size,
                                           max_log_id, last_log_id, max_timer_id, last_timer_id)
    SELECT @extschema@._caller(), reason, cutoff, archive, batch_size,
           COALESCE(l.max_id, 0), COALESCE(l.min_id - 1, 0), COALESCE(t.max_id, 0), COALESCE(t.min_id - 1, 0)
      FROM (SELECT max(l.id) AS max_id, min(l.id) AS min_id
              FROM @extschema@.log l WHERE l.created < cutoff) l,
           (SELECT max(t.id) AS max_id, min(t.id) AS min_id
              FROM @extschema@.timer t WHERE t.stopped < cutoff) t
    RETURNING id INTO run;
    RETURN run;
END
$$;
COMMENT ON FUNCTION @extschema@._retention_start(timestamptz, boolean, integer, text) IS
    'Internal: checks apply_retention()''s arguments and records a new run in retention_run; returns its id';

-- _retention_step(run_id): one batch of the run, or its end: whether the
-- run is done, and a message and a detail for its progress.
CREATE FUNCTION @extschema@._retention_step(run_id bigint)
RETURNS TABLE (done boolean, message text, detail text)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r @extschema@.retention_run;
    verb text;
    ids bigint[];
    high_cases bigint[];
    object_cases bigint[];
    keep bigint[];
    read_cases bigint[];
    read_from bigint[];
    gone bigint[];
    last_id bigint;
    removed bigint := 0;
    kept bigint := 0;
BEGIN
    IF run_id IS NULL THEN
        RAISE EXCEPTION 'run_id must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    -- A batch's statements work on arrays of thousands of ids.  Planned
    -- for their values every time (a generic plan guesses 10 elements and
    -- joins them by nested loops, quadratic in the batch), and without JIT
    -- (it compiled them anew every batch: a second, more than the work).
    -- For this transaction only, which is the batch's own when
    -- apply_retention() calls it.
    PERFORM set_config('plan_cache_mode', 'force_custom_plan', true);
    PERFORM set_config('jit', 'off', true);
    -- one step of a run at a time
    SELECT * INTO r FROM @extschema@.retention_run x WHERE x.id = run_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'retention run % does not exist', run_id
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The runs are in cla_eventlog.retention_run.';
    END IF;
    verb := CASE WHEN r.archive THEN 'archived' ELSE 'deleted' END;
    done := r.finished_at IS NOT NULL;
    IF done THEN
        message := format('retention run %s is finished', r.id);
        RETURN NEXT;
        RETURN;
    END IF;

    IF r.last_log_id < r.max_log_id THEN
        SELECT array_agg(c.id ORDER BY c.id), max(c.id),
               array_agg(DISTINCT c.case_id) FILTER (WHERE c.type = 'outcome' AND c.level >= 29),
               array_agg(DISTINCT c.case_id) FILTER (WHERE c.content_type IS NOT NULL)
          INTO ids, last_id, high_cases, object_cases
          FROM (SELECT l.id, l.case_id, l.type, l.level, l.content_type FROM @extschema@.log l
                 WHERE l.id > r.last_log_id AND l.id <= r.max_log_id AND l.created < r.cutoff
                 ORDER BY l.id LIMIT r.batch_size) c;
        IF ids IS NULL THEN
            last_id := r.max_log_id;
        ELSE
            -- The cases of the batch's rows of an application object (a
            -- complaint) FOR UPDATE, which also conflicts with a writer's
            -- foreign-key FOR KEY SHARE: a new row of the object in progress
            -- is waited for and seen below, and one that comes later comes
            -- after the batch.  The other cases of its HIGH outcomes FOR NO
            -- KEY UPDATE, so MINOR logging on them goes on.
            IF object_cases IS NOT NULL THEN
                PERFORM @extschema@._case_lock(object_cases, true);
            END IF;
            IF high_cases IS NOT NULL THEN
                PERFORM @extschema@._case_lock(ARRAY(SELECT unnest(high_cases) EXCEPT SELECT unnest(object_cases)));
            END IF;
            -- new statements: they see every row the locks waited for
            SELECT array_agg(e.outcome_code_id) INTO keep
              FROM @extschema@._case_expected(high_cases) e WHERE e.outcome_code_id IS NOT NULL;
            -- per case of the batch, the first row a report of the retained
            -- days reads: a callback booked for the retained days (the
            -- callback reports read it and the case's rows after it), the
            -- first row of an application object (a complaint) that has a
            -- row after the cutoff
            SELECT array_agg(p.case_id), array_agg(p.first_id) INTO read_cases, read_from
              FROM (SELECT c.case_id, least(cb.id, ob.id) AS first_id
                      FROM (SELECT DISTINCT l.case_id FROM @extschema@.log l WHERE l.id = ANY (ids)) c
                      LEFT JOIN LATERAL (
                            SELECT min(l.id) AS id FROM @extschema@.log l
                             WHERE l.case_id = c.case_id AND l.context ? 'requires_action_at'
                               AND @extschema@._iso_time(l.context ->> 'requires_action_at') >= r.cutoff) cb ON true
                      LEFT JOIN LATERAL (
                            SELECT min(o.id) AS id FROM @extschema@.log o
                             WHERE o.case_id = c.case_id AND o.content_type IS NOT NULL
                               AND EXISTS (SELECT 1 FROM @extschema@.log n
                                            WHERE n.case_id = o.case_id AND n.content_type = o.content_type
                                              AND n.object_id = o.object_id AND n.created >= r.cutoff)) ob ON true) p
             WHERE p.first_id IS NOT NULL;
            SELECT array_agg(l.id ORDER BY l.id) INTO gone
              FROM @extschema@.log l
              LEFT JOIN unnest(read_cases, read_from) AS rd(case_id, first_id) ON rd.case_id = l.case_id
             WHERE l.id = ANY (ids)
               AND NOT EXISTS (SELECT 1 FROM unnest(keep) k(id) WHERE k.id = l.id)
               AND NOT EXISTS (SELECT 1 FROM @extschema@.code k
                                WHERE k.event_key = l.event_key AND k.code = l.code
                                  AND k.once_per ->> 'scope' = 'case')
               AND (rd.first_id IS NULL OR l.id < rd.first_id);
            SELECT COALESCE(sum(h.log_rows), 0) INTO removed
              FROM @extschema@._remove_history(gone, NULL, r.archive, r.run_by, r.reason) h;
            kept := cardinality(ids) - COALESCE(cardinality(gone), 0);
            IF cardinality(ids) < r.batch_size THEN
                last_id := r.max_log_id;    -- a short batch ends the scan
            END IF;
        END IF;
        UPDATE @extschema@.retention_run x
           SET last_log_id = last_id, batches = x.batches + 1, log_rows = x.log_rows + removed,
               kept_rows = x.kept_rows + kept, updated_at = clock_timestamp()
         WHERE x.id = r.id
        RETURNING * INTO r;
        message := format('retention run %s: log rows up to id %s of %s: %s %s, %s kept',
                          r.id, last_id, r.max_log_id, removed, verb, kept);
    ELSIF r.last_timer_id < r.max_timer_id THEN
        SELECT array_agg(c.id ORDER BY c.id), max(c.id) INTO ids, last_id
          FROM (SELECT t.id FROM @extschema@.timer t
                 WHERE t.id > r.last_timer_id AND t.id <= r.max_timer_id
                   AND t.stopped < r.cutoff AND (t.cancelled OR t.linked_case IS NULL)
                 ORDER BY t.id LIMIT r.batch_size) c;
        IF ids IS NULL THEN
            last_id := r.max_timer_id;
        ELSE
            SELECT COALESCE(sum(h.timer_rows), 0) INTO removed
              FROM @extschema@._remove_history(NULL, ids, r.archive, r.run_by, r.reason) h;
            IF cardinality(ids) < r.batch_size THEN
                last_id := r.max_timer_id;
            END IF;
        END IF;
        UPDATE @extschema@.retention_run x
           SET last_timer_id = last_id, batches = x.batches + 1, timer_rows = x.timer_rows + removed,
               updated_at = clock_timestamp()
         WHERE x.id = r.id
        RETURNING * INTO r;
        message := format('retention run %s: timers up to id %s of %s: %s deleted', r.id, last_id, r.max_timer_id, removed);
    ELSE
        UPDATE @extschema@.retention_run x SET finished_at = clock_timestamp(), updated_at = clock_timestamp()
         WHERE x.id = r.id
        RETURNING * INTO r;
        done := true;
        message := format('retention run %s done: %s log rows %s, %s kept, %s timers deleted, in %s batches',
                          r.id, r.log_rows, verb, r.kept_rows, r.timer_rows, r.batches);
    END IF;
    detail := format('%s rows per second since the run started at %s.',
                     round((r.log_rows + r.kept_rows + r.timer_rows)
                           / greatest(EXTRACT(EPOCH FROM r.updated_at - r.started_at), 0.001)),
                     r.started_at);
    RETURN NEXT;
END
$$;
COMMENT ON FUNCTION @extschema@._retention_step(bigint) IS
    'Internal: one committed batch of an apply_retention() run (log rows, then timers), or its end; returns whether it is done and its progress message';

---------------------------------------------------------------------------
-- apply_retention(cutoff, archive, batch_size, reason): the run, a batch per
-- transaction.  Called with CALL outside a transaction block.
CREATE PROCEDURE @extschema@.apply_retention(cutoff timestamptz, archive boolean DEFAULT false,
                                             batch_size integer DEFAULT 10000,
                                             reason text DEFAULT 'retention')
LANGUAGE plpgsql
AS $$
DECLARE
    run bigint;
    s record;
BEGIN
    PERFORM @extschema@._require_own_transactions('apply_retention()');
    run := @extschema@._retention_start(cutoff, archive, batch_size, reason);
    COMMIT;
    LOOP
        SELECT * INTO s FROM @extschema@._retention_step(run);
        COMMIT;
        RAISE NOTICE '%', s.message USING DETAIL = s.detail;
        EXIT WHEN s.done;
    END LOOP;
END
$$;
COMMENT ON PROCEDURE @extschema@.apply_retention(timestamptz, boolean, integer, text) IS
    'Maintenance: removes log rows older than cutoff (deleted, or moved to log_archive when archive) except each case''s latest HIGH outcome, once_per case rows and the rows MI of the retained days reads (callbacks booked for them and what follows, complaints still active), then finished timers that bill nothing and that no row names, in batches of batch_size, committing each, NOTICE per batch, audited in retention_run. CALL it outside a transaction block; for the roles granted EXECUTE on it and on _retention_start and _retention_step';
REVOKE ALL ON PROCEDURE @extschema@.apply_retention(timestamptz, boolean, integer, text) FROM PUBLIC;
