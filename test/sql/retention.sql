-- retention: apply_retention() (README "Retention").  Log rows older than a
-- cutoff go, in committed batches, except each case's latest HIGH outcome
-- (what its outcome columns, verify(), repair_cases() and status() read) and
-- once_per case rows; finished timers that bill nothing and that no row
-- names go too.  MI for the retained days is identical before and after,
-- verify() is empty, status() is green, also after the cases log again.
-- Deleted or archived (and restored), audited, for the roles granted it.
\i test/setup.psql
SET TimeZone = 'UTC';
SET cla_eventlog.report_time_zone = 'Europe/London';

---------------------------------------------------------------------------
-- A small history with exact times, on the MI tests' case table.  Old
-- (January 2024) and new (June 2024) rows; the cutoff is 2024-03-01.
---------------------------------------------------------------------------
INSERT INTO cla_eventlog.event (key) VALUES ('case'), ('call_me_back'), ('assign_to_provider'), ('reject_case'), ('mi_test');
INSERT INTO cla_eventlog.code (event_key, code, type, level, selectable_by, description, stops_timer, once_per) VALUES
    ('case', 'CASE_CREATED', 'system', 29, '{}', 'Case created', false, NULL),
    ('case', 'CASE_VIEWED', 'system', 11, '{}', 'Case viewed', false, NULL),
    ('case', 'CALL_STARTED', 'event', 29, '{}', 'Operator started call', false, '{"scope": "case"}'),
    ('call_me_back', 'CB1', 'outcome', 29, '{}', 'Callback 1', true, NULL),
    ('assign_to_provider', 'REFSP', 'outcome', 29, '{}', 'Referred to Specialist', true, NULL),
    ('reject_case', 'COI', 'outcome', 29, '{}', 'Conflict of Interest', false, NULL),
    ('reject_case', 'MIS-OOS', 'outcome', 29, '{}', 'Misdiagnosed, out of scope', false, NULL),
    ('mi_test', 'NOTE', 'outcome', 21, '{}', 'A MODERATE outcome', false, NULL);
\i test/mi_case_table.psql
SET client_min_messages = warning;
SELECT cla_eventlog.bind_case_table('mi_app.legalaid_case');
RESET client_min_messages;
INSERT INTO mi_app.legalaid_case (id, created, source) VALUES
    (1, '2024-01-10 09:00+00', 'PHONE'), (2, '2024-01-11 09:00+00', 'WEB'),
    (3, '2024-01-12 09:00+00', 'SMS'), (4, '2024-06-03 09:00+00', 'PHONE');
