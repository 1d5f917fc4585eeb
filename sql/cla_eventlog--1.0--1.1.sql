-- cla_eventlog 1.0 -> 1.1.
--
-- Frozen once released, like the install scripts.  It makes a 1.0 database
-- what sql/cla_eventlog--1.1.sql makes a new one (test/t/upgrade.sh compares
-- every member object of the two).  1.1 adds:
--   case_history(case_id)   the log rows of a case with their descriptions
-- and changes:
--   mi_daily_codes, mi_billable_daily   days generated for the last 30
--                           years only, other days found through the index,
--                           so an absurd created neither slows nor breaks
--                           them (issue 17)
-- The C library of 1.1 also serves 1.0's SQL objects unchanged; status check
-- library_version says "not ok" until this update has run.

\echo Use "ALTER EXTENSION cla_eventlog UPDATE TO '1.1'" to load this file. \quit

CREATE FUNCTION @extschema@.case_history(case_id bigint)
RETURNS TABLE(log_id bigint, created timestamptz, event_key text, code text,
              description text, type text, level integer, level_name text,
              created_by bigint, created_by_role text, notes text,
              context jsonb, timer_id bigint, retired boolean)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT l.id, l.created, l.event_key, l.code, c.description, l.type, l.level,
           CASE l.level WHEN 29 THEN 'HIGH' WHEN 21 THEN 'MODERATE' WHEN 11 THEN 'MINOR' END,
           l.created_by, l.created_by_role, l.notes, l.context, l.timer_id, c.retired
      FROM @extschema@.log AS l
      LEFT JOIN @extschema@.code AS c
             ON c.event_key OPERATOR(pg_catalog.=) l.event_key
            AND c.code OPERATOR(pg_catalog.=) l.code
     WHERE l.case_id OPERATOR(pg_catalog.=) case_history.case_id
     ORDER BY l.id
$$;
COMMENT ON FUNCTION @extschema@.case_history(bigint) IS
    'The log rows of a case, oldest first, with each code''s description (also of retired codes) and level name';
REVOKE ALL ON FUNCTION @extschema@.case_history(bigint) FROM PUBLIC;

-- The daily views: same columns and comments, new days (sql/parts/60_mi.sql).
CREATE OR REPLACE VIEW @extschema@.mi_daily_codes AS
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

CREATE OR REPLACE VIEW @extschema@.mi_billable_daily AS
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
