-- mi: the management-information views and mi_first_actions on a small,
-- fixed scenario (times given explicitly, so every figure is exact).
\i test/setup.psql

-- Registration (raw catalog rows; the C registry cache sees raw DML).
INSERT INTO cla_eventlog.event (key) VALUES
    ('case'), ('call_me_back'), ('assign_to_provider'), ('reject_case'), ('mi_test');
INSERT INTO cla_eventlog.code (event_key, code, type, level, selectable_by, description, stops_timer) VALUES
    ('case', 'CASE_CREATED', 'system', 29, '{}', 'Case created', false),
    ('case', 'CASE_VIEWED', 'system', 11, '{}', 'Case viewed', false),
    ('case', 'CALL_STARTED', 'event', 29, '{operator}', 'Operator started call', false),
    ('call_me_back', 'CB1', 'outcome', 29, '{operator}', 'Callback 1', true),
    ('assign_to_provider', 'REFSP', 'outcome', 29, '{}', 'Referred to Specialist', true),
    ('reject_case', 'COI', 'outcome', 29, '{specialist}', 'Conflict of Interest', false),
    ('reject_case', 'MIS-OOS', 'outcome', 29, '{}', 'Misdiagnosed, out of scope', false),
    ('reject_case', 'CLOT', 'outcome', 29, '{specialist}', 'Other', false),
    ('mi_test', 'NOTE', 'outcome', 21, '{}', 'A MODERATE outcome', false);

-- The application's case table, bound with the default column names.
\i test/mi_case_table.psql
SET client_min_messages = warning;
SELECT cla_eventlog.bind_case_table('mi_app.legalaid_case');
RESET client_min_messages;
SET TimeZone = 'UTC';
SET cla_eventlog.report_time_zone = 'Europe/London';

-- The scenario.  Users: 101, 102 operators; 201 specialist; 103 has a
-- running timer.  Times are UTC; London is on BST (UTC+1) in June, so
-- 2024-06-01 23:20 UTC is 2024-06-02 00:20 local.
INSERT INTO mi_app.legalaid_case (id, created, source) VALUES
    (1, '2024-06-01 09:00+00', 'PHONE'),
    (2, '2024-06-01 10:00+00', 'WEB'),
    (3, '2024-06-03 12:00+00', 'SMS');
INSERT INTO cla_eventlog.timer (created_by, created, stopped, linked_case, cancelled) VALUES
    (101, '2024-06-01 09:00+00', '2024-06-01 09:05:00.2+00', 1, false),  -- 1: 301 s (rounded up)
    (101, '2024-06-01 23:20+00', '2024-06-01 23:30+00', 1, false),       -- 2: 600 s, local day 06-02
    (102, '2024-06-01 10:00+00', '2024-06-01 10:10+00', 2, true),        -- 3: cancelled
    (103, '2024-06-01 11:00+00', NULL, NULL, false),                     -- 4: running
    (102, '2024-06-01 10:20+00', '2024-06-01 10:30+00', 2, false);       -- 5: 600 s
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, created_by_role, timer_id, context, created) VALUES
    (1, 'case', 'CASE_CREATED', 101, 'operator', NULL, NULL, '2024-06-01 09:00+00'),          -- 1
    (1, 'case', 'CASE_VIEWED', 101, 'operator', NULL, NULL, '2024-06-01 09:00:30+00'),        -- 2
    (1, 'case', 'CALL_STARTED', 101, 'operator', NULL, NULL, '2024-06-01 09:01+00'),          -- 3
    (1, 'call_me_back', 'CB1', 101, 'operator', 1, NULL, '2024-06-01 09:05+00'),              -- 4
    (1, 'assign_to_provider', 'REFSP', 101, 'operator', 2, NULL, '2024-06-01 23:30+00'),      -- 5
    (1, 'reject_case', 'COI', 201, 'specialist', NULL, '{"provider": "Duncan Lewis"}', '2024-06-02 10:00+00'), -- 6
    (2, 'case', 'CASE_CREATED', 102, 'operator', NULL, NULL, '2024-06-01 10:00+00'),          -- 7
    (2, 'mi_test', 'NOTE', 102, 'operator', 5, NULL, '2024-06-01 10:05+00'),                  -- 8
    (2, 'reject_case', 'MIS-OOS', 201, 'specialist', NULL, '{"provider": "HSC"}', '2024-06-01 10:40+00'), -- 9
    (2, 'mi_test', 'NOTE', 102, 'operator', NULL, NULL, '2024-06-01 10:45+00'),               -- 10
    (3, 'case', 'CASE_CREATED', 102, 'operator', NULL, NULL, '2024-06-03 12:00+00');          -- 11

-- mi_outcomes: one row per outcome log, any level.  timer_seconds only for
-- a stopped, non-cancelled timer; cumulative_seconds (the case's billable
-- time: 301 + 600 for case 1, 600 for case 2, the cancelled timer left
-- out) only on the case's latest outcome row; reject_reason for COI and
-- MIS*; provider from the context.
SELECT log_id, case_id, event_key, code, description, level, created_by, created_by_role,
       timer_id, timer_seconds, cumulative_seconds, reject_reason, provider
  FROM cla_eventlog.mi_outcomes ORDER BY log_id;

-- mi_outcomes reads a created range (the index range a report uses).
SELECT log_id, code FROM cla_eventlog.mi_outcomes
 WHERE created >= '2024-06-01 23:00+00' AND created < '2024-06-02 23:00+00' ORDER BY log_id;

