-- Management information (README "Management information"): views and set-returning functions named
-- mi_*, readable by a DBA without knowing the internals.
--
-- Design rules:
--  * Plain views read only the extension's own tables (log, timer, code).
--    What needs the application's case table (its creation time, its
--    source) is a function that reads the bound table through _case_rows(),
--    because a view cannot name a table that is only known at binding time.
--  * Views and functions alike read the extension's tables with its owner's
--    rights (the functions are SECURITY DEFINER), so a reporting role needs
--    SELECT on the views and EXECUTE on the functions, and nothing on the
--    log.  The case table is read by _case_rows() as the table's owner, so
--    nothing of that owner's making runs with the extension owner's rights.
--  * Day boundaries and local times are taken in the setting
--    cla_eventlog.report_time_zone (default Europe/London); the helper below
--    also works in a session that has not loaded the C library yet.
--  * Every object can be read for a short range through an index: the row
--    views filter on created (log_created, timer_created); the daily views
--    join a series of local days to the table by a created range, so
--    "WHERE day = ..." becomes an index range scan, one per day; the callback
--    SLA reads CB1 rows through an expression index on their
--    requires_action_at.
--  * Seconds are whole seconds rounded up, the rule of billable time
--    (README "Side effects"), everywhere in MI.

-- The report time zone.  Not given a pinned search_path on purpose: the body
-- is fully qualified, and without SET the planner inlines it into the views.
-- Inlining parses the body under the caller's search_path, so it names its
-- operator (NULLIF would look "=" up there and could run one planted in
-- public).
CREATE FUNCTION @extschema@._report_time_zone() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT CASE WHEN pg_catalog.current_setting('cla_eventlog.report_time_zone', true) OPERATOR(pg_catalog.<>) ''
                THEN pg_catalog.current_setting('cla_eventlog.report_time_zone', true)
                ELSE 'Europe/London' END
$$;
COMMENT ON FUNCTION @extschema@._report_time_zone() IS
    'Internal: the setting cla_eventlog.report_time_zone, or Europe/London when the library is not loaded';

-- Whole seconds from earlier to later, rounded up (the MI rule); NULL if
-- either is NULL.  Inlined.
CREATE FUNCTION @extschema@._mi_seconds(later timestamptz, earlier timestamptz) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT pg_catalog.ceil(EXTRACT(EPOCH FROM later OPERATOR(pg_catalog.-) earlier))::bigint
$$;
COMMENT ON FUNCTION @extschema@._mi_seconds(timestamptz, timestamptz) IS
    'Internal: ceil(seconds(later - earlier)), the MI rounding of durations';

-- Local days from the one holding first to the one holding last, each with
-- its bounds as timestamptz (a DST day has 23 or 25 hours).  Inlined, so
-- parsed under the caller's search_path: the type is qualified too ("date"
-- is not a keyword; a domain public.date could run its CHECK).
CREATE FUNCTION @extschema@._report_days(first timestamptz, last timestamptz)
RETURNS TABLE(day date, day_start timestamptz, day_end timestamptz)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT g.d::pg_catalog.date,
           g.d AT TIME ZONE @extschema@._report_time_zone(),
           (g.d OPERATOR(pg_catalog.+) interval '1 day') AT TIME ZONE @extschema@._report_time_zone()
      FROM pg_catalog.generate_series(
               pg_catalog.date_trunc('day', first AT TIME ZONE @extschema@._report_time_zone()),
               pg_catalog.date_trunc('day', last AT TIME ZONE @extschema@._report_time_zone()),
               interval '1 day') AS g(d)
$$;
COMMENT ON FUNCTION @extschema@._report_days(timestamptz, timestamptz) IS
    'Internal: the local days (report time zone) from first to last, with their start and end instants';

