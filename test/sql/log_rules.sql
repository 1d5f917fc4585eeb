-- log_rules: validation of every inserted log row (README "Logging"), append-only
-- (4.3), once_per (4.4) and the same-day outcome debounce (4.5).  Plain
-- INSERTs are used on purpose: the triggers hold the rules for every writer.
\i test/setup.psql

-- Before a case table is bound, logging fails with a clear error and hint.
INSERT INTO cla_eventlog.log (case_id, code, created_by) VALUES (1, 'CB1', 1);

\i test/reference.psql
\set QUIET on

-- The event key is filled in when the code belongs to one live event.
INSERT INTO cla_eventlog.log (case_id, code, created_by) VALUES (1, 'CASE_CREATED', 1)
RETURNING event_key, code, type, level;

-- DUPL is a code of two events: the error lists both.
INSERT INTO cla_eventlog.log (case_id, code, created_by) VALUES (1, 'DUPL', 1);
-- An unknown code, an unknown event, a code of another event.
INSERT INTO cla_eventlog.log (case_id, code, created_by) VALUES (1, 'NOPE', 1);
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by) VALUES (1, 'nope', 'CB1', 1);
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by) VALUES (1, 'accept_case', 'CB1', 1);

-- type and level are filled from the registry, or must equal it.
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, type) VALUES (1, 'case', 'CASE_VIEWED', 1, 'outcome');
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, level) VALUES (1, 'case', 'CASE_VIEWED', 1, 29);
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, type, level)
VALUES (1, 'case', 'CASE_VIEWED', 1, 'system', 11) RETURNING code, type, level;

-- Required columns are named when missing.
INSERT INTO cla_eventlog.log (code, created_by) VALUES ('CASE_VIEWED', 1);
INSERT INTO cla_eventlog.log (case_id, code) VALUES (1, 'CASE_VIEWED');
INSERT INTO cla_eventlog.log (case_id, created_by) VALUES (1, 1);

-- Roles: a role outside selectable_by is refused (42501); the acting role
-- comes from the row, else from cla_eventlog.acting_role; an unknown role
-- is refused; with no role the row is accepted unless require_acting_role.
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, created_by_role)
VALUES (2, 'call_me_back', 'CB1', 1, 'specialist');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, created_by_role)
VALUES (2, 'call_me_back', 'CB1', 1, 'janitor');
SET cla_eventlog.acting_role = 'operator';
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by)
VALUES (2, 'call_me_back', 'CB1', 1) RETURNING code, created_by_role;
SET cla_eventlog.acting_role = 'specialist';
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by)
VALUES (2, 'call_me_back', 'CB2', 1);
RESET cla_eventlog.acting_role;
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by)
VALUES (2, 'call_me_back', 'CB2', 1) RETURNING code, created_by_role;
SET cla_eventlog.require_acting_role = on;
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by) VALUES (2, 'case', 'CASE_VIEWED', 1);
RESET cla_eventlog.require_acting_role;

-- context must be an object; content_type and object_id go together.
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, context) VALUES (1, 'case', 'CASE_VIEWED', 1, '[1, 2]');
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, context) VALUES (1, 'case', 'CASE_VIEWED', 1, '"text"');
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, content_type) VALUES (1, 'complaint', 'OWNER_SET', 1, 'complaint');
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, content_type, object_id)
VALUES (1, 'complaint', 'OWNER_SET', 1, 'complaint', 12) RETURNING code, content_type, object_id;

-- The case must exist in the bound table.
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by) VALUES (999, 'case', 'CASE_VIEWED', 1);

-- Timers: the running timer of created_by is attached when timer_id is
-- NULL; a given timer must exist and belong to created_by.
SELECT (cla_eventlog.start_timer(50)).id AS timer50 \gset
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by) VALUES (3, 'case', 'CASE_CREATED', 50)
RETURNING timer_id = :timer50 AS attached;
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, timer_id) VALUES (3, 'case', 'CASE_VIEWED', 51, :timer50);
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, timer_id) VALUES (3, 'case', 'CASE_VIEWED', 51, 123456);
SELECT count(*) AS rows_of_user_51 FROM cla_eventlog.log WHERE created_by = 51;
-- A bulk load validates its rows under one snapshot and remembers each
-- user's running timer: 60 rows of users 50 (timer), 52 (none) and 53
-- (timer) interleaved get exactly their user's timer.  Then a timer started
-- between two statements is attached by the next one, and a stopped one no
-- longer is: the memo lives for one snapshot only.
SELECT (cla_eventlog.start_timer(53)).id AS timer53 \gset
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, notes)
SELECT 3, 'means_test', 'MT_CHANGED', (ARRAY[50, 52, 53])[1 + g % 3], 'bulk ' || g
  FROM generate_series(1, 60) g;