-- mi_case_outcomes: one row per case with a HIGH outcome: the latest one
-- (the MODERATE NOTE after MIS-OOS does not count), and how many it has.
-- Case 3 has none and is absent.
SELECT case_id, event_key, outcome_code, outcome_log_id, level, outcome_at, outcome_count
  FROM cla_eventlog.mi_case_outcomes ORDER BY case_id;

-- It agrees with what the triggers denormalised onto the case.
SELECT c.id, c.outcome_code, c.outcome_code_id, c.level,
       (o.outcome_code, o.outcome_log_id, o.level) IS NOT DISTINCT FROM (c.outcome_code, c.outcome_code_id, c.level) AS agrees
  FROM mi_app.legalaid_case c LEFT JOIN cla_eventlog.mi_case_outcomes o ON o.case_id = c.id
 ORDER BY c.id;

-- mi_daily_codes: days are local (Europe/London): REFSP at 23:30 UTC on
-- 06-01 counts on 06-02.  count, distinct cases, distinct users.
SELECT day, event_key, code, type, level, count, cases, users
  FROM cla_eventlog.mi_daily_codes ORDER BY day, event_key, code;

-- A day filter gives just that day.
SELECT day, code, count FROM cla_eventlog.mi_daily_codes WHERE day = '2024-06-02' ORDER BY code;

-- In UTC the same REFSP falls on 06-01.
SET cla_eventlog.report_time_zone = 'UTC';
SELECT day, code, count FROM cla_eventlog.mi_daily_codes WHERE code IN ('REFSP', 'COI') ORDER BY day, code;
SET cla_eventlog.report_time_zone = 'Europe/London';

-- mi_timers: one row per timer; seconds rounded up, also for a cancelled
-- timer, NULL while running; billable_seconds only for stopped ones.
SELECT timer_id, created_by, linked_case, seconds, state, billable_seconds
  FROM cla_eventlog.mi_timers ORDER BY timer_id;

-- mi_billable_daily: local day of the timer's start x user; timers counts
-- every timer started, billable_seconds only stopped, non-cancelled ones.
SELECT day, created_by, timers, billable_seconds, billable_timers, cancelled_timers, running_timers
  FROM cla_eventlog.mi_billable_daily ORDER BY day, created_by;

-- mi_first_actions: case 1: first operator log after creation is
-- CASE_VIEWED (30 s, any level); the first HIGH one CALL_STARTED (60 s);
-- REFSP at 23:30 to the specialist's COI at 10:00 next day (37800 s).
-- Case 2: operator access at 5 min (NOTE is MODERATE: no action); a
-- specialist log but no assignment: NULL.  Case 3: nothing but creation.
SELECT case_id, created, seconds_to_operator_access, seconds_to_operator_action,
       seconds_to_specialist_access, operator_access_at, operator_action_at, assigned_at, specialist_access_at
  FROM cla_eventlog.mi_first_actions() ORDER BY case_id;

-- Bounds select cases by their creation time, [from_ts, to_ts).
SELECT case_id FROM cla_eventlog.mi_first_actions('2024-06-01 09:00+00', '2024-06-01 10:00+00') ORDER BY case_id;
SELECT case_id FROM cla_eventlog.mi_first_actions(to_ts => '2024-06-02') ORDER BY case_id;
SELECT case_id FROM cla_eventlog.mi_first_actions('2024-06-02') ORDER BY case_id;

-- from_ts after to_ts is an error.
SELECT * FROM cla_eventlog.mi_first_actions('2024-06-02', '2024-06-01');

-- Without the case-column role "created", mi_first_actions says so.
SELECT cla_eventlog.bind_case_table('mi_app.legalaid_case', '{"created": null}');
SELECT * FROM cla_eventlog.mi_first_actions();
SELECT cla_eventlog.bind_case_table('mi_app.legalaid_case');

-- The day views read one day through the created indexes, not a scan of
-- the whole table (seq scans off only so the tiny tables do not hide it).
CREATE FUNCTION mi_app.scans(query text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    line text;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || query LOOP
        IF line ~ 'Scan' THEN
            RETURN NEXT btrim(regexp_replace(line, '^[ ->]*', ''));
        END IF;
    END LOOP;
END
$$;
SET enable_seqscan = off;
SELECT mi_app.scans($$SELECT * FROM cla_eventlog.mi_daily_codes WHERE day = '2024-06-02'$$);
SELECT mi_app.scans($$SELECT * FROM cla_eventlog.mi_billable_daily WHERE day = '2024-06-02'$$);
SELECT mi_app.scans($$SELECT * FROM cla_eventlog.mi_outcomes WHERE created >= '2024-06-02' AND created < '2024-06-03'$$);
SELECT mi_app.scans($$SELECT * FROM cla_eventlog.mi_case_outcomes WHERE case_id = 2$$);
SELECT mi_app.scans($$SELECT * FROM cla_eventlog.mi_timers WHERE created >= '2024-06-02' AND created < '2024-06-03'$$);
RESET enable_seqscan;

-- Every MI view and column is documented.
SELECT c.relname, a.attname
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
 WHERE n.nspname = 'cla_eventlog' AND c.relname LIKE 'mi\_%' AND c.relkind = 'v'
   AND col_description(c.oid, a.attnum) IS NULL;
SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'cla_eventlog' AND p.proname LIKE 'mi\_%' AND obj_description(p.oid, 'pg_proc') IS NULL
UNION ALL
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'cla_eventlog' AND c.relname LIKE 'mi\_%' AND obj_description(c.oid, 'pg_class') IS NULL;

SET client_min_messages = warning;
DROP SCHEMA mi_app CASCADE;
