-- sla_time: the working-hours SLA clock (README "Working hours and the SLA
-- clock").  Every example of the service's get_sla_time tests (behaviour
-- b.7) and of add_72h_to_context (h.9) as a case, with the service's seeded
-- hours (weekdays 09:00-20:00, Saturday 09:00-12:30, Sunday closed), in the
-- report time zone Europe/London.  The answer depends only on the inputs
-- and the calendar, never on the current time.
\i test/setup.psql
SET cla_eventlog.report_time_zone = 'Europe/London';
SET TimeZone = 'UTC';
CREATE FUNCTION pg_temp.sla(start text, minutes integer) RETURNS text
LANGUAGE sql AS $$
    SELECT to_char(cla_eventlog.sla_time((start || ' Europe/London')::timestamptz, minutes)
                   AT TIME ZONE 'Europe/London', 'Dy YYYY-MM-DD HH24:MI')
$$;

-- The seeded hours.
SELECT weekday, opens, closes FROM cla_eventlog.opening_hours ORDER BY weekday;

-- b.7: within a day; past the closing time the rest goes on at the next
-- opening (19:59 leaves one minute today).
SELECT pg_temp.sla('2026-11-30 10:15', 15) AS "Mon 10:15 + 15",
       pg_temp.sla('2026-11-30 19:59', 15) AS "19:59 + 15",
       pg_temp.sla('2026-11-30 19:59', 120) AS "19:59 + 120",
       pg_temp.sla('2026-11-30 19:59', 480) AS "19:59 + 480";
-- A closed day (Sunday) starts at the next opening.
SELECT pg_temp.sla('2026-11-29 12:00', 15) AS "Sun 12:00 + 15";
-- 72 hours of working time, the two examples of the tests (across a
-- Saturday's short day and a closed Sunday).
SELECT pg_temp.sla('2020-09-07 10:00', 72 * 60) AS "Mon 2020-09-07 10:00 + 72h",
       pg_temp.sla('2020-10-05 09:00', 72 * 60) AS "Mon 2020-10-05 09:00 + 72h";

-- A bank holiday the next day: 19:44 + 120 on the Thursday before Good
-- Friday 2026 ends on the Saturday at 10:44.
INSERT INTO cla_eventlog.bank_holiday VALUES ('2026-04-03', 'Good Friday');
SELECT pg_temp.sla('2026-04-02 19:44', 120) AS "Thu 19:44 + 120, Fri a bank holiday";

-- Decisions where the service was silent or odd (README): a start before
-- the day's opening counts from that opening (the service moved it to the
-- next day); a result exactly at closing stays on the day; after closing,
-- the next opening; 0 minutes moves a closed-time start to the opening.
SELECT pg_temp.sla('2026-11-30 07:30', 15) AS "Mon 07:30 + 15",
       pg_temp.sla('2026-11-30 19:45', 15) AS "Mon 19:45 + 15",
       pg_temp.sla('2026-11-30 20:00', 15) AS "Mon 20:00 + 15",
       pg_temp.sla('2026-11-28 12:00', 30) AS "Sat 12:00 + 30",
       pg_temp.sla('2026-11-29 12:00', 0) AS "Sun 12:00 + 0";

-- Date-specific exceptions win over the weekday and over a bank holiday:
-- Christmas Eve closes at 16:00 (then Christmas Day is closed, the
-- Saturday open), a skeleton service on a bank holiday.
INSERT INTO cla_eventlog.bank_holiday VALUES ('2026-12-25', 'Christmas Day'), ('2026-12-28', 'Boxing Day (substitute day)');
INSERT INTO cla_eventlog.calendar_exception VALUES ('2026-12-24', '09:00', '16:00', 'Christmas Eve'),
                                                   ('2026-04-03', '10:00', '12:00', 'skeleton service');
SELECT pg_temp.sla('2026-12-24 15:50', 15) AS "Christmas Eve 15:50 + 15",
       pg_temp.sla('2026-04-02 19:44', 120) AS "Thu 19:44 + 120, Fri 10:00-12:00";
