-- The limit of high_log_event.sql: the same row inserted into the plain
-- table and the same case update, in one statement (workload 2).
\set case random(1, :ncases)
\set user random(41, 50)
\set n random(1, 1000000000)
WITH i AS (
    INSERT INTO bench.plain_log (case_id, event_key, code, type, level, created_by,
                                 created_by_role, notes)
    VALUES (:case, 'reject_case', 'MERI', 'outcome', 29, :user, 'mcc_specialist', :n::text)
    RETURNING id)
UPDATE cla_reference.legalaid_case c
   SET outcome_code = 'MERI', level = 29, outcome_code_id = i.id,
       requires_action_by = NULL, provider_closed = pg_catalog.now(),
       modified = pg_catalog.now()
  FROM i
 WHERE c.id = :case;
