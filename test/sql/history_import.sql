-- history_import: import_history() (README "Moving an existing cla_backend
-- database") on a small Django-shaped source written out by hand, one row
-- per case to prove: ids, times and duplicates kept; DUPL and CASE_VIEWED
-- placed by type, level and the creator's role; an unknown code registered
-- retired; patch literals unwrapped; content types named; every kind of
-- row that cannot be imported listed, with on_problem => 'stop' importing
-- nothing; a second run importing only what is new; timers updated;
-- sequences moved; verify() and repair_cases() afterwards; and the
-- compatibility views.  (test/t/history_import.sh runs the same on the
-- generated source, with the service's reports.)
\i test/setup.psql
\set ECHO none
SET client_min_messages = warning;
\i test/fixtures/cla_reference.sql
SELECT cla_reference.register_events();
\i test/django_case_table.psql
SELECT cla_eventlog.bind_case_table('dj.legalaid_case');
RESET client_min_messages;
\set ECHO all

-- The source: the service's tables as Django made them (schema dj).
CREATE TABLE dj.django_content_type (id serial PRIMARY KEY, app_label varchar(100), model varchar(100));
INSERT INTO dj.django_content_type VALUES (1, 'legalaid', 'case'), (12, 'complaints', 'complaint');
CREATE TABLE dj.call_centre_operator (id serial PRIMARY KEY, user_id integer NOT NULL UNIQUE);
CREATE TABLE dj.cla_provider_staff (id serial PRIMARY KEY, user_id integer NOT NULL UNIQUE);
-- users 1, 2 operators; 41 provider staff; 7 both; 9 neither
INSERT INTO dj.call_centre_operator (user_id) VALUES (1), (2), (7);
INSERT INTO dj.cla_provider_staff (user_id) VALUES (41), (7);
CREATE TABLE dj.timer_timer (
    id serial PRIMARY KEY, created timestamptz NOT NULL, modified timestamptz NOT NULL,
    stopped timestamptz, linked_case_id integer, cancelled boolean NOT NULL, created_by_id integer NOT NULL);
CREATE TABLE dj.cla_eventlog_log (
    id serial PRIMARY KEY, created timestamptz NOT NULL, modified timestamptz NOT NULL,
    case_id integer NOT NULL, timer_id integer, code varchar(50) NOT NULL, type varchar(20) NOT NULL,
    level smallint NOT NULL CHECK (level >= 0), created_by_id integer NOT NULL, notes text,
    patch json, context json, content_type_id integer, object_id integer CHECK (object_id >= 0));
INSERT INTO dj.legalaid_case (id, created) SELECT i, '2024-03-04 09:00+00' FROM generate_series(1, 6) i;

INSERT INTO dj.timer_timer VALUES
    (10, '2024-03-04 09:00+00', '2024-03-04 09:00+00', NULL, NULL, false, 1),                 -- running
    (11, '2024-03-04 09:00+00', '2024-03-04 09:05+00', '2024-03-04 09:05+00', 1, false, 2),   -- stopped
    (12, '2024-03-04 09:00+00', '2024-03-04 09:01+00', '2024-03-04 09:01+00', NULL, true, 1), -- cancelled
    (13, '2024-03-04 09:00+00', '2024-03-04 09:02+00', NULL, NULL, true, 2),                  -- cancelled, never stopped
    (14, '2024-03-04 09:00+00', '2024-03-04 09:10+00', '2024-03-04 09:10+00', 4, false, 41);
INSERT INTO dj.cla_eventlog_log VALUES
    (100, '2024-03-04 09:00+00', '2024-03-04 09:00+00', 1, NULL, 'CASE_CREATED', 'system', 11, 2, NULL, NULL, '{}', NULL, NULL),
    (101, '2024-03-04 09:01+00', '2024-03-04 09:01+00', 1, NULL, 'CASE_VIEWED', 'system', 11, 2, NULL, NULL, NULL, NULL, NULL),
    (102, '2024-03-04 09:02+00', '2024-03-04 09:02+00', 1, 11, 'CB1', 'outcome', 29, 2, 'first',
     '"{\"requires_action_at\": \"2024-03-04T10:00:00Z\"}"', '{"requires_action_at": "2024-03-04T10:00:00Z"}', NULL, NULL),
    -- a same-day duplicate from before the debounce: kept
    (103, '2024-03-04 09:03+00', '2024-03-04 09:03+00', 1, 11, 'CB1', 'outcome', 29, 2, 'first', NULL,
     '{"requires_action_at": "2024-03-04T10:00:00Z"}', NULL, NULL),
    -- DUPL by an operator (suspend_case), by provider staff (reject_case), by neither
    (104, '2024-03-04 09:04+00', '2024-03-04 09:04+00', 2, NULL, 'DUPL', 'outcome', 29, 1, NULL, NULL, '{}', NULL, NULL),
    (105, '2024-03-04 09:05+00', '2024-03-04 09:05+00', 2, NULL, 'DUPL', 'outcome', 29, 41, NULL, NULL, '{}', NULL, NULL),
    (106, '2024-03-04 09:06+00', '2024-03-04 09:06+00', 2, NULL, 'DUPL', 'outcome', 29, 9, NULL, NULL, '{}', NULL, NULL),
    -- CASE_VIEWED as the provider's outcome (open_case)
    (107, '2024-03-04 09:07+00', '2024-03-04 09:07+00', 3, NULL, 'CASE_VIEWED', 'outcome', 29, 41, NULL, NULL, NULL, NULL, NULL),
    -- a code retired years ago; one whose level no code can have
    (108, '2024-03-04 09:08+00', '2024-03-04 09:08+00', 3, NULL, 'OLD_CODE', 'outcome', 29, 1, NULL, NULL, NULL, NULL, NULL),
    (109, '2024-03-04 09:09+00', '2024-03-04 09:09+00', 3, NULL, 'ODD_CODE', 'outcome', 5, 1, NULL, NULL, NULL, NULL, NULL),
    -- a complaint log; a context that is an array; a log whose timer is another user's
    (110, '2024-03-04 09:10+00', '2024-03-04 09:10+00', 4, NULL, 'COMPLAINT_CREATED', 'event', 21, 1, NULL, NULL, '{}', 12, 7),
    (111, '2024-03-04 09:11+00', '2024-03-04 09:11+00', 4, NULL, 'CASE_CREATED', 'system', 11, 1, NULL, NULL, '[1, 2]', NULL, NULL),
    (112, '2024-03-04 09:12+00', '2024-03-04 09:12+00', 4, 14, 'SPOP', 'outcome', 29, 1, NULL, NULL, NULL, NULL, NULL),
    -- a log on the never-stopped cancelled timer; a log of a case the table lacks
    (113, '2024-03-04 09:13+00', '2024-03-04 09:13+00', 5, 13, 'CB1', 'outcome', 29, 2, NULL, NULL, NULL, NULL, NULL),
    (114, '2024-03-04 09:14+00', '2024-03-04 09:14+00', 99, NULL, 'CASE_CREATED', 'system', 11, 1, NULL, NULL, NULL, NULL, NULL),
    -- a patch string that is not JSON (kept as a string); a JSON null
    -- context (not an object either: listed, not turned into SQL NULL)
    (115, '2024-03-04 09:15+00', '2024-03-04 09:15+00', 5, NULL, 'MT_CHANGED', 'system', 11, 1, NULL, '"just text"', NULL, NULL, NULL),
    (121, '2024-03-04 09:15+00', '2024-03-04 09:15+00', 5, NULL, 'MT_CHANGED', 'system', 11, 1, NULL, NULL, 'null', NULL, NULL),
    -- DUPL by a user who is both: the roles do not decide
    (116, '2024-03-04 09:16+00', '2024-03-04 09:16+00', 5, NULL, 'DUPL', 'outcome', 29, 7, NULL, NULL, NULL, NULL, NULL),
    -- a content type without its object; JSON that jsonb cannot store
    (117, '2024-03-04 09:17+00', '2024-03-04 09:17+00', 6, NULL, 'COMPLAINT_NOTE', 'event', 11, 1, NULL, NULL, NULL, 12, NULL),
    (118, '2024-03-04 09:18+00', '2024-03-04 09:18+00', 6, NULL, 'CASE_CREATED', 'system', 11, 1, NULL, NULL, '{"a": "\u0000"}', NULL, NULL);
-- the case table as the old service left it: last saved wins, so case 1
-- shows its older CB1 (102), not the latest (103)
UPDATE dj.legalaid_case SET outcome_code = 'CB1', outcome_code_id = 102, level = 29, billable_time = 300 WHERE id = 1;
UPDATE dj.legalaid_case SET billable_time = 600 WHERE id = 4;
UPDATE dj.legalaid_case SET outcome_code = 'DUPL', outcome_code_id = 105, level = 29 WHERE id = 2;
UPDATE dj.legalaid_case SET outcome_code = 'OLD_CODE', outcome_code_id = 108, level = 29 WHERE id = 3;

-- on_problem => 'stop': every row is judged first, the problems are
-- listed, and nothing is imported.
SET client_min_messages = warning;
CALL cla_eventlog.import_history('dj', on_problem => 'stop', batch_size => 7);
RESET client_min_messages;
SELECT (SELECT count(*) FROM cla_eventlog.log) AS logs, (SELECT count(*) FROM cla_eventlog.timer) AS timers,
       (SELECT count(*) FROM cla_eventlog.code WHERE event_key = 'imported') AS registered;
SELECT source_table, source_id, reason, detail FROM cla_eventlog.import_problem ORDER BY 1, 2;

-- on_problem => 'report' (the default): what can be imported is, in
-- batches of 7 ids; the rest stays listed.
SET client_min_messages = warning;
CALL cla_eventlog.import_history('dj', batch_size => 7);
RESET client_min_messages;
SELECT id, on_problem, logs_imported, timers_imported, timers_updated, codes_registered, problems,
       finished IS NOT NULL AS finished
  FROM cla_eventlog.import_run ORDER BY id;
SELECT source_table, source_id, reason FROM cla_eventlog.import_problem ORDER BY 1, 2;

-- The imported rows: ids and times as they were, the event key each code
-- belongs to, the role from the operator and staff tables, patch unwrapped
-- (or kept, when not JSON), the content type by name.
SELECT id, case_id, timer_id, event_key, code, type, level, created_by, created_by_role, notes,
       patch, context, content_type, object_id, created, modified
  FROM cla_eventlog.log ORDER BY id;
-- The unknown code, registered retired under event "imported".
SELECT event_key, code, type, level, retired, description FROM cla_eventlog.codes WHERE event_key = 'imported';
-- Timers with their own times, not the clock's.
SELECT * FROM cla_eventlog.timer ORDER BY id;
-- Nothing was replayed: the case table is as the old service left it.
SELECT id, outcome_code, outcome_code_id, level, billable_time FROM dj.legalaid_case ORDER BY id;
-- The sequences are past the imported ids: the next log and timer.
SELECT last_value FROM cla_eventlog.log_id_seq;
SELECT last_value FROM cla_eventlog.timer_id_seq;

-- A second run brings over only what is new: a row that committed late
-- with a lower id (99), a new one (119), the array context fixed at the
-- source (111); the running timer stopped since (10, newer at the source)
-- is updated, and a stale source copy of timer 11 is not.
INSERT INTO dj.cla_eventlog_log VALUES
    (99, '2024-03-04 08:59+00', '2024-03-04 08:59+00', 6, NULL, 'CASE_CREATED', 'system', 11, 1, NULL, NULL, NULL, NULL, NULL),
    (119, '2024-03-05 09:00+00', '2024-03-05 09:00+00', 6, 10, 'DECL', 'outcome', 29, 1, NULL, NULL, '{}', NULL, NULL);
UPDATE dj.cla_eventlog_log SET context = '{"fixed": true}' WHERE id = 111;
UPDATE dj.timer_timer SET stopped = '2024-03-05 09:00+00', linked_case_id = 6, modified = '2024-03-05 09:00+00' WHERE id = 10;
UPDATE dj.timer_timer SET linked_case_id = 3, modified = '2024-03-04 09:04+00' WHERE id = 11;
UPDATE dj.legalaid_case SET outcome_code = 'DECL', outcome_code_id = 119, level = 29, billable_time = 86400 WHERE id = 6;
SET client_min_messages = warning;
CALL cla_eventlog.import_history('dj');
RESET client_min_messages;
SELECT logs_imported, timers_imported, timers_updated, problems FROM cla_eventlog.import_run ORDER BY id DESC LIMIT 1;
SELECT id, code, context FROM cla_eventlog.log WHERE id IN (99, 111, 119) ORDER BY id;
SELECT id, stopped, linked_case, modified FROM cla_eventlog.timer WHERE id IN (10, 11) ORDER BY id;
SELECT source_id, reason FROM cla_eventlog.import_problem ORDER BY 1;
-- Run again with nothing new: nothing imported, nothing updated.
SET client_min_messages = warning;
CALL cla_eventlog.import_history('dj');
RESET client_min_messages;
SELECT logs_imported, timers_imported, timers_updated FROM cla_eventlog.import_run ORDER BY id DESC LIMIT 1;

-- An id the log already holds for another row is never taken as
-- imported: the service logs through the extension (id 120), and a late
-- source row with that id is listed, not skipped.
SELECT cla_eventlog.log_event('case', 6, 1, 'CALL_STARTED', acting_role => 'operator') AS id;
INSERT INTO dj.cla_eventlog_log VALUES
    (120, '2024-03-05 10:00+00', '2024-03-05 10:00+00', 6, NULL, 'CASE_VIEWED', 'system', 11, 1, NULL, NULL, NULL, NULL, NULL);
SET client_min_messages = warning;
CALL cla_eventlog.import_history('dj');
RESET client_min_messages;
SELECT source_id, reason, regexp_replace(detail, 'created .*', 'created ...)') AS detail
  FROM cla_eventlog.import_problem WHERE reason = 'id_taken';
SELECT code FROM cla_eventlog.log WHERE id = 120;

-- After the import: verify() names the case whose columns disagree with
-- its history (last saved wins: case 1 shows CB1 102, its latest HIGH
-- outcome is 103; case 3 shows OLD_CODE while ODD_CODE was not imported,
-- still agreeing), and repair_cases() fixes it on request.
SELECT * FROM cla_eventlog.verify() ORDER BY 1, 2;
SELECT * FROM cla_eventlog.repair_cases(ARRAY[1]);
SELECT count(*) AS disagreeing FROM cla_eventlog.verify() WHERE case_id = 1;

-- Compatibility views: Django's names, columns and types over the log
-- and the timers, content types mapped back to their ids, patch as the
-- JSON string literal the service stored.
CREATE SCHEMA compat;
SELECT cla_eventlog.create_compat_views('compat', 'dj.django_content_type');
SELECT a.attname, format_type(a.atttypid, a.atttypmod)
  FROM pg_attribute a WHERE a.attrelid = 'compat.cla_eventlog_log'::regclass AND a.attnum > 0 ORDER BY a.attnum;
SELECT a.attname, format_type(a.atttypid, a.atttypmod)
  FROM pg_attribute a WHERE a.attrelid = 'compat.timer_timer'::regclass AND a.attnum > 0 ORDER BY a.attnum;
-- the same rows as the source, column for column: patch as the literal
-- the service stored (compared as text, json has no equality) ...
SELECT s.id, s.code, s.content_type_id, v.content_type_id, s.patch::text AS source_patch, v.patch::text AS view_patch
  FROM dj.cla_eventlog_log s JOIN compat.cla_eventlog_log v USING (id)
 WHERE s.id IN (102, 110, 115) ORDER BY s.id;
-- ... and every other column, except where the import says so: 120 is
-- the row the log's own 120 kept out; timer 11's source copy is older than
-- the imported one.
SELECT d.id AS differing_row
  FROM (SELECT id, created, modified, case_id, timer_id, code, type, level, created_by_id, notes,
               context::jsonb, content_type_id, object_id FROM dj.cla_eventlog_log
         WHERE id IN (SELECT id FROM cla_eventlog.log)
        EXCEPT
        SELECT id, created, modified, case_id, timer_id, code, type, level, created_by_id, notes,
               context::jsonb, content_type_id, object_id FROM compat.cla_eventlog_log) d ORDER BY 1;
SELECT d.id AS differing_timer
  FROM (SELECT * FROM dj.timer_timer WHERE id <> 13 EXCEPT SELECT * FROM compat.timer_timer) d ORDER BY 1;
-- Replacing them is fine; a Django table of the name is in the way.
SELECT cla_eventlog.create_compat_views('compat');
SELECT cla_eventlog.create_compat_views('dj');
SELECT cla_eventlog.create_compat_views('nowhere');

-- Bad input: errors that say what to pass, and no run recorded.
SELECT count(*) AS runs FROM cla_eventlog.import_run \gset
CALL cla_eventlog.import_history(NULL);
CALL cla_eventlog.import_history('nowhere');
CALL cla_eventlog.import_history('compat_missing');
CREATE SCHEMA halfway;
CREATE TABLE halfway.cla_eventlog_log (id serial, code text);
CALL cla_eventlog.import_history('halfway');
CALL cla_eventlog.import_history('dj', on_problem => 'ignore');
CALL cla_eventlog.import_history('dj', batch_size => 0);
SELECT count(*) = :runs AS no_run_recorded FROM cla_eventlog.import_run;
-- Inside a transaction block the batches cannot commit: refused (25001)
-- before any work, also for a CALL sent with other statements as one query
-- (PostgreSQL runs both atomically).
BEGIN;
CALL cla_eventlog.import_history('dj');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ROLLBACK;
SELECT 1 AS one \; CALL cla_eventlog.import_history('dj');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) = :runs AS no_run_recorded FROM cla_eventlog.import_run;

-- Only an administrator imports: PUBLIC has no EXECUTE.
CREATE ROLE cel_import_nobody;
GRANT USAGE ON SCHEMA cla_eventlog TO cel_import_nobody;
SET ROLE cel_import_nobody;
CALL cla_eventlog.import_history('dj');
SELECT cla_eventlog.create_compat_views('compat');
RESET ROLE;
REVOKE USAGE ON SCHEMA cla_eventlog FROM cel_import_nobody;
DROP ROLE cel_import_nobody;