SELECT d, h.opens, h.closes FROM unnest(ARRAY['2026-12-24', '2026-12-25', '2026-12-26', '2026-12-27', '2026-12-28']::date[]) d,
       cla_eventlog.opening_hours_on(d) h ORDER BY d;
-- A DBA's weekday row overrides the seeded one, which stays (a dump keeps
-- only the DBA's rows).
INSERT INTO cla_eventlog.opening_hours (weekday, opens, closes) VALUES (7, '10:00', '14:00');
SELECT pg_temp.sla('2026-11-29 12:00', 15) AS "Sun 12:00 + 15, open on Sundays";
DELETE FROM cla_eventlog.opening_hours WHERE NOT seeded;

-- Across a change of clocks (BST ends 2026-10-25): local hours hold.
SELECT pg_temp.sla('2026-10-24 12:20', 30) AS "Sat 12:20 + 30, clocks go back",
       cla_eventlog.sla_time('2026-10-24 12:20 Europe/London', 30) AS utc;

-- The same inputs give the same answer whatever the clock says: the result
-- does not use now().
BEGIN;
SELECT pg_temp.sla('2020-10-05 09:00', 72 * 60) AS "in a transaction started in 2026";
COMMIT;

-- The callback context (behaviour b.7, h.9): requires_action_at and the
-- five SLA times, ISO 8601 in the report time zone (Z when the offset is
-- zero); from the case's creation when it came in by SMS or voicemail.
SELECT jsonb_pretty(cla_eventlog.cb1_context('2020-10-05 09:00 Europe/London'));
SELECT cla_eventlog.cb1_context('2026-11-30 10:00 Europe/London') ->> 'sla_72h' AS winter_sla_72h;
SELECT cla_eventlog.cb1_context('2026-11-30 10:00 Europe/London', '2026-11-27 19:50 Europe/London', 'SMS')
       ->> 'sla_15' AS sms_sla_15;

-- Bad input: negative minutes, NULLs, an SMS case without its creation
-- time, a calendar without any opening.
SELECT cla_eventlog.sla_time(now(), -1);
\echo :LAST_ERROR_SQLSTATE
SELECT cla_eventlog.sla_time(NULL, 15) IS NULL AS null_start, cla_eventlog.sla_time(now(), NULL) IS NULL AS null_minutes;
SELECT cla_eventlog.cb1_context(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT cla_eventlog.cb1_context(now(), NULL, 'sms');
\echo :LAST_ERROR_SQLSTATE
DELETE FROM cla_eventlog.calendar_exception;
INSERT INTO cla_eventlog.opening_hours (weekday) SELECT g FROM generate_series(1, 7) g;
SELECT cla_eventlog.sla_time('2026-11-30 10:00+00', 15);
\echo :LAST_ERROR_SQLSTATE
DELETE FROM cla_eventlog.opening_hours WHERE NOT seeded;
-- Malformed calendar rows are refused by the tables.
INSERT INTO cla_eventlog.opening_hours (weekday, opens, closes) VALUES (8, '09:00', '10:00');
INSERT INTO cla_eventlog.calendar_exception (day, opens, closes) VALUES ('2026-01-01', '12:00', '09:00');
INSERT INTO cla_eventlog.calendar_exception (day, opens) VALUES ('2026-01-01', '12:00');

-- An application role may compute SLA times and read the calendar.
CREATE ROLE cel_sla_reader;
GRANT USAGE ON SCHEMA cla_eventlog TO cel_sla_reader;
SET ROLE cel_sla_reader;
SELECT pg_temp.sla('2026-11-30 10:15', 15) AS as_reader;
SELECT count(*) AS bank_holidays FROM cla_eventlog.bank_holiday;
RESET ROLE;
DROP OWNED BY cel_sla_reader;
DROP ROLE cel_sla_reader;