SELECT created_by, count(*) AS logs, count(*) FILTER (WHERE timer_id IS NOT DISTINCT FROM
           CASE created_by WHEN 50 THEN :timer50 WHEN 53 THEN :timer53 END) AS right_timer
  FROM cla_eventlog.log WHERE notes LIKE 'bulk %' GROUP BY created_by ORDER BY created_by;
SELECT (cla_eventlog.start_timer(52)).id AS timer52 \gset
SELECT (cla_eventlog.cancel_timer(53)).cancelled;
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, notes)
SELECT 3, 'means_test', 'MT_CHANGED', u, 'second bulk' FROM unnest(ARRAY[52, 53, 52, 53]) u;
SELECT created_by, count(*) AS logs, count(*) FILTER (WHERE timer_id IS NOT DISTINCT FROM
           CASE created_by WHEN 52 THEN :timer52 END) AS right_timer
  FROM cla_eventlog.log WHERE notes = 'second bulk' GROUP BY created_by ORDER BY created_by;
SELECT (cla_eventlog.cancel_timer(52)).cancelled;

-- The lookups keep their lock on the timer table to the end of the
-- transaction, as any read does, and later rows reuse it; a rolled-back
-- savepoint releases it, and the next row takes it again.
BEGIN;
SAVEPOINT s;
SELECT cla_eventlog.log_event('means_test', 3, 1, 'MT_CHANGED') IS NOT NULL AS logged;
ROLLBACK TO SAVEPOINT s;
SELECT count(*) AS timer_locks FROM pg_locks
 WHERE relation = 'cla_eventlog.timer'::regclass AND pid = pg_backend_pid();
SELECT cla_eventlog.log_event('means_test', 3, 1, 'MT_CHANGED') IS NOT NULL AS logged;
SELECT cla_eventlog.log_event('means_test', 3, 1, 'MT_CHANGED') IS NOT NULL AS logged_again;
SELECT mode FROM pg_locks
 WHERE relation = 'cla_eventlog.timer'::regclass AND pid = pg_backend_pid();
ROLLBACK;

-- once_per case: CALL_STARTED twice on a case is recorded once.
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by) VALUES (4, 'case', 'CALL_STARTED', 1);
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by) VALUES (4, 'case', 'CALL_STARTED', 2);
SELECT count(*) AS call_started FROM cla_eventlog.log WHERE case_id = 4 AND code = 'CALL_STARTED';
-- ... also when the duplicates come in one statement (a bulk load, COPY).
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by)
SELECT 8, 'case', 'CALL_STARTED', u FROM generate_series(1, 3) u;
SELECT count(*) AS call_started FROM cla_eventlog.log WHERE case_id = 8 AND code = 'CALL_STARTED';

-- once_per case_timer: CASE_VIEWED with a timer after CASE_CREATED on the
-- same timer is skipped; another CASE_VIEWED on that timer too; without a
-- timer it is always kept.
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by) VALUES (3, 'case', 'CASE_VIEWED', 50);
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by) VALUES (5, 'case', 'CASE_VIEWED', 50);
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by) VALUES (5, 'case', 'CASE_VIEWED', 50);
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by) VALUES (5, 'case', 'CASE_VIEWED', 60);
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by) VALUES (5, 'case', 'CASE_VIEWED', 60);
SELECT case_id, created_by, timer_id IS NOT NULL AS with_timer, count(*)
  FROM cla_eventlog.log WHERE code = 'CASE_VIEWED' AND case_id IN (3, 5)
 GROUP BY 1, 2, 3 ORDER BY 1, 2;

