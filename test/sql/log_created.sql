-- log_created: the times a log row's created may carry.  New rows must lie
-- in a window around now (cla_eventlog.created_window_past before the
-- transaction's start, cla_eventlog.created_window_future after the clock),
-- enforced by the BEFORE INSERT trigger for INSERT, COPY and log_event()
-- alike; a superuser widens it for an import, an ordinary role cannot.  Rows
-- already stored with absurd times (written before the window existed and
-- restored from a dump, which stores log rows as they were) neither break
-- nor slow the daily MI views, and the debounce never overflows on them.
\i test/setup.psql

INSERT INTO cla_eventlog.event (key) VALUES ('case'), ('call_me_back');
INSERT INTO cla_eventlog.code (event_key, code, type, level, selectable_by, description, stops_timer) VALUES
    ('case', 'CASE_VIEWED', 'system', 11, '{}', 'Case viewed', false),
    ('call_me_back', 'CB1', 'outcome', 29, '{}', 'Callback 1', false);
\i test/mi_case_table.psql
INSERT INTO mi_app.legalaid_case (id) SELECT generate_series(1, 4);
SET client_min_messages = warning;
SELECT cla_eventlog.bind_case_table('mi_app.legalaid_case');
RESET client_min_messages;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO';
SET cla_eventlog.report_time_zone = 'UTC';

-- error_of(statement): 'ok', or the SQLSTATE, message, detail and hint of
-- its error; times taken from the clock (the window's bounds, now()) are
-- shown as <time>.
CREATE FUNCTION pg_temp.error_of(statement text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    msg text;
    detail text;
    hint text;
BEGIN
    EXECUTE statement;
    RETURN NEXT 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
    RETURN NEXT SQLSTATE || ' ' || regexp_replace(msg, '20\d\d-\d\d-\d\d \d\d:\d\d:\d\d\.\d+\+00', '<time>', 'g');
    RETURN NEXT 'DETAIL: ' || regexp_replace(detail, '\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?\+00', '<time>', 'g');
    RETURN NEXT 'HINT: ' || hint;
END
$$;

-- The defaults: 30 years back (10958 days), 5 minutes ahead.  Both are
-- superuser settings.
SHOW cla_eventlog.created_window_past;
SHOW cla_eventlog.created_window_future;
SELECT name, context, unit, min_val, max_val FROM pg_settings
 WHERE name LIKE 'cla_eventlog.created_window%' ORDER BY name;

-- Inside the window: now, a minute ahead (clock skew between application
-- servers), a day and ten years back (history).
INSERT INTO cla_eventlog.log (case_id, code, created_by) VALUES (1, 'CASE_VIEWED', 7);
INSERT INTO cla_eventlog.log (case_id, code, created_by, created)
VALUES (1, 'CASE_VIEWED', 7, now() + interval '1 minute'),
       (1, 'CASE_VIEWED', 7, now() - interval '1 day'),
       (2, 'CASE_VIEWED', 7, now() - interval '10 years');
SELECT count(*) FROM cla_eventlog.log;

-- A plain INSERT after the window is refused: SQLSTATE 22008, the value and
-- the window in the message, the bounds in the detail, a hint.
SELECT pg_temp.error_of($$INSERT INTO cla_eventlog.log (case_id, code, created_by, created)
                          VALUES (1, 'CASE_VIEWED', 7, '200000-01-01 00:00+00')$$);
SELECT pg_temp.error_of($$INSERT INTO cla_eventlog.log (case_id, code, created_by, created)
                          VALUES (1, 'CASE_VIEWED', 7, now() + interval '1 hour')$$);
-- Before it too: the hint says how to import older history.
SELECT pg_temp.error_of($$INSERT INTO cla_eventlog.log (case_id, code, created_by, created)
                          VALUES (1, 'CASE_VIEWED', 7, '1900-01-01 00:00+00')$$);
-- The last representable time, a day with no local midnight after it in
-- an east-of-UTC zone, is refused like any other.
SELECT pg_temp.error_of($$INSERT INTO cla_eventlog.log (case_id, code, created_by, created)
                          VALUES (1, 'CASE_VIEWED', 7, '294276-12-31 23:59:59+00')$$);

-- COPY goes through the same trigger (the first row is fine, the second
-- is not: nothing is stored).
\set VERBOSITY terse
COPY cla_eventlog.log (case_id, code, created_by, created) FROM STDIN;
1	CASE_VIEWED	7	2020-01-01 00:00:00+00
1	CASE_VIEWED	7	3000-01-01 00:00:00+00
\.
\set VERBOSITY sqlstate
COPY cla_eventlog.log (case_id, code, created_by, created) FROM STDIN;
1	CASE_VIEWED	7	1000-01-01 00:00:00+00
\.
\set VERBOSITY default
SELECT count(*) FROM cla_eventlog.log;

-- log_event() writes created = now(), always inside the window, even one
-- narrowed to nothing ...
SET cla_eventlog.created_window_past = 0;
SET cla_eventlog.created_window_future = 0;
SELECT cla_eventlog.log_event('case', 1, 7, 'CASE_VIEWED') IS NOT NULL AS logged;
RESET cla_eventlog.created_window_past;
RESET cla_eventlog.created_window_future;
-- ... and its row passes the same check: with a log whose default for
-- created a DBA changed, log_event() takes its SQL path and is refused.
BEGIN;
ALTER TABLE cla_eventlog.log ALTER COLUMN created SET DEFAULT now() + interval '1 day';
SELECT pg_temp.error_of($$SELECT cla_eventlog.log_event('case', 1, 7, 'CASE_VIEWED')$$);
ROLLBACK;

-- An import: a superuser widens the past bound for its transaction (or
-- with ALTER ROLE ... SET for the importing role) and loads old history.
BEGIN;
SET LOCAL cla_eventlog.created_window_past = '36525d';
INSERT INTO cla_eventlog.log (case_id, code, created_by, created)
VALUES (1, 'CASE_VIEWED', 7, '1990-01-01 00:00+00');
COMMIT;
SELECT count(*) FROM cla_eventlog.log WHERE created = '1990-01-01 00:00+00';
-- The future bound is at most a day; the past one a little over 4,000
-- years (INT_MAX minutes), so now() minus it is always a timestamp.
SET cla_eventlog.created_window_future = '2d';
SET cla_eventlog.created_window_past = '2147483647min';
RESET cla_eventlog.created_window_past;

-- An ordinary role (here an application's writer) can neither set the
-- window nor get round it.
CREATE ROLE log_created_app;
GRANT USAGE ON SCHEMA cla_eventlog, mi_app TO log_created_app;
GRANT SELECT, INSERT ON cla_eventlog.log TO log_created_app;
GRANT USAGE ON SEQUENCE cla_eventlog.log_id_seq TO log_created_app;
GRANT SELECT, UPDATE ON mi_app.legalaid_case TO log_created_app;
SET ROLE log_created_app;
SET cla_eventlog.created_window_past = '36525d';
SET cla_eventlog.created_window_future = '1d';
SELECT pg_temp.error_of($$INSERT INTO cla_eventlog.log (case_id, code, created_by, created)
                          VALUES (1, 'CASE_VIEWED', 7, '1980-01-01 00:00+00')$$);
INSERT INTO cla_eventlog.log (case_id, code, created_by) VALUES (1, 'CASE_VIEWED', 7) RETURNING code;
RESET ROLE;

-- Rows that are already stored with absurd times: written before the
-- window existed and restored by pg_dump, whose COPY (a superuser's, with
-- check_function_bodies off) stores log rows as they were.  First two far
-- but representable ones: the year 1000 and the year 200000.
SET check_function_bodies = off;
COPY cla_eventlog.log (case_id, event_key, code, type, level, created_by, created) FROM STDIN;
1	case	CASE_VIEWED	system	11	8	1000-06-01 12:00:00+00
1	case	CASE_VIEWED	system	11	8	200000-01-01 00:00:00+00
\.
RESET check_function_bodies;

-- A day of the daily view is still one index range scan of the log
-- (log l), and the days are no longer generated from the log's first to its
-- last time (which took 20 s here): the generated series (generate_series g)
-- covers the days from the first to the last log of the last 30 years and
-- tomorrow, ten years here because of the row ten years back (the days
-- filtered out, "rows removed", shown in years: the year 200000 made them
-- 198,000 years); the two far days are found by one index probe each (the
-- recursive CTE o: the year 1000 and the year 200000, removed by the
-- filter).  Seq scans off only so the tiny table does not
-- hide the index.
CREATE FUNCTION pg_temp.plan(query text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    line text;
    n bigint;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || query LOOP
        IF line ~ 'Removed' THEN
            n := substring(line FROM '\d+$')::bigint;
            RETURN NEXT '  rows removed by filter: ' ||
                CASE WHEN n < 100 THEN n::text ELSE format('about %s years of days', round(n / 365.25)) END;
        ELSIF line ~ 'Scan' THEN
            RETURN NEXT btrim(regexp_replace(regexp_replace(line, '^[ ->]*', ''), ' \(actual.*', ''));
        END IF;
    END LOOP;
END
$$;
SET enable_seqscan = off;
SELECT pg_temp.plan($$SELECT * FROM cla_eventlog.mi_daily_codes WHERE day = current_date$$);
RESET enable_seqscan;
SELECT day = current_date AS today, code, count >= 1 AS counted FROM cla_eventlog.mi_daily_codes
 WHERE day = current_date;

-- The far days are still reported, as their days.
SELECT day, code, count FROM cla_eventlog.mi_daily_codes
 WHERE day < '1980-01-01' OR day > '2100-01-01' ORDER BY day;

-- Now rows at the very ends of the timestamp range and beyond: the last
-- representable time, the first, and the infinities.  Their local day has
-- no representable end (or start) in some time zone, and the daily views
-- used to fail on every query (22008 "timestamp out of range").  Rows
-- within a week of the ends are skipped by the daily views; the row views
-- show them.
SET check_function_bodies = off;
COPY cla_eventlog.log (case_id, event_key, code, type, level, created_by, created) FROM STDIN;
1	case	CASE_VIEWED	system	11	9	294276-12-31 23:59:59+00
1	case	CASE_VIEWED	system	11	9	4714-11-24 00:00:00+00 BC
1	case	CASE_VIEWED	system	11	9	infinity
1	case	CASE_VIEWED	system	11	9	-infinity
\.
RESET check_function_bodies;
SELECT count(*) FROM cla_eventlog.log WHERE created_by = 9;
SELECT day = current_date AS today, code, count >= 1 AS counted FROM cla_eventlog.mi_daily_codes
 WHERE day = current_date;
SET cla_eventlog.report_time_zone = 'Asia/Tokyo';
SELECT count(*) > 0 AS some_days FROM cla_eventlog.mi_daily_codes;
SET cla_eventlog.report_time_zone = 'America/New_York';
SELECT count(*) > 0 AS some_days FROM cla_eventlog.mi_daily_codes;
SELECT day, code, count FROM cla_eventlog.mi_daily_codes
 WHERE day < '1980-01-01' OR day > '2100-01-01' ORDER BY day;
SET cla_eventlog.report_time_zone = 'UTC';
SET enable_seqscan = off;
SELECT pg_temp.plan($$SELECT * FROM cla_eventlog.mi_daily_codes WHERE day = current_date$$);
RESET enable_seqscan;

-- The same for timers (their times come from now(), but the owner can
-- write the table): absurd timers neither slow nor break mi_billable_daily.
INSERT INTO cla_eventlog.timer (created_by, created, stopped) VALUES
    (31, now(), now() + interval '10 seconds'),
    (32, '1000-06-01 12:00+00', '1000-06-01 12:00:30+00'),
    (33, '200000-01-01 00:00+00', NULL),
    (34, '294276-12-31 23:59:59+00', NULL),
    (35, '4714-11-24 00:00:00+00 BC', '4714-11-24 00:00:01+00 BC'),
    (36, 'infinity', NULL);
SET enable_seqscan = off;
SELECT pg_temp.plan($$SELECT * FROM cla_eventlog.mi_billable_daily WHERE day = current_date$$);
RESET enable_seqscan;
SELECT CASE WHEN day = current_date THEN 'today' ELSE day::text END AS day,
       created_by, timers, billable_seconds, running_timers
  FROM cla_eventlog.mi_billable_daily ORDER BY mi_billable_daily.day;
SET cla_eventlog.report_time_zone = 'Asia/Tokyo';
SELECT count(*) AS days FROM cla_eventlog.mi_billable_daily;
SET cla_eventlog.report_time_zone = 'America/New_York';
SELECT count(*) AS days FROM cla_eventlog.mi_billable_daily;
SET cla_eventlog.report_time_zone = 'UTC';
-- The row view shows every timer, and their seconds.
SELECT created_by, seconds, state FROM cla_eventlog.mi_timers WHERE created_by > 30 ORDER BY created_by;

-- The debounce compares the calendar day of the case's latest HIGH outcome
-- with the new row's in cla_eventlog.day_time_zone.  That latest outcome
-- may be a restored row at the last representable time, whose local day in
-- a zone east of UTC lies beyond the timestamp range (and the first one
-- west of UTC): it is a different day, never an error.
SET check_function_bodies = off;
COPY cla_eventlog.log (case_id, event_key, code, type, level, created_by, notes, created) FROM STDIN;
2	call_me_back	CB1	outcome	29	7	\N	294276-12-31 23:59:59+00
3	call_me_back	CB1	outcome	29	7	\N	4714-11-24 00:00:00+00 BC
4	call_me_back	CB1	outcome	29	7	\N	infinity
\.
RESET check_function_bodies;
-- The debounce still works: the same outcome again on the same day (here
-- in the same transaction) is skipped, in either zone.
SET cla_eventlog.day_time_zone = 'Asia/Tokyo';
BEGIN;
SELECT cla_eventlog.log_event('call_me_back', 2, 7) IS NOT NULL AS logged;
SELECT cla_eventlog.log_event('call_me_back', 2, 7) IS NULL AS skipped;
COMMIT;
SELECT cla_eventlog.log_event('call_me_back', 4, 7) IS NOT NULL AS logged;
SET cla_eventlog.day_time_zone = 'America/New_York';
BEGIN;
SELECT cla_eventlog.log_event('call_me_back', 3, 7) IS NOT NULL AS logged;
SELECT cla_eventlog.log_event('call_me_back', 3, 7) IS NULL AS skipped;
COMMIT;
RESET cla_eventlog.day_time_zone;

SET client_min_messages = warning;
DROP SCHEMA mi_app CASCADE;
DROP OWNED BY log_created_app;
DROP ROLE log_created_app;
