-- log_event: choosing the code (README "Logging"), bad arguments, and the proof that
-- log_event() and a plain INSERT give identical rows and case effects for
-- every one of the 72 reference codes.
\i test/setup.psql
\i test/reference.psql

-- An explicit code.
SELECT cla_eventlog.log_event('reject_case', 1, 41, 'MERI', acting_role => 'mcc_specialist') IS NOT NULL AS logged;
-- No code, one live code: accept_case has only SPOP.
SELECT cla_eventlog.log_event('accept_case', 1, 41) AS id \gset
SELECT code FROM cla_eventlog.log WHERE id = :id;
-- No code, a resolver: call_me_back picks CB1 for a case without callbacks.
SELECT cla_eventlog.log_event('call_me_back', 2, 1, acting_role => 'operator') AS id \gset
SELECT code FROM cla_eventlog.log WHERE id = :id;
-- No code, several codes, no resolver: an error listing the codes.
SELECT cla_eventlog.log_event('reject_case', 1, 41);
-- A resolver's error reaches the caller unchanged, and nothing is written.
SELECT count(*) AS logs_before FROM cla_eventlog.log \gset
SELECT cla_eventlog.log_event('stop_call_me_back', 3, 1, params => '{"cancel": true, "complete": true}');
SELECT cla_eventlog.log_event('case', 3, 1, params => '{"status": "danced"}');
SELECT count(*) - :logs_before AS rows_written FROM cla_eventlog.log;
-- A retired code is refused; unknown event, code, case and role too.
SELECT cla_eventlog.register_event('retire_me', '{"OLD": {"type": "system", "level": 11, "selectable_by": [], "description": "old", "stops_timer": false},
                                                  "NEW": {"type": "system", "level": 11, "selectable_by": [], "description": "new", "stops_timer": false}}');
SELECT cla_eventlog.register_event('retire_me', '{"NEW": {"type": "system", "level": 11, "selectable_by": [], "description": "new", "stops_timer": false}}');
SELECT cla_eventlog.log_event('retire_me', 1, 1, 'OLD');
SELECT cla_eventlog.log_event('retire_me', 1, 1) AS id \gset
SELECT code FROM cla_eventlog.log WHERE id = :id;
SELECT cla_eventlog.log_event('no_such_event', 1, 1);
SELECT cla_eventlog.log_event('case', 1, 1, 'NO_SUCH_CODE');
SELECT cla_eventlog.log_event('case', 424242, 1, 'CASE_VIEWED');
SELECT cla_eventlog.log_event('case', 1, 1, 'CASE_VIEWED', acting_role => 'nobody');

-- NULL for each argument that must have a value.
SELECT cla_eventlog.log_event(NULL, 1, 1, 'CASE_VIEWED');
SELECT cla_eventlog.log_event('case', NULL, 1, 'CASE_VIEWED');
SELECT cla_eventlog.log_event('case', 1, NULL, 'CASE_VIEWED');
-- NULL for each optional argument is accepted.
SELECT cla_eventlog.log_event('case', 1, 1, 'CASE_VIEWED', NULL, NULL, NULL, NULL, NULL, NULL, NULL) IS NOT NULL AS logged;
-- context that is an array or a scalar.
SELECT cla_eventlog.log_event('case', 1, 1, 'CASE_VIEWED', context => '[]');
SELECT cla_eventlog.log_event('case', 1, 1, 'CASE_VIEWED', context => '42');
-- 1 MB notes and a 1 MB context are stored.
SELECT cla_eventlog.log_event('case', 1, 1, 'CASE_VIEWED', notes => repeat('n', 1048576),
                              context => jsonb_build_object('blob', repeat('c', 1048576))) AS id \gset
SELECT length(notes) AS notes_length, length(context->>'blob') AS context_length
  FROM cla_eventlog.log WHERE id = :id;

-- Every reference code, once through log_event and once through INSERT,
-- each on a fresh case (so no duplicate rule applies) with the first role
-- allowed: the stored rows and the resulting cases are the same.
INSERT INTO cla_reference.legalaid_case (id, source, requires_action_by)
SELECT 1000 + i, 'PHONE', 'operator' FROM generate_series(1, 200) i;
CREATE TEMP TABLE every_code AS
SELECT row_number() OVER (ORDER BY event_key, code) AS n, event_key, code, selectable_by[1] AS role
  FROM cla_eventlog.codes WHERE NOT retired AND event_key IN
       (SELECT event_key FROM cla_eventlog.codes GROUP BY 1 HAVING bool_and(NOT retired))
   AND event_key <> 'retire_me';
SELECT count(*) AS reference_codes FROM every_code;
SELECT count(cla_eventlog.log_event(event_key, 1000 + n, 7, code, acting_role => role)) AS via_log_event
  FROM every_code;
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, created_by_role)
SELECT 1100 + n, event_key, code, 7, role FROM every_code;
-- rows: same columns but id, case and times
SELECT count(*) AS differing_rows FROM (
    (SELECT case_id - 1000, event_key, code, type, level, created_by, created_by_role, timer_id
       FROM cla_eventlog.log WHERE case_id BETWEEN 1001 AND 1100
     EXCEPT
     SELECT case_id - 1100, event_key, code, type, level, created_by, created_by_role, timer_id
       FROM cla_eventlog.log WHERE case_id BETWEEN 1101 AND 1200)
    UNION ALL
    (SELECT case_id - 1100, event_key, code, type, level, created_by, created_by_role, timer_id
       FROM cla_eventlog.log WHERE case_id BETWEEN 1101 AND 1200
     EXCEPT
     SELECT case_id - 1000, event_key, code, type, level, created_by, created_by_role, timer_id
       FROM cla_eventlog.log WHERE case_id BETWEEN 1001 AND 1100)) d;
