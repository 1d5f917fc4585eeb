-- Workload 6, the baseline: the rows the import stored, written with plain
-- INSERT ... SELECT into untriggered copies of the extension's tables (run
-- after an import, so the same rows in their final form).
INSERT INTO bench.import_timer SELECT * FROM cla_eventlog.timer;
INSERT INTO bench.import_log SELECT * FROM cla_eventlog.log;
