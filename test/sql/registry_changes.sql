-- registry_changes: the registry changed by raw DML while a statement is
-- inserting log rows (issue 17).  A row is checked against its code by the
-- BEFORE trigger and applied by the AFTER trigger at the end of the
-- statement; a code renamed or deleted in between cannot be applied, and
-- the statement fails with a user-facing error (27000) naming the code, not
-- an internal one (XX000).
\i test/setup.psql
\i test/reference.psql

-- The code of row n of a statement: RN1 before row "at", RN2 from it on;
-- row "at" renames RN1 to RN2 with raw DML first, so it is checked as RN2
-- while the earlier rows were checked (and stored) as RN1.
CREATE FUNCTION public.code_renamed_at(n integer, at integer) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    IF n = at THEN
        UPDATE cla_eventlog.code SET code = 'RN2' WHERE event_key = 'rename_test' AND code = 'RN1';
    END IF;
    RETURN CASE WHEN n >= at THEN 'RN2' ELSE 'RN1' END;
END $$;
SELECT cla_eventlog.register_event('rename_test', '{
    "RN1": {"type": "outcome", "level": "HIGH", "selectable_by": [], "description": "renamed", "stops_timer": false}}');

---------------------------------------------------------------------------
-- 1. A multi-row INSERT ... SELECT whose SELECT renames the code after the
--    first rows were checked: refused as a whole, with the code and the
--    event named, and nothing stored or applied.
---------------------------------------------------------------------------
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, notes)
SELECT g, 'rename_test', public.code_renamed_at(g, 3), 41, 'row ' || g FROM generate_series(1, 3) g;
\echo :SQLSTATE
SELECT count(*) AS nothing_stored FROM cla_eventlog.log;
SELECT count(*) AS no_case_changed FROM cla_reference.legalaid_case WHERE outcome_code IS NOT NULL;
SELECT code FROM cla_eventlog.codes WHERE event_key = 'rename_test';

---------------------------------------------------------------------------
-- 2. The same in a transaction that goes on after a savepoint: the error is
--    an ordinary one, the transaction can roll back to the savepoint and
--    log again.
---------------------------------------------------------------------------
BEGIN;
SAVEPOINT s;
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, notes)
SELECT g, 'rename_test', public.code_renamed_at(g, 2), 41, 'row ' || g FROM generate_series(1, 2) g;
ROLLBACK TO s;
SELECT cla_eventlog.log_event('rename_test', 1, 41, 'RN1') IS NOT NULL AS logged_after_rollback;
COMMIT;

---------------------------------------------------------------------------
-- 3. Renaming in its own statement works: later rows use the new code, the
--    old name is refused at the BEFORE trigger (42704) as any unknown code.
---------------------------------------------------------------------------
SELECT public.code_renamed_at(1, 1);
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, notes)
SELECT g, 'rename_test', 'RN2', 41, 'row ' || g FROM generate_series(2, 3) g;
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by) VALUES (4, 'rename_test', 'RN1', 41);
SELECT id, outcome_code FROM cla_reference.legalaid_case WHERE outcome_code IS NOT NULL ORDER BY id;

DROP FUNCTION public.code_renamed_at(integer, integer);