-- cases: same outcome, level, requires-action-by and stamps
SELECT count(*) AS differing_cases
  FROM cla_reference.legalaid_case a JOIN cla_reference.legalaid_case b ON b.id = a.id + 100
 WHERE a.id BETWEEN 1001 AND 1100
   AND (a.outcome_code, a.level, a.requires_action_by,
        a.provider_viewed IS NULL, a.provider_accepted IS NULL, a.provider_closed IS NULL, a.provider_assigned_at IS NULL)
       IS DISTINCT FROM
       (b.outcome_code, b.level, b.requires_action_by,
        b.provider_viewed IS NULL, b.provider_accepted IS NULL, b.provider_closed IS NULL, b.provider_assigned_at IS NULL);

-- log_event() inserts its row without SQL (log_insert.c) only while the log
-- is as the extension creates it; anything else takes the SQL INSERT, so
-- that the behaviour is the same.  A statement-level INSERT trigger fires:
CREATE FUNCTION public.log_statement_notice() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN RAISE NOTICE 'statement trigger on the log fired'; RETURN NULL; END $$;
CREATE TRIGGER log_statement_notice AFTER INSERT ON cla_eventlog.log
    FOR EACH STATEMENT EXECUTE FUNCTION public.log_statement_notice();
SELECT cla_eventlog.log_event('case', 1, 7, 'CASE_VIEWED', notes => 'via SQL') IS NOT NULL AS logged;
DROP TRIGGER log_statement_notice ON cla_eventlog.log;
DROP FUNCTION public.log_statement_notice();
-- a read-only transaction refuses the row, as the SQL INSERT would:
BEGIN READ ONLY;
SELECT cla_eventlog.log_event('case', 1, 7, 'CASE_VIEWED', notes => 'read only');
ROLLBACK;
-- a changed default is honoured:
ALTER TABLE cla_eventlog.log ALTER COLUMN created SET DEFAULT '2001-02-03 04:05:06+00';
SELECT cla_eventlog.log_event('case', 1, 7, 'CASE_VIEWED', notes => 'changed default') AS id \gset
SELECT created FROM cla_eventlog.log WHERE id = :id;
ALTER TABLE cla_eventlog.log ALTER COLUMN created SET DEFAULT pg_catalog.now();
-- and back on the direct path: defaults, triggers and the returned id as before
BEGIN;
SELECT cla_eventlog.log_event('case', 1, 7, 'CASE_VIEWED', notes => 'direct again') AS id \gset
SELECT l.created = now() AS created_now, l.modified = now() AS modified_now,
       l.type, l.level, l.id = currval('cla_eventlog.log_id_seq') AS id_from_sequence
  FROM cla_eventlog.log l WHERE l.id = :id;
COMMIT;
-- The direct path keeps the log's CHECK constraints parsed between rows
-- (log_insert.c); it must enforce the constraints the log has now.  A check
-- added after rows were logged this way is enforced, through a function
-- whose current body counts (the parse is kept, not the plan: a replaced
-- SQL function, which the planner inlines, takes effect at once), and a
-- dropped check is no longer enforced.
CREATE FUNCTION public.note_allowed(text) RETURNS boolean IMMUTABLE LANGUAGE sql
    AS $$ SELECT $1 <> 'SHOUT' $$;
ALTER TABLE cla_eventlog.log ADD CONSTRAINT log_note_allowed CHECK (public.note_allowed(notes));
\set VERBOSITY terse
SELECT cla_eventlog.log_event('case', 1, 7, 'CASE_VIEWED', notes => 'SHOUT');
SELECT cla_eventlog.log_event('case', 1, 7, 'CASE_VIEWED', notes => 'WHISPER') IS NOT NULL AS logged;
CREATE OR REPLACE FUNCTION public.note_allowed(text) RETURNS boolean IMMUTABLE LANGUAGE sql
    AS $$ SELECT $1 <> 'WHISPER' $$;
SELECT cla_eventlog.log_event('case', 1, 7, 'CASE_VIEWED', notes => 'SHOUT') IS NOT NULL AS logged;
SELECT cla_eventlog.log_event('case', 1, 7, 'CASE_VIEWED', notes => 'WHISPER');
\set VERBOSITY default
ALTER TABLE cla_eventlog.log DROP CONSTRAINT log_note_allowed;
DROP FUNCTION public.note_allowed(text);
SELECT cla_eventlog.log_event('case', 1, 7, 'CASE_VIEWED', notes => 'WHISPER') IS NOT NULL AS logged;

SET client_min_messages = warning;
DROP SCHEMA cla_reference CASCADE;
