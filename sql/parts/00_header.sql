-- cla_eventlog 1.0 install script.
--
-- This file is assembled by the Makefile from sql/parts/*.sql in name
-- order; edit the parts, not the assembled file.  Every object is created
-- in the extension's schema (@extschema@ = cla_eventlog) and every name in a
-- body is schema-qualified, so nothing depends on the caller's search_path.

\echo Use "CREATE EXTENSION cla_eventlog" to load this file. \quit

COMMENT ON SCHEMA @extschema@ IS
    'cla_eventlog: event registry, append-only event log, case denormalisation, timers, MI views and status check';
