-- log_maintenance: the audited maintenance jobs on the log (README "Log
-- maintenance", behaviour e.1 and e.2).  remove_duplicate_outcomes() finds
-- runs of one outcome code on a case on one day, keeps the oldest, and moves
-- the others to log_archive (dry run by default); restore_archived_logs()
-- puts them back as they were; add_sla_72h() fills sla_72h into CB1
-- contexts, the only sanctioned change of a log row, recorded in
-- log_change.  Only roles granted EXECUTE run them, and only a superuser or
-- a role granted SET may switch the debounce off.
\i test/setup.psql
\i test/reference.psql
SET TimeZone = 'UTC';
SET cla_eventlog.report_time_zone = 'Europe/London';

-- History from before the debounce (written with it off, as the service
-- did): case 1: DECL, DECL, TERM, DECL on 2024-03-04 and DECL the next
-- day; case 2: CB1, CB1, CB1 on one day; case 3: DECL, DECL on two days.
SET cla_eventlog.debounce_outcomes = off;
CREATE FUNCTION pg_temp.log(case_id bigint, code text, at text, context jsonb DEFAULT NULL)
RETURNS bigint LANGUAGE sql AS $$
    INSERT INTO cla_eventlog.log (case_id, code, created_by, created_by_role, created, context)
    VALUES (case_id, code, 1, 'operator', at::timestamptz, context) RETURNING id
$$;
SELECT pg_temp.log(1, 'DECL', '2024-03-04 10:00+00') AS a, pg_temp.log(1, 'DECL', '2024-03-04 10:05+00') AS b,
       pg_temp.log(1, 'TERM', '2024-03-04 11:00+00') AS c, pg_temp.log(1, 'DECL', '2024-03-04 12:00+00') AS d,
       pg_temp.log(1, 'DECL', '2024-03-05 09:00+00') AS e;
SELECT pg_temp.log(2, 'CB1', '2024-03-04 10:00+00', '{"requires_action_at": "2024-03-04T12:00:00Z"}') AS f,
       pg_temp.log(2, 'CB1', '2024-03-04 10:01+00', '{"requires_action_at": "2024-03-04T12:00:00Z", "sla_72h": "x"}') AS g,
       pg_temp.log(2, 'CB1', '2024-03-04 10:02+00') AS h;
SELECT pg_temp.log(3, 'DECL', '2024-03-04 23:30+00') AS i, pg_temp.log(3, 'DECL', '2024-03-05 00:30+00') AS j;
RESET cla_eventlog.debounce_outcomes;
SELECT id, outcome_code, outcome_code_id FROM cla_reference.legalaid_case WHERE id <= 3 ORDER BY id;

-- Dry run: case 1's second DECL (after the first, the same day) is a
-- duplicate, its 12:00 DECL is not (a TERM came between), nor is the next
-- day's; case 2's second and third CB1 are (both keep the first); case 3's
-- two DECL are on two days.  Nothing moves.
SELECT log_id, case_id, code, day, kept_log_id FROM cla_eventlog.remove_duplicate_outcomes();
SELECT count(*) AS logs FROM cla_eventlog.log;

-- The days are those of the debounce (cla_eventlog.day_time_zone): in
-- America/New_York case 3's two DECL fall on one day.
SET cla_eventlog.day_time_zone = 'America/New_York';
SELECT log_id, case_id, code, day FROM cla_eventlog.remove_duplicate_outcomes() WHERE case_id = 3;
RESET cla_eventlog.day_time_zone;

-- For real: the duplicates move to log_archive, whole, with who and why;
-- case 2's outcome, the last CB1, now is the kept one, and verify() agrees.
SELECT count(*) AS moved FROM cla_eventlog.remove_duplicate_outcomes(dry_run => false, reason => 'LGA-125 clean-up');
SELECT id, case_id, code, archived_by, reason, archived_at <= now() AS at FROM cla_eventlog.log_archive ORDER BY id;
SELECT id, outcome_code, outcome_code_id FROM cla_reference.legalaid_case WHERE id <= 3 ORDER BY id;
SELECT * FROM cla_eventlog.verify();
SELECT count(*) AS left_to_remove FROM cla_eventlog.remove_duplicate_outcomes();

-- Nothing is lost: the archived rows go back as they were (same ids, times
-- and contexts), their cases are repaired again.
SELECT cla_eventlog.restore_archived_logs(ARRAY(SELECT id FROM cla_eventlog.log_archive)) AS restored;
SELECT count(*) AS archived FROM cla_eventlog.log_archive;
SELECT id, case_id, code, created, context FROM cla_eventlog.log WHERE case_id = 2 ORDER BY id;
SELECT id, outcome_code, outcome_code_id FROM cla_reference.legalaid_case WHERE id = 2;
SELECT * FROM cla_eventlog.verify();
SELECT cla_eventlog.restore_archived_logs('{}') AS nothing, cla_eventlog.restore_archived_logs(ARRAY[-1]) AS unknown;

-- add_sla_72h: CB1 logs without sla_72h get it, 72 working hours after
-- their own requires_action_at (Mon 2024-03-04 12:00 -> Tue 03-12 14:30);
-- the one that has it is left alone, the one without requires_action_at
-- is listed with NULL and left alone; each change is in log_change.
CREATE TEMP TABLE cb1_before AS SELECT id, modified FROM cla_eventlog.log WHERE code = 'CB1';
SELECT log_id, requires_action_at, sla_72h FROM cla_eventlog.add_sla_72h();
SELECT l.case_id, l.context ->> 'sla_72h' AS sla_72h, l.modified = b.modified AS modified_untouched
  FROM cla_eventlog.log l JOIN cb1_before b USING (id) ORDER BY l.id;
SELECT log_id, changed_by, job, context_before ? 'sla_72h' AS had, context_after ->> 'sla_72h' AS added FROM cla_eventlog.log_change;
SELECT count(*) AS second_run FROM cla_eventlog.add_sla_72h() WHERE sla_72h IS NOT NULL;

-- Who may: PUBLIC has no EXECUTE on the jobs; the DBA grants them to a
-- maintenance role.  The debounce is a superuser's setting, or a role's
-- granted SET (so no writer can create the duplicates the job removes).
CREATE ROLE cel_maint;
GRANT USAGE ON SCHEMA cla_eventlog TO cel_maint;
SET ROLE cel_maint;
SELECT count(*) FROM cla_eventlog.remove_duplicate_outcomes();
SET cla_eventlog.debounce_outcomes = off;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
GRANT EXECUTE ON FUNCTION cla_eventlog.remove_duplicate_outcomes(boolean, text) TO cel_maint;
GRANT SET ON PARAMETER cla_eventlog.debounce_outcomes TO cel_maint;
SET ROLE cel_maint;
SELECT count(*) AS duplicates FROM cla_eventlog.remove_duplicate_outcomes();
SET cla_eventlog.debounce_outcomes = off;
RESET cla_eventlog.debounce_outcomes;
RESET ROLE;

-- The log is still append-only for everyone else.
UPDATE cla_eventlog.log SET context = '{}' WHERE code = 'CB1';
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM cla_eventlog.remove_duplicate_outcomes(dry_run => NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM cla_eventlog.remove_duplicate_outcomes(false, ' ');
\echo :LAST_ERROR_SQLSTATE

SET client_min_messages = warning;
REVOKE SET ON PARAMETER cla_eventlog.debounce_outcomes FROM cel_maint;
DROP OWNED BY cel_maint;
DROP ROLE cel_maint;
