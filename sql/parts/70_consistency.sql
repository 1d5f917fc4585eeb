-- Consistency (README "Status checks: what each check means"): what a
-- case's denormalised columns should hold, the comparison with what they
-- hold, verify() over every case and repair_cases().
--
-- Design rules:
--  * What a case "should" show is computed in one place, _case_expected(),
--    from the log and the timers only: the latest (highest id) outcome log
--    at HIGH or above, and the sum of ceil(stopped - created) over the
--    case's stopped, non-cancelled timers.  _case_mismatches() compares it
--    with the case row for verify() and the status probe (72_status.sql);
--    repair_cases() writes it to the cases that comparison finds.
--  * verify() and repair_cases() go over every case (or the given ones) in
--    batches of 10,000.
--  * The case table is read and written only through _case_rows(),
--    _case_lock() and _case_write(), as the table's owner (30_binding.sql).

-- What the case's denormalised columns should hold, per case id (NULLs and
-- 0 seconds for a case with no HIGH outcome and no timers).  Each column is
-- named after the case-column role it fills (the columns of _case_rows()),
-- so the role -> expected value mapping is the name.  Inlined.
CREATE FUNCTION @extschema@._case_expected(case_ids bigint[])
RETURNS TABLE(case_id bigint, outcome_code text, outcome_code_id bigint, level integer, billable_time bigint)
LANGUAGE sql STABLE
AS $$
    SELECT x.id, o.code, o.id, o.level, b.seconds
      FROM (SELECT DISTINCT u.id FROM pg_catalog.unnest(case_ids) AS u(id) WHERE u.id IS NOT NULL) x
      LEFT JOIN LATERAL (
            SELECT l.id, l.code, l.level FROM @extschema@.log l
             WHERE l.case_id OPERATOR(pg_catalog.=) x.id
               AND l.type OPERATOR(pg_catalog.=) 'outcome' AND l.level OPERATOR(pg_catalog.>=) 29
             ORDER BY l.id DESC LIMIT 1) o ON true
      CROSS JOIN LATERAL (
            SELECT COALESCE(pg_catalog.sum(@extschema@._mi_seconds(t.stopped, t.created)), 0)::bigint AS seconds
              FROM @extschema@.timer t
             WHERE t.linked_case OPERATOR(pg_catalog.=) x.id
               AND t.stopped IS NOT NULL AND NOT t.cancelled) b
$$;
COMMENT ON FUNCTION @extschema@._case_expected(bigint[]) IS
    'Internal: per case, what its outcome_code, outcome_code_id, level (its latest HIGH outcome log) and billable_time (the seconds of its timers) should hold';

-- Case ids in batches of batch_size, in id order: every case of the bound
-- table when case_ids is NULL, else the given ids.
CREATE FUNCTION @extschema@._case_batches(case_ids bigint[], batch_size integer)
RETURNS SETOF bigint[]
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF case_ids IS NOT NULL THEN
        SELECT array_agg(DISTINCT v.id ORDER BY v.id) INTO case_ids
          FROM unnest(case_ids) v(id) WHERE v.id IS NOT NULL;
        FOR i IN 1 .. coalesce(cardinality(case_ids), 0) BY batch_size LOOP
            RETURN NEXT case_ids[i : i + batch_size - 1];
        END LOOP;
        RETURN;
    END IF;
    RETURN QUERY
        SELECT array_agg(s.id ORDER BY s.id)
          FROM (SELECT c.case_id AS id, (row_number() OVER (ORDER BY c.case_id) - 1) / batch_size AS batch
                  FROM @extschema@._case_rows(NULL) c) s
         GROUP BY s.batch ORDER BY s.batch;
END
$$;
COMMENT ON FUNCTION @extschema@._case_batches(bigint[], integer) IS
    'Internal: case ids in batches (all cases of the bound table when case_ids is NULL)';