-- Timers: 1 bills case 1 (old, kept: it is case 1's billable time); 2 is
-- cancelled and named by an old row (goes once the row has gone); 3 was
-- stopped unlinked with no log (goes); 4 bills case 4 (new); 5 is cancelled
-- but named by a new row (kept).
INSERT INTO cla_eventlog.timer (created_by, created, stopped, linked_case, cancelled) VALUES
    (101, '2024-01-10 09:00+00', '2024-01-10 09:05+00', 1, false),
    (102, '2024-01-11 09:00+00', '2024-01-11 09:02+00', 2, true),
    (103, '2024-01-11 10:00+00', '2024-01-11 10:01+00', NULL, false),
    (101, '2024-06-03 09:00+00', '2024-06-03 09:10+00', 4, false),
    (101, '2024-02-28 09:00+00', '2024-02-28 09:01+00', 1, true);
SET cla_eventlog.debounce_outcomes = off;
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, created_by_role, timer_id, context, created) VALUES
    (1, 'case', 'CASE_CREATED', 101, 'operator', NULL, NULL, '2024-01-10 09:00+00'),            -- 1 goes
    (1, 'case', 'CALL_STARTED', 101, 'operator', NULL, NULL, '2024-01-10 09:01+00'),            -- 2 kept: once_per case
    (1, 'call_me_back', 'CB1', 101, 'operator', 1, NULL, '2024-01-10 09:05+00'),                -- 3 goes
    (2, 'case', 'CASE_CREATED', 102, 'operator', 2, NULL, '2024-01-11 09:00+00'),               -- 4 goes
    (2, 'reject_case', 'MIS-OOS', 201, 'specialist', NULL, '{"provider": "HSC"}', '2024-01-11 09:30+00'), -- 5 kept: case 2's outcome
    (2, 'mi_test', 'NOTE', 102, 'operator', NULL, NULL, '2024-01-11 09:40+00'),                 -- 6 goes (MODERATE)
    (3, 'case', 'CASE_CREATED', 102, 'operator', NULL, NULL, '2024-01-12 09:00+00'),            -- 7 goes
    (3, 'call_me_back', 'CB1', 102, 'operator', NULL, NULL, '2024-01-12 09:05+00'),             -- 8 kept: case 3's outcome
    (1, 'reject_case', 'COI', 201, 'specialist', NULL, '{"provider": "Duncan Lewis"}', '2024-02-01 10:00+00'), -- 9 goes: REFSP is newer
    (1, 'assign_to_provider', 'REFSP', 101, 'operator', 5, NULL, '2024-06-03 10:00+00'),        -- 10 (names timer 5)
    (2, 'case', 'CASE_VIEWED', 102, 'operator', NULL, NULL, '2024-06-03 11:00+00'),             -- 11
    (4, 'case', 'CASE_CREATED', 101, 'operator', NULL, NULL, '2024-06-03 09:00+00'),            -- 12
    (4, 'call_me_back', 'CB1', 101, 'operator', 4, '{"requires_action_at": "2024-06-04T10:00:00Z"}', '2024-06-03 09:10+00'), -- 13
    (4, 'case', 'CALL_STARTED', 101, 'operator', NULL, NULL, '2024-06-04 10:05+00');            -- 14
RESET cla_eventlog.debounce_outcomes;
-- the timers were written directly: bring the billable times in line first
SELECT cla_eventlog.repair_cases() AS repaired;
SELECT * FROM cla_eventlog.verify();

-- MI of the retained days, as one set of (report, row) to compare.
CREATE FUNCTION pg_temp.mi_from(cutoff timestamptz, at_ts timestamptz) RETURNS TABLE(report text, r jsonb)
LANGUAGE sql AS $$
    SELECT 'mi_outcomes', to_jsonb(o) FROM cla_eventlog.mi_outcomes o WHERE o.created >= cutoff
    UNION ALL SELECT 'mi_daily_codes', to_jsonb(d) FROM cla_eventlog.mi_daily_codes d
               WHERE d.day >= (cutoff AT TIME ZONE cla_eventlog._report_time_zone())::date
    UNION ALL SELECT 'mi_timers', to_jsonb(t) FROM cla_eventlog.mi_timers t WHERE t.created >= cutoff
    UNION ALL SELECT 'mi_billable_daily', to_jsonb(b) FROM cla_eventlog.mi_billable_daily b
               WHERE b.day >= (cutoff AT TIME ZONE cla_eventlog._report_time_zone())::date
    UNION ALL SELECT 'mi_first_actions', to_jsonb(f) FROM cla_eventlog.mi_first_actions(cutoff, at_ts) f
    UNION ALL SELECT 'mi_callback_sla', to_jsonb(s) FROM cla_eventlog.mi_callback_sla(cutoff, at_ts, at_ts) s
    UNION ALL SELECT 'mi_callback_sla_agilisys', to_jsonb(s) FROM cla_eventlog.mi_callback_sla_agilisys(cutoff, at_ts, at_ts) s
    UNION ALL SELECT 'mi_case_extract', to_jsonb(e) FROM cla_eventlog.mi_case_extract(cutoff, at_ts) e
    UNION ALL SELECT 'mi_contacts_per_case', to_jsonb(c) FROM cla_eventlog.mi_contacts_per_case(cutoff, at_ts) c
    UNION ALL SELECT 'mi_callback_progression', to_jsonb(p) FROM cla_eventlog.mi_callback_progression(
                   (cutoff AT TIME ZONE cla_eventlog._report_time_zone())::date, (at_ts AT TIME ZONE 'UTC')::date) p
    UNION ALL SELECT 'mi_complaints', to_jsonb(c) FROM cla_eventlog.mi_complaints(cutoff, at_ts, at_ts) c
