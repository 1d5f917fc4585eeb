-- timer_statement: the timer functions see the timers their own statement
-- created (README, "Timers").  A statement that starts a timer and then
-- reads, uses or stops it, as an application's one round trip does, finds
-- that timer: start_timer(), current_timer(), stop_timer() and
-- cancel_timer() look timers up under a snapshot that includes the
-- transaction's latest changes, as log_event() does.
\i test/setup.psql
CREATE SCHEMA ts;
CREATE TABLE ts.legalaid_case (id bigint PRIMARY KEY, billable_time integer NOT NULL DEFAULT 0, modified timestamptz);
INSERT INTO ts.legalaid_case (id) VALUES (1), (2);
SELECT cla_eventlog.bind_case_table('ts.legalaid_case');
SELECT cla_eventlog.register_event('case', '{"CASE_VIEWED": {"type": "system", "level": "MINOR",
    "selectable_by": [], "description": "Viewed", "stops_timer": false}}');

-- Start, then read back, in one statement (before: current_timer was NULL).
SELECT (x.s).id IS NOT NULL AS started, (x.c).id = (x.s).id AS current_is_the_new_timer
  FROM (SELECT cla_eventlog.start_timer(303) AS s, cla_eventlog.current_timer(303) AS c OFFSET 0) x;
SELECT (cla_eventlog.cancel_timer(303)).cancelled AS cancelled;

-- Start, log, stop, in one statement (before: "user 304 has no running
-- timer"): the log is attached to the new timer and the stop links it.
SELECT (cla_eventlog.start_timer(304)).id IS NOT NULL AS started,
       cla_eventlog.log_event('case', 2, 304) IS NOT NULL AS logged,
       (cla_eventlog.stop_timer(304)).linked_case AS linked_case;
SELECT count(*) AS running FROM cla_eventlog.timer WHERE stopped IS NULL;

-- Start and cancel in one statement: the cancel finds the new timer, and
-- afterwards none runs.
SELECT (cla_eventlog.start_timer(305)).id IS NOT NULL AS started,
       (cla_eventlog.cancel_timer(305)).cancelled AS cancelled,
       (cla_eventlog.current_timer(305)).id IS NULL AS none_running;

SET client_min_messages = warning;
DROP EXTENSION cla_eventlog CASCADE;
DROP SCHEMA ts CASCADE;