-- The range a report function is given: both bounds (unless nullable), and
-- from before to.  One place for the errors every report raises.
CREATE FUNCTION @extschema@._require_range(from_name text, from_ts timestamptz, to_name text, to_ts timestamptz,
                                           hint text, nullable boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT nullable AND (from_ts IS NULL OR to_ts IS NULL) THEN
        RAISE EXCEPTION '% must not be null', CASE WHEN from_ts IS NULL THEN from_name ELSE to_name END
            USING ERRCODE = 'null_value_not_allowed', HINT = hint;
    END IF;
    IF from_ts > to_ts THEN
        RAISE EXCEPTION '% (%) is after % (%)', from_name, from_ts, to_name, to_ts
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@._require_range(text, timestamptz, text, timestamptz, text, boolean) IS
    'Internal: raises the report functions'' errors for a NULL bound (unless nullable) or a range whose start is after its end';

-- A time written in a log's context (requires_action_at, sla_120, ...) as
-- timestamptz.  IMMUTABLE, so it can be indexed: only ISO 8601 is read
-- ("2024-03-01T10:30:00+00:00", "...Z", a space instead of T, fractions),
-- whose meaning depends neither on DateStyle nor on the session's TimeZone;
-- a time without an offset is read as UTC.  Anything else, or an impossible
-- date, gives NULL instead of an error.  In C (src/iso_time.c) so that no
-- value opens a subtransaction (README "Reports on a standby").
CREATE FUNCTION @extschema@._iso_time(value text) RETURNS timestamptz
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'cel_iso_time';
COMMENT ON FUNCTION @extschema@._iso_time(text) IS
    'Internal: an ISO 8601 time from a log context as timestamptz (no offset = UTC); NULL when malformed';

-- Callback rows (CB1 to CB4) by the start of their callback window:
-- mi_callback_sla reads CB1 through it, mi_callback_progression all four.
-- The code is in the key, so a scan for CB1 alone skips the others in the
-- index.
CREATE INDEX log_callback_requires_action_at
    ON @extschema@.log (@extschema@._iso_time(context OPERATOR(pg_catalog.->>) 'requires_action_at'), code)
    WHERE code IN ('CB1', 'CB2', 'CB3', 'CB4');

---------------------------------------------------------------------------
-- mi_outcomes: one row per outcome log.
CREATE VIEW @extschema@.mi_outcomes AS
SELECT l.id AS log_id,
       l.case_id,
       l.event_key,
       l.code,
       c.description,
       l.level,
       l.created,
       l.created_by,
       l.created_by_role,
       l.timer_id,
       CASE WHEN t.stopped IS NOT NULL AND NOT t.cancelled
            THEN @extschema@._mi_seconds(t.stopped, t.created)
       END AS timer_seconds,
       CASE WHEN NOT EXISTS (SELECT 1 FROM @extschema@.log n
                              WHERE n.case_id OPERATOR(pg_catalog.=) l.case_id
                                AND n.id OPERATOR(pg_catalog.>) l.id
                                AND n.type OPERATOR(pg_catalog.=) 'outcome')
            THEN (SELECT COALESCE(pg_catalog.sum(@extschema@._mi_seconds(b.stopped, b.created)), 0)::bigint
                    FROM @extschema@.timer b
                   WHERE b.linked_case OPERATOR(pg_catalog.=) l.case_id
                     AND b.stopped IS NOT NULL AND NOT b.cancelled)
       END AS cumulative_seconds,
       CASE WHEN l.code OPERATOR(pg_catalog.=) 'COI' OR l.code OPERATOR(pg_catalog.~~) 'MIS%'
            THEN l.code
       END AS reject_reason,
       l.context OPERATOR(pg_catalog.->>) 'provider' AS provider,
       CASE WHEN l.created_by_role OPERATOR(pg_catalog.=) ANY ((SELECT @extschema@._role_family('operator'))::text[])
            THEN 'OS:' OPERATOR(pg_catalog.||) l.created_by
            WHEN l.created_by_role OPERATOR(pg_catalog.=) ANY ((SELECT @extschema@._role_family('specialist'))::text[])
            THEN 'SP:' OPERATOR(pg_catalog.||) l.created_by
       END AS user_id,
       CASE WHEN l.code OPERATOR(pg_catalog.=) 'NCOE' THEN 0
            WHEN t.stopped IS NOT NULL AND NOT t.cancelled
            THEN @extschema@._mi_seconds(t.stopped, t.created)
       END AS billable_seconds
  FROM @extschema@.log l
  LEFT JOIN @extschema@.code c
         ON c.event_key OPERATOR(pg_catalog.=) l.event_key AND c.code OPERATOR(pg_catalog.=) l.code
  LEFT JOIN @extschema@.timer t ON t.id OPERATOR(pg_catalog.=) l.timer_id
 WHERE l.type OPERATOR(pg_catalog.=) 'outcome';
COMMENT ON VIEW @extschema@.mi_outcomes IS
    'MI: one row per outcome log (any level), with its timer''s seconds and, on the case''s latest outcome row, the case''s billable time. Filter on created for an index range scan';
COMMENT ON COLUMN @extschema@.mi_outcomes.log_id IS 'The outcome log';
COMMENT ON COLUMN @extschema@.mi_outcomes.case_id IS 'Its case';
COMMENT ON COLUMN @extschema@.mi_outcomes.event_key IS 'Its event';
COMMENT ON COLUMN @extschema@.mi_outcomes.code IS 'Its code';
COMMENT ON COLUMN @extschema@.mi_outcomes.description IS 'The code''s description (also for retired codes)';
COMMENT ON COLUMN @extschema@.mi_outcomes.level IS 'The log level (29 HIGH, 21 MODERATE, 11 MINOR)';
COMMENT ON COLUMN @extschema@.mi_outcomes.created IS 'When it was logged';
COMMENT ON COLUMN @extschema@.mi_outcomes.created_by IS 'The application user who logged it';
COMMENT ON COLUMN @extschema@.mi_outcomes.created_by_role IS 'The acting role, NULL when none was given';
COMMENT ON COLUMN @extschema@.mi_outcomes.timer_id IS 'The timer the log carries, if any';
COMMENT ON COLUMN @extschema@.mi_outcomes.timer_seconds IS 'ceil(stopped - created) of its timer in seconds, when that timer is stopped and not cancelled; else NULL';
COMMENT ON COLUMN @extschema@.mi_outcomes.cumulative_seconds IS 'On the case''s latest (highest id) outcome row only: the case''s billable time, the sum of its stopped non-cancelled timers; else NULL';
COMMENT ON COLUMN @extschema@.mi_outcomes.reject_reason IS 'The code when it is COI or starts with MIS (a specialist''s reason for rejecting); else NULL';
COMMENT ON COLUMN @extschema@.mi_outcomes.provider IS 'context->>''provider'' of the log';
COMMENT ON COLUMN @extschema@.mi_outcomes.user_id IS 'OS:<created_by> for an operator''s log, SP:<created_by> for a specialist''s, else NULL (the case extract''s User_ID)';
COMMENT ON COLUMN @extschema@.mi_outcomes.billable_seconds IS 'The case extract''s Billable_Time: 0 for NCOE, else timer_seconds';

---------------------------------------------------------------------------
-- mi_case_outcomes: one row per case with a HIGH outcome, showing the
-- outcome the case is denormalised to.  Written as "the outcome row with no
-- later one" so that filters on outcome_at (log_created) and on case_id
-- (log_case_high_outcome) both reach an index.
CREATE VIEW @extschema@.mi_case_outcomes AS
SELECT l.case_id,
       l.event_key,
       l.code AS outcome_code,
       l.id AS outcome_log_id,
       l.level,
       l.created AS outcome_at,
       (SELECT pg_catalog.count(*) FROM @extschema@.log a
         WHERE a.case_id OPERATOR(pg_catalog.=) l.case_id
           AND a.type OPERATOR(pg_catalog.=) 'outcome' AND a.level OPERATOR(pg_catalog.>=) 29) AS outcome_count
  FROM @extschema@.log l
 WHERE l.type OPERATOR(pg_catalog.=) 'outcome' AND l.level OPERATOR(pg_catalog.>=) 29
   AND NOT EXISTS (SELECT 1 FROM @extschema@.log n
                    WHERE n.case_id OPERATOR(pg_catalog.=) l.case_id
                      AND n.type OPERATOR(pg_catalog.=) 'outcome' AND n.level OPERATOR(pg_catalog.>=) 29
                      AND n.id OPERATOR(pg_catalog.>) l.id);
COMMENT ON VIEW @extschema@.mi_case_outcomes IS
    'MI: one row per case that has an outcome log at HIGH or above: its latest such log (what the case is denormalised to) and how many it has';
COMMENT ON COLUMN @extschema@.mi_case_outcomes.case_id IS 'The case';
COMMENT ON COLUMN @extschema@.mi_case_outcomes.event_key IS 'Event of the latest HIGH outcome';
COMMENT ON COLUMN @extschema@.mi_case_outcomes.outcome_code IS 'Code of the latest (highest id) HIGH outcome log';
COMMENT ON COLUMN @extschema@.mi_case_outcomes.outcome_log_id IS 'Id of that log';
COMMENT ON COLUMN @extschema@.mi_case_outcomes.level IS 'Its level';
COMMENT ON COLUMN @extschema@.mi_case_outcomes.outcome_at IS 'When it was logged';
COMMENT ON COLUMN @extschema@.mi_case_outcomes.outcome_count IS 'Number of HIGH outcome logs of the case, the latest included';

---------------------------------------------------------------------------
-- mi_daily_codes: local day x event key x code.
CREATE VIEW @extschema@.mi_daily_codes AS
WITH RECURSIVE
-- The bounds of the generated series of days: the start of the local day 30
-- years ago and of the day after tomorrow.
b(lo, hi) AS (
    SELECT pg_catalog.date_trunc('day', (pg_catalog.now() OPERATOR(pg_catalog.-) interval '30 years')
                                        AT TIME ZONE @extschema@._report_time_zone())
               AT TIME ZONE @extschema@._report_time_zone(),
           pg_catalog.date_trunc('day', (pg_catalog.now() OPERATOR(pg_catalog.+) interval '2 days')
                                        AT TIME ZONE @extschema@._report_time_zone())
               AT TIME ZONE @extschema@._report_time_zone()),
-- The days with a log row before lo or from hi on, one index probe each:
-- the next row after the day found.  The first and the last week of the
-- timestamp range are left out (a day there may have no representable
-- start or end).
o(day, day_start, day_end, region_end) AS (
    SELECT s.day, s.day_start, s.day_end, g.region_end
      FROM b
     CROSS JOIN LATERAL (VALUES ('4714-12-01 00:00:00+00 BC'::timestamptz, b.lo),
                                (b.hi, '294276-12-24 00:00:00+00'::timestamptz)) AS g(region_start, region_end)
     CROSS JOIN LATERAL (SELECT pg_catalog.min(x.created) AS first FROM @extschema@.log x
                          WHERE x.created OPERATOR(pg_catalog.>=) g.region_start
                            AND x.created OPERATOR(pg_catalog.<) g.region_end) f
     CROSS JOIN LATERAL (SELECT pg_catalog.date_trunc('day', f.first AT TIME ZONE @extschema@._report_time_zone()) AS d
                          WHERE f.first IS NOT NULL) t
     CROSS JOIN LATERAL (SELECT t.d::pg_catalog.date AS day,
                                t.d AT TIME ZONE @extschema@._report_time_zone() AS day_start,
                                (t.d OPERATOR(pg_catalog.+) interval '1 day') AT TIME ZONE @extschema@._report_time_zone() AS day_end) s
    UNION ALL
    SELECT s.day, s.day_start, s.day_end, o.region_end
      FROM o
     CROSS JOIN LATERAL (SELECT pg_catalog.min(x.created) AS first FROM @extschema@.log x
                          WHERE x.created OPERATOR(pg_catalog.>=) o.day_end
                            AND x.created OPERATOR(pg_catalog.<) o.region_end) f
     CROSS JOIN LATERAL (SELECT pg_catalog.date_trunc('day', f.first AT TIME ZONE @extschema@._report_time_zone()) AS d
                          WHERE f.first IS NOT NULL) t
     CROSS JOIN LATERAL (SELECT t.d::pg_catalog.date AS day,
                                t.d AT TIME ZONE @extschema@._report_time_zone() AS day_start,
                                (t.d OPERATOR(pg_catalog.+) interval '1 day') AT TIME ZONE @extschema@._report_time_zone() AS day_end) s)
SELECT d.day,
       l.event_key,
       l.code,
       l.type,
       l.level,
       pg_catalog.count(*) AS count,
       pg_catalog.count(DISTINCT l.case_id) AS cases,
       pg_catalog.count(DISTINCT l.created_by) AS users
  FROM (-- the days from the first to the last log row in [lo, hi): a series
        SELECT s.day, s.day_start, s.day_end
          FROM (SELECT pg_catalog.min(x.created) AS first, pg_catalog.max(x.created) AS last
                  FROM @extschema@.log x
                 WHERE x.created OPERATOR(pg_catalog.>=) (SELECT b.lo FROM b)
                   AND x.created OPERATOR(pg_catalog.<) (SELECT b.hi FROM b)) r
         CROSS JOIN LATERAL @extschema@._report_days(r.first, r.last) s
        UNION ALL
        SELECT o.day, o.day_start, o.day_end FROM o) d
  -- each day's rows by one index range scan (OFFSET 0 keeps the planner
  -- from turning it into a scan of the whole log)
 CROSS JOIN LATERAL (SELECT x.event_key, x.code, x.type, x.level, x.case_id, x.created_by
                       FROM @extschema@.log x
                      WHERE x.created OPERATOR(pg_catalog.>=) d.day_start
                        AND x.created OPERATOR(pg_catalog.<) d.day_end
                     OFFSET 0) l
 GROUP BY d.day, l.event_key, l.code, l.type, l.level;