$$;
CREATE TEMP TABLE mi_cut AS SELECT timestamptz '2024-03-01 00:00+00' AS cutoff, timestamptz '2024-06-10 00:00+00' AS at_ts;
CREATE TEMP TABLE mi_before AS SELECT * FROM pg_temp.mi_from((SELECT cutoff FROM mi_cut), (SELECT at_ts FROM mi_cut));
-- Both ways: rows only before, rows only after, and the row counts.
CREATE FUNCTION pg_temp.mi_compare() RETURNS TABLE(report text, only_before bigint, only_after bigint, rows_before bigint)
LANGUAGE sql AS $$
    WITH a AS (SELECT * FROM pg_temp.mi_from((SELECT cutoff FROM mi_cut), (SELECT at_ts FROM mi_cut)))
    SELECT n.report,
           (SELECT count(*) FROM (SELECT r FROM mi_before x WHERE x.report = n.report
                                  EXCEPT ALL SELECT r FROM a WHERE a.report = n.report) d),
           (SELECT count(*) FROM (SELECT r FROM a WHERE a.report = n.report
                                  EXCEPT ALL SELECT r FROM mi_before x WHERE x.report = n.report) d),
           (SELECT count(*) FROM mi_before x WHERE x.report = n.report)
      FROM (VALUES ('mi_outcomes'), ('mi_daily_codes'), ('mi_timers'), ('mi_billable_daily'), ('mi_first_actions'),
                   ('mi_callback_sla'), ('mi_callback_sla_agilisys'), ('mi_case_extract'), ('mi_contacts_per_case'),
                   ('mi_callback_progression'), ('mi_complaints')) n(report)
     ORDER BY n.report
$$;
CREATE TEMP TABLE log_before AS SELECT * FROM cla_eventlog.log;
CREATE TEMP TABLE timer_before AS SELECT * FROM cla_eventlog.timer;

---------------------------------------------------------------------------
-- Archive mode, in batches of 3 old rows (one NOTICE each: 9 rows older
-- than the cutoff, ids 1..9, then the timers).  Rows 2 (CALL_STARTED,
-- once_per case), 5 (case 2's latest HIGH outcome) and 8 (case 3's) stay;
-- the other six move to log_archive.  Timers 1 and 2 stay (archived rows
-- name them, and restoring a row needs its timer); timer 3, named by
-- nothing and billing nothing, goes.
---------------------------------------------------------------------------
\set VERBOSITY terse
CALL cla_eventlog.apply_retention('2024-03-01 00:00+00', archive => true, batch_size => 3, reason => 'retention: 2 years (test)');
\set VERBOSITY default
SELECT id, case_id, code FROM cla_eventlog.log WHERE created < '2024-03-01' ORDER BY id;
SELECT id, case_id, code, archived_by, reason FROM cla_eventlog.log_archive ORDER BY id;
SELECT id, created_by, linked_case, cancelled FROM cla_eventlog.timer ORDER BY id;
SELECT id, run_by, reason, cutoff, archive, batch_size, max_log_id, last_log_id, max_timer_id, last_timer_id,
       batches, log_rows, kept_rows, timer_rows, finished_at >= started_at AS finished
  FROM cla_eventlog.retention_run;
-- MI of the retained days is unchanged, and the cases are consistent.
SELECT * FROM pg_temp.mi_compare();
SELECT * FROM cla_eventlog.verify();
SELECT check_name, ok FROM cla_eventlog.status() WHERE NOT ok AND check_name NOT IN ('disk_space');

-- Nothing is lost: restore_archived_logs() puts every row back as it was.
SELECT cla_eventlog.restore_archived_logs(ARRAY(SELECT id FROM cla_eventlog.log_archive)) AS restored;
SELECT (SELECT count(*) FROM (SELECT * FROM log_before EXCEPT SELECT * FROM cla_eventlog.log) d) AS rows_changed,
       (SELECT count(*) FROM cla_eventlog.log) AS rows_now, (SELECT count(*) FROM log_before) AS rows_before;
