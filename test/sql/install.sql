-- install: the extension installs into its fixed schema, its library
-- loads, and the library and SQL objects agree on the version.
\i test/setup.psql

-- The extension lives in schema cla_eventlog and is not relocatable.
SELECT extname, extversion, n.nspname, extrelocatable
  FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
 WHERE extname = 'cla_eventlog';

-- The C library reports the same version as the installed SQL objects.
SELECT cla_eventlog.library_version() = extversion AS same_version
  FROM pg_extension WHERE extname = 'cla_eventlog';

-- The settings prefix is reserved: a misspelt setting is refused.
SET cla_eventlog.no_such_setting = 'x';

-- A time zone setting is checked when it is set.
SET cla_eventlog.day_time_zone = 'Mars/Olympus';
SET cla_eventlog.report_time_zone = 'Europe/London';
SHOW cla_eventlog.report_time_zone;