-- Debounce (README "Logging"), on case 6 with REOPEN (a HIGH outcome, any role):
-- same code and same notes on the same day is skipped; NULL and '' notes
-- differ; different notes are kept; A B A keeps all; a previous one on the
-- day before does not count.
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, notes) VALUES (6, 'reopen_case', 'REOPEN', 1, 'n1');
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, notes) VALUES (6, 'reopen_case', 'REOPEN', 1, 'n1');
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, notes) VALUES (6, 'reopen_case', 'REOPEN', 1, NULL);
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, notes) VALUES (6, 'reopen_case', 'REOPEN', 1, NULL);
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, notes) VALUES (6, 'reopen_case', 'REOPEN', 1, '');
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, notes) VALUES (6, 'reopen_case', 'REOPEN', 1, 'n2');
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, notes) VALUES (6, 'close_case', 'CLSP', 1, 'n2');
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, notes) VALUES (6, 'reopen_case', 'REOPEN', 1, 'n2');
SELECT code, notes FROM cla_eventlog.log WHERE case_id = 6 ORDER BY id;
-- Repeats within one statement are debounced too.
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, notes)
SELECT 9, 'reopen_case', 'REOPEN', 1, 'same' FROM generate_series(1, 3);
SELECT count(*) AS reopen_rows FROM cla_eventlog.log WHERE case_id = 9;
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, notes, created)
VALUES (7, 'reopen_case', 'REOPEN', 1, 'x', '2026-01-01 10:00+00');
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, notes, created)
VALUES (7, 'reopen_case', 'REOPEN', 1, 'x', '2026-01-02 09:00+00');
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, notes, created)
VALUES (7, 'reopen_case', 'REOPEN', 1, 'x', '2026-01-02 23:30+00');
-- The calendar day is taken in cla_eventlog.day_time_zone: 23:30 UTC on
-- 2 January is 3 January in Auckland, so there the row is kept.
SET cla_eventlog.day_time_zone = 'Pacific/Auckland';
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, notes, created)
VALUES (7, 'reopen_case', 'REOPEN', 1, 'x', '2026-01-02 23:30+00');
RESET cla_eventlog.day_time_zone;
-- With debounce_outcomes off, repeats are kept.
SET cla_eventlog.debounce_outcomes = off;
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, notes, created)
VALUES (7, 'reopen_case', 'REOPEN', 1, 'x', '2026-01-02 23:45+00');
RESET cla_eventlog.debounce_outcomes;
SELECT code, notes, created AT TIME ZONE 'UTC' AS created_utc FROM cla_eventlog.log WHERE case_id = 7 ORDER BY id;

-- Append-only: UPDATE, DELETE and TRUNCATE are refused, also for the
-- superuser running this test, until allow_log_maintenance is on.
UPDATE cla_eventlog.log SET notes = 'rewritten' WHERE case_id = 6;
DELETE FROM cla_eventlog.log WHERE case_id = 6;
TRUNCATE cla_eventlog.log;
-- Rows are guarded, not statements: a statement that matches no row
-- changes nothing and passes (Django's save() with a primary key tries an
-- UPDATE first; loaddata of log fixtures does the same).
UPDATE cla_eventlog.log SET notes = 'rewritten' WHERE id = -1;
DELETE FROM cla_eventlog.log WHERE false;
-- In maintenance mode an UPDATE changes the row (the guard returns it).
BEGIN;
SET LOCAL cla_eventlog.allow_log_maintenance = on;
UPDATE cla_eventlog.log SET notes = 'maintained' WHERE case_id = 7 AND code = 'REOPEN' RETURNING notes;
ROLLBACK;
-- allow_log_maintenance is superuser-only.
CREATE ROLE log_rules_app;
SET ROLE log_rules_app;
SET cla_eventlog.allow_log_maintenance = on;
RESET ROLE;
DROP ROLE log_rules_app;
BEGIN;
SET LOCAL cla_eventlog.allow_log_maintenance = on;
DELETE FROM cla_eventlog.log WHERE case_id = 7 AND created < '2026-01-02';
ROLLBACK;
SELECT count(*) AS case_7_rows FROM cla_eventlog.log WHERE case_id = 7;

SET client_min_messages = warning;
DROP SCHEMA cla_reference CASCADE;
