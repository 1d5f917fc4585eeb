-- cla_eventlog 1.0 -> 1.1.
--
-- Frozen once released, like the install scripts.  It makes a 1.0 database
-- what sql/cla_eventlog--1.1.sql makes a new one (test/t/upgrade.sh compares
-- every member object of the two).  1.1 adds:
--   case_history(case_id)   the log rows of a case with their descriptions
--   _log_id()               the id default of the log: an application role
--                           may no longer choose a log id
-- The C library of 1.1 also serves 1.0's SQL objects unchanged; status check
-- library_version says "not ok" until this update has run.

\echo Use "ALTER EXTENSION cla_eventlog UPDATE TO '1.1'" to load this file. \quit

CREATE FUNCTION @extschema@.case_history(case_id bigint)
RETURNS TABLE(log_id bigint, created timestamptz, event_key text, code text,
              description text, type text, level integer, level_name text,
              created_by bigint, created_by_role text, notes text,
              context jsonb, timer_id bigint, retired boolean)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT l.id, l.created, l.event_key, l.code, c.description, l.type, l.level,
           CASE l.level WHEN 29 THEN 'HIGH' WHEN 21 THEN 'MODERATE' WHEN 11 THEN 'MINOR' END,
           l.created_by, l.created_by_role, l.notes, l.context, l.timer_id, c.retired
      FROM @extschema@.log AS l
      LEFT JOIN @extschema@.code AS c
             ON c.event_key OPERATOR(pg_catalog.=) l.event_key
            AND c.code OPERATOR(pg_catalog.=) l.code
     WHERE l.case_id OPERATOR(pg_catalog.=) case_history.case_id
     ORDER BY l.id
$$;
COMMENT ON FUNCTION @extschema@.case_history(bigint) IS
    'The log rows of a case, oldest first, with each code''s description (also of retired codes) and level name';
REVOKE ALL ON FUNCTION @extschema@.case_history(bigint) FROM PUBLIC;

-- Log ids are issued by _log_id() (the next value of log_id_seq, which the
-- BEFORE trigger accepts for that row only); the sequence stays the column's.
CREATE FUNCTION @extschema@._log_id() RETURNS bigint
    LANGUAGE c VOLATILE PARALLEL UNSAFE
    AS 'MODULE_PATHNAME', 'cel_log_id';
COMMENT ON FUNCTION @extschema@._log_id() IS
    'Internal: default of log.id; the next value of log_id_seq, which the log''s BEFORE trigger then accepts for that row';
REVOKE ALL ON FUNCTION @extschema@._log_id() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@._log_id() TO PUBLIC;
ALTER TABLE @extschema@.log ALTER COLUMN id SET DEFAULT @extschema@._log_id();
COMMENT ON COLUMN @extschema@.log.id IS
    'Issued by the default in logging order (a case shows its highest-id outcome); explicit ids only with cla_eventlog.allow_explicit_ids (superuser)';
