-- Workload 6, the baseline the target is against: a plain INSERT ... SELECT
-- of the same source rows into untriggered copies of the extension's
-- tables, every column mapped as plainly as a hand-written copy would (the
-- code as the event key, no role, patch and context cast as they are, the
-- content type by name), leaving out only what the copies' constraints
-- refuse (a cancelled timer never stopped, a context that is not an
-- object).  No rule, no resolution, no problem list, no batches.
TRUNCATE bench.import_log, bench.import_timer;
INSERT INTO bench.import_timer
SELECT id, created_by_id, created, stopped, linked_case_id, cancelled, modified
  FROM timer_timer WHERE NOT (cancelled AND stopped IS NULL);
INSERT INTO bench.import_log
SELECT s.id, s.case_id, s.timer_id, s.code, s.code, s.type, s.level, s.created_by_id, NULL, s.notes,
       s.patch::jsonb, s.context::jsonb, ct.app_label || '.' || ct.model, s.object_id, s.created, s.modified
  FROM cla_eventlog_log s LEFT JOIN django_content_type ct ON ct.id = s.content_type_id
 WHERE s.context IS NULL OR json_typeof(s.context) = 'object';
