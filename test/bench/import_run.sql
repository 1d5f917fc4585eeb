-- Workload 6, the import: one run over the whole source; then the
-- importing backend's memory (/proc/self/status: VmHWM is its peak resident
-- set, shared buffers it touched included; RssAnon its private memory now)
-- and what it stored, as one tab-separated line.
\set QUIET on
CALL cla_eventlog.import_history('public');
SELECT (SELECT count(*) FROM cla_eventlog.log) + (SELECT count(*) FROM cla_eventlog.timer) AS rows,
       substring(s FROM 'VmHWM:\s+(\d+) kB') AS vm_hwm_kb,
       substring(s FROM 'RssAnon:\s+(\d+) kB') AS rss_anon_kb,
       (SELECT count(*) FROM cla_eventlog.import_problem) AS problems
  FROM pg_read_file('/proc/self/status') AS s;
