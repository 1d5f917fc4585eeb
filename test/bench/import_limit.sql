-- Workload 6, shown beside it: the rows the import stored, in their final
-- form, copied into the untriggered copies (run after an import): only the
-- writing, the floor under any import.
TRUNCATE bench.import_log, bench.import_timer;
INSERT INTO bench.import_timer SELECT * FROM cla_eventlog.timer;
INSERT INTO bench.import_log SELECT * FROM cla_eventlog.log;
