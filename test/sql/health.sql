-- health: status check disk_space and healthcheck_json(), the service's
-- /status/healthcheck.json (behaviour g; README "Status checks: what each
-- check means").  The free space is read by the server (statvfs of the data
-- directory and of pg_wal), so a pg_monitor probe gets it too; the check
-- passes while both have more than cla_eventlog.min_free_disk_percent free
-- (default 2; exactly the threshold fails).  The machine running the tests
-- is assumed to have more than 2 % free.
\i test/setup.psql

SELECT location, path = CASE location WHEN 'data directory' THEN current_setting('data_directory')
                           ELSE current_setting('data_directory') || '/pg_wal' END AS path_ok,
       available > 0 AS has_free, total >= available AS total_ok, free_percent BETWEEN 0 AND 100 AS pct_ok
  FROM cla_eventlog._disk_space() ORDER BY location;
SELECT check_name, ok, detail ~ '^data directory: .+ free of .+ \([0-9.]+ %\); pg_wal: .+ free of .+ \([0-9.]+ %\)$' AS detail_shape
  FROM cla_eventlog.status() WHERE check_name = 'disk_space';
SHOW cla_eventlog.min_free_disk_percent;

-- The service's document: database, disk and "*" (all passed).
SELECT jsonb_object_keys(cla_eventlog.healthcheck_json()) AS key ORDER BY 1;
SELECT h -> 'database' AS database, h -> 'disk' -> 'status' AS disk, h -> '*' AS all_passed,
       jsonb_array_length(h -> 'disk' -> 'locations') AS locations,
       (SELECT array_agg(l ->> 'location' ORDER BY l ->> 'location') FROM jsonb_array_elements(h -> 'disk' -> 'locations') l) AS named
  FROM cla_eventlog.healthcheck_json() h;

-- Above the threshold fails: at 100 % nothing passes; the detail says why;
-- "*" is false, and the probe answers HTTP 500.
SET cla_eventlog.min_free_disk_percent = 100;
SELECT check_name, ok, detail ~ 'at most 100 % free' AS says_why FROM cla_eventlog.status() WHERE check_name = 'disk_space';
SELECT (cla_eventlog.healthcheck_json() -> '*' ->> 'status')::boolean AS all_passed,
       (cla_eventlog.status_json() ->> 'ok')::boolean AS status_ok;
SET cla_eventlog.min_free_disk_percent = 0;
SELECT ok FROM cla_eventlog.status() WHERE check_name = 'disk_space';
RESET cla_eventlog.min_free_disk_percent;
SET cla_eventlog.min_free_disk_percent = 101;
SET cla_eventlog.min_free_disk_percent = 'two';

-- A pg_monitor probe: both documents, with the disk figures; it may not
-- move the threshold (a superuser's setting).
CREATE ROLE cel_probe IN ROLE pg_monitor;
SET ROLE cel_probe;
SELECT ok FROM cla_eventlog.status() WHERE check_name = 'disk_space';
SELECT (cla_eventlog.healthcheck_json() -> 'disk' ->> 'status')::boolean AS disk;
SET cla_eventlog.min_free_disk_percent = 0;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
DROP ROLE cel_probe;