COMMENT ON VIEW @extschema@.mi_daily_codes IS
    'MI: logs per local day (cla_eventlog.report_time_zone), event key and code. "WHERE day = ..." or a day range reads the log through its created index';
COMMENT ON COLUMN @extschema@.mi_daily_codes.day IS 'Local date in cla_eventlog.report_time_zone';
COMMENT ON COLUMN @extschema@.mi_daily_codes.event_key IS 'Event key';
COMMENT ON COLUMN @extschema@.mi_daily_codes.code IS 'Code';
COMMENT ON COLUMN @extschema@.mi_daily_codes.type IS 'Log type of the code';
COMMENT ON COLUMN @extschema@.mi_daily_codes.level IS 'Log level of the code';
COMMENT ON COLUMN @extschema@.mi_daily_codes.count IS 'Number of logs';
COMMENT ON COLUMN @extschema@.mi_daily_codes.cases IS 'Number of distinct cases';
COMMENT ON COLUMN @extschema@.mi_daily_codes.users IS 'Number of distinct users (created_by)';

---------------------------------------------------------------------------
-- mi_timers: one row per timer.
CREATE VIEW @extschema@.mi_timers AS
SELECT t.id AS timer_id,
       t.created_by,
       t.linked_case,
       t.created,
       t.stopped,
       CASE WHEN t.stopped IS NOT NULL
            THEN @extschema@._mi_seconds(t.stopped, t.created)
       END AS seconds,
       CASE WHEN t.stopped IS NULL THEN 'running'
            WHEN t.cancelled THEN 'cancelled'
            ELSE 'stopped'
       END AS state,
       CASE WHEN t.stopped IS NOT NULL AND NOT t.cancelled
            THEN @extschema@._mi_seconds(t.stopped, t.created)
            ELSE 0
       END AS billable_seconds
  FROM @extschema@.timer t;
