-- cla_eventlog install script; the version is in the file name.
--
-- The newest version's script is assembled by the Makefile from
-- sql/parts/*.sql in name order; edit the parts, not the assembled file.
-- The scripts of released versions are frozen copies of it, never edited:
-- a change goes into the parts and, for databases that have an older
-- version, into an upgrade script cla_eventlog--OLD--NEW.sql
-- (test/t/upgrade.sh checks that the two give the same objects).  Every
-- object is created in the extension's schema (@extschema@ = cla_eventlog)
-- and every name in a body is schema-qualified, so nothing depends on the
-- caller's search_path.

\echo Use "CREATE EXTENSION cla_eventlog" to load this file. \quit

COMMENT ON SCHEMA @extschema@ IS
    'cla_eventlog: event registry, append-only event log, case denormalisation, timers, MI views and status check';