SELECT * FROM cla_eventlog.verify();

---------------------------------------------------------------------------
-- Delete mode, with the default batch size: the same six rows go, and now
-- timer 2 too (cancelled, its row gone).  Timer 1 stays: it is case 1's
-- billable time (300 s), which every later stop recomputes from the
-- timers.  Timer 5 stays: the new REFSP row names it.
---------------------------------------------------------------------------
\set VERBOSITY terse
CALL cla_eventlog.apply_retention('2024-03-01 00:00+00');
\set VERBOSITY default
SELECT id, case_id, code FROM cla_eventlog.log ORDER BY id;
SELECT id, created_by, linked_case, cancelled FROM cla_eventlog.timer ORDER BY id;
SELECT id, billable_time, outcome_code, outcome_code_id FROM mi_app.legalaid_case ORDER BY id;
SELECT id, run_by, reason, archive, batches, log_rows, kept_rows, timer_rows FROM cla_eventlog.retention_run ORDER BY id;
SELECT * FROM pg_temp.mi_compare();
SELECT * FROM cla_eventlog.verify();
SELECT check_name, ok FROM cla_eventlog.status() WHERE NOT ok AND check_name NOT IN ('disk_space');

-- The issue's case: cases whose old rows went log again (case 3 a MINOR
-- row, case 2 a new outcome over its kept one), and everything stays
-- consistent: each kept the row its state comes from.
SELECT cla_eventlog.log_event('case', 3, 102, 'CASE_VIEWED') IS NOT NULL AS viewed,
       cla_eventlog.log_event('reject_case', 2, 201, 'COI') IS NOT NULL AS rejected;
-- once_per case still holds for case 1: its old CALL_STARTED is kept, so a
-- second one is skipped (NULL)
SELECT cla_eventlog.log_event('case', 1, 101, 'CALL_STARTED') AS second_call_started;
SELECT * FROM cla_eventlog.verify();
SELECT check_name, ok FROM cla_eventlog.status() WHERE NOT ok AND check_name NOT IN ('disk_space');
SELECT cla_eventlog.repair_cases() AS repaired;

-- Running it again: case 2's MIS-OOS (row 5) goes now, since the new COI
-- is case 2's latest outcome; rows 2 and 8 are kept again.
\set VERBOSITY terse
CALL cla_eventlog.apply_retention('2024-03-01 00:00+00', reason => 'again');
\set VERBOSITY default
-- erase_cases() goes through the same path, and takes a case's archived
-- rows too: case 2 gets a same-day duplicate COI, which the LGA-125 job
-- archives; erasing case 2 then removes its 2 rows in the log and the one
-- in log_archive (3).
SET cla_eventlog.debounce_outcomes = off;
SELECT cla_eventlog.log_event('reject_case', 2, 201, 'COI') IS NOT NULL AS duplicate;
RESET cla_eventlog.debounce_outcomes;
SELECT count(*) AS archived FROM cla_eventlog.remove_duplicate_outcomes(dry_run => false);
SELECT * FROM cla_eventlog.erase_cases(ARRAY[2], 'data subject request');
SELECT count(*) AS archived_left FROM cla_eventlog.log_archive;
SELECT * FROM cla_eventlog.verify();

