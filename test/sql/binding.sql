-- binding: bind_case_table (README "Case binding") with the default column names,
-- overrides, roles switched off, type checks, rebinding, and the real
-- foreign keys from the log and the timers to the bound table.
\i test/setup.psql
CREATE SCHEMA bind_app;
CREATE TABLE bind_app.legalaid_case (id bigint PRIMARY KEY, outcome_code text, outcome_code_id bigint,
    level smallint, requires_action_by varchar(50), billable_seconds numeric, modified timestamp,
    source text, created timestamptz, weird_level text);
CREATE TABLE bind_app.other_case (case_no integer PRIMARY KEY, outcome_code varchar(20));
INSERT INTO bind_app.legalaid_case (id) VALUES (1), (2);
INSERT INTO bind_app.other_case (case_no) VALUES (1), (7);
SELECT cla_eventlog.register_event('accept_case', '{"SPOP": {"type": "outcome", "level": 29, "selectable_by": [],
    "description": "Case taken", "stops_timer": false, "set_requires_action_by": "2_provider"}}');

-- Default names: roles whose default column is absent (billable_time,
-- provider_*) are simply off.
SELECT cla_eventlog.bind_case_table('bind_app.legalaid_case');
SELECT role, column_name FROM cla_eventlog.case_binding_columns ORDER BY role;

-- Overrides rename a role's column; null switches a role off.
SELECT cla_eventlog.bind_case_table('bind_app.legalaid_case',
    '{"billable_time": "billable_seconds", "source": null, "requires_action_by": null}');
SELECT role, column_name FROM cla_eventlog.case_binding_columns ORDER BY role;

-- A switched-off role is left alone by the triggers.
UPDATE bind_app.legalaid_case SET requires_action_by = 'untouched' WHERE id = 1;
SELECT cla_eventlog.log_event('accept_case', 1, 5) IS NOT NULL AS logged;
SELECT outcome_code, level, requires_action_by, modified IS NOT NULL AS modified_set
  FROM bind_app.legalaid_case WHERE id = 1;

-- Errors: an explicitly named column that does not exist, an unsuitable
-- type, an unknown role, switching off the id, a non-object map, a NULL
-- table, something that is not a table.
SELECT cla_eventlog.bind_case_table('bind_app.legalaid_case', '{"billable_time": "no_such_column"}');
SELECT cla_eventlog.bind_case_table('bind_app.legalaid_case', '{"level": "weird_level"}');
SELECT cla_eventlog.bind_case_table('bind_app.legalaid_case', '{"colour": "source"}');
SELECT cla_eventlog.bind_case_table('bind_app.legalaid_case', '{"id": null}');
SELECT cla_eventlog.bind_case_table('bind_app.legalaid_case', '[]');
SELECT cla_eventlog.bind_case_table(NULL);
SELECT cla_eventlog.bind_case_table('pg_catalog.pg_class_oid_index');
-- One column cannot play two roles: the triggers would write it twice
-- (here level, also named for billable_time).
SELECT cla_eventlog.bind_case_table('bind_app.legalaid_case', '{"billable_time": "level"}');
-- A failed rebinding leaves the previous binding in place.
SELECT case_schema, case_table FROM cla_eventlog.case_binding;

-- The log and the timers reference the bound table with real foreign keys.
SELECT conname, conrelid::regclass, confrelid::regclass
  FROM pg_constraint WHERE conname IN ('log_case_fkey', 'timer_linked_case_fkey') ORDER BY 1;
-- ... so a case with logs cannot be deleted behind the log's back.
DELETE FROM bind_app.legalaid_case WHERE id = 1;

-- Rebinding what has not changed keeps the keys themselves (the same
-- constraint OIDs) and takes no ACCESS EXCLUSIVE lock, the one lock a hot
-- standby replays and makes its readers wait for (README "Case binding").
CREATE TEMP TABLE fk_before AS
SELECT conname, oid FROM pg_constraint WHERE conname IN ('log_case_fkey', 'timer_linked_case_fkey');
BEGIN;
SELECT cla_eventlog.bind_case_table('bind_app.legalaid_case',
    '{"billable_time": "billable_seconds", "source": null, "requires_action_by": null}');