COMMENT ON VIEW @extschema@.mi_timers IS
    'MI: one row per timer with its duration and state. Filter on created for an index range scan';
COMMENT ON COLUMN @extschema@.mi_timers.timer_id IS 'The timer';
COMMENT ON COLUMN @extschema@.mi_timers.created_by IS 'The user who ran it';
COMMENT ON COLUMN @extschema@.mi_timers.linked_case IS 'The case it was billed to (case of its latest log when stopped), NULL if none';
COMMENT ON COLUMN @extschema@.mi_timers.created IS 'When it started';
COMMENT ON COLUMN @extschema@.mi_timers.stopped IS 'When it was stopped or cancelled; NULL while running';
COMMENT ON COLUMN @extschema@.mi_timers.seconds IS 'ceil(stopped - created) in seconds, also for a cancelled timer; NULL while running';
COMMENT ON COLUMN @extschema@.mi_timers.state IS 'running, stopped or cancelled';
COMMENT ON COLUMN @extschema@.mi_timers.billable_seconds IS 'seconds when stopped and not cancelled (what counts towards the case''s billable time), else 0';

---------------------------------------------------------------------------
-- mi_billable_daily: local day (of the timer's start) x user.
CREATE VIEW @extschema@.mi_billable_daily AS
WITH RECURSIVE
-- The bounds of the generated series of days: the start of the local day 30
-- years ago and of the day after tomorrow.
b(lo, hi) AS (
    SELECT pg_catalog.date_trunc('day', (pg_catalog.now() OPERATOR(pg_catalog.-) interval '30 years')
                                        AT TIME ZONE @extschema@._report_time_zone())
               AT TIME ZONE @extschema@._report_time_zone(),
           pg_catalog.date_trunc('day', (pg_catalog.now() OPERATOR(pg_catalog.+) interval '2 days')
                                        AT TIME ZONE @extschema@._report_time_zone())
               AT TIME ZONE @extschema@._report_time_zone()),
-- The days with a timer row before lo or from hi on, one index probe each:
-- the next row after the day found.  The first and the last week of the
-- timestamp range are left out (a day there may have no representable
-- start or end).
o(day, day_start, day_end, region_end) AS (
    SELECT s.day, s.day_start, s.day_end, g.region_end
      FROM b
     CROSS JOIN LATERAL (VALUES ('4714-12-01 00:00:00+00 BC'::timestamptz, b.lo),
                                (b.hi, '294276-12-24 00:00:00+00'::timestamptz)) AS g(region_start, region_end)
     CROSS JOIN LATERAL (SELECT pg_catalog.min(x.created) AS first FROM @extschema@.timer x
                          WHERE x.created OPERATOR(pg_catalog.>=) g.region_start
                            AND x.created OPERATOR(pg_catalog.<) g.region_end) f
     CROSS JOIN LATERAL (SELECT pg_catalog.date_trunc('day', f.first AT TIME ZONE @extschema@._report_time_zone()) AS d
                          WHERE f.first IS NOT NULL) t
     CROSS JOIN LATERAL (SELECT t.d::pg_catalog.date AS day,
                                t.d AT TIME ZONE @extschema@._report_time_zone() AS day_start,
                                (t.d OPERATOR(pg_catalog.+) interval '1 day') AT TIME ZONE @extschema@._report_time_zone() AS day_end) s
    UNION ALL
    SELECT s.day, s.day_start, s.day_end, o.region_end
      FROM o
     CROSS JOIN LATERAL (SELECT pg_catalog.min(x.created) AS first FROM @extschema@.timer x
                          WHERE x.created OPERATOR(pg_catalog.>=) o.day_end
                            AND x.created OPERATOR(pg_catalog.<) o.region_end) f
     CROSS JOIN LATERAL (SELECT pg_catalog.date_trunc('day', f.first AT TIME ZONE @extschema@._report_time_zone()) AS d
                          WHERE f.first IS NOT NULL) t
     CROSS JOIN LATERAL (SELECT t.d::pg_catalog.date AS day,
                                t.d AT TIME ZONE @extschema@._report_time_zone() AS day_start,
                                (t.d OPERATOR(pg_catalog.+) interval '1 day') AT TIME ZONE @extschema@._report_time_zone() AS day_end) s)
SELECT d.day,
       t.created_by,
       pg_catalog.count(*) AS timers,
       pg_catalog.sum(CASE WHEN t.stopped IS NOT NULL AND NOT t.cancelled
                           THEN @extschema@._mi_seconds(t.stopped, t.created)
                           ELSE 0 END)::bigint AS billable_seconds,
       pg_catalog.count(*) FILTER (WHERE t.stopped IS NOT NULL AND NOT t.cancelled) AS billable_timers,
       pg_catalog.count(*) FILTER (WHERE t.cancelled) AS cancelled_timers,
       pg_catalog.count(*) FILTER (WHERE t.stopped IS NULL) AS running_timers
  FROM (-- the days from the first to the last timer row in [lo, hi): a series
        SELECT s.day, s.day_start, s.day_end
          FROM (SELECT pg_catalog.min(x.created) AS first, pg_catalog.max(x.created) AS last
                  FROM @extschema@.timer x
                 WHERE x.created OPERATOR(pg_catalog.>=) (SELECT b.lo FROM b)
                   AND x.created OPERATOR(pg_catalog.<) (SELECT b.hi FROM b)) r
         CROSS JOIN LATERAL @extschema@._report_days(r.first, r.last) s
        UNION ALL
        SELECT o.day, o.day_start, o.day_end FROM o) d
  -- each day's timers by one index range scan (OFFSET 0: see mi_daily_codes)
 CROSS JOIN LATERAL (SELECT x.created_by, x.created, x.stopped, x.cancelled
                       FROM @extschema@.timer x
                      WHERE x.created OPERATOR(pg_catalog.>=) d.day_start
                        AND x.created OPERATOR(pg_catalog.<) d.day_end
                     OFFSET 0) t
 GROUP BY d.day, t.created_by;
COMMENT ON VIEW @extschema@.mi_billable_daily IS
    'MI: timers per local day of their start (cla_eventlog.report_time_zone) and user, with billable seconds. "WHERE day = ..." reads timers through their created index';
COMMENT ON COLUMN @extschema@.mi_billable_daily.day IS 'Local date the timers started on, in cla_eventlog.report_time_zone';
COMMENT ON COLUMN @extschema@.mi_billable_daily.created_by IS 'The user';
COMMENT ON COLUMN @extschema@.mi_billable_daily.timers IS 'Timers the user started that day, whatever their state';
COMMENT ON COLUMN @extschema@.mi_billable_daily.billable_seconds IS 'Sum of ceil(stopped - created) in seconds over those stopped and not cancelled';
COMMENT ON COLUMN @extschema@.mi_billable_daily.billable_timers IS 'Of the timers, those stopped and not cancelled';
COMMENT ON COLUMN @extschema@.mi_billable_daily.cancelled_timers IS 'Of the timers, those cancelled';
COMMENT ON COLUMN @extschema@.mi_billable_daily.running_timers IS 'Of the timers, those still running';

---------------------------------------------------------------------------
-- mi_first_actions: one row per case created in [from_ts, to_ts).
CREATE FUNCTION @extschema@.mi_first_actions(from_ts timestamptz DEFAULT NULL, to_ts timestamptz DEFAULT NULL)
RETURNS TABLE(case_id bigint,
              created timestamptz,
              seconds_to_operator_access bigint,
              seconds_to_operator_action bigint,
              seconds_to_specialist_access bigint,
              operator_access_at timestamptz,
              operator_action_at timestamptz,
              assigned_at timestamptz,
              specialist_access_at timestamptz)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    -- who counts as an operator or a specialist (README "Registry": members too)
    operators   text[] := @extschema@._role_family('operator');
    specialists text[] := @extschema@._role_family('specialist');
BEGIN
    PERFORM @extschema@._require_range('from_ts', from_ts, 'to_ts', to_ts, NULL, nullable => true);
    PERFORM @extschema@._require_case_role('created', 'mi_first_actions measures from the case''s creation time.');
    RETURN QUERY
        SELECT c.case_id, c.created,
               @extschema@._mi_seconds(acc.created, c.created),
               @extschema@._mi_seconds(act.created, c.created),
               @extschema@._mi_seconds(sp.created, asg.created),
               acc.created, act.created, asg.created, sp.created
          FROM @extschema@._case_rows(NULL, from_ts, to_ts) c
          LEFT JOIN LATERAL (
                SELECT l.created FROM @extschema@.log l
                 WHERE l.case_id = c.case_id AND l.created_by_role = ANY (operators) AND l.code <> 'CASE_CREATED'
                 ORDER BY l.id LIMIT 1) acc ON true
          LEFT JOIN LATERAL (
                SELECT l.created FROM @extschema@.log l
                 WHERE l.case_id = c.case_id AND l.created_by_role = ANY (operators) AND l.code <> 'CASE_CREATED'
                   AND l.level >= 29
                 ORDER BY l.id LIMIT 1) act ON true
          LEFT JOIN LATERAL (
                SELECT l.id, l.created FROM @extschema@.log l
                 WHERE l.case_id = c.case_id AND l.code IN ('REFSP', 'MANALC', 'MANREF', 'SPOR')
                 ORDER BY l.id LIMIT 1) asg ON true
          LEFT JOIN LATERAL (
                SELECT l.created FROM @extschema@.log l
                 WHERE l.case_id = c.case_id AND l.id > asg.id AND l.created_by_role = ANY (specialists)
                 ORDER BY l.id LIMIT 1) sp ON true
         ORDER BY c.case_id;
END
$$;
COMMENT ON FUNCTION @extschema@.mi_first_actions(timestamptz, timestamptz) IS
    'MI: for each case created in [from_ts, to_ts) (NULL = unbounded): seconds from creation to the first operator log other than CASE_CREATED (access, any level; action, HIGH or above), and from the first assignment log (REFSP, MANALC, MANREF, SPOR) to the first specialist log after it. Columns: case_id, created, seconds_to_operator_access, seconds_to_operator_action, seconds_to_specialist_access, and the four instants. "Operator"/"specialist" is the log''s created_by_role, or a role that is a member of it; "first" is the lowest log id';

---------------------------------------------------------------------------
-- _cb1_callbacks: the CB1 logs whose requires_action_at lies strictly
-- between from_ts and to_ts, each with what happened after it on its case:
-- the facts both callback reports (mi_callback_sla, mi_callback_sla_agilisys)
-- decide on, read once.
CREATE FUNCTION @extschema@._cb1_callbacks(from_ts timestamptz, to_ts timestamptz, terminal_codes text[])
RETURNS TABLE(log_id bigint, case_id bigint, source text, created timestamptz, created_by bigint,
              w0 timestamptz, w1 timestamptz, sla_15 timestamptz, sla_30 timestamptz,
              sla_120 timestamptz, sla_480 timestamptz, sla_72h timestamptz,
              view_at timestamptz, action_at timestamptz, action_code text, call_at timestamptz,
              terminal_at timestamptz, terminal_code text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    source_ids bigint[];
    sources text[];
    operators text[] := @extschema@._role_family('operator');
BEGIN
    PERFORM @extschema@._require_range('from_ts', from_ts, 'to_ts', to_ts,
        'Give the range of callback times to report on, for example a day: mi_callback_sla(''2024-03-01'', ''2024-03-02'').');
    IF terminal_codes IS NULL THEN
        RAISE EXCEPTION 'terminal_codes must not be null'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Leave it out to get its default.';
    END IF;
    -- The cases' sources, read through _case_rows() (as the case table's
    -- owner).  Without a binding, or without the source role, every source
    -- is NULL, an "other source": the report still lists the callbacks.
    IF EXISTS (SELECT 1 FROM @extschema@.case_binding b WHERE b.columns ? 'source') THEN
        SELECT array_agg(c.case_id), array_agg(c.source) INTO source_ids, sources
          FROM @extschema@._case_rows(ARRAY(
                   SELECT DISTINCT l.case_id FROM @extschema@.log l
                    WHERE l.code = 'CB1'
                      AND @extschema@._iso_time(l.context ->> 'requires_action_at') > from_ts
                      AND @extschema@._iso_time(l.context ->> 'requires_action_at') < to_ts)) c;
    END IF;

    RETURN QUERY
        SELECT l.id, l.case_id, src.source, l.created, l.created_by,
               w.w0, w.w0 + interval '30 minutes',
               @extschema@._iso_time(l.context ->> 'sla_15'),
               @extschema@._iso_time(l.context ->> 'sla_30'),
               @extschema@._iso_time(l.context ->> 'sla_120'),
               @extschema@._iso_time(l.context ->> 'sla_480'),
               @extschema@._iso_time(l.context ->> 'sla_72h'),
               v.created, a.created, a.code, cs.created, t.created, t.code
          FROM @extschema@.log l
         CROSS JOIN LATERAL (SELECT @extschema@._iso_time(l.context ->> 'requires_action_at') AS w0) w
          LEFT JOIN ROWS FROM (pg_catalog.unnest(source_ids), pg_catalog.unnest(sources)) AS src(case_id, source)
                 ON src.case_id = l.case_id
          LEFT JOIN LATERAL (
                SELECT n.created FROM @extschema@.log n
                 WHERE n.case_id = l.case_id AND n.id > l.id AND n.created_by_role = ANY (operators)
                 ORDER BY n.id LIMIT 1) v ON true
          LEFT JOIN LATERAL (
                SELECT n.created, n.code FROM @extschema@.log n
                 WHERE n.case_id = l.case_id AND n.id > l.id AND n.created_by_role = ANY (operators)
                   AND n.level >= 29 AND n.type IN ('outcome', 'event')
                 ORDER BY n.id LIMIT 1) a ON true
          LEFT JOIN LATERAL (
                SELECT n.created FROM @extschema@.log n
                 WHERE n.case_id = l.case_id AND n.id > l.id AND n.code = 'CALL_STARTED'
                 ORDER BY n.id LIMIT 1) cs ON true
          LEFT JOIN LATERAL (
                SELECT n.created, n.code FROM @extschema@.log n
                 WHERE n.case_id = l.case_id AND n.id > l.id AND n.code = ANY (terminal_codes)
                 ORDER BY n.id LIMIT 1) t ON true
         WHERE l.code = 'CB1'
           AND @extschema@._iso_time(l.context ->> 'requires_action_at') > from_ts
           AND @extschema@._iso_time(l.context ->> 'requires_action_at') < to_ts;
END
$$;
COMMENT ON FUNCTION @extschema@._cb1_callbacks(timestamptz, timestamptz, text[]) IS
    'Internal: the CB1 logs of a range of callback times with their SLA times and the first operator view, operator action, call started and terminal log after each; for the callback reports';

---------------------------------------------------------------------------
-- mi_callback_sla: one row per CB1 log whose requires_action_at
-- lies strictly between from_ts and to_ts.
CREATE FUNCTION @extschema@.mi_callback_sla(
    from_ts        timestamptz,
    to_ts          timestamptz,
    at_ts          timestamptz DEFAULT pg_catalog.now(),
    terminal_codes text[] DEFAULT ARRAY['TERM', 'ABND', 'PCB', 'COPE', 'DUPL', 'INSUF', 'IRCB', 'NCOE',
                                        'DESP', 'DECL', 'IRKB', 'MRCC', 'NRES', 'SAME', 'COSPF', 'SPFM',
                                        'EDFF', 'SPFN', 'CBSP', 'MANALC', 'MANREF', 'RDSP', 'REFSP', 'SPOR',
                                        'WROF', 'REFDPA', 'RELBD', 'RSTR', 'NOLA'])
RETURNS TABLE(log_id bigint,
              case_id bigint,
              source text,
              created timestamptz,
              created_by bigint,
              window_start timestamptz,
              window_end timestamptz,
              first_operator_view_at timestamptz,
              first_operator_action_at timestamptz,
              next_outcome text,
              call_started_at timestamptz,
              terminal_at timestamptz,
              terminal_code text,
              sla_120 timestamptz,
              sla_480 timestamptz,
              sla_72h timestamptz,
              missed_sla_1 boolean,
              missed_sla_2 boolean)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF at_ts IS NULL THEN
        RAISE EXCEPTION 'at_ts must not be null'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Leave it out to get its default.';
    END IF;
    RETURN QUERY
        SELECT s.log_id, s.case_id, s.source, s.created, s.created_by, s.w0, s.w1,
               s.view_at, s.action_at, s.action_code, s.call_at, s.terminal_at, s.terminal_code,
               s.sla_120, s.sla_480, s.sla_72h,
               CASE
                 WHEN s.source IN ('WEB', 'PHONE') THEN
                   CASE WHEN s.action_at IS NULL AND at_ts < s.w0 THEN false
                        WHEN s.action_at IS NULL THEN at_ts > s.w1
                        ELSE s.action_at < s.w0 OR s.action_at > s.w1 END
                 WHEN s.source IN ('SMS', 'VOICEMAIL') THEN
                   CASE WHEN s.call_at IS NULL THEN at_ts > s.sla_120
                        ELSE s.call_at > s.sla_120 END
                 ELSE false
               END,
               CASE
                 WHEN s.source IN ('WEB', 'PHONE') THEN
                   CASE WHEN s.terminal_at IS NULL THEN at_ts > s.sla_72h
                        WHEN s.action_at IS NULL THEN false
                        ELSE s.action_at > s.sla_72h END
                 WHEN s.source IN ('SMS', 'VOICEMAIL') THEN
                   CASE WHEN s.terminal_at IS NULL THEN at_ts > s.sla_480
                        ELSE s.terminal_at > s.sla_480 END
                 ELSE false
               END
          FROM @extschema@._cb1_callbacks(from_ts, to_ts, terminal_codes) s
         ORDER BY s.w0, s.log_id;
END
$$;
COMMENT ON FUNCTION @extschema@.mi_callback_sla(timestamptz, timestamptz, timestamptz, text[]) IS
    'MI: the callback SLA report (README "Management information"): one row per CB1 log whose context->>''requires_action_at'' lies strictly between from_ts and to_ts, with the first operator view and action, call started and terminal log after it, and missed_sla_1/missed_sla_2 as of at_ts. CB1 rows whose requires_action_at is missing or not an ISO 8601 time are skipped; a missing sla_120/sla_480/sla_72h makes the flag that needs it NULL. Reads CB1 rows through the index log_callback_requires_action_at';

---------------------------------------------------------------------------
-- mi_callback_sla_agilisys: the service's CB1 extract for Agilisys (f.3):
-- the same callbacks, with each SLA time and whether it is over: the first
-- operator action after it, or at_ts while there is none, is later.
CREATE FUNCTION @extschema@.mi_callback_sla_agilisys(from_ts timestamptz, to_ts timestamptz,
                                                     at_ts timestamptz DEFAULT pg_catalog.now())
RETURNS TABLE(log_id bigint, case_id bigint, source text, created timestamptz, created_by bigint,
              requires_action_at timestamptz, first_operator_view_at timestamptz,
              first_operator_action_at timestamptz, next_outcome text,
              sla_15 timestamptz, sla_30 timestamptz, sla_120 timestamptz, sla_480 timestamptz,
              is_over_sla_15 boolean, is_over_sla_30 boolean, is_over_sla_120 boolean,
              is_over_sla_480 boolean)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF at_ts IS NULL THEN
        RAISE EXCEPTION 'at_ts must not be null'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Leave it out to get its default.';
    END IF;
    RETURN QUERY
        SELECT s.log_id, s.case_id, s.source, s.created, s.created_by, s.w0, s.view_at, s.action_at,
               s.action_code, s.sla_15, s.sla_30, s.sla_120, s.sla_480,
               COALESCE(s.action_at, at_ts) > s.sla_15,
               COALESCE(s.action_at, at_ts) > s.sla_30,
               COALESCE(s.action_at, at_ts) > s.sla_120,
               COALESCE(s.action_at, at_ts) > s.sla_480
          FROM @extschema@._cb1_callbacks(from_ts, to_ts, '{}') s
         ORDER BY s.w0, s.log_id;
END
$$;
COMMENT ON FUNCTION @extschema@.mi_callback_sla_agilisys(timestamptz, timestamptz, timestamptz) IS
    'MI: the CB1 extract for Agilisys: one row per CB1 log whose requires_action_at lies strictly between from_ts and to_ts, with sla_15, sla_30, sla_120, sla_480 from its context and is_over_sla_* (the first operator action after it, or at_ts while there is none, is later than that time; NULL when the context lacks it)';