---------------------------------------------------------------------------
-- Bad input: every argument is checked before anything is recorded.
---------------------------------------------------------------------------
CALL cla_eventlog.apply_retention(NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\set VERBOSITY terse
CALL cla_eventlog.apply_retention('infinity');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CALL cla_eventlog.apply_retention('2999-01-01');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\set VERBOSITY default
CALL cla_eventlog.apply_retention('2024-03-01', batch_size => 0);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CALL cla_eventlog.apply_retention('2024-03-01', batch_size => NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CALL cla_eventlog.apply_retention('2024-03-01', archive => NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CALL cla_eventlog.apply_retention('2024-03-01', reason => ' ');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM cla_eventlog._retention_step(12345);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- It commits per batch, so it cannot run inside a transaction block.
BEGIN;
CALL cla_eventlog.apply_retention('2024-03-01');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ROLLBACK;
SELECT count(*) AS runs FROM cla_eventlog.retention_run;

---------------------------------------------------------------------------
-- Who may: PUBLIC may not; the DBA grants the procedure and its two steps
-- to a maintenance role (one GRANT, as the README says); a role granted
-- only the procedure is refused at its first step.
---------------------------------------------------------------------------
CREATE ROLE cel_retention;
GRANT USAGE ON SCHEMA cla_eventlog TO cel_retention;
SET ROLE cel_retention;
CALL cla_eventlog.apply_retention('2024-03-01');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM cla_eventlog._retention_step(1);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET ROLE;
GRANT EXECUTE ON PROCEDURE cla_eventlog.apply_retention(timestamptz, boolean, integer, text) TO cel_retention;
SET ROLE cel_retention;
CALL cla_eventlog.apply_retention('2024-03-01');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET ROLE;
GRANT EXECUTE ON ROUTINE cla_eventlog.apply_retention(timestamptz, boolean, integer, text),
    cla_eventlog._retention_start(timestamptz, boolean, integer, text),
    cla_eventlog._retention_step(bigint) TO cel_retention;
SET ROLE cel_retention;
SET client_min_messages = warning;
CALL cla_eventlog.apply_retention('2024-03-01', reason => 'by the maintenance role');
RESET client_min_messages;
RESET ROLE;
SELECT run_by, reason, finished_at IS NOT NULL AS finished FROM cla_eventlog.retention_run ORDER BY id DESC LIMIT 1;
-- and the log stays append-only for that role
SET ROLE cel_retention;
DELETE FROM cla_eventlog.log;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET ROLE;
SET client_min_messages = warning;
DROP OWNED BY cel_retention;
DROP ROLE cel_retention;
DROP EXTENSION cla_eventlog CASCADE;
DROP SCHEMA mi_app CASCADE;
RESET client_min_messages;

---------------------------------------------------------------------------
-- Generated data: the reference application, 1,000 cases and 12,000 logs
-- over the last 30 days (test/fixtures/generate.sql), and some finished
-- timers.  Retention at the start of the local day 15 days ago, in
-- batches of 1,000: MI of the retained days identical, verify() empty,
-- status() green, and exactly the rows the rule names went.  (The data
-- move with the clock, so only comparisons are shown.)
---------------------------------------------------------------------------
\i test/setup.psql
\set ECHO none
SET client_min_messages = warning;
\i test/fixtures/cla_reference.sql
SELECT count(*) FROM cla_eventlog.autodiscover(ARRAY['cla_reference']) \g /dev/null
SELECT cla_reference.bind() \g /dev/null
\set cases 1000
\set logs 12000
\o /dev/null
\i test/fixtures/generate.sql
\o
RESET client_min_messages;
\set ECHO all
SET TimeZone = 'UTC';
TRUNCATE mi_cut;
INSERT INTO mi_cut SELECT (date_trunc('day', now() AT TIME ZONE 'Europe/London') - interval '15 days') AT TIME ZONE 'Europe/London', now();
-- finished timers of ten operators, half from before the cutoff, half
-- after it: billable, cancelled, unlinked
INSERT INTO cla_eventlog.timer (created_by, created, stopped, linked_case, cancelled)
SELECT 1 + i % 10, t.at, t.at + interval '5 minutes', CASE WHEN i % 3 = 2 THEN NULL ELSE i * 16 END, i % 3 = 1
  FROM generate_series(1, 60) i, mi_cut,
       LATERAL (SELECT mi_cut.cutoff + CASE WHEN i % 2 = 0 THEN interval '-2 days' ELSE interval '1 day' END
                       + i * interval '10 minutes' AS at) t;
SELECT cla_eventlog.repair_cases() >= 0 AS repaired;
SELECT count(*) AS problems_before FROM cla_eventlog.verify();
TRUNCATE mi_before;
INSERT INTO mi_before SELECT * FROM pg_temp.mi_from((SELECT cutoff FROM mi_cut), (SELECT at_ts FROM mi_cut));
-- what the rule says goes: old rows other than each case's latest HIGH
-- outcome, CALL_STARTED, and the case's rows from a callback booked for
-- the retained days or from a complaint still active in them on; timers
-- stopped before the cutoff that bill nothing (no generated log names one)
CREATE TEMP TABLE expected_gone AS
SELECT l.id FROM cla_eventlog.log l, mi_cut
 WHERE l.created < mi_cut.cutoff AND l.code <> 'CALL_STARTED'
   AND l.id IS DISTINCT FROM (SELECT max(h.id) FROM cla_eventlog.log h
                               WHERE h.case_id = l.case_id AND h.type = 'outcome' AND h.level >= 29)
   AND NOT EXISTS (SELECT FROM cla_eventlog.log cb
                    WHERE cb.case_id = l.case_id AND cb.id <= l.id
                      AND (cb.context ->> 'requires_action_at')::timestamptz >= mi_cut.cutoff)
   AND NOT EXISTS (SELECT FROM cla_eventlog.log o JOIN cla_eventlog.log n
                        ON n.case_id = o.case_id AND n.content_type = o.content_type AND n.object_id = o.object_id
                    WHERE o.case_id = l.case_id AND o.id <= l.id AND n.created >= mi_cut.cutoff);
SELECT count(*) > 0 AS some_old_rows_kept_for_mi
  FROM cla_eventlog.log l, mi_cut
 WHERE l.created < mi_cut.cutoff AND l.code <> 'CALL_STARTED'
   AND l.id IS DISTINCT FROM (SELECT max(h.id) FROM cla_eventlog.log h
                               WHERE h.case_id = l.case_id AND h.type = 'outcome' AND h.level >= 29)
   AND l.id NOT IN (SELECT id FROM expected_gone);
CREATE TEMP TABLE expected_timers_gone AS
SELECT t.id FROM cla_eventlog.timer t, mi_cut
 WHERE t.stopped < mi_cut.cutoff AND (t.cancelled OR t.linked_case IS NULL);
SELECT (SELECT count(*) FROM expected_gone) > 1000 AS many_rows_go,
       (SELECT count(*) FROM expected_timers_gone) > 10 AS some_timers_go,
       (SELECT count(*) FROM mi_before) > 1000 AS mi_rows;
CREATE TEMP TABLE log_before2 AS SELECT id FROM cla_eventlog.log;
SET client_min_messages = warning;
SELECT cutoff FROM mi_cut \gset
CALL cla_eventlog.apply_retention(:'cutoff', batch_size => 1000, reason => 'generated');
RESET client_min_messages;
SELECT (SELECT array_agg(id ORDER BY id) FROM expected_gone)
       = (SELECT array_agg(id ORDER BY id) FROM (SELECT id FROM log_before2 EXCEPT SELECT id FROM cla_eventlog.log) g) AS exactly_those_rows_went,
       (SELECT count(*) FROM cla_eventlog.timer t JOIN expected_timers_gone g USING (id)) AS expected_timers_left,
       r.log_rows = (SELECT count(*) FROM expected_gone) AS audited_rows,
       r.timer_rows = (SELECT count(*) FROM expected_timers_gone) AS audited_timers,
       r.batches = ceil((r.log_rows + r.kept_rows) / 1000.0) + 1 AS batches_of_1000,
       r.finished_at IS NOT NULL AS finished
  FROM cla_eventlog.retention_run r;
SELECT report, only_before, only_after, rows_before > 0 AS has_rows FROM pg_temp.mi_compare();
-- a case that logs again stays consistent
SELECT cla_eventlog.log_event('case', c.id, 3, 'CASE_VIEWED', acting_role => 'operator') IS NOT NULL AS viewed
  FROM cla_reference.legalaid_case c ORDER BY c.id LIMIT 1;
SELECT * FROM cla_eventlog.verify();
SELECT check_name, ok FROM cla_eventlog.status() WHERE NOT ok AND check_name NOT IN ('disk_space');