SELECT cla_eventlog.rebind_case_table();
SELECT count(*) AS access_exclusive_locks FROM pg_locks
 WHERE pid = pg_backend_pid() AND locktype = 'relation' AND mode = 'AccessExclusiveLock';
COMMIT;
SELECT b.conname, c.oid = b.oid AS same_key
  FROM fk_before b JOIN pg_constraint c ON c.conname = b.conname ORDER BY 1;
-- A key that is not as binding makes it (here a DBA's ON DELETE CASCADE)
-- is replaced: a new key under the same name, the other key kept, no
-- temporary key left behind.
ALTER TABLE cla_eventlog.log DROP CONSTRAINT log_case_fkey,
    ADD CONSTRAINT log_case_fkey FOREIGN KEY (case_id) REFERENCES bind_app.legalaid_case (id) ON DELETE CASCADE NOT VALID;
UPDATE fk_before b SET oid = c.oid FROM pg_constraint c WHERE c.conname = b.conname;
SELECT cla_eventlog.rebind_case_table();
SELECT c.conname, c.oid = b.oid AS same_key, c.confdeltype
  FROM pg_constraint c LEFT JOIN fk_before b ON b.conname = c.conname
 WHERE c.conrelid IN ('cla_eventlog.log'::regclass, 'cla_eventlog.timer'::regclass) AND c.contype = 'f'
 ORDER BY 1;
DROP TABLE fk_before;

-- Rebinding to another table (with an integer key in another column)
-- replaces the binding and the foreign keys; the existing logs must then
-- refer to cases of the new table (case 2 is not in other_case).
SELECT cla_eventlog.log_event('accept_case', 2, 5) IS NOT NULL AS logged;
SELECT cla_eventlog.bind_case_table('bind_app.other_case', '{"id": "case_no"}');
SET client_min_messages = warning;
BEGIN;
SET LOCAL cla_eventlog.allow_log_maintenance = on;
DELETE FROM cla_eventlog.log;
COMMIT;
RESET client_min_messages;
SELECT cla_eventlog.bind_case_table('bind_app.other_case', '{"id": "case_no"}');
SELECT role, column_name FROM cla_eventlog.case_binding_columns ORDER BY role;
SELECT conname, confrelid::regclass FROM pg_constraint
 WHERE conname IN ('log_case_fkey', 'timer_linked_case_fkey') ORDER BY 1;
SELECT cla_eventlog.log_event('accept_case', 7, 5) IS NOT NULL AS logged;
SELECT * FROM bind_app.other_case ORDER BY case_no;
SELECT cla_eventlog.log_event('accept_case', 1000, 5);

-- With no billable-time column bound (other_case has none), a stopping
-- outcome and stop_timer() still stop and link the timer; there is just
-- nothing to bill, and the case row keeps its own columns.
SELECT cla_eventlog.register_event('timer_test', '{"STOP": {"type": "outcome", "level": 29, "selectable_by": [],
    "description": "Stops the timer", "stops_timer": true}}');
SELECT id AS timer FROM cla_eventlog.start_timer(5) \gset
SELECT cla_eventlog.log_event('timer_test', 7, 5, 'STOP') IS NOT NULL AS logged;
SELECT stopped IS NOT NULL AS stopped, linked_case FROM cla_eventlog.timer WHERE id = :timer;
SELECT id AS timer FROM cla_eventlog.start_timer(5) \gset
SELECT cla_eventlog.log_event('accept_case', 7, 5) IS NOT NULL AS logged;
SELECT s.id = :timer AS stopped_by_stop_timer, s.stopped IS NOT NULL AS stopped, s.linked_case
  FROM cla_eventlog.stop_timer(5) s;
SELECT * FROM bind_app.other_case ORDER BY case_no;

SET client_min_messages = warning;
DROP SCHEMA bind_app CASCADE;