-- Cases whose denormalised columns disagree with the log and timers: one
-- row per case and disagreement (check_name denormalised_outcomes or
-- billable_time).  The one comparison of a case row with what it should
-- show (status(), verify() and repair_cases() all use it): each compared
-- role once, with its check, the case's value and the expected one (the
-- column of _case_expected() named after the role).  Only the roles the
-- binding has are compared.
CREATE FUNCTION @extschema@._case_mismatches(case_ids bigint[])
RETURNS TABLE(case_id bigint, check_name text, problem text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH b AS (SELECT k.columns AS cols FROM @extschema@.case_binding k),
    compared AS (
        SELECT c.case_id, r.ord, r.check_name, r.role, r.shown, r.expected, r.differs
          FROM b, @extschema@._case_rows(case_ids) c
          JOIN @extschema@._case_expected(case_ids) e ON e.case_id = c.case_id
         CROSS JOIN LATERAL (VALUES
               (1, 'denormalised_outcomes', 'outcome_code',
                COALESCE(c.outcome_code, 'NULL'), COALESCE(e.outcome_code, 'NULL'),
                c.outcome_code IS DISTINCT FROM e.outcome_code),
               (2, 'denormalised_outcomes', 'outcome_code_id',
                COALESCE(c.outcome_code_id::text, 'NULL'), COALESCE(e.outcome_code_id::text, 'NULL'),
                c.outcome_code_id IS DISTINCT FROM e.outcome_code_id),
               (3, 'denormalised_outcomes', 'level',
                COALESCE(c.level::text, 'NULL'), COALESCE(e.level::text, 'NULL'),
                c.level IS DISTINCT FROM e.level),
               (4, 'billable_time', 'billable_time',
                COALESCE(c.billable_time::text, 'NULL'), COALESCE(e.billable_time::text, 'NULL'),
                c.billable_time IS DISTINCT FROM e.billable_time))
            AS r(ord, check_name, role, shown, expected, differs)
         WHERE b.cols ? r.role)
    SELECT m.case_id, m.check_name,
           CASE m.check_name
               WHEN 'billable_time'
               THEN 'billable_time is ' || min(m.shown) || ' but its timers sum to ' || min(m.expected) || ' seconds'
               ELSE 'outcome columns show ' || string_agg(m.role || '=' || m.shown, ' ' ORDER BY m.ord) ||
                    ' but the latest HIGH outcome log gives ' || string_agg(m.role || '=' || m.expected, ' ' ORDER BY m.ord)
           END
      FROM compared m
     GROUP BY m.case_id, m.check_name
    HAVING bool_or(m.differs)
     ORDER BY m.case_id, m.check_name
$$;
COMMENT ON FUNCTION @extschema@._case_mismatches(bigint[]) IS
    'Internal: the given cases whose outcome columns or billable time disagree with the log and timers';

---------------------------------------------------------------------------
-- verify(): the two consistency checks over every case.
CREATE FUNCTION @extschema@.verify()
RETURNS TABLE(case_id bigint, problem text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    batch bigint[];
BEGIN
    FOR batch IN SELECT b FROM @extschema@._case_batches(NULL, 10000) b LOOP
        RETURN QUERY SELECT m.case_id, m.problem FROM @extschema@._case_mismatches(batch) m;
    END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@.verify() IS
    'Every case whose outcome columns differ from its latest HIGH outcome log, or whose billable time differs from the sum of its timers, with the problem in words (reads every case: not for a probe)';
REVOKE ALL ON FUNCTION @extschema@.verify() FROM PUBLIC;

---------------------------------------------------------------------------
-- repair_cases(): recompute the denormalised columns from log and timers.
CREATE FUNCTION @extschema@.repair_cases(case_ids bigint[] DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    batch_size constant integer := 10000;
    cols jsonb;
    batch bigint[];
    bad bigint[];
    total bigint;
    done bigint := 0;
    changed bigint := 0;
    started timestamptz := clock_timestamp();
BEGIN
    cols := (@extschema@._require_binding()).columns;
    -- the roles _case_mismatches() compares and _case_write() writes
    IF NOT cols ?| ARRAY['outcome_code', 'outcome_code_id', 'level', 'billable_time'] THEN
        RAISE NOTICE 'the case table binds no outcome or billable_time column; nothing to repair';
        RETURN 0;
    END IF;
    IF case_ids IS NULL THEN
        SELECT count(*) INTO total FROM @extschema@._case_rows(NULL);
    ELSE
        SELECT count(DISTINCT u.id) INTO total FROM unnest(case_ids) u(id) WHERE u.id IS NOT NULL;
    END IF;

    FOR batch IN SELECT b FROM @extschema@._case_batches(case_ids, batch_size) b LOOP
        -- Lock the batch's case rows first, in id order (the triggers lock
        -- a case row before they write to it), then compare and write in
        -- new statements, which under READ COMMITTED see every log and
        -- timer committed by the writers the lock waited for.
        PERFORM @extschema@._case_lock(batch);
        SELECT array_agg(DISTINCT m.case_id) INTO bad FROM @extschema@._case_mismatches(batch) m;
        IF bad IS NOT NULL THEN
            changed := changed + (
                SELECT @extschema@._case_write(array_agg(e.case_id), array_agg(e.outcome_code),
                                               array_agg(e.outcome_code_id), array_agg(e.level::bigint),
                                               array_agg(e.billable_time))
                  FROM @extschema@._case_expected(bad) e);
        END IF;
        done := done + cardinality(batch);
        IF cardinality(batch) = batch_size THEN
            RAISE NOTICE '% of % cases done, % changed', done, total, changed
                USING DETAIL = format('%s cases per second.',
                                      round(done / greatest(EXTRACT(EPOCH FROM clock_timestamp() - started), 0.001)));
        END IF;
    END LOOP;
    RETURN changed;
END
$$;
COMMENT ON FUNCTION @extschema@.repair_cases(bigint[]) IS
    'Recomputes outcome_code, outcome_code_id, level (latest HIGH outcome log; NULL when none) and billable_time (sum of the timers) of the given cases, or of every case when NULL, writing only cases that differ (and touching their modified). NOTICE every 10,000 cases. Returns the number of cases changed';
REVOKE ALL ON FUNCTION @extschema@.repair_cases(bigint[]) FROM PUBLIC;
