-- Workload 5: back to the state before a bulk load, so that every run
-- starts alike: empty log and plain table (log maintenance allowed for the
-- TRUNCATE), case columns as saved in bench.case_before (made by the first
-- call), then VACUUM ANALYZE.  Superuser.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
CREATE TABLE IF NOT EXISTS bench.case_before AS
    SELECT id, outcome_code, outcome_code_id, level, requires_action_by, billable_time,
           provider_viewed, provider_accepted, provider_closed, provider_assigned_at, modified
      FROM cla_reference.legalaid_case;
SET cla_eventlog.allow_log_maintenance = on;
TRUNCATE cla_eventlog.log, bench.plain_log;
RESET cla_eventlog.allow_log_maintenance;
UPDATE cla_reference.legalaid_case c
   SET outcome_code = b.outcome_code, outcome_code_id = b.outcome_code_id, level = b.level,
       requires_action_by = b.requires_action_by, billable_time = b.billable_time,
       provider_viewed = b.provider_viewed, provider_accepted = b.provider_accepted,
       provider_closed = b.provider_closed, provider_assigned_at = b.provider_assigned_at,
       modified = b.modified
  FROM bench.case_before b
 WHERE b.id = c.id AND c.modified IS DISTINCT FROM b.modified;
VACUUM ANALYZE cla_eventlog.log, bench.plain_log, cla_reference.legalaid_case;
