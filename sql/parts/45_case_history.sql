-- A case's history (new in 1.1).

-- The log rows of one case, oldest first, with each code's description
-- (retired codes included, so old rows keep theirs) and the level's name:
-- what a case page or an audit shows.  Reads with the caller's privileges,
-- through the log_case index.
CREATE FUNCTION @extschema@.case_history(case_id bigint)
RETURNS TABLE(log_id bigint, created timestamptz, event_key text, code text,
              description text, type text, level integer, level_name text,
              created_by bigint, created_by_role text, notes text,
              context jsonb, timer_id bigint, retired boolean)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT l.id, l.created, l.event_key, l.code, c.description, l.type, l.level,
           @extschema@._level_name(l.level),
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
