-- cla_eventlog 1.0 -> 1.1: what changes in the objects 1.0 has, and the
-- new objects of the parts that 1.0 has none of.
--
-- The Makefile builds sql/cla_eventlog--1.0--1.1.sql from this file, then
-- the parts wholly new in 1.1 as they are (78_replication, 78_retention,
-- 79_compat_views, 79_history_import), then 80_privileges.sql, which
-- gives every object the privileges a fresh install gives it: so those
-- parts are written once.  When 1.1 is released, the built script is
-- committed and frozen, like the install scripts.  It makes a 1.0 database
-- what sql/cla_eventlog--1.1.sql makes a new one (test/t/upgrade.sh compares
-- every member object of the two).  1.1 adds:
--   case_history(case_id)   the log rows of a case with their descriptions
--   role.member_of          role membership: add_role(name, member_of),
--                           event_codes(event_key, role) (issue 15, a.6)
--   import_history()        the history import, with import_run,
--                           import_problem; create_compat_views() (issue 14)
-- and changes:
--   mi_daily_codes, mi_billable_daily   days generated for the last 30
--                           years only, other days found through the index,
--                           so an absurd created neither slows nor breaks
--                           them (issue 17)
--   _log_id()               the id default of the log: an application role
--                           may no longer choose a log id
--   the SQL internals       one definition per fact (issue 13): new helpers
--                           _level_name, _reg_quote_list, _case_roles,
--                           _require_binding; _case_expected's columns
--                           named after the roles they fill; errors
--                           raised with RAISE ... USING (_reg_error goes)
--   a logical copy          (issue 16) sync_sequences(), the event trigger
--                           cla_eventlog_no_inheritance, row triggers
--                           registry_replicated, role REPLICA IDENTITY
--                           FULL; status checks database, standby and
--                           triggers know subscribers and foreign triggers
-- The C library of 1.1 also serves 1.0's SQL objects unchanged; status check
-- library_version says "not ok" until this update has run.

\echo Use "ALTER EXTENSION cla_eventlog UPDATE TO '1.1'" to load this file. \quit

-- Issue 15 (a.6): role membership.  A role may be a member of another: it
-- may log that role's codes, and MI counts it as that role.  The reference
-- application's mcc_specialist is how the MCC restriction is expressed.
-- First, because the MI views below use _role_family().
ALTER TABLE @extschema@.role
    ADD COLUMN member_of text REFERENCES @extschema@.role (name) CHECK (member_of <> name);
COMMENT ON COLUMN @extschema@.role.member_of IS
    'The role this one also acts as: codes selectable by it are selectable by this role, and MI counts this role as it';

-- Role membership (README "Registry"): a role acts as itself and as every
-- role it is a member of, transitively.  _role_lineage() goes up (what a
-- role may log), _role_family() goes down (whom MI counts as a role); an
-- unregistered role has neither.  add_role() refuses a membership that
-- would make a cycle; the depth bound only keeps a hand-edited table from
-- looping.  SECURITY DEFINER: role names are
-- no secret, and the MI views and a writer's event_codes() read them
-- without SELECT on the role table.
CREATE FUNCTION @extschema@._role_lineage(role text) RETURNS text[]
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    BEGIN ATOMIC
        WITH RECURSIVE up(name, member_of, depth) AS (
            SELECT r.name, r.member_of, 1 FROM @extschema@.role r WHERE r.name = _role_lineage.role
            UNION ALL
            SELECT r.name, r.member_of, up.depth + 1
              FROM up JOIN @extschema@.role r ON r.name = up.member_of
             WHERE up.depth < 64)
        SELECT COALESCE(array_agg(up.name ORDER BY up.depth), '{}') FROM up;
    END;
COMMENT ON FUNCTION @extschema@._role_lineage(text) IS
    'Internal: the role and every role it is a member of, nearest first; empty for an unregistered role';

CREATE FUNCTION @extschema@._role_family(role text) RETURNS text[]
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    BEGIN ATOMIC
        WITH RECURSIVE down(name, depth) AS (
            SELECT r.name, 1 FROM @extschema@.role r WHERE r.name = _role_family.role
            UNION ALL
            SELECT r.name, down.depth + 1
              FROM down JOIN @extschema@.role r ON r.member_of = down.name
             WHERE down.depth < 64)
        SELECT COALESCE(array_agg(down.name ORDER BY down.name), '{}') FROM down;
    END;
COMMENT ON FUNCTION @extschema@._role_family(text) IS
    'Internal: the role and every role that is a member of it, transitively (MI counts them all as the role); empty for an unregistered role';

REVOKE ALL ON FUNCTION @extschema@._role_lineage(text), @extschema@._role_family(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@._role_lineage(text), @extschema@._role_family(text) TO PUBLIC;

DROP FUNCTION @extschema@.add_role(text);
CREATE FUNCTION @extschema@.add_role(name text, member_of text DEFAULT NULL) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    n       integer;
BEGIN
    PERFORM @extschema@._reg_check_name('role', name);
    IF member_of IS NOT NULL THEN
        -- one membership change at a time, so that two cannot make a cycle
        -- together; logging only reads the table and is not blocked
        LOCK TABLE @extschema@.role IN SHARE ROW EXCLUSIVE MODE;
        IF NOT EXISTS (SELECT FROM @extschema@.role AS r WHERE r.name = add_role.member_of) THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = pg_catalog.format('role %s is not registered', @extschema@._reg_quote(member_of)),
                HINT = pg_catalog.format('Add %s first; a role can only be a member of a registered role.',
                                         @extschema@._reg_quote(member_of));
        END IF;
        IF name = ANY (@extschema@._role_lineage(member_of)) THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = pg_catalog.format('role %s cannot be a member of %s', @extschema@._reg_quote(name),
                                            @extschema@._reg_quote(member_of)),
                DETAIL = pg_catalog.format('%s already acts as %s: %s.', @extschema@._reg_quote(member_of),
                                           @extschema@._reg_quote(name),
                                           pg_catalog.array_to_string(@extschema@._role_lineage(member_of), ' -> ')),
                HINT = 'Memberships may not form a cycle.';
        END IF;
    END IF;
    -- a given member_of is set (also on an existing role); none leaves an
    -- existing role's membership as it is
    INSERT INTO @extschema@.role AS r (name, member_of) VALUES (add_role.name, add_role.member_of)
    ON CONFLICT ON CONSTRAINT role_pkey DO UPDATE
        SET member_of = excluded.member_of
        WHERE excluded.member_of IS NOT NULL AND r.member_of IS DISTINCT FROM excluded.member_of;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n > 0;
END;
$$;
COMMENT ON FUNCTION @extschema@.add_role(text, text) IS
    'Adds a role that codes may name in selectable_by, or makes an existing role a member of member_of (it may then log that role''s codes, and MI counts it as that role); returns false when nothing changed';
REVOKE ALL ON FUNCTION @extschema@.add_role(text, text) FROM PUBLIC;

-- Issue 13: one definition per fact.  The level names (codes view,
-- case_history), the quoted lists of error messages, the case-column
-- roles with their accepted types (bind_case_table, status check
-- case_binding) and "no case table is bound" each have one helper.
CREATE FUNCTION @extschema@._level_name(level integer) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN level OPERATOR(pg_catalog.=) 29 THEN 'HIGH'
                WHEN level OPERATOR(pg_catalog.=) 21 THEN 'MODERATE'
                WHEN level OPERATOR(pg_catalog.=) 11 THEN 'MINOR' END;
COMMENT ON FUNCTION @extschema@._level_name(integer) IS
    'Internal: the name of a level (HIGH, MODERATE, MINOR)';
CREATE FUNCTION @extschema@._reg_quote_list(names text[], sep text DEFAULT ', ') RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    RETURN (SELECT pg_catalog.string_agg(@extschema@._reg_quote(n.name), sep ORDER BY n.ord)
              FROM pg_catalog.unnest(names) WITH ORDINALITY AS n(name, ord));
COMMENT ON FUNCTION @extschema@._reg_quote_list(text[], text) IS
    'Internal: a list of names as shown in error messages (each as _reg_quote shows it, joined by sep)';
CREATE FUNCTION @extschema@._case_roles() RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_object_agg(r.role, k.types)
      FROM (VALUES ('id',                   'integer'),
                   ('outcome_code',         'text'),
                   ('outcome_code_id',      'integer'),
                   ('level',                'integer'),
                   ('requires_action_by',   'text'),
                   ('billable_time',        'number'),
                   ('modified',             'timestamp'),
                   ('source',               'text'),
                   ('created',              'timestamp'),
                   ('provider_viewed',      'timestamp'),
                   ('provider_accepted',    'timestamp'),
                   ('provider_closed',      'timestamp'),
                   ('provider_assigned_at', 'timestamp')) AS r(role, kind)
      JOIN (VALUES ('integer',   '["smallint", "integer", "bigint"]'::jsonb),
                   ('number',    '["smallint", "integer", "bigint", "numeric"]'),
                   ('text',      '["text", "character varying", "character"]'),
                   ('timestamp', '["timestamp with time zone", "timestamp without time zone"]')) AS k(kind, types)
        ON k.kind = r.kind
$$;
COMMENT ON FUNCTION @extschema@._case_roles() IS
    'Internal: the case-column roles, each with the column types it accepts (role => array of type names)';
CREATE FUNCTION @extschema@._require_binding() RETURNS @extschema@.case_binding
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    b @extschema@.case_binding;
BEGIN
    SELECT * INTO b FROM @extschema@.case_binding;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no case table is bound to cla_eventlog'
            USING ERRCODE = 'undefined_table',
                  HINT = 'Call cla_eventlog.bind_case_table(''app.case_table'') once, as the extension''s administrator.';
    END IF;
    RETURN b;
END
$$;
COMMENT ON FUNCTION @extschema@._require_binding() IS
    'Internal: the case_binding row; raises an error when no case table is bound';

-- The error of a function that needs a case-column role that is not bound
-- (mi_first_actions, mi_contacts_per_case read the case's creation time).
CREATE FUNCTION @extschema@._require_case_role(role text, why text) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM @extschema@.case_binding b WHERE b.columns ? role) THEN
        RAISE EXCEPTION 'the case-column role "%" is not bound', role
            USING ERRCODE = 'undefined_column',
                  DETAIL = why,
                  HINT = format('Bind the case table again with the %s role, for example cla_eventlog.bind_case_table(''app.case'', ''{"%s": "%s_at"}'').', role, role, role);
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@._require_case_role(text, text) IS
    'Internal: raises an error (with why as its detail) when the given case-column role is not bound';
REVOKE ALL ON FUNCTION @extschema@._require_case_role(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@._require_case_role(text, text) TO PUBLIC;
-- The range a report function is given: both bounds (unless nullable), and
-- from before to.  One place for the errors every report raises.
CREATE FUNCTION @extschema@._require_range(from_name text, from_ts timestamptz, to_name text, to_ts timestamptz,
                                           hint text, nullable boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT nullable AND (from_ts IS NULL OR to_ts IS NULL) THEN
        RAISE EXCEPTION '% must not be null', CASE WHEN from_ts IS NULL THEN from_name ELSE to_name END
            USING ERRCODE = 'null_value_not_allowed', HINT = hint;
    END IF;
    IF from_ts > to_ts THEN
        RAISE EXCEPTION '% (%) is after % (%)', from_name, from_ts, to_name, to_ts
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@._require_range(text, timestamptz, text, timestamptz, text, boolean) IS
    'Internal: raises the report functions'' errors for a NULL bound (unless nullable) or a range whose start is after its end';

REVOKE ALL ON FUNCTION @extschema@._require_range(text, timestamptz, text, timestamptz, text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@._level_name(integer), @extschema@._reg_quote_list(text[], text),
    @extschema@._case_roles(), @extschema@._require_binding() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@._level_name(integer), @extschema@._case_roles(),
    @extschema@._require_binding() TO PUBLIC;

CREATE OR REPLACE VIEW @extschema@.codes AS
SELECT c.event_key,
       c.code,
       c.type,
       c.level,
       @extschema@._level_name(c.level) AS level_name,
       c.selectable_by,
       c.description,
       c.stops_timer,
       c.sort_order,
       c.set_requires_action_by,
       c.set_case_columns,
       c.once_per,
       e.code_resolver,
       c.retired
  FROM @extschema@.code AS c
  JOIN @extschema@.event AS e ON e.key = c.event_key;

CREATE OR REPLACE FUNCTION @extschema@._check_case_binding(OUT ok boolean, OUT detail text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    -- role => accepted column types (as bind_case_table accepts them)
    roles constant jsonb := @extschema@._case_roles();
    bind record;
    rel regclass;
    role text;
    col text;
    coltype text;
    problems text[] := '{}';
BEGIN
    SELECT * INTO bind FROM @extschema@.case_binding;
    IF NOT FOUND THEN
        ok := false;
        detail := 'no case table is bound; call cla_eventlog.bind_case_table()';
        RETURN;
    END IF;
    rel := to_regclass(format('%I.%I', bind.case_schema, bind.case_table));
    IF rel IS NULL THEN
        problems := problems || 'the table does not exist'::text;
    ELSE
        IF NOT bind.columns ? 'id' THEN
            problems := problems || 'no column is bound to the role id'::text;
        END IF;
        FOR role, col IN SELECT r.key, r.value FROM jsonb_each_text(bind.columns) r ORDER BY r.key LOOP
            SELECT format_type(a.atttypid, NULL) INTO coltype
              FROM pg_attribute a
             WHERE a.attrelid = rel AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped;
            IF NOT FOUND THEN
                problems := problems || format('column "%s" (role %s) does not exist', col, role);
            ELSIF NOT roles ? role THEN
                problems := problems || format('column "%s" has the unknown role %s', col, role);
            ELSIF NOT (roles -> role) ? coltype THEN
                problems := problems || format('column "%s" (role %s) has unsuitable type %s', col, role, coltype);
            END IF;
        END LOOP;
        IF NOT EXISTS (SELECT 1 FROM pg_constraint k
                        WHERE k.conrelid = '@extschema@.log'::regclass AND k.contype = 'f' AND k.confrelid = rel) THEN
            problems := problems || 'the log has no foreign key to the table'::text;
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_constraint k
                        WHERE k.conrelid = '@extschema@.timer'::regclass AND k.contype = 'f' AND k.confrelid = rel) THEN
            problems := problems || 'the timers have no foreign key to the table'::text;
        END IF;
    END IF;
    ok := cardinality(problems) = 0;
    detail := format('%I.%I: ', bind.case_schema, bind.case_table) ||
        CASE WHEN ok THEN format('%s columns bound, foreign keys in place',
                                 (SELECT count(*) FROM jsonb_object_keys(bind.columns)))
             ELSE array_to_string(problems, '; ') || '; bind the table again with cla_eventlog.bind_case_table()'
        END;
END
$$;

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
REVOKE ALL ON FUNCTION @extschema@.case_history(bigint) FROM PUBLIC;

-- The case table is read and written as its owner (README, "Privileges"):
-- the C helpers _case_rows, _case_lock and _case_write replace the dynamic
-- SQL on the table in MI, status, verify() and repair_cases(); bind and
-- rebind keep foreign keys in place and add new ones NOT VALID; bind
-- refuses rules, expression partition keys and a column given two roles.
CREATE FUNCTION @extschema@._case_rows(case_ids bigint[],
                                       created_from timestamptz DEFAULT NULL,
                                       created_to timestamptz DEFAULT NULL)
RETURNS TABLE(case_id bigint, outcome_code text, outcome_code_id bigint, level bigint,
              billable_time numeric, source text, created timestamptz)
LANGUAGE c STABLE
AS 'MODULE_PATHNAME', 'cel_case_rows';
COMMENT ON FUNCTION @extschema@._case_rows(bigint[], timestamptz, timestamptz) IS
    'Internal: the bound case table''s rows (the given ids, all when NULL; created in [created_from, created_to) when given) with the columns of their roles, NULL where a role is off; read as the table''s owner for a caller with SELECT on it';

CREATE FUNCTION @extschema@._case_lock(case_ids bigint[], for_update boolean DEFAULT false) RETURNS bigint
LANGUAGE c
AS 'MODULE_PATHNAME', 'cel_case_lock';
COMMENT ON FUNCTION @extschema@._case_lock(bigint[], boolean) IS
    'Internal: locks the given cases'' rows FOR NO KEY UPDATE (FOR UPDATE with for_update, which also holds off new log rows'' foreign-key checks) in id order, as the table''s owner, for a caller with SELECT and UPDATE on it; returns the number locked';

CREATE FUNCTION @extschema@._case_write(case_ids bigint[], outcome_codes text[], outcome_log_ids bigint[],
                                        levels bigint[], billable bigint[]) RETURNS bigint
LANGUAGE c
AS 'MODULE_PATHNAME', 'cel_case_write';
COMMENT ON FUNCTION @extschema@._case_write(bigint[], text[], bigint[], bigint[], bigint[]) IS
    'Internal: writes the given outcome and billable values (arrays in step) to the bound columns of the given cases and touches modified, as the table''s owner, for a caller with SELECT and UPDATE on it; returns the number written';

CREATE OR REPLACE FUNCTION @extschema@.rebind_case_table()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    b record;
    rel regclass;
    idcol smallint;
    k record;
    missing bigint;
    replace_ boolean;
    newname text;
BEGIN
    b := @extschema@._require_binding();
    rel := to_regclass(format('%I.%I', b.case_schema, b.case_table));
    IF rel IS NULL THEN
        RAISE EXCEPTION 'bound case table %.% does not exist', quote_ident(b.case_schema), quote_ident(b.case_table)
            USING ERRCODE = 'undefined_table',
                  HINT = 'Bind the case table again with cla_eventlog.bind_case_table().';
    END IF;
    SELECT a.attnum INTO idcol FROM pg_attribute a
     WHERE a.attrelid = rel AND a.attname = b.columns ->> 'id' AND NOT a.attisdropped;
    FOR k IN SELECT * FROM (VALUES ('@extschema@.log'::regclass, 'log_case_fkey', 'case_id'),
                                   ('@extschema@.timer'::regclass, 'timer_linked_case_fkey', 'linked_case'))
                        AS v(tab, conname, col) LOOP
        CONTINUE WHEN EXISTS (SELECT 1 FROM pg_constraint c
                               WHERE c.conrelid = k.tab AND c.conname = k.conname AND c.contype = 'f'
                                 AND c.conkey = ARRAY[(SELECT a.attnum FROM pg_attribute a
                                                        WHERE a.attrelid = k.tab AND a.attname = k.col)]
                                 AND c.confrelid = rel AND c.confkey = ARRAY[idcol]
                                 AND c.confupdtype = 'a' AND c.confdeltype = 'a' AND c.confmatchtype = 's'
                                 AND NOT c.condeferrable);
        replace_ := EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conrelid = k.tab AND c.conname = k.conname);
        newname := CASE WHEN replace_ THEN k.conname || '_rebinding' ELSE k.conname END;
        EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I FOREIGN KEY (%I) REFERENCES %I.%I (%I) NOT VALID',
                       k.tab, newname, k.col, b.case_schema, b.case_table, b.columns ->> 'id');
        EXECUTE format('WITH cases AS MATERIALIZED (SELECT c.case_id FROM @extschema@._case_rows(NULL) c)'
                       ' SELECT min(r.id) FROM (SELECT DISTINCT t.%1$I AS id FROM %2$s t WHERE t.%1$I IS NOT NULL) r'
                       ' WHERE NOT EXISTS (SELECT 1 FROM cases c WHERE c.case_id OPERATOR(pg_catalog.=) r.id)'
                       ' AND EXISTS (SELECT 1 FROM %2$s t WHERE t.%1$I IS NOT NULL)',
                       k.col, k.tab)
            INTO missing;
        IF missing IS NOT NULL THEN
            RAISE EXCEPTION 'insert or update on table "%" violates foreign key constraint "%"',
                            (SELECT r.relname FROM pg_class r WHERE r.oid = k.tab), k.conname
                USING ERRCODE = 'foreign_key_violation',
                      DETAIL = format('Key (%s)=(%s) is not present in table "%s".', k.col, missing, b.case_table);
        END IF;
        IF replace_ THEN
            -- the only ACCESS EXCLUSIVE locks, held the short rest of the transaction
            EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', k.tab, k.conname);
            EXECUTE format('ALTER TABLE %s RENAME CONSTRAINT %I TO %I', k.tab, newname, k.conname);
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@.rebind_case_table() IS
    'Re-creates the log''s and timers'' foreign keys to the bound case table from the stored binding (keeps those already in place); run it after pg_restore (pg_dump does not dump them)';

CREATE OR REPLACE FUNCTION @extschema@.bind_case_table(case_table regclass, columns jsonb DEFAULT '{}')
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    -- role => accepted column types; a role's default column has its name
    roles constant jsonb := @extschema@._case_roles();
    nsp text;
    rel text;
    role text;
    accepted jsonb;
    colname text;
    explicit boolean;
    coltype text;
    resolved jsonb := '{}';
    bad text;
    caller constant text := CASE WHEN current_setting('role') = 'none' THEN session_user::text
                                 ELSE current_setting('role') END;
BEGIN
    IF case_table IS NULL THEN
        RAISE EXCEPTION 'case_table must not be null' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NOT has_table_privilege(caller, case_table, 'REFERENCES') THEN
        RAISE EXCEPTION 'permission denied for table %', case_table
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = format('Binding adds foreign keys to the case table, which needs the REFERENCES privilege on it; role %s does not have it.', caller),
                  HINT = 'Bind as the table''s owner, or have the owner GRANT REFERENCES on the table.';
    END IF;
    IF columns IS NULL OR jsonb_typeof(columns) <> 'object' THEN
        RAISE EXCEPTION 'columns must be a JSON object'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Map case-column roles to column names, for example {"billable_time": "billable_seconds"}, or switch a role off with null.';
    END IF;
    SELECT n.nspname, c.relname INTO nsp, rel
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.oid = case_table AND c.relkind IN ('r', 'p');
    IF NOT FOUND THEN
        RAISE EXCEPTION 'case table % is not a table', case_table USING ERRCODE = 'wrong_object_type';
    END IF;
    -- The log's UPDATE of a case must stay one UPDATE.
    IF EXISTS (SELECT 1 FROM pg_rewrite r WHERE r.ev_class = case_table) THEN
        RAISE EXCEPTION 'case table % has rules', case_table
            USING ERRCODE = 'feature_not_supported',
                  DETAIL = 'The extension updates the case row of a log row with one UPDATE, which a rule would rewrite into other commands.',
                  HINT = 'Drop the rules (DROP RULE), or use a trigger instead.';
    END IF;
    -- Adding a foreign key to a partitioned table loads its partition key,
    -- whose expressions would run as the binding's caller.
    IF EXISTS (SELECT 1 FROM pg_partitioned_table p WHERE p.partrelid = case_table AND p.partexprs IS NOT NULL) THEN
        RAISE EXCEPTION 'case table % is partitioned by an expression', case_table
            USING ERRCODE = 'feature_not_supported',
                  HINT = 'Partition the case table by columns only.';
    END IF;

    bad := @extschema@._reg_quote_list(ARRAY(SELECT k FROM jsonb_object_keys(columns) k WHERE NOT roles ? k));
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'unknown case-column role %', bad
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Roles: ' || (SELECT string_agg(k, ', ') FROM jsonb_object_keys(roles) k) || '.';
    END IF;

    FOR role, accepted IN SELECT * FROM jsonb_each(roles) LOOP
        explicit := columns ? role;
        IF explicit AND jsonb_typeof(columns -> role) = 'null' THEN
            IF role = 'id' THEN
                RAISE EXCEPTION 'case-column role "id" cannot be switched off'
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
            CONTINUE;
        END IF;
        IF explicit AND jsonb_typeof(columns -> role) <> 'string' THEN
            RAISE EXCEPTION 'column for case-column role "%" must be a string or null', role
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        colname := CASE WHEN explicit THEN columns ->> role ELSE role END;
        SELECT format_type(a.atttypid, NULL) INTO coltype
          FROM pg_attribute a
         WHERE a.attrelid = case_table AND a.attname = colname
           AND a.attnum > 0 AND NOT a.attisdropped;
        IF NOT FOUND THEN
            IF explicit OR role = 'id' THEN
                RAISE EXCEPTION 'column % of case table % does not exist', @extschema@._reg_quote(colname), case_table
                    USING ERRCODE = 'undefined_column',
                          DETAIL = format('It was given for the case-column role "%s".', role);
            END IF;
            CONTINUE;               -- a default name that is absent: role off
        END IF;
        IF NOT accepted ? coltype THEN
            RAISE EXCEPTION 'column "%" of case table % has unsuitable type %', colname, case_table, coltype
                USING ERRCODE = 'datatype_mismatch',
                      DETAIL = format('The case-column role "%s" needs one of: %s.', role,
                                      (SELECT string_agg(t, ', ') FROM jsonb_array_elements_text(accepted) t));
        END IF;
        resolved := resolved || jsonb_build_object(role, colname);
    END LOOP;
    -- A log id column narrower than the log's ids overflows one day.
    SELECT format_type(a.atttypid, NULL) INTO coltype FROM pg_attribute a
     WHERE a.attrelid = case_table AND a.attname = resolved ->> 'outcome_code_id' AND NOT a.attisdropped;
    IF coltype IN ('smallint', 'integer') THEN
        RAISE WARNING 'column "%" of case table % is %, narrower than the log''s bigint ids', resolved ->> 'outcome_code_id', case_table, coltype
            USING DETAIL = format('HIGH outcomes fail with "integer out of range" once log ids pass %s; status check log_id_headroom turns red at 90 %%.',
                                  CASE coltype WHEN 'smallint' THEN 32767 ELSE 2147483647 END),
                  HINT = format('Widen it: ALTER TABLE %s ALTER COLUMN %I TYPE bigint.', case_table, resolved ->> 'outcome_code_id');
    END IF;
    -- One column plays one role (the triggers would write it twice).
    SELECT string_agg(format('Column "%s" is given for the roles %s.', r.col, r.roles), ' ') INTO bad
      FROM (SELECT j.value AS col, @extschema@._reg_quote_list(array_agg(j.key ORDER BY j.key), ' and ') AS roles
              FROM jsonb_each_text(resolved) j GROUP BY j.value HAVING count(*) > 1) r;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'a case column can play only one role'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = bad,
                  HINT = 'Map each role to its own column, or switch a role off with null.';
    END IF;

    -- Replace the binding and its foreign keys.
    DELETE FROM @extschema@.case_binding;
    INSERT INTO @extschema@.case_binding (case_schema, case_table, columns)
    VALUES (nsp, rel, resolved);
    PERFORM @extschema@.rebind_case_table();
END
$$;
COMMENT ON FUNCTION @extschema@.bind_case_table(regclass, jsonb) IS
    'Binds the application''s case table: columns overrides role => column name, or null to switch a role off';

CREATE OR REPLACE FUNCTION @extschema@.mi_first_actions(from_ts timestamptz DEFAULT NULL, to_ts timestamptz DEFAULT NULL)
RETURNS TABLE(case_id bigint,
              created timestamptz,
              seconds_to_operator_access bigint,
              seconds_to_operator_action bigint,
              seconds_to_specialist_access bigint,
              operator_access_at timestamptz,
              operator_action_at timestamptz,
              assigned_at timestamptz,
              specialist_access_at timestamptz)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    -- who counts as an operator or a specialist (README "Registry": members too)
    operators   text[] := @extschema@._role_family('operator');
    specialists text[] := @extschema@._role_family('specialist');
BEGIN
    PERFORM @extschema@._require_range('from_ts', from_ts, 'to_ts', to_ts, NULL, nullable => true);
    PERFORM @extschema@._require_case_role('created', 'mi_first_actions measures from the case''s creation time.');
    RETURN QUERY
        SELECT c.case_id, c.created,
               @extschema@._mi_seconds(acc.created, c.created),
               @extschema@._mi_seconds(act.created, c.created),
               @extschema@._mi_seconds(sp.created, asg.created),
               acc.created, act.created, asg.created, sp.created
          FROM @extschema@._case_rows(NULL, from_ts, to_ts) c
          LEFT JOIN LATERAL (
                SELECT l.created FROM @extschema@.log l
                 WHERE l.case_id = c.case_id AND l.created_by_role = ANY (operators) AND l.code <> 'CASE_CREATED'
                 ORDER BY l.id LIMIT 1) acc ON true
          LEFT JOIN LATERAL (
                SELECT l.created FROM @extschema@.log l
                 WHERE l.case_id = c.case_id AND l.created_by_role = ANY (operators) AND l.code <> 'CASE_CREATED'
                   AND l.level >= 29
                 ORDER BY l.id LIMIT 1) act ON true
          LEFT JOIN LATERAL (
                SELECT l.id, l.created FROM @extschema@.log l
                 WHERE l.case_id = c.case_id AND l.code IN ('REFSP', 'MANALC', 'MANREF', 'SPOR')
                 ORDER BY l.id LIMIT 1) asg ON true
          LEFT JOIN LATERAL (
                SELECT l.created FROM @extschema@.log l
                 WHERE l.case_id = c.case_id AND l.id > asg.id AND l.created_by_role = ANY (specialists)
                 ORDER BY l.id LIMIT 1) sp ON true
         ORDER BY c.case_id;
END
$$;
COMMENT ON FUNCTION @extschema@.mi_first_actions(timestamptz, timestamptz) IS
    'MI: for each case created in [from_ts, to_ts) (NULL = unbounded): seconds from creation to the first operator log other than CASE_CREATED (access, any level; action, HIGH or above), and from the first assignment log (REFSP, MANALC, MANREF, SPOR) to the first specialist log after it. Columns: case_id, created, seconds_to_operator_access, seconds_to_operator_action, seconds_to_specialist_access, and the four instants. "Operator"/"specialist" is the log''s created_by_role, or a role that is a member of it; "first" is the lowest log id';

---------------------------------------------------------------------------
-- _cb1_callbacks: the CB1 logs whose requires_action_at lies strictly
-- between from_ts and to_ts, each with what happened after it on its case:
-- the facts both callback reports (mi_callback_sla, mi_callback_sla_agilisys)
-- decide on, read once.
CREATE FUNCTION @extschema@._cb1_callbacks(from_ts timestamptz, to_ts timestamptz, terminal_codes text[])
RETURNS TABLE(log_id bigint, case_id bigint, source text, created timestamptz, created_by bigint,
              w0 timestamptz, w1 timestamptz, sla_15 timestamptz, sla_30 timestamptz,
              sla_120 timestamptz, sla_480 timestamptz, sla_72h timestamptz,
              view_at timestamptz, action_at timestamptz, action_code text, call_at timestamptz,
              terminal_at timestamptz, terminal_code text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    source_ids bigint[];
    sources text[];
    operators text[] := @extschema@._role_family('operator');
BEGIN
    PERFORM @extschema@._require_range('from_ts', from_ts, 'to_ts', to_ts,
        'Give the range of callback times to report on, for example a day: mi_callback_sla(''2024-03-01'', ''2024-03-02'').');
    IF terminal_codes IS NULL THEN
        RAISE EXCEPTION 'terminal_codes must not be null'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Leave it out to get its default.';
    END IF;
    -- The cases' sources, read through _case_rows() (as the case table's
    -- owner).  Without a binding, or without the source role, every source
    -- is NULL, an "other source": the report still lists the callbacks.
    IF EXISTS (SELECT 1 FROM @extschema@.case_binding b WHERE b.columns ? 'source') THEN
        SELECT array_agg(c.case_id), array_agg(c.source) INTO source_ids, sources
          FROM @extschema@._case_rows(ARRAY(
                   SELECT DISTINCT l.case_id FROM @extschema@.log l
                    WHERE l.code = 'CB1'
                      AND @extschema@._iso_time(l.context ->> 'requires_action_at') > from_ts
                      AND @extschema@._iso_time(l.context ->> 'requires_action_at') < to_ts)) c;
    END IF;

    RETURN QUERY
        SELECT l.id, l.case_id, src.source, l.created, l.created_by,
               w.w0, w.w0 + interval '30 minutes',
               @extschema@._iso_time(l.context ->> 'sla_15'),
               @extschema@._iso_time(l.context ->> 'sla_30'),
               @extschema@._iso_time(l.context ->> 'sla_120'),
               @extschema@._iso_time(l.context ->> 'sla_480'),
               @extschema@._iso_time(l.context ->> 'sla_72h'),
               v.created, a.created, a.code, cs.created, t.created, t.code
          FROM @extschema@.log l
         CROSS JOIN LATERAL (SELECT @extschema@._iso_time(l.context ->> 'requires_action_at') AS w0) w
          LEFT JOIN ROWS FROM (pg_catalog.unnest(source_ids), pg_catalog.unnest(sources)) AS src(case_id, source)
                 ON src.case_id = l.case_id
          LEFT JOIN LATERAL (
                SELECT n.created FROM @extschema@.log n
                 WHERE n.case_id = l.case_id AND n.id > l.id AND n.created_by_role = ANY (operators)
                 ORDER BY n.id LIMIT 1) v ON true
          LEFT JOIN LATERAL (
                SELECT n.created, n.code FROM @extschema@.log n
                 WHERE n.case_id = l.case_id AND n.id > l.id AND n.created_by_role = ANY (operators)
                   AND n.level >= 29 AND n.type IN ('outcome', 'event')
                 ORDER BY n.id LIMIT 1) a ON true
          LEFT JOIN LATERAL (
                SELECT n.created FROM @extschema@.log n
                 WHERE n.case_id = l.case_id AND n.id > l.id AND n.code = 'CALL_STARTED'
                 ORDER BY n.id LIMIT 1) cs ON true
          LEFT JOIN LATERAL (
                SELECT n.created, n.code FROM @extschema@.log n
                 WHERE n.case_id = l.case_id AND n.id > l.id AND n.code = ANY (terminal_codes)
                 ORDER BY n.id LIMIT 1) t ON true
         WHERE l.code = 'CB1'
           AND @extschema@._iso_time(l.context ->> 'requires_action_at') > from_ts
           AND @extschema@._iso_time(l.context ->> 'requires_action_at') < to_ts;
END
$$;
COMMENT ON FUNCTION @extschema@._cb1_callbacks(timestamptz, timestamptz, text[]) IS
    'Internal: the CB1 logs of a range of callback times with their SLA times and the first operator view, operator action, call started and terminal log after each; for the callback reports';

---------------------------------------------------------------------------
-- mi_callback_sla: one row per CB1 log whose requires_action_at
-- lies strictly between from_ts and to_ts.
CREATE OR REPLACE FUNCTION @extschema@.mi_callback_sla(
    from_ts        timestamptz,
    to_ts          timestamptz,
    at_ts          timestamptz DEFAULT pg_catalog.now(),
    terminal_codes text[] DEFAULT ARRAY['TERM', 'ABND', 'PCB', 'COPE', 'DUPL', 'INSUF', 'IRCB', 'NCOE',
                                        'DESP', 'DECL', 'IRKB', 'MRCC', 'NRES', 'SAME', 'COSPF', 'SPFM',
                                        'EDFF', 'SPFN', 'CBSP', 'MANALC', 'MANREF', 'RDSP', 'REFSP', 'SPOR',
                                        'WROF', 'REFDPA', 'RELBD', 'RSTR', 'NOLA'])
RETURNS TABLE(log_id bigint,
              case_id bigint,
              source text,
              created timestamptz,
              created_by bigint,
              window_start timestamptz,
              window_end timestamptz,
              first_operator_view_at timestamptz,
              first_operator_action_at timestamptz,
              next_outcome text,
              call_started_at timestamptz,
              terminal_at timestamptz,
              terminal_code text,
              sla_120 timestamptz,
              sla_480 timestamptz,
              sla_72h timestamptz,
              missed_sla_1 boolean,
              missed_sla_2 boolean)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF at_ts IS NULL THEN
        RAISE EXCEPTION 'at_ts must not be null'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Leave it out to get its default.';
    END IF;
    RETURN QUERY
        SELECT s.log_id, s.case_id, s.source, s.created, s.created_by, s.w0, s.w1,
               s.view_at, s.action_at, s.action_code, s.call_at, s.terminal_at, s.terminal_code,
               s.sla_120, s.sla_480, s.sla_72h,
               CASE
                 WHEN s.source IN ('WEB', 'PHONE') THEN
                   CASE WHEN s.action_at IS NULL AND at_ts < s.w0 THEN false
                        WHEN s.action_at IS NULL THEN at_ts > s.w1
                        ELSE s.action_at < s.w0 OR s.action_at > s.w1 END
                 WHEN s.source IN ('SMS', 'VOICEMAIL') THEN
                   CASE WHEN s.call_at IS NULL THEN at_ts > s.sla_120
                        ELSE s.call_at > s.sla_120 END
                 ELSE false
               END,
               CASE
                 WHEN s.source IN ('WEB', 'PHONE') THEN
                   CASE WHEN s.terminal_at IS NULL THEN at_ts > s.sla_72h
                        WHEN s.action_at IS NULL THEN false
                        ELSE s.action_at > s.sla_72h END
                 WHEN s.source IN ('SMS', 'VOICEMAIL') THEN
                   CASE WHEN s.terminal_at IS NULL THEN at_ts > s.sla_480
                        ELSE s.terminal_at > s.sla_480 END
                 ELSE false
               END
          FROM @extschema@._cb1_callbacks(from_ts, to_ts, terminal_codes) s
         ORDER BY s.w0, s.log_id;
END
$$;
COMMENT ON FUNCTION @extschema@.mi_callback_sla(timestamptz, timestamptz, timestamptz, text[]) IS
    'MI: the callback SLA report (README "Management information"): one row per CB1 log whose context->>''requires_action_at'' lies strictly between from_ts and to_ts, with the first operator view and action, call started and terminal log after it, and missed_sla_1/missed_sla_2 as of at_ts. CB1 rows whose requires_action_at is missing or not an ISO 8601 time are skipped; a missing sla_120/sla_480/sla_72h makes the flag that needs it NULL. Reads CB1 rows through the index log_callback_requires_action_at';

---------------------------------------------------------------------------
-- mi_callback_sla_agilisys: the service's CB1 extract for Agilisys (f.3):
-- the same callbacks, with each SLA time and whether it is over: the first
-- operator action after it, or at_ts while there is none, is later.
CREATE FUNCTION @extschema@.mi_callback_sla_agilisys(from_ts timestamptz, to_ts timestamptz,
                                                     at_ts timestamptz DEFAULT pg_catalog.now())
RETURNS TABLE(log_id bigint, case_id bigint, source text, created timestamptz, created_by bigint,
              requires_action_at timestamptz, first_operator_view_at timestamptz,
              first_operator_action_at timestamptz, next_outcome text,
              sla_15 timestamptz, sla_30 timestamptz, sla_120 timestamptz, sla_480 timestamptz,
              is_over_sla_15 boolean, is_over_sla_30 boolean, is_over_sla_120 boolean,
              is_over_sla_480 boolean)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF at_ts IS NULL THEN
        RAISE EXCEPTION 'at_ts must not be null'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Leave it out to get its default.';
    END IF;
    RETURN QUERY
        SELECT s.log_id, s.case_id, s.source, s.created, s.created_by, s.w0, s.view_at, s.action_at,
               s.action_code, s.sla_15, s.sla_30, s.sla_120, s.sla_480,
               COALESCE(s.action_at, at_ts) > s.sla_15,
               COALESCE(s.action_at, at_ts) > s.sla_30,
               COALESCE(s.action_at, at_ts) > s.sla_120,
               COALESCE(s.action_at, at_ts) > s.sla_480
          FROM @extschema@._cb1_callbacks(from_ts, to_ts, '{}') s
         ORDER BY s.w0, s.log_id;
END
$$;
COMMENT ON FUNCTION @extschema@.mi_callback_sla_agilisys(timestamptz, timestamptz, timestamptz) IS
    'MI: the CB1 extract for Agilisys: one row per CB1 log whose requires_action_at lies strictly between from_ts and to_ts, with sla_15, sla_30, sla_120, sla_480 from its context and is_over_sla_* (the first operator action after it, or at_ts while there is none, is later than that time; NULL when the context lacks it)';
REVOKE ALL ON FUNCTION @extschema@._cb1_callbacks(timestamptz, timestamptz, text[]),
    @extschema@.mi_callback_sla_agilisys(timestamptz, timestamptz, timestamptz) FROM PUBLIC;

-- _case_expected() names its columns after the roles they fill, so that
-- _case_mismatches() and repair_cases() share one role -> value mapping.
DROP FUNCTION @extschema@._case_expected(bigint[]);
CREATE FUNCTION @extschema@._case_expected(case_ids bigint[])
RETURNS TABLE(case_id bigint, outcome_code text, outcome_code_id bigint, level integer, billable_time bigint)
LANGUAGE sql STABLE
AS $$
    SELECT x.id, o.code, o.id, o.level, b.seconds
      FROM (SELECT DISTINCT u.id FROM pg_catalog.unnest(case_ids) AS u(id) WHERE u.id IS NOT NULL) x
      LEFT JOIN LATERAL (
            SELECT l.id, l.code, l.level FROM @extschema@.log l
             WHERE l.case_id OPERATOR(pg_catalog.=) x.id
               AND l.type OPERATOR(pg_catalog.=) 'outcome' AND l.level OPERATOR(pg_catalog.>=) 29
             ORDER BY l.id DESC LIMIT 1) o ON true
      CROSS JOIN LATERAL (
            SELECT COALESCE(pg_catalog.sum(@extschema@._mi_seconds(t.stopped, t.created)), 0)::bigint AS seconds
              FROM @extschema@.timer t
             WHERE t.linked_case OPERATOR(pg_catalog.=) x.id
               AND t.stopped IS NOT NULL AND NOT t.cancelled) b
$$;
COMMENT ON FUNCTION @extschema@._case_expected(bigint[]) IS
    'Internal: per case, what its outcome_code, outcome_code_id, level (its latest HIGH outcome log) and billable_time (the seconds of its timers) should hold';
REVOKE ALL ON FUNCTION @extschema@._case_expected(bigint[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@._case_expected(bigint[]) TO PUBLIC;

CREATE OR REPLACE FUNCTION @extschema@._case_batches(case_ids bigint[], batch_size integer)
RETURNS SETOF bigint[]
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF case_ids IS NOT NULL THEN
        SELECT array_agg(DISTINCT v.id ORDER BY v.id) INTO case_ids
          FROM unnest(case_ids) v(id) WHERE v.id IS NOT NULL;
        FOR i IN 1 .. coalesce(cardinality(case_ids), 0) BY batch_size LOOP
            RETURN NEXT case_ids[i : i + batch_size - 1];
        END LOOP;
        RETURN;
    END IF;
    RETURN QUERY
        SELECT array_agg(s.id ORDER BY s.id)
          FROM (SELECT c.case_id AS id, (row_number() OVER (ORDER BY c.case_id) - 1) / batch_size AS batch
                  FROM @extschema@._case_rows(NULL) c) s
         GROUP BY s.batch ORDER BY s.batch;
END
$$;
COMMENT ON FUNCTION @extschema@._case_batches(bigint[], integer) IS
    'Internal: case ids in batches (all cases of the bound table when case_ids is NULL)';

CREATE OR REPLACE FUNCTION @extschema@._case_mismatches(case_ids bigint[])
RETURNS TABLE(case_id bigint, check_name text, problem text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH b AS (SELECT k.columns AS cols FROM @extschema@.case_binding k),
    compared AS (
        SELECT c.case_id, r.ord, r.check_name, r.role, r.shown, r.expected, r.differs
          FROM b, @extschema@._case_rows(case_ids) c
          JOIN @extschema@._case_expected(case_ids) e ON e.case_id = c.case_id
         CROSS JOIN LATERAL (VALUES
               (1, 'denormalised_outcomes', 'outcome_code',
                COALESCE(c.outcome_code, 'NULL'), COALESCE(e.outcome_code, 'NULL'),
                c.outcome_code IS DISTINCT FROM e.outcome_code),
               (2, 'denormalised_outcomes', 'outcome_code_id',
                COALESCE(c.outcome_code_id::text, 'NULL'), COALESCE(e.outcome_code_id::text, 'NULL'),
                c.outcome_code_id IS DISTINCT FROM e.outcome_code_id),
               (3, 'denormalised_outcomes', 'level',
                COALESCE(c.level::text, 'NULL'), COALESCE(e.level::text, 'NULL'),
                c.level IS DISTINCT FROM e.level),
               (4, 'billable_time', 'billable_time',
                COALESCE(c.billable_time::text, 'NULL'), COALESCE(e.billable_time::text, 'NULL'),
                c.billable_time IS DISTINCT FROM e.billable_time))
            AS r(ord, check_name, role, shown, expected, differs)
         WHERE b.cols ? r.role)
    SELECT m.case_id, m.check_name,
           CASE m.check_name
               WHEN 'billable_time'
               THEN 'billable_time is ' || min(m.shown) || ' but its timers sum to ' || min(m.expected) || ' seconds'
               ELSE 'outcome columns show ' || string_agg(m.role || '=' || m.shown, ' ' ORDER BY m.ord) ||
                    ' but the latest HIGH outcome log gives ' || string_agg(m.role || '=' || m.expected, ' ' ORDER BY m.ord)
           END
      FROM compared m
     GROUP BY m.case_id, m.check_name
    HAVING bool_or(m.differs)
     ORDER BY m.case_id, m.check_name
$$;
COMMENT ON FUNCTION @extschema@._case_mismatches(bigint[]) IS
    'Internal: the given cases whose outcome columns or billable time disagree with the log and timers';

CREATE OR REPLACE FUNCTION @extschema@._check_sampled_cases(check_name text, OUT ok boolean, OUT detail text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    problem constant text := @extschema@._case_read_problem();
    sample bigint[];
    bad bigint[];
    what constant text := CASE check_name WHEN 'billable_time' THEN 'timers' ELSE 'latest HIGH outcome log' END;
BEGIN
    IF problem IS NOT NULL THEN
        ok := false;
        detail := 'the check failed: ' || problem;
        RETURN;
    END IF;
    sample := @extschema@._status_sample();
    SELECT array_agg(m.case_id ORDER BY m.case_id) INTO bad
      FROM @extschema@._case_mismatches(sample) m WHERE m.check_name = _check_sampled_cases.check_name;
    ok := bad IS NULL;
    IF cardinality(sample) = 0 THEN
        detail := 'no case has logs or timers yet';
    ELSIF ok THEN
        detail := format('%s recent cases sampled, all agree with their %s', cardinality(sample), what);
    ELSE
        detail := format('%s of %s recent cases sampled disagree with their %s: case %s%s; see cla_eventlog.verify(), fix with cla_eventlog.repair_cases()',
                         cardinality(bad), cardinality(sample), what, array_to_string(bad[1:5], ', '),
                         CASE WHEN cardinality(bad) > 5 THEN ', ...' ELSE '' END);
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.repair_cases(case_ids bigint[] DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    batch_size constant integer := 10000;
    cols jsonb;
    batch bigint[];
    bad bigint[];
    total bigint;
    done bigint := 0;
    changed bigint := 0;
    started timestamptz := clock_timestamp();
BEGIN
    cols := (@extschema@._require_binding()).columns;
    -- the roles _case_mismatches() compares and _case_write() writes
    IF NOT cols ?| ARRAY['outcome_code', 'outcome_code_id', 'level', 'billable_time'] THEN
        RAISE NOTICE 'the case table binds no outcome or billable_time column; nothing to repair';
        RETURN 0;
    END IF;
    IF case_ids IS NULL THEN
        SELECT count(*) INTO total FROM @extschema@._case_rows(NULL);
    ELSE
        SELECT count(DISTINCT u.id) INTO total FROM unnest(case_ids) u(id) WHERE u.id IS NOT NULL;
    END IF;

    FOR batch IN SELECT b FROM @extschema@._case_batches(case_ids, batch_size) b LOOP
        -- Lock the batch's case rows first, in id order (the triggers lock
        -- a case row before they write to it), then compare and write in
        -- new statements, which under READ COMMITTED see every log and
        -- timer committed by the writers the lock waited for.
        PERFORM @extschema@._case_lock(batch);
        SELECT array_agg(DISTINCT m.case_id) INTO bad FROM @extschema@._case_mismatches(batch) m;
        IF bad IS NOT NULL THEN
            changed := changed + (
                SELECT @extschema@._case_write(array_agg(e.case_id), array_agg(e.outcome_code),
                                               array_agg(e.outcome_code_id), array_agg(e.level::bigint),
                                               array_agg(e.billable_time))
                  FROM @extschema@._case_expected(bad) e);
        END IF;
        done := done + cardinality(batch);
        IF cardinality(batch) = batch_size THEN
            RAISE NOTICE '% of % cases done, % changed', done, total, changed
                USING DETAIL = format('%s cases per second.',
                                      round(done / greatest(EXTRACT(EPOCH FROM clock_timestamp() - started), 0.001)));
        END IF;
    END LOOP;
    RETURN changed;
END
$$;
COMMENT ON FUNCTION @extschema@.repair_cases(bigint[]) IS
    'Recomputes outcome_code, outcome_code_id, level (latest HIGH outcome log; NULL when none) and billable_time (sum of the timers) of the given cases, or of every case when NULL, writing only cases that differ (and touching their modified). NOTICE every 10,000 cases. Returns the number of cases changed';

DROP FUNCTION @extschema@._bound_case_table();
DROP FUNCTION @extschema@._case_table_check(text, text[]);
REVOKE ALL ON FUNCTION @extschema@._case_rows(bigint[], timestamptz, timestamptz),
    @extschema@._case_lock(bigint[], boolean),
    @extschema@._case_write(bigint[], text[], bigint[], bigint[], bigint[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@._case_rows(bigint[], timestamptz, timestamptz),
    @extschema@._case_lock(bigint[], boolean),
    @extschema@._case_write(bigint[], text[], bigint[], bigint[], bigint[]) TO PUBLIC;

-- The daily views: same columns and comments, new days (sql/parts/60_mi.sql).
CREATE OR REPLACE VIEW @extschema@.mi_daily_codes AS
WITH RECURSIVE
-- The bounds of the generated series of days: the start of the local day 30
-- years ago and of the day after tomorrow.
b(lo, hi) AS (
    SELECT pg_catalog.date_trunc('day', (pg_catalog.now() OPERATOR(pg_catalog.-) interval '30 years')
                                        AT TIME ZONE @extschema@._report_time_zone())
               AT TIME ZONE @extschema@._report_time_zone(),
           pg_catalog.date_trunc('day', (pg_catalog.now() OPERATOR(pg_catalog.+) interval '2 days')
                                        AT TIME ZONE @extschema@._report_time_zone())
               AT TIME ZONE @extschema@._report_time_zone()),
-- The days with a log row before lo or from hi on, one index probe each:
-- the next row after the day found.  The first and the last week of the
-- timestamp range are left out (a day there may have no representable
-- start or end).
o(day, day_start, day_end, region_end) AS (
    SELECT s.day, s.day_start, s.day_end, g.region_end
      FROM b
     CROSS JOIN LATERAL (VALUES ('4714-12-01 00:00:00+00 BC'::timestamptz, b.lo),
                                (b.hi, '294276-12-24 00:00:00+00'::timestamptz)) AS g(region_start, region_end)
     CROSS JOIN LATERAL (SELECT pg_catalog.min(x.created) AS first FROM @extschema@.log x
                          WHERE x.created OPERATOR(pg_catalog.>=) g.region_start
                            AND x.created OPERATOR(pg_catalog.<) g.region_end) f
     CROSS JOIN LATERAL (SELECT pg_catalog.date_trunc('day', f.first AT TIME ZONE @extschema@._report_time_zone()) AS d
                          WHERE f.first IS NOT NULL) t
     CROSS JOIN LATERAL (SELECT t.d::pg_catalog.date AS day,
                                t.d AT TIME ZONE @extschema@._report_time_zone() AS day_start,
                                (t.d OPERATOR(pg_catalog.+) interval '1 day') AT TIME ZONE @extschema@._report_time_zone() AS day_end) s
    UNION ALL
    SELECT s.day, s.day_start, s.day_end, o.region_end
      FROM o
     CROSS JOIN LATERAL (SELECT pg_catalog.min(x.created) AS first FROM @extschema@.log x
                          WHERE x.created OPERATOR(pg_catalog.>=) o.day_end
                            AND x.created OPERATOR(pg_catalog.<) o.region_end) f
     CROSS JOIN LATERAL (SELECT pg_catalog.date_trunc('day', f.first AT TIME ZONE @extschema@._report_time_zone()) AS d
                          WHERE f.first IS NOT NULL) t
     CROSS JOIN LATERAL (SELECT t.d::pg_catalog.date AS day,
                                t.d AT TIME ZONE @extschema@._report_time_zone() AS day_start,
                                (t.d OPERATOR(pg_catalog.+) interval '1 day') AT TIME ZONE @extschema@._report_time_zone() AS day_end) s)
SELECT d.day,
       l.event_key,
       l.code,
       l.type,
       l.level,
       pg_catalog.count(*) AS count,
       pg_catalog.count(DISTINCT l.case_id) AS cases,
       pg_catalog.count(DISTINCT l.created_by) AS users
  FROM (-- the days from the first to the last log row in [lo, hi): a series
        SELECT s.day, s.day_start, s.day_end
          FROM (SELECT pg_catalog.min(x.created) AS first, pg_catalog.max(x.created) AS last
                  FROM @extschema@.log x
                 WHERE x.created OPERATOR(pg_catalog.>=) (SELECT b.lo FROM b)
                   AND x.created OPERATOR(pg_catalog.<) (SELECT b.hi FROM b)) r
         CROSS JOIN LATERAL @extschema@._report_days(r.first, r.last) s
        UNION ALL
        SELECT o.day, o.day_start, o.day_end FROM o) d
  -- each day's rows by one index range scan (OFFSET 0 keeps the planner
  -- from turning it into a scan of the whole log)
 CROSS JOIN LATERAL (SELECT x.event_key, x.code, x.type, x.level, x.case_id, x.created_by
                       FROM @extschema@.log x
                      WHERE x.created OPERATOR(pg_catalog.>=) d.day_start
                        AND x.created OPERATOR(pg_catalog.<) d.day_end
                     OFFSET 0) l
 GROUP BY d.day, l.event_key, l.code, l.type, l.level;

CREATE OR REPLACE VIEW @extschema@.mi_billable_daily AS
WITH RECURSIVE
-- The bounds of the generated series of days: the start of the local day 30
-- years ago and of the day after tomorrow.
b(lo, hi) AS (
    SELECT pg_catalog.date_trunc('day', (pg_catalog.now() OPERATOR(pg_catalog.-) interval '30 years')
                                        AT TIME ZONE @extschema@._report_time_zone())
               AT TIME ZONE @extschema@._report_time_zone(),
           pg_catalog.date_trunc('day', (pg_catalog.now() OPERATOR(pg_catalog.+) interval '2 days')
                                        AT TIME ZONE @extschema@._report_time_zone())
               AT TIME ZONE @extschema@._report_time_zone()),
-- The days with a timer row before lo or from hi on, one index probe each:
-- the next row after the day found.  The first and the last week of the
-- timestamp range are left out (a day there may have no representable
-- start or end).
o(day, day_start, day_end, region_end) AS (
    SELECT s.day, s.day_start, s.day_end, g.region_end
      FROM b
     CROSS JOIN LATERAL (VALUES ('4714-12-01 00:00:00+00 BC'::timestamptz, b.lo),
                                (b.hi, '294276-12-24 00:00:00+00'::timestamptz)) AS g(region_start, region_end)
     CROSS JOIN LATERAL (SELECT pg_catalog.min(x.created) AS first FROM @extschema@.timer x
                          WHERE x.created OPERATOR(pg_catalog.>=) g.region_start
                            AND x.created OPERATOR(pg_catalog.<) g.region_end) f
     CROSS JOIN LATERAL (SELECT pg_catalog.date_trunc('day', f.first AT TIME ZONE @extschema@._report_time_zone()) AS d
                          WHERE f.first IS NOT NULL) t
     CROSS JOIN LATERAL (SELECT t.d::pg_catalog.date AS day,
                                t.d AT TIME ZONE @extschema@._report_time_zone() AS day_start,
                                (t.d OPERATOR(pg_catalog.+) interval '1 day') AT TIME ZONE @extschema@._report_time_zone() AS day_end) s
    UNION ALL
    SELECT s.day, s.day_start, s.day_end, o.region_end
      FROM o
     CROSS JOIN LATERAL (SELECT pg_catalog.min(x.created) AS first FROM @extschema@.timer x
                          WHERE x.created OPERATOR(pg_catalog.>=) o.day_end
                            AND x.created OPERATOR(pg_catalog.<) o.region_end) f
     CROSS JOIN LATERAL (SELECT pg_catalog.date_trunc('day', f.first AT TIME ZONE @extschema@._report_time_zone()) AS d
                          WHERE f.first IS NOT NULL) t
     CROSS JOIN LATERAL (SELECT t.d::pg_catalog.date AS day,
                                t.d AT TIME ZONE @extschema@._report_time_zone() AS day_start,
                                (t.d OPERATOR(pg_catalog.+) interval '1 day') AT TIME ZONE @extschema@._report_time_zone() AS day_end) s)
SELECT d.day,
       t.created_by,
       pg_catalog.count(*) AS timers,
       pg_catalog.sum(CASE WHEN t.stopped IS NOT NULL AND NOT t.cancelled
                           THEN @extschema@._mi_seconds(t.stopped, t.created)
                           ELSE 0 END)::bigint AS billable_seconds,
       pg_catalog.count(*) FILTER (WHERE t.stopped IS NOT NULL AND NOT t.cancelled) AS billable_timers,
       pg_catalog.count(*) FILTER (WHERE t.cancelled) AS cancelled_timers,
       pg_catalog.count(*) FILTER (WHERE t.stopped IS NULL) AS running_timers
  FROM (-- the days from the first to the last timer row in [lo, hi): a series
        SELECT s.day, s.day_start, s.day_end
          FROM (SELECT pg_catalog.min(x.created) AS first, pg_catalog.max(x.created) AS last
                  FROM @extschema@.timer x
                 WHERE x.created OPERATOR(pg_catalog.>=) (SELECT b.lo FROM b)
                   AND x.created OPERATOR(pg_catalog.<) (SELECT b.hi FROM b)) r
         CROSS JOIN LATERAL @extschema@._report_days(r.first, r.last) s
        UNION ALL
        SELECT o.day, o.day_start, o.day_end FROM o) d
  -- each day's timers by one index range scan (OFFSET 0: see mi_daily_codes)
 CROSS JOIN LATERAL (SELECT x.created_by, x.created, x.stopped, x.cancelled
                       FROM @extschema@.timer x
                      WHERE x.created OPERATOR(pg_catalog.>=) d.day_start
                        AND x.created OPERATOR(pg_catalog.<) d.day_end
                     OFFSET 0) t
 GROUP BY d.day, t.created_by;

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

-- The append-only guard refuses changed rows, not statements that change
-- nothing; TRUNCATE has a trigger of its own.
DROP TRIGGER log_append_only ON @extschema@.log;
CREATE TRIGGER log_append_only BEFORE UPDATE OR DELETE ON @extschema@.log
    FOR EACH ROW EXECUTE FUNCTION @extschema@._log_guard();
CREATE TRIGGER log_no_truncate BEFORE TRUNCATE ON @extschema@.log
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._log_guard();
CREATE OR REPLACE FUNCTION @extschema@._check_triggers(OUT ok boolean, OUT detail text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    -- the extension's own: table, trigger, the states it must be in
    own constant text[] := ARRAY[
        'log.log_validate', 'log.log_apply', 'log.log_append_only', 'log.log_no_truncate',
        'role.registry_changed', 'event.registry_changed', 'code.registry_changed',
        'case_binding.binding_changed',
        'role.registry_replicated', 'event.registry_replicated', 'code.registry_replicated'];
    problems text[];
    foreign_ text[];
    others text[];
BEGIN
    SELECT array_agg(format('%s on %s %s', split_part(w.name, '.', 2), split_part(w.name, '.', 1),
                            CASE WHEN t.oid IS NULL THEN 'is missing'
                                 WHEN t.tgenabled = 'D' THEN 'is disabled'
                                 ELSE 'fires for local rows only, not for replicated ones' END)
                     ORDER BY w.name)
      INTO problems
      FROM unnest(own) w(name)
      LEFT JOIN pg_trigger t
             ON t.tgrelid = to_regclass('@extschema@.' || split_part(w.name, '.', 1))
            AND t.tgname = split_part(w.name, '.', 2)
     WHERE t.oid IS NULL
        OR t.tgenabled <> ALL (CASE WHEN t.tgname = 'registry_replicated' THEN '{R,A}'::"char"[]
                                    ELSE '{O,A}'::"char"[] END);

    -- every other trigger of the log and the timers (foreign keys' internal
    -- triggers aside), as name (timing events level, function, state)
    WITH t AS (
        SELECT c.relname, t.tgname, t.tgenabled,
               (t.tgtype & 1) <> 0 AND (t.tgtype & 2) <> 0 AS before_row,
               format('trigger %s on %s (%s %s for each %s, %s, %s)', t.tgname, c.relname,
                      CASE WHEN (t.tgtype & 2) <> 0 THEN 'BEFORE' WHEN (t.tgtype & 64) <> 0 THEN 'INSTEAD OF' ELSE 'AFTER' END,
                      array_to_string(ARRAY[CASE WHEN (t.tgtype & 4) <> 0 THEN 'INSERT' END,
                                            CASE WHEN (t.tgtype & 16) <> 0 THEN 'UPDATE' END,
                                            CASE WHEN (t.tgtype & 8) <> 0 THEN 'DELETE' END,
                                            CASE WHEN (t.tgtype & 32) <> 0 THEN 'TRUNCATE' END], ' OR '),
                      CASE WHEN (t.tgtype & 1) <> 0 THEN 'row' ELSE 'statement' END,
                      t.tgfoid::regprocedure,
                      CASE t.tgenabled WHEN 'O' THEN 'enabled' WHEN 'D' THEN 'disabled'
                                       WHEN 'R' THEN 'enabled replica' ELSE 'enabled always' END) AS what
          FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
         WHERE t.tgrelid IN ('@extschema@.log'::regclass, '@extschema@.timer'::regclass)
           AND NOT t.tgisinternal
           AND c.relname || '.' || t.tgname <> ALL (own))
    SELECT array_agg(t.what ORDER BY t.relname, t.tgname) FILTER (WHERE t.before_row AND t.tgenabled <> 'D'),
           array_agg(t.what ORDER BY t.relname, t.tgname) FILTER (WHERE NOT (t.before_row AND t.tgenabled <> 'D'))
      INTO foreign_, others
      FROM t;
    IF problems IS NOT NULL THEN
        problems[cardinality(problems)] := problems[cardinality(problems)]
            || '; enable them with ALTER TABLE ... ENABLE TRIGGER (registry_replicated: ENABLE REPLICA TRIGGER)';
    END IF;
    problems := COALESCE(problems, '{}') || CASE WHEN foreign_ IS NULL THEN '{}'::text[] ELSE ARRAY[
        array_to_string(foreign_, ', ') || ' can change, skip or redirect a row before the extension''s rules see it; drop it (partition or archive the log only as README "A logical copy" says)'] END;

    -- rules and inheritance: rows that go around the triggers
    problems := problems || ARRAY(
        SELECT format('rule %s on %s can redirect rows around the triggers; drop it', r.rulename, c.relname)
          FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class
         WHERE r.ev_class IN ('@extschema@.log'::regclass, '@extschema@.timer'::regclass)
           AND r.rulename <> '_RETURN'
         ORDER BY c.relname, r.rulename);
    problems := problems || ARRAY(
        SELECT format('%s is %s of %s: %s; detach it (ALTER TABLE %s %s %s)',
                      i.inhrelid::regclass, CASE WHEN p.relkind = 'p' THEN 'a partition' ELSE 'an inheritance child' END,
                      i.inhparent::regclass,
                      CASE WHEN i.inhrelid IN ('@extschema@.log'::regclass, '@extschema@.timer'::regclass)
                           THEN format('rows inserted through %s into its other tables bypass the rules, and pg_dump does not keep the attachment', i.inhparent::regclass)
                           ELSE format('its rows are read as the extension''s but were never checked by its rules') END,
                      CASE WHEN p.relkind = 'p' THEN i.inhparent::regclass ELSE i.inhrelid::regclass END,
                      CASE WHEN p.relkind = 'p' THEN 'DETACH PARTITION' ELSE 'NO INHERIT' END,
                      CASE WHEN p.relkind = 'p' THEN i.inhrelid::regclass ELSE i.inhparent::regclass END)
          FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent
         WHERE '@extschema@.log'::regclass IN (i.inhrelid, i.inhparent)
            OR '@extschema@.timer'::regclass IN (i.inhrelid, i.inhparent)
         ORDER BY 1);
    IF NOT EXISTS (SELECT 1 FROM pg_event_trigger e
                    WHERE e.evtname = 'cla_eventlog_no_inheritance' AND e.evtenabled <> 'D') THEN
        problems := problems || 'event trigger cla_eventlog_no_inheritance is missing or disabled; ALTER EVENT TRIGGER cla_eventlog_no_inheritance ENABLE ALWAYS'::text;
    END IF;

    ok := cardinality(problems) = 0;
    detail := CASE WHEN ok THEN format('the %s triggers of the log and the registry are enabled', cardinality(own))
                   ELSE array_to_string(problems, '; ')
              END
              || CASE WHEN others IS NULL THEN ''
                      ELSE '; other triggers (they cannot change the row the rules check): ' || array_to_string(others, ', ') END;
END
$$;

-- Status check log_id_headroom; bind_case_table() warns of a narrow outcome_code_id.
CREATE FUNCTION @extschema@._check_log_id_headroom(OUT ok boolean, OUT detail text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    last_id bigint := COALESCE(pg_sequence_last_value('@extschema@.log_id_seq'), 0);
    col text;
    coltype text := 'bigint';
    max_id numeric;
BEGIN
    SELECT format('%I.%I', b.case_schema, b.case_table) || '.' || quote_ident(b.columns ->> 'outcome_code_id'),
           format_type(a.atttypid, NULL)
      INTO col, coltype
      FROM @extschema@.case_binding b
      JOIN pg_attribute a ON a.attrelid = to_regclass(format('%I.%I', b.case_schema, b.case_table))
                         AND a.attname = b.columns ->> 'outcome_code_id' AND NOT a.attisdropped;
    max_id := CASE coltype WHEN 'smallint' THEN 32767 WHEN 'integer' THEN 2147483647
                           ELSE 9223372036854775807 END;
    ok := last_id < max_id * 0.9;
    detail := format('log ids at %s of %s (%s%%)', last_id, max_id, round(100 * last_id / max_id, 2))
        || CASE WHEN col IS NOT NULL THEN format(', the largest %s of %s', coltype, col) ELSE ', the largest bigint' END
        || CASE WHEN ok THEN '' ELSE format('; widen it before ids reach %s: ALTER TABLE ... ALTER COLUMN ... TYPE bigint', max_id) END;
END
$$;
COMMENT ON FUNCTION @extschema@._check_log_id_headroom() IS
    'Internal: status check log_id_headroom (the log id sequence is below 90 % of the largest value of the bound outcome_code_id column)';
CREATE OR REPLACE FUNCTION @extschema@.status()
RETURNS TABLE(check_name text, ok boolean, detail text)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- database: this function ran, so the database answers.
    -- No EXCEPTION block (see the header): each check reports its own
    -- problems as a red row.
    RETURN QUERY
    SELECT 'database', true, @extschema@._database_detail();
    RETURN QUERY SELECT 'library_version', c.ok, c.detail FROM @extschema@._check_library_version() c;
    RETURN QUERY SELECT 'registry', c.ok, c.detail FROM @extschema@._check_registry() c;
    RETURN QUERY SELECT 'case_binding', c.ok, c.detail FROM @extschema@._check_case_binding() c;
    RETURN QUERY SELECT 'denormalised_outcomes', c.ok, c.detail
                   FROM @extschema@._check_sampled_cases('denormalised_outcomes') c;
    RETURN QUERY SELECT 'billable_time', c.ok, c.detail FROM @extschema@._check_sampled_cases('billable_time') c;
    RETURN QUERY SELECT 'stale_timers', c.ok, c.detail FROM @extschema@._check_stale_timers() c;
    RETURN QUERY SELECT 'log_id_headroom', c.ok, c.detail FROM @extschema@._check_log_id_headroom() c;
    RETURN QUERY SELECT 'triggers', c.ok, c.detail FROM @extschema@._check_triggers() c;
    RETURN QUERY SELECT 'disk_space', c.ok, c.detail FROM @extschema@._check_disk_space() c;
    RETURN QUERY SELECT 'standby', c.ok, c.detail FROM @extschema@._check_standby() c;
END
$$;
COMMENT ON FUNCTION @extschema@.status() IS
    'Health probe: one row per check (database, library_version, registry, case_binding, denormalised_outcomes, billable_time, stale_timers, log_id_headroom, triggers, disk_space, standby) with ok and a detail; cheap (index lookups only). See the README for what each check means';
REVOKE ALL ON FUNCTION @extschema@._check_log_id_headroom() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@._check_log_id_headroom() TO PUBLIC;

-- bound_case(): the bound case row as JSON, for resolvers.
CREATE FUNCTION @extschema@.bound_case(case_id bigint) RETURNS jsonb
LANGUAGE c STABLE
AS 'MODULE_PATHNAME', 'cel_bound_case';
COMMENT ON FUNCTION @extschema@.bound_case(bigint) IS
    'The bound case table''s row of the case as JSON (column name => value), NULL when there is none; read as the table''s owner for a caller with SELECT on it. For code resolvers and set_requires_action_by functions';
REVOKE ALL ON FUNCTION @extschema@.bound_case(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.bound_case(bigint) TO PUBLIC;

-- Erasure and the reset of a test database (sql/parts/75_erasure.sql).
-- One row per erased case: who, when, why and how much.  It keeps no
-- personal data, only the case id and counts.
CREATE SEQUENCE @extschema@.erasure_id_seq;
CREATE TABLE @extschema@.erasure (
    id              bigint PRIMARY KEY DEFAULT pg_catalog.nextval('@extschema@.erasure_id_seq'),
    erased_at       timestamptz NOT NULL DEFAULT pg_catalog.now(),
    erased_by       text NOT NULL,
    reason          text NOT NULL CHECK (pg_catalog.btrim(reason) <> ''),
    case_id         bigint NOT NULL,
    log_rows        bigint NOT NULL,
    timer_rows      bigint NOT NULL
);
COMMENT ON TABLE @extschema@.erasure IS
    'Audit of erase_cases(): one row per erased case, with the database role that erased it, when, why, and how many log and timer rows went';
CREATE INDEX erasure_case ON @extschema@.erasure (case_id);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.erasure', '');
ALTER SEQUENCE @extschema@.erasure_id_seq OWNED BY @extschema@.erasure.id;
SELECT pg_catalog.pg_extension_config_dump('@extschema@.erasure_id_seq', '');

-- The caller of a SECURITY DEFINER maintenance function: SET ROLE's role,
-- else the login role.
CREATE FUNCTION @extschema@._caller() RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN pg_catalog.current_setting('role') = 'none' THEN session_user::text
                ELSE pg_catalog.current_setting('role') END
$$;
COMMENT ON FUNCTION @extschema@._caller() IS
    'Internal: the role that called a SECURITY DEFINER maintenance function (SET ROLE''s, else the login role), for its audit';
REVOKE ALL ON FUNCTION @extschema@._caller() FROM PUBLIC;

-- (Issue 16 replaced _erase_logs(case_ids), whose C symbol is gone, by
-- _delete_logs(log_ids): created here, where erasure first needs it.)
CREATE FUNCTION @extschema@._delete_logs(log_ids bigint[]) RETURNS bigint
    LANGUAGE c VOLATILE
    AS 'MODULE_PATHNAME', 'cel_delete_logs';
COMMENT ON FUNCTION @extschema@._delete_logs(bigint[]) IS
    'Internal: deletes the given log rows past the append-only guard; only _remove_history() calls it';

---------------------------------------------------------------------------
-- erase_cases(case_ids, reason): remove the cases' log rows and timers and
-- record it.  SECURITY DEFINER (the log is the extension owner's), EXECUTE
-- for the roles the DBA grants it to, and only for a role that may delete
-- the cases themselves.
CREATE FUNCTION @extschema@.erase_cases(case_ids bigint[], reason text)
RETURNS TABLE (case_id bigint, log_rows bigint, timer_rows bigint)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    -- the caller (current_user is this function's owner here)
    who constant text := @extschema@._caller();
    b record;
    ids bigint[];
    logs bigint[];
    timers bigint[];
    archived_rows bigint[];
BEGIN
    IF case_ids IS NULL THEN
        RAISE EXCEPTION 'case_ids must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF reason IS NULL OR btrim(reason) = '' THEN
        RAISE EXCEPTION 'an erasure needs a reason'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Say why, for example the retention rule or the request it carries out: it is kept in cla_eventlog.erasure.';
    END IF;
    b := @extschema@._require_binding();
    IF to_regclass(format('%I.%I', b.case_schema, b.case_table)) IS NOT NULL
       AND NOT has_table_privilege(who, format('%I.%I', b.case_schema, b.case_table), 'DELETE') THEN
        RAISE EXCEPTION 'permission denied to erase cases of %.%', b.case_schema, b.case_table
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = format('Erasing a case''s history is for a role that may delete the case; role %s has no DELETE on the table.', who),
                  HINT = 'Erase as the role that deletes cases, or have the table''s owner GRANT DELETE on it.';
    END IF;
    SELECT array_agg(DISTINCT u.id ORDER BY u.id) INTO ids FROM unnest(case_ids) u(id) WHERE u.id IS NOT NULL;
    IF ids IS NULL THEN
        RETURN;
    END IF;

    -- FOR UPDATE: a new log row for one of these cases (its foreign key
    -- takes FOR KEY SHARE) waits for this transaction, and fails once the
    -- application has deleted the case in it.
    PERFORM @extschema@._case_lock(ids, true);
    -- their rows in the log and in the archive (remove_duplicate_outcomes(),
    -- apply_retention(archive => true)) go; so do their timers, except one
    -- that another case's log still names: it is only unlinked
    WITH gone AS (
        DELETE FROM @extschema@.log_archive a WHERE a.case_id = ANY (ids) RETURNING a.case_id)
    SELECT array_agg((SELECT count(*) FROM gone g WHERE g.case_id = u.id) ORDER BY u.id)
      INTO archived_rows FROM unnest(ids) u(id);
    SELECT array_agg(u.n + COALESCE(r.log_rows, 0) ORDER BY u.id), array_agg(COALESCE(r.timer_rows, 0) ORDER BY u.id)
      INTO logs, timers
      FROM unnest(ids, archived_rows) u(id, n)
      LEFT JOIN @extschema@._remove_history(
                    ARRAY(SELECT l.id FROM @extschema@.log l WHERE l.case_id = ANY (ids) ORDER BY l.id),
                    ARRAY(SELECT t.id FROM @extschema@.timer t WHERE t.linked_case = ANY (ids) ORDER BY t.id),
                    false, who, reason) r ON r.case_id = u.id;
    UPDATE @extschema@.timer t SET linked_case = NULL, modified = now()
     WHERE t.linked_case = ANY (ids);
    -- the cases now have no history: their outcome columns say so until
    -- the application deletes them
    PERFORM @extschema@.repair_cases(ids);
    INSERT INTO @extschema@.erasure (erased_by, reason, case_id, log_rows, timer_rows)
    SELECT who, reason, u.id, u.l, u.t FROM unnest(ids, logs, timers) u(id, l, t);
    RETURN QUERY SELECT u.id, u.l, u.t FROM unnest(ids, logs, timers) u(id, l, t);
END
$$;
COMMENT ON FUNCTION @extschema@.erase_cases(bigint[], text) IS
    'Deletes the given cases'' log rows and their timers, clears their outcome columns and records each case in cla_eventlog.erasure; the application then deletes the cases. For a role granted EXECUTE that holds DELETE on the case table';

CREATE FUNCTION @extschema@.reset_test_data() RETURNS void
    LANGUAGE c VOLATILE
    AS 'MODULE_PATHNAME', 'cel_reset_test_data';
COMMENT ON FUNCTION @extschema@.reset_test_data() IS
    'Empties the log, the timers, the erasure audit, log_archive and log_change, in a database whose name begins with test_ only, for the owner of those tables: Django''s TransactionTestCase can then flush';
REVOKE ALL ON TABLE @extschema@.erasure FROM PUBLIC;
REVOKE ALL ON SEQUENCE @extschema@.erasure_id_seq FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@._delete_logs(bigint[]), @extschema@.erase_cases(bigint[], text),
    @extschema@.reset_test_data() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@._log_guard() IS
    'Internal: refuses UPDATE, DELETE and TRUNCATE on the log, except for erase_cases(), reset_test_data(), cla_eventlog.allow_log_maintenance and the TRUNCATE of an empty log';

-- Issue 13: one style of raising errors in SQL, PostgreSQL's RAISE ...
-- USING; the helper _reg_error() goes.  Messages, SQLSTATEs, details and
-- hints are those of 1.0.
CREATE OR REPLACE FUNCTION @extschema@._reg_check_name(what text, value text)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF value IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'null_value_not_allowed',
            MESSAGE = pg_catalog.format('%s must not be null', what);
    ELSIF value = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('%s must not be empty', what);
    ELSIF pg_catalog.octet_length(value) > 63 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('%s %s is too long', what, @extschema@._reg_quote(value)),
            DETAIL = pg_catalog.format('It is %s bytes long; at most 63 bytes are allowed.',
                              pg_catalog.octet_length(value));
    END IF;
END;
$$;
CREATE OR REPLACE FUNCTION @extschema@._reg_expect(place text, attr text, value jsonb,
                                        kinds text[], expected text, hint text)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    message text;
BEGIN
    IF pg_catalog.jsonb_typeof(value) <> ALL (kinds) THEN
        message := pg_catalog.format('invalid %s %s: expected %s, got %s',
                                     @extschema@._reg_quote(attr), place, expected,
                                     @extschema@._reg_json(value));
        IF hint IS NULL THEN            -- RAISE refuses a NULL option
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = message;
        END IF;
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = message, HINT = hint;
    END IF;
END;
$$;
CREATE OR REPLACE FUNCTION @extschema@._reg_check_strings(place text, attr text, value jsonb,
                                               allow_empty boolean, names boolean, hint text)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    elem jsonb;
BEGIN
    PERFORM @extschema@._reg_expect(place, attr, value, '{array}', 'an array of strings', hint);
    IF NOT allow_empty AND pg_catalog.jsonb_array_length(value) = 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('invalid %s %s: the list must not be empty',
                              @extschema@._reg_quote(attr), place),
            HINT = hint;
    END IF;
    FOR elem IN SELECT e FROM pg_catalog.jsonb_array_elements(value) AS e LOOP
        IF pg_catalog.jsonb_typeof(elem) <> 'string'
           OR (names AND (elem #>> '{}' = '' OR pg_catalog.octet_length(elem #>> '{}') > 63)) THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = pg_catalog.format('invalid %s %s: %s is not %s',
                                  @extschema@._reg_quote(attr), place,
                                  @extschema@._reg_json(elem),
                                  CASE WHEN names THEN 'a code string (1 to 63 bytes)'
                                       ELSE 'a string' END),
                HINT = hint;
        END IF;
    END LOOP;
END;
$$;
CREATE OR REPLACE FUNCTION @extschema@._reg_check_function(place text, attr text, name text, kind text)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    e_state text;
    e_message text;
    message text;
    e_detail text;
    e_hint text;
BEGIN
    IF name = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('invalid %s %s: the function name must not be empty',
                              @extschema@._reg_quote(attr), place),
            HINT = 'Write it as schema.function, for example "app.my_function".';
    END IF;
    BEGIN
        PERFORM @extschema@._check_function(name, kind);
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_message = MESSAGE_TEXT,
                                e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
        message := pg_catalog.format('invalid %s %s: %s', @extschema@._reg_quote(attr), place, e_message);
        -- RAISE refuses a NULL option, and an empty one would show: one
        -- statement for each detail and hint the caught error may lack
        IF e_detail = '' AND e_hint = '' THEN
            RAISE EXCEPTION USING ERRCODE = e_state, MESSAGE = message;
        ELSIF e_detail = '' THEN
            RAISE EXCEPTION USING ERRCODE = e_state, MESSAGE = message, HINT = e_hint;
        ELSIF e_hint = '' THEN
            RAISE EXCEPTION USING ERRCODE = e_state, MESSAGE = message, DETAIL = e_detail;
        END IF;
        RAISE EXCEPTION USING ERRCODE = e_state, MESSAGE = message, DETAIL = e_detail, HINT = e_hint;
    END;
END;
$$;
CREATE OR REPLACE FUNCTION @extschema@._reg_check_code(event_key text, code text, def jsonb,
                                            roles text[], functions text[])
    RETURNS text
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    place text;
    required constant text[] := '{type,level,selectable_by,description,stops_timer}';
    optional constant text[] := '{order,set_requires_action_by,set_case_columns,once_per}';
    stamp_roles constant text[] := '{provider_viewed,provider_accepted,provider_closed,provider_assigned_at}';
    attr text;
    value jsonb;
    item record;
    checked text;
BEGIN
    place := pg_catalog.format('for code %s of event %s',
                               @extschema@._reg_quote(code), @extschema@._reg_quote(event_key));
    IF code = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('invalid code "" for event %s: it must not be empty',
                              @extschema@._reg_quote(event_key)),
            HINT = 'Codes are the keys of the codes object, for example {"CB1": {...}}.';
    ELSIF pg_catalog.octet_length(code) > 63 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('invalid code %s for event %s: it is too long',
                              @extschema@._reg_quote(code), @extschema@._reg_quote(event_key)),
            DETAIL = pg_catalog.format('It is %s bytes long; at most 63 bytes are allowed.',
                              pg_catalog.octet_length(code));
    END IF;

    IF pg_catalog.jsonb_typeof(def) <> 'object' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('invalid definition %s: expected an object, got %s',
                              place, @extschema@._reg_json(def)),
            HINT = 'A definition looks like {"type": "outcome", "level": 29, "selectable_by": ["operator"], "description": "Callback 1", "stops_timer": true}.';
    END IF;

    -- Unknown attributes first: a misspelt attribute is reported as such,
    -- not as the required one it was meant to be.
    SELECT k INTO attr
      FROM pg_catalog.jsonb_object_keys(def) AS k
     WHERE k <> ALL (required) AND k <> ALL (optional)
     LIMIT 1;
    IF attr IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('unknown attribute %s %s', @extschema@._reg_quote(attr), place),
            HINT = 'Allowed attributes: type, level, selectable_by, description, stops_timer, order, set_requires_action_by, set_case_columns, once_per.';
    END IF;

    FOREACH attr IN ARRAY required LOOP
        IF NOT def ? attr THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = pg_catalog.format('missing attribute %s %s', @extschema@._reg_quote(attr), place),
                HINT = 'Required attributes: type, level, selectable_by, description, stops_timer.';
        END IF;
    END LOOP;

    -- type
    value := def -> 'type';
    PERFORM @extschema@._reg_expect(place, 'type', value, '{string}', 'a string',
                                    'Allowed types: outcome, system, event.');
    IF value #>> '{}' NOT IN ('outcome', 'system', 'event') THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('invalid "type" %s: %s', place, @extschema@._reg_json(value)),
            HINT = 'Allowed types: outcome, system, event.';
    END IF;

    -- level: a number or the level's name
    value := def -> 'level';
    PERFORM @extschema@._reg_expect(place, 'level', value, '{number,string}',
        'a number or a level name',
        'Allowed levels: 29 (HIGH), 21 (MODERATE), 11 (MINOR), as a number or a name.');
    IF (pg_catalog.jsonb_typeof(value) = 'number' AND (value #>> '{}')::numeric NOT IN (11, 21, 29))
       OR (pg_catalog.jsonb_typeof(value) = 'string'
           AND pg_catalog.upper(value #>> '{}') NOT IN ('HIGH', 'MODERATE', 'MINOR')) THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('invalid "level" %s: %s', place, @extschema@._reg_json(value)),
            HINT = 'Allowed levels: 29 (HIGH), 21 (MODERATE), 11 (MINOR), as a number or a name.';
    END IF;

    -- selectable_by: known roles; [] means anyone
    value := def -> 'selectable_by';
    PERFORM @extschema@._reg_check_strings(place, 'selectable_by', value, true, false,
        'Give a list of roles, for example ["operator"]; [] lets anyone create the code.');
    SELECT r INTO attr
      FROM pg_catalog.jsonb_array_elements_text(value) AS r
     WHERE r <> ALL (roles)
     LIMIT 1;
    IF attr IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('unknown role %s in "selectable_by" %s',
                              @extschema@._reg_quote(attr), place),
            HINT = pg_catalog.format('Known roles: %s. Add a role with cla_eventlog.add_role().',
                              pg_catalog.array_to_string(roles, ', '));
    END IF;

    -- description: non-empty, at most 1000 characters
    value := def -> 'description';
    PERFORM @extschema@._reg_expect(place, 'description', value, '{string}', 'a string', NULL);
    IF pg_catalog.btrim(value #>> '{}') = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('invalid "description" %s: it must not be empty', place);
    ELSIF pg_catalog.length(value #>> '{}') > 1000 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('invalid "description" %s: it is too long', place),
            DETAIL = pg_catalog.format('It has %s characters; at most 1000 are allowed.',
                              pg_catalog.length(value #>> '{}'));
    END IF;

    -- stops_timer: strictly a JSON boolean
    PERFORM @extschema@._reg_expect(place, 'stops_timer', def -> 'stops_timer', '{boolean}',
                                    'a boolean', 'Write true or false, without quotes.');

    -- order: an integer (a JSON number without fraction)
    IF def ? 'order' THEN
        value := def -> 'order';
        PERFORM @extschema@._reg_expect(place, 'order', value, '{number}', 'an integer',
                                        'Give a whole number, for example 10.');
        IF (value #>> '{}')::numeric <> pg_catalog.trunc((value #>> '{}')::numeric)
           OR (value #>> '{}')::numeric NOT BETWEEN -2147483648 AND 2147483647 THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = pg_catalog.format('invalid "order" %s: %s is not an integer',
                                  place, @extschema@._reg_json(value)),
                HINT = 'Give a whole number between -2147483648 and 2147483647, for example 10.';
        END IF;
    END IF;

    -- set_requires_action_by: null, a string, {"clear_if_owned_by": [...]}
    -- or {"function": "schema.name"}
    IF def ? 'set_requires_action_by' THEN
        value := def -> 'set_requires_action_by';
        PERFORM @extschema@._reg_expect(place, 'set_requires_action_by', value,
            '{"null",string,object}', 'null, a string or an object',
            'Allowed forms: null, "value", {"clear_if_owned_by": ["value", ...]}, {"function": "schema.name"}.');
        IF pg_catalog.jsonb_typeof(value) = 'object' THEN
            IF value ? 'clear_if_owned_by' AND value - 'clear_if_owned_by' = '{}' THEN
                PERFORM @extschema@._reg_check_strings(place, 'set_requires_action_by',
                    value -> 'clear_if_owned_by', false, false,
                    'Give the values to clear, for example {"clear_if_owned_by": ["operator"]}.');
            ELSIF value ? 'function' AND value - 'function' = '{}' THEN
                PERFORM @extschema@._reg_expect(place, 'set_requires_action_by',
                    value -> 'function', '{string}', 'a function name',
                    'Write it as schema.function, for example {"function": "app.requires_action_by"}.');
                checked := value ->> 'function';
                IF checked = ANY (functions) THEN
                    checked := NULL;
                ELSE
                    PERFORM @extschema@._reg_check_function(place, 'set_requires_action_by',
                                                            checked, 'set_requires_action_by');
                END IF;
            ELSE
                RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                    MESSAGE = pg_catalog.format('invalid "set_requires_action_by" %s: %s',
                                      place, @extschema@._reg_json(value)),
                    DETAIL = 'An object must have exactly one key, "clear_if_owned_by" or "function".',
                    HINT = 'Allowed forms: null, "value", {"clear_if_owned_by": ["value", ...]}, {"function": "schema.name"}.';
            END IF;
        END IF;
    END IF;

    -- set_case_columns: {role: "now" | "now_if_null" | null}
    IF def ? 'set_case_columns' THEN
        value := def -> 'set_case_columns';
        PERFORM @extschema@._reg_expect(place, 'set_case_columns', value, '{object}',
            'an object', 'For example {"provider_closed": "now"}.');
        FOR item IN SELECT e.key, e.value FROM pg_catalog.jsonb_each(value) AS e LOOP
            IF item.key <> ALL (stamp_roles) THEN
                RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                    MESSAGE = pg_catalog.format('invalid "set_case_columns" %s: unknown case column %s',
                                      place, @extschema@._reg_quote(item.key)),
                    HINT = 'Allowed case columns: provider_viewed, provider_accepted, provider_closed, provider_assigned_at.';
            ELSIF pg_catalog.jsonb_typeof(item.value) <> 'null'
                  AND item.value NOT IN ('"now"', '"now_if_null"') THEN
                RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                    MESSAGE = pg_catalog.format('invalid "set_case_columns" %s: %s for %s',
                                      place, @extschema@._reg_json(item.value),
                                      @extschema@._reg_quote(item.key)),
                    HINT = 'Allowed values: "now", "now_if_null", null.';
            END IF;
        END LOOP;
    END IF;

    -- once_per: {"scope": "case"} or {"scope": "case_timer", "with": [...]}
    IF def ? 'once_per' THEN
        value := def -> 'once_per';
        PERFORM @extschema@._reg_expect(place, 'once_per', value, '{object}', 'an object',
            'Allowed forms: {"scope": "case"}, {"scope": "case_timer", "with": ["CODE", ...]}.');
        IF NOT COALESCE(value -> 'scope' IN ('"case"', '"case_timer"'), false)
           OR value - '{scope,with}'::text[] <> '{}'
           OR (value ? 'with' AND value ->> 'scope' <> 'case_timer') THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = pg_catalog.format('invalid "once_per" %s: %s', place, @extschema@._reg_json(value)),
                DETAIL = 'The scope must be "case" or "case_timer"; "with" is allowed only with "case_timer".',
                HINT = 'Allowed forms: {"scope": "case"}, {"scope": "case_timer", "with": ["CODE", ...]}.';
        END IF;
        IF value ? 'with' THEN
            PERFORM @extschema@._reg_check_strings(place, 'once_per', value -> 'with', true, true,
                'Give the other codes that count as this one, for example {"scope": "case_timer", "with": ["CASE_CREATED"]}.');
        END IF;
    END IF;

    RETURN checked;
END;
$$;
CREATE OR REPLACE FUNCTION @extschema@.register_event(event_key text, codes jsonb,
                                           code_resolver text DEFAULT NULL)
    RETURNS integer
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    roles text[];
    functions text[] := '{}';
    checked text;
    item record;
    n integer;
BEGIN
    -- 1. codes: a non-empty object
    IF codes IS NULL THEN
        RAISE EXCEPTION 'codes must not be null'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Give a JSON object of code definitions, for example {"CB1": {...}}.';
    ELSIF pg_catalog.jsonb_typeof(codes) <> 'object' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('invalid codes: expected an object, got %s', @extschema@._reg_json(codes)),
            HINT = 'Give a JSON object of code definitions, for example {"CB1": {...}}.';
    ELSIF codes = '{}' THEN
        RAISE EXCEPTION 'invalid codes: the object is empty'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'An event has one or more codes.',
                  HINT = 'To retire every code of an event, call cla_eventlog.unregister_event().';
    END IF;

    -- 2. event_key
    PERFORM @extschema@._reg_check_name('event key', event_key);

    -- 3. every code, in code order
    roles := ARRAY(SELECT r.name FROM @extschema@.role AS r ORDER BY r.name);
    FOR item IN SELECT e.key, e.value FROM pg_catalog.jsonb_each(codes) AS e
                 ORDER BY e.key COLLATE "C" LOOP
        checked := @extschema@._reg_check_code(event_key, item.key, item.value, roles, functions);
        IF checked IS NOT NULL THEN
            functions := functions || checked;
        END IF;
    END LOOP;

    -- 4. the code resolver
    IF code_resolver IS NOT NULL THEN
        PERFORM @extschema@._reg_check_function(
            pg_catalog.format('for event %s', @extschema@._reg_quote(event_key)),
            'code_resolver', code_resolver, 'code_resolver');
    END IF;

    -- Store.  The event row first: its row lock serialises concurrent
    -- registrations of one key.  Updating it even when nothing changed also
    -- gives it a new row version, which autodiscover() counts.
    INSERT INTO @extschema@.event AS e (key, code_resolver)
    VALUES (register_event.event_key, register_event.code_resolver)
    ON CONFLICT ON CONSTRAINT event_pkey DO UPDATE
        SET code_resolver = excluded.code_resolver,
            registered_at = pg_catalog.now();

    -- New codes get the next reg_order, in code order; existing ones keep
    -- theirs and are revived if they were retired.
    INSERT INTO @extschema@.code AS c
        (event_key, code, type, level, selectable_by, description, stops_timer,
         sort_order, set_requires_action_by, set_case_columns, once_per, retired)
    SELECT register_event.event_key, d.key, d.value ->> 'type',
           CASE WHEN pg_catalog.jsonb_typeof(d.value -> 'level') = 'number'
                THEN (d.value ->> 'level')::numeric::integer
                ELSE CASE pg_catalog.upper(d.value ->> 'level')
                     WHEN 'HIGH' THEN 29 WHEN 'MODERATE' THEN 21 WHEN 'MINOR' THEN 11 END
           END,
           ARRAY(SELECT pg_catalog.jsonb_array_elements_text(d.value -> 'selectable_by')),
           d.value ->> 'description',
           (d.value -> 'stops_timer')::boolean,
           COALESCE((d.value ->> 'order')::numeric::integer, 10000),
           d.value -> 'set_requires_action_by',
           d.value -> 'set_case_columns',
           d.value -> 'once_per',
           false
      FROM pg_catalog.jsonb_each(codes) AS d
     ORDER BY d.key COLLATE "C"
    ON CONFLICT ON CONSTRAINT code_pkey DO UPDATE
        SET type = excluded.type,
            level = excluded.level,
            selectable_by = excluded.selectable_by,
            description = excluded.description,
            stops_timer = excluded.stops_timer,
            sort_order = excluded.sort_order,
            set_requires_action_by = excluded.set_requires_action_by,
            set_case_columns = excluded.set_case_columns,
            once_per = excluded.once_per,
            retired = false;
    GET DIAGNOSTICS n = ROW_COUNT;

    -- Codes no longer in the set are retired, not deleted: old logs keep
    -- joining to their description.
    UPDATE @extschema@.code AS c
       SET retired = true
     WHERE c.event_key = register_event.event_key
       AND NOT c.retired
       AND NOT codes ? c.code;

    RETURN n;
END;
$$;
CREATE OR REPLACE FUNCTION @extschema@.unregister_event(event_key text) RETURNS integer
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    n integer;
BEGIN
    IF event_key IS NULL THEN
        RAISE EXCEPTION 'event key must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    -- Lock the event row like register_event() does.
    PERFORM FROM @extschema@.event AS e
      WHERE e.key = unregister_event.event_key
      FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'undefined_object',
            MESSAGE = pg_catalog.format('event %s is not registered', @extschema@._reg_quote(event_key));
    END IF;
    UPDATE @extschema@.code AS c
       SET retired = true
     WHERE c.event_key = unregister_event.event_key
       AND NOT c.retired;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END;
$$;
-- event_codes gains its role filter (role membership, at the end)
DROP FUNCTION @extschema@.event_codes(text);
CREATE FUNCTION @extschema@.event_codes(event_key text, role text DEFAULT NULL)
    RETURNS SETOF @extschema@.codes
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    lineage text[];
BEGIN
    IF event_key IS NULL THEN
        RAISE EXCEPTION 'event key must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NOT EXISTS (SELECT FROM @extschema@.event AS e WHERE e.key = event_codes.event_key) THEN
        RAISE EXCEPTION USING ERRCODE = 'undefined_object',
            MESSAGE = pg_catalog.format('event %s is not registered', @extschema@._reg_quote(event_key));
    END IF;
    IF role IS NOT NULL THEN
        lineage := @extschema@._role_lineage(role);
        IF lineage = '{}' THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = pg_catalog.format('role %s is not registered', @extschema@._reg_quote(role)),
                HINT = 'Registered roles are in cla_eventlog.role; an application adds its own with cla_eventlog.add_role().';
        END IF;
    END IF;
    RETURN QUERY
        SELECT v.*
          FROM @extschema@.codes AS v
          JOIN @extschema@.code AS c ON c.event_key = v.event_key AND c.code = v.code
         WHERE c.event_key = event_codes.event_key
           AND NOT c.retired
           AND (lineage IS NULL OR c.selectable_by = '{}' OR c.selectable_by && lineage)
         ORDER BY c.sort_order, c.reg_order;
END;
$$;
COMMENT ON FUNCTION @extschema@.event_codes(text, text) IS
    'The live codes of an event in display order ("order", then registration order); given a role, only the codes it may log (selectable_by empty, or naming the role or a role it is a member of)';
REVOKE ALL ON FUNCTION @extschema@.event_codes(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.event_codes(text, text) TO PUBLIC;
CREATE OR REPLACE FUNCTION @extschema@.selectable_codes(role text)
    RETURNS TABLE (event_key text, code text, description text, sort_order integer)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    lineage text[];
BEGIN
    IF role IS NULL THEN
        RAISE EXCEPTION 'role must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    lineage := @extschema@._role_lineage(role);
    RETURN QUERY
        SELECT c.event_key, c.code, c.description, c.sort_order
          FROM @extschema@.code AS c
         WHERE NOT c.retired
           AND c.type = 'outcome'
           AND c.selectable_by && lineage
         ORDER BY c.event_key, c.sort_order, c.reg_order;
END;
$$;
COMMENT ON FUNCTION @extschema@.selectable_codes(text) IS
    'Live outcome codes whose selectable_by names the role or a role it is a member of (codes open to anyone are not listed), by event and display order';
CREATE OR REPLACE FUNCTION @extschema@.autodiscover(apps text[] DEFAULT NULL,
                                         on_error text DEFAULT 'raise')
    RETURNS TABLE (app text, events integer, error text)
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    app_list text[];
    source text;
    setting text;
    a text;
    kind "char";
    before jsonb;
BEGIN
    IF on_error IS NULL THEN
        RAISE EXCEPTION 'on_error must not be null'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Use ''raise'' or ''report''.';
    ELSIF on_error NOT IN ('raise', 'report') THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('invalid on_error %s', @extschema@._reg_quote(on_error)),
            HINT = 'Use ''raise'' or ''report''.';
    END IF;

    IF apps IS NULL THEN
        source := 'the setting cla_eventlog.apps';
        setting := pg_catalog.current_setting('cla_eventlog.apps', true);
        app_list := CASE WHEN pg_catalog.btrim(COALESCE(setting, '')) = '' THEN '{}'
                         ELSE ARRAY(SELECT pg_catalog.btrim(s)
                                      FROM pg_catalog.unnest(pg_catalog.string_to_array(setting, ','))
                                           WITH ORDINALITY AS u (s, n)
                                     ORDER BY u.n) END;
    ELSE
        source := 'the apps argument';
        app_list := apps;
    END IF;

    -- Every app must name an existing schema; checked before any app runs.
    FOREACH a IN ARRAY app_list LOOP
        IF a IS NULL OR a = '' THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = pg_catalog.format('empty app name in %s', source),
                DETAIL = 'Apps are schema names.';
        ELSIF NOT EXISTS (SELECT FROM pg_catalog.pg_namespace AS ns WHERE ns.nspname = a) THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_schema_name',
                MESSAGE = pg_catalog.format('app schema %s does not exist', @extschema@._reg_quote(a)),
                DETAIL = pg_catalog.format('It is listed in %s.', source),
                HINT = 'Install the application''s schema, or remove it from the list of apps.';
        END IF;
    END LOOP;

    FOREACH a IN ARRAY app_list LOOP
        app := a;
        events := 0;
        error := NULL;
        SELECT p.prokind INTO kind
          FROM pg_catalog.pg_proc AS p
         WHERE p.oid = pg_catalog.to_regprocedure(pg_catalog.format('%I.register_events()', a));
        IF kind IS NOT NULL THEN
            SELECT pg_catalog.jsonb_object_agg(e.key, e.xmin::text) INTO before
              FROM @extschema@.event AS e;
            before := COALESCE(before, '{}');
            BEGIN
                IF kind = 'p' THEN
                    EXECUTE pg_catalog.format('CALL %I.register_events()', a);
                ELSE
                    EXECUTE pg_catalog.format('SELECT %I.register_events()', a);
                END IF;
                SELECT pg_catalog.count(*) INTO events
                  FROM @extschema@.event AS e
                 WHERE before ->> e.key IS DISTINCT FROM e.xmin::text;
            EXCEPTION WHEN OTHERS THEN
                -- The subtransaction has undone everything the app did.
                IF on_error = 'raise' THEN
                    RAISE;
                END IF;
                events := 0;
                error := SQLERRM;
            END;
        END IF;
        RETURN NEXT;
    END LOOP;
END;
$$;
DROP FUNCTION @extschema@._reg_error(text, text, text, text);
-- The working-hours calendar and the SLA clock (sql/parts/65_calendar.sql).
-- Opening hours per ISO weekday (1 = Monday ... 7 = Sunday).  The service's
-- hours are seeded (weekdays 09:00-20:00, Saturday 09:00-12:30, Sunday
-- closed) and stay as they are; a DBA changes a weekday by adding a row
-- with seeded = false, which wins over the seeded one.  So a dump keeps
-- exactly the DBA's rows and a restore, after CREATE EXTENSION seeded the
-- others again, has both.  opens and closes NULL: closed that weekday.
CREATE TABLE @extschema@.opening_hours (
    weekday     smallint NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    opens       time,
    closes      time,
    seeded      boolean NOT NULL DEFAULT false,
    PRIMARY KEY (weekday, seeded),
    CHECK ((opens IS NULL) = (closes IS NULL)),
    CHECK (opens < closes)
);
COMMENT ON TABLE @extschema@.opening_hours IS
    'Operator opening hours per ISO weekday in the report time zone; seeded rows are the service''s hours, a row with seeded = false overrides its weekday; NULL hours: closed';
INSERT INTO @extschema@.opening_hours (weekday, opens, closes, seeded) VALUES
    (1, '09:00', '20:00', true), (2, '09:00', '20:00', true), (3, '09:00', '20:00', true),
    (4, '09:00', '20:00', true), (5, '09:00', '20:00', true), (6, '09:00', '12:30', true),
    (7, NULL, NULL, true);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.opening_hours', 'WHERE NOT seeded');

-- Days the service is closed (England and Wales bank holidays; none seeded:
-- the DBA loads them, e.g. from gov.uk/bank-holidays.json).
CREATE TABLE @extschema@.bank_holiday (
    day         date PRIMARY KEY,
    name        text NOT NULL DEFAULT ''
);
COMMENT ON TABLE @extschema@.bank_holiday IS
    'Dates on which the service is closed all day (bank holidays), in the report time zone';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.bank_holiday', '');

-- One date's own hours, over its weekday and a bank holiday: NULL hours
-- close it, hours open it (a Christmas Eve that closes at 16:00, a bank
-- holiday with a skeleton service).
CREATE TABLE @extschema@.calendar_exception (
    day         date PRIMARY KEY,
    opens       time,
    closes      time,
    reason      text NOT NULL DEFAULT '',
    CHECK ((opens IS NULL) = (closes IS NULL)),
    CHECK (opens < closes)
);
COMMENT ON TABLE @extschema@.calendar_exception IS
    'A date''s own opening hours in the report time zone, over its weekday and bank holidays; NULL hours: closed that day';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.calendar_exception', '');

-- The hours of one day: the exception, else closed on a bank holiday, else
-- the weekday's row (the DBA's over the seeded one).  NULLs: closed.
CREATE FUNCTION @extschema@.opening_hours_on(day date, OUT opens time, OUT closes time)
LANGUAGE sql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT h.opens, h.closes
      FROM (SELECT 1 AS rank, e.opens, e.closes FROM @extschema@.calendar_exception e
             WHERE e.day OPERATOR(pg_catalog.=) opening_hours_on.day
            UNION ALL
            SELECT 2, NULL, NULL FROM @extschema@.bank_holiday b
             WHERE b.day OPERATOR(pg_catalog.=) opening_hours_on.day
            UNION ALL
            SELECT CASE WHEN w.seeded THEN 4 ELSE 3 END, w.opens, w.closes
              FROM @extschema@.opening_hours w
             WHERE w.weekday OPERATOR(pg_catalog.=) pg_catalog.date_part('isodow', opening_hours_on.day)) h
     ORDER BY h.rank
     LIMIT 1
$$;
COMMENT ON FUNCTION @extschema@.opening_hours_on(date) IS
    'The opening hours of a date in the report time zone (calendar_exception, else closed on a bank_holiday, else opening_hours); NULLs when closed';

---------------------------------------------------------------------------
-- sla_time(start, minutes): start plus that many working minutes.  A start
-- before a day's opening counts from the opening, one after its closing or
-- on a closed day from the next opening; minutes that do not fit before a
-- day's closing go on at the next opening.  A result exactly at closing
-- time stays on that day.
CREATE FUNCTION @extschema@.sla_time(start timestamptz, minutes integer)
RETURNS timestamptz
LANGUAGE plpgsql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    tz constant text := @extschema@._report_time_zone();
    here constant timestamp := start AT TIME ZONE tz;
    day date := here::date;
    at time := here::time;
    left_ interval := make_interval(mins => minutes);
    h record;
    open_for interval;
BEGIN
    IF minutes < 0 THEN
        RAISE EXCEPTION 'minutes must not be negative: %', minutes
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- ten years of days without an opening is a calendar mistake, not a wait
    FOR i IN 1 .. 3660 LOOP
        h := @extschema@.opening_hours_on(day);
        IF h.opens IS NOT NULL THEN
            at := greatest(at, h.opens);
            IF at < h.closes THEN
                open_for := h.closes - at;
                IF left_ <= open_for THEN
                    RETURN (day + at + left_) AT TIME ZONE tz;
                END IF;
                left_ := left_ - open_for;
            END IF;
        END IF;
        day := day + 1;
        at := time '00:00';
    END LOOP;
    RAISE EXCEPTION 'the calendar has no opening hours in the ten years after %', start
        USING ERRCODE = 'invalid_parameter_value',
              HINT = 'Check cla_eventlog.opening_hours, bank_holiday and calendar_exception.';
END
$$;
COMMENT ON FUNCTION @extschema@.sla_time(timestamptz, integer) IS
    'start plus minutes of working time by the calendar (opening_hours, bank_holiday, calendar_exception) in the report time zone; independent of the current time';

-- A time as the service writes it into a log context: ISO 8601 in the
-- report time zone with its offset, Z when the offset is zero.
CREATE FUNCTION @extschema@._iso_local(t timestamptz) RETURNS text
LANGUAGE sql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.to_char(l.local, 'YYYY-MM-DD"T"HH24:MI:SS') ||
           CASE WHEN l.off OPERATOR(pg_catalog.=) 0 THEN 'Z'
                ELSE CASE WHEN l.off OPERATOR(pg_catalog.<) 0 THEN '-' ELSE '+' END ||
                     pg_catalog.to_char(pg_catalog.abs(l.off) OPERATOR(pg_catalog./) 60, 'FM00') || ':' ||
                     pg_catalog.to_char(pg_catalog.abs(l.off) OPERATOR(pg_catalog.%) 60, 'FM00') END
      FROM (SELECT t AT TIME ZONE @extschema@._report_time_zone() AS local,
                   pg_catalog.date_part('epoch', (t AT TIME ZONE @extschema@._report_time_zone())
                                                 OPERATOR(pg_catalog.-) (t AT TIME ZONE 'UTC'))::integer
                   OPERATOR(pg_catalog./) 60 AS off) l
$$;
COMMENT ON FUNCTION @extschema@._iso_local(timestamptz) IS
    'Internal: a time as ISO 8601 text in the report time zone with its offset (Z for +00:00)';

-- cb1_context(requested, case_created, source): the context of a callback
-- log (CB1 ... CB3, PCB) as the service builds it: the requested time and
-- its SLA times, counted from the requested time, or from the case's
-- creation for cases that came in by SMS or voicemail.
CREATE FUNCTION @extschema@.cb1_context(requires_action_at timestamptz,
                                        case_created timestamptz DEFAULT NULL,
                                        source text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    base timestamptz := requires_action_at;
BEGIN
    IF requires_action_at IS NULL THEN
        RAISE EXCEPTION 'requires_action_at must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF upper(source) IN ('SMS', 'VOICEMAIL') THEN
        IF case_created IS NULL THEN
            RAISE EXCEPTION 'case_created must be given for a case from %', source
                USING ERRCODE = 'null_value_not_allowed',
                      DETAIL = 'The SLA of a case that came in by SMS or voicemail runs from its creation.';
        END IF;
        base := case_created;
    END IF;
    RETURN jsonb_build_object(
        'requires_action_at', @extschema@._iso_local(requires_action_at),
        'sla_15', @extschema@._iso_local(@extschema@.sla_time(base, 15)),
        'sla_30', @extschema@._iso_local(@extschema@.sla_time(base, 30)),
        'sla_120', @extschema@._iso_local(@extschema@.sla_time(base, 120)),
        'sla_480', @extschema@._iso_local(@extschema@.sla_time(base, 480)),
        'sla_72h', @extschema@._iso_local(@extschema@.sla_time(base, 4320)));
END
$$;
COMMENT ON FUNCTION @extschema@.cb1_context(timestamptz, timestamptz, text) IS
    'The context of a callback log: requires_action_at and sla_15, sla_30, sla_120, sla_480, sla_72h by sla_time() from the requested time, or from case_created when source is SMS or VOICEMAIL; times as ISO 8601 in the report time zone';
REVOKE ALL ON TABLE @extschema@.opening_hours, @extschema@.bank_holiday,
    @extschema@.calendar_exception FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.opening_hours_on(date), @extschema@.sla_time(timestamptz, integer),
    @extschema@._iso_local(timestamptz), @extschema@.cb1_context(timestamptz, timestamptz, text) FROM PUBLIC;
GRANT SELECT ON @extschema@.opening_hours, @extschema@.bank_holiday,
    @extschema@.calendar_exception TO PUBLIC;
GRANT EXECUTE ON FUNCTION
    @extschema@.opening_hours_on(date),
    @extschema@.sla_time(timestamptz, integer),
    @extschema@._iso_local(timestamptz),
    @extschema@.cb1_context(timestamptz, timestamptz, text)
TO PUBLIC;

-- The service's other reports (sql/parts/62_mi_reports.sql).
---------------------------------------------------------------------------
-- mi_contacts_per_case(from_ts, to_ts, codes): one row per case created in
-- [from_ts, to_ts) that has at least one log whose code is a contact: by
-- default an outcome code that stops the timer (the service's list, 33 codes
-- in the reference set, retired ones included, so old logs still count).
CREATE FUNCTION @extschema@.mi_contacts_per_case(from_ts timestamptz, to_ts timestamptz,
                                                 codes text[] DEFAULT NULL)
RETURNS TABLE(case_id bigint, case_created timestamptz, contacts bigint, outcomes text)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    contact_codes text[] := codes;
BEGIN
    PERFORM @extschema@._require_range('from_ts', from_ts, 'to_ts', to_ts,
        'Give the range of case creation times, for example a month: mi_contacts_per_case(''2024-03-01'', ''2024-04-01'').');
    PERFORM @extschema@._require_case_role('created', 'mi_contacts_per_case reports on the cases created in a range.');
    IF contact_codes IS NULL THEN
        SELECT array_agg(DISTINCT c.code) INTO contact_codes
          FROM @extschema@.code c WHERE c.type = 'outcome' AND c.stops_timer;
    END IF;
    RETURN QUERY
        SELECT cr.case_id, cr.created, count(*), string_agg(l.code, '|' ORDER BY l.id)
          FROM @extschema@._case_rows(NULL, from_ts, to_ts) cr
          JOIN @extschema@.log l ON l.case_id = cr.case_id
         WHERE l.code = ANY (contact_codes)
         GROUP BY cr.case_id, cr.created
         ORDER BY cr.created, cr.case_id;
END
$$;
COMMENT ON FUNCTION @extschema@.mi_contacts_per_case(timestamptz, timestamptz, text[]) IS
    'MI: contacts per case: one row per case created in [from_ts, to_ts) with at least one log of a contact code (default: outcome codes that stop the timer, retired included), with their number and the codes in logging order joined by |';

---------------------------------------------------------------------------
-- mi_callback_progression(from_date, to_date): one row per callback log
-- (CB1 ... CB4) whose callback date, the local date of its context's
-- requires_action_at, lies in [from_date, to_date).
CREATE FUNCTION @extschema@.mi_callback_progression(from_date date, to_date date)
RETURNS TABLE(log_id bigint, case_id bigint, code text, callback_at timestamptz,
              callback_date date, booking_slot text, created timestamptz,
              created_on date, created_by bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    tz constant text := @extschema@._report_time_zone();
BEGIN
    PERFORM @extschema@._require_range('from_date', from_date, 'to_date', to_date,
        'Give the range of callback dates, for example a week: mi_callback_progression(''2024-03-04'', ''2024-03-11'').');
    RETURN QUERY
        SELECT l.id, l.case_id, l.code, w.at, (w.at AT TIME ZONE tz)::date,
               to_char(w.at AT TIME ZONE tz, 'HH24:MI'), l.created, (l.created AT TIME ZONE tz)::date,
               l.created_by
          FROM @extschema@.log l
         CROSS JOIN LATERAL (SELECT @extschema@._iso_time(l.context ->> 'requires_action_at') AS at) w
         WHERE l.code IN ('CB1', 'CB2', 'CB3', 'CB4')
           AND w.at >= from_date::timestamp AT TIME ZONE tz
           AND w.at < to_date::timestamp AT TIME ZONE tz
         ORDER BY l.case_id, l.created, l.id;
END
$$;
COMMENT ON FUNCTION @extschema@.mi_callback_progression(date, date) IS
    'MI: callback progression: one row per CB1-CB4 log whose callback date (local date of context->>''requires_action_at'' in the report time zone) lies in [from_date, to_date), with its booking slot (HH24:MI local); by case, then logging time';

-- The logs of one application object (a complaint), for mi_complaints.
CREATE INDEX log_object ON @extschema@.log (content_type, object_id, id)
    WHERE content_type IS NOT NULL;

---------------------------------------------------------------------------
-- mi_complaints(from_ts, to_ts, at_ts, sla, content_type): one row per
-- complaint (the logs whose content_type names the complaint model) first
-- logged in [from_ts, to_ts).  Every date is the latest log of its code;
-- nothing is ever deleted, so "closed" and "voided" are the latest
-- COMPLAINT_CLOSED / COMPLAINT_VOID after the latest COMPLAINT_REOPENED (the
-- service deleted those logs on reopening).  within_sla: closed (or, while
-- open, at_ts) before created + sla.
CREATE FUNCTION @extschema@.mi_complaints(from_ts timestamptz, to_ts timestamptz,
                                          at_ts timestamptz DEFAULT pg_catalog.now(),
                                          sla interval DEFAULT interval '15 days',
                                          content_type text DEFAULT 'complaints.complaint')
RETURNS TABLE(complaint_id bigint, case_id bigint, created timestamptz, owner_set_at timestamptz,
              holding_letter_at timestamptz, full_response_at timestamptz, reopened_at timestamptz,
              closed_at timestamptz, voided_at timestamptz, within_sla boolean)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF from_ts IS NULL OR to_ts IS NULL OR at_ts IS NULL OR sla IS NULL OR content_type IS NULL THEN
        RAISE EXCEPTION 'the arguments of mi_complaints() must not be null'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Give the range of complaint creation times; leave the others out to get their defaults.';
    END IF;
    RETURN QUERY
        SELECT s.object_id, s.case_id, s.created, s.owner_set_at, s.holding_letter_at, s.full_response_at,
               s.reopened_at, s.closed_at, s.voided_at,
               s.created + sla > COALESCE(s.closed_at, at_ts)
          FROM (
            SELECT c.object_id, c.case_id, c.created,
                   max(l.created) FILTER (WHERE l.code = 'OWNER_SET') AS owner_set_at,
                   max(l.created) FILTER (WHERE l.code = 'HOLDING_LETTER_SENT') AS holding_letter_at,
                   max(l.created) FILTER (WHERE l.code = 'FULL_RESPONSE_SENT') AS full_response_at,
                   r.reopened_at,
                   max(l.created) FILTER (WHERE l.code IN ('COMPLAINT_CLOSED', 'COMPLAINT_VOID')
                                            AND (r.reopened_id IS NULL OR l.id > r.reopened_id)) AS closed_at,
                   max(l.created) FILTER (WHERE l.code = 'COMPLAINT_VOID'
                                            AND (r.reopened_id IS NULL OR l.id > r.reopened_id)) AS voided_at
              FROM (SELECT DISTINCT ON (f.object_id) f.object_id, f.case_id, f.created
                      FROM @extschema@.log f
                     WHERE f.content_type = mi_complaints.content_type
                     ORDER BY f.object_id, f.id) c
              JOIN @extschema@.log l
                ON l.content_type = mi_complaints.content_type AND l.object_id = c.object_id
              LEFT JOIN LATERAL (
                    SELECT o.id AS reopened_id, o.created AS reopened_at FROM @extschema@.log o
                     WHERE o.content_type = mi_complaints.content_type AND o.object_id = c.object_id
                       AND o.code = 'COMPLAINT_REOPENED'
                     ORDER BY o.id DESC LIMIT 1) r ON true
             WHERE c.created >= from_ts AND c.created < to_ts
             GROUP BY c.object_id, c.case_id, c.created, r.reopened_id, r.reopened_at) s
         ORDER BY s.created DESC, s.object_id;
END
$$;
COMMENT ON FUNCTION @extschema@.mi_complaints(timestamptz, timestamptz, timestamptz, interval, text) IS
    'MI: complaints: one row per complaint (logs with that content_type) first logged in [from_ts, to_ts): owner set, holding letter, full response, reopened (latest of each), closed and voided (latest COMPLAINT_CLOSED/COMPLAINT_VOID after the latest COMPLAINT_REOPENED), within_sla (closed, or at_ts while open, before created + sla); newest first';
REVOKE ALL ON FUNCTION @extschema@.mi_contacts_per_case(timestamptz, timestamptz, text[]),
    @extschema@.mi_callback_progression(date, date),
    @extschema@.mi_complaints(timestamptz, timestamptz, timestamptz, interval, text) FROM PUBLIC;

-- mi_outcomes: user_id and billable_seconds (sql/parts/60_mi.sql).
CREATE OR REPLACE VIEW @extschema@.mi_outcomes AS
SELECT l.id AS log_id,
       l.case_id,
       l.event_key,
       l.code,
       c.description,
       l.level,
       l.created,
       l.created_by,
       l.created_by_role,
       l.timer_id,
       CASE WHEN t.stopped IS NOT NULL AND NOT t.cancelled
            THEN @extschema@._mi_seconds(t.stopped, t.created)
       END AS timer_seconds,
       CASE WHEN NOT EXISTS (SELECT 1 FROM @extschema@.log n
                              WHERE n.case_id OPERATOR(pg_catalog.=) l.case_id
                                AND n.id OPERATOR(pg_catalog.>) l.id
                                AND n.type OPERATOR(pg_catalog.=) 'outcome')
            THEN (SELECT COALESCE(pg_catalog.sum(@extschema@._mi_seconds(b.stopped, b.created)), 0)::bigint
                    FROM @extschema@.timer b
                   WHERE b.linked_case OPERATOR(pg_catalog.=) l.case_id
                     AND b.stopped IS NOT NULL AND NOT b.cancelled)
       END AS cumulative_seconds,
       CASE WHEN l.code OPERATOR(pg_catalog.=) 'COI' OR l.code OPERATOR(pg_catalog.~~) 'MIS%'
            THEN l.code
       END AS reject_reason,
       l.context OPERATOR(pg_catalog.->>) 'provider' AS provider,
       CASE WHEN l.created_by_role OPERATOR(pg_catalog.=) ANY ((SELECT @extschema@._role_family('operator'))::text[])
            THEN 'OS:' OPERATOR(pg_catalog.||) l.created_by
            WHEN l.created_by_role OPERATOR(pg_catalog.=) ANY ((SELECT @extschema@._role_family('specialist'))::text[])
            THEN 'SP:' OPERATOR(pg_catalog.||) l.created_by
       END AS user_id,
       CASE WHEN l.code OPERATOR(pg_catalog.=) 'NCOE' THEN 0
            WHEN t.stopped IS NOT NULL AND NOT t.cancelled
            THEN @extschema@._mi_seconds(t.stopped, t.created)
       END AS billable_seconds
  FROM @extschema@.log l
  LEFT JOIN @extschema@.code c
         ON c.event_key OPERATOR(pg_catalog.=) l.event_key AND c.code OPERATOR(pg_catalog.=) l.code
  LEFT JOIN @extschema@.timer t ON t.id OPERATOR(pg_catalog.=) l.timer_id
 WHERE l.type OPERATOR(pg_catalog.=) 'outcome';
COMMENT ON COLUMN @extschema@.mi_outcomes.user_id IS 'OS:<created_by> for an operator''s log, SP:<created_by> for a specialist''s, else NULL (the case extract''s User_ID)';
COMMENT ON COLUMN @extschema@.mi_outcomes.billable_seconds IS 'The case extract''s Billable_Time: 0 for NCOE, else timer_seconds';

-- The case extract (sql/parts/62_mi_reports.sql).
---------------------------------------------------------------------------
-- The case extract's time of day of a case's creation (behaviour f.4), in
-- the report time zone: WKEND from Friday 20:00 to Saturday 12:30, 5TO8 on
-- weekdays from 17:00 to 20:00, else 9TO5 (all Sunday, Saturday from 12:30
-- and weekday nights included, as in the service).
CREATE FUNCTION @extschema@._time_of_day(t timestamptz) RETURNS text
LANGUAGE sql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE
             WHEN (x.d = 5 AND x.l >= time '20:00') OR (x.d = 6 AND x.l < time '12:30') THEN 'WKEND'
             WHEN x.d BETWEEN 1 AND 5 AND x.l >= time '17:00' AND x.l < time '20:00' THEN '5TO8'
             ELSE '9TO5'
           END
      FROM (SELECT pg_catalog.date_part('isodow', t AT TIME ZONE @extschema@._report_time_zone()) AS d,
                   (t AT TIME ZONE @extschema@._report_time_zone())::time AS l) x
$$;
COMMENT ON FUNCTION @extschema@._time_of_day(timestamptz) IS
    'Internal: WKEND (Friday 20:00 to Saturday 12:30), 5TO8 (weekdays 17:00-20:00) or 9TO5 (otherwise) of a time in the report time zone, the case extract''s Time_of_Day';

---------------------------------------------------------------------------
-- mi_case_extract(from_ts, to_ts): the log side of the service's case
-- extract (f.4): every outcome log created in [from_ts, to_ts), as
-- mi_outcomes has it, with its case's creation time and its time of day.
CREATE FUNCTION @extschema@.mi_case_extract(from_ts timestamptz, to_ts timestamptz)
RETURNS TABLE(log_id bigint, case_id bigint, event_key text, code text, level integer,
              created timestamptz, created_by bigint, user_id text, billable_seconds bigint,
              cumulative_seconds bigint, reject_reason text, provider text,
              case_created timestamptz, time_of_day text)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM @extschema@._require_range('from_ts', from_ts, 'to_ts', to_ts,
        'Give the range of outcome times, for example a day: mi_case_extract(''2024-03-01'', ''2024-03-02'').');
    RETURN QUERY
        SELECT o.log_id, o.case_id, o.event_key, o.code, o.level, o.created, o.created_by, o.user_id,
               o.billable_seconds, o.cumulative_seconds, o.reject_reason, o.provider,
               cr.created, @extschema@._time_of_day(cr.created)
          FROM @extschema@.mi_outcomes o
          LEFT JOIN @extschema@._case_rows(ARRAY(
                   SELECT DISTINCT l.case_id FROM @extschema@.log l
                    WHERE l.type = 'outcome' AND l.created >= from_ts AND l.created < to_ts)) cr
                 ON cr.case_id = o.case_id
         WHERE o.created >= from_ts AND o.created < to_ts
         ORDER BY o.log_id;
END
$$;
COMMENT ON FUNCTION @extschema@.mi_case_extract(timestamptz, timestamptz) IS
    'MI: the case extract''s log columns: one row per outcome log created in [from_ts, to_ts) with user_id (OS:/SP:), billable_seconds (0 for NCOE), cumulative_seconds, reject_reason, provider, the case''s creation and its time_of_day (WKEND, 5TO8, 9TO5 in the report time zone; NULL without the created role)';
REVOKE ALL ON FUNCTION @extschema@._time_of_day(timestamptz),
    @extschema@.mi_case_extract(timestamptz, timestamptz) FROM PUBLIC;

-- Log maintenance (sql/parts/77_log_maintenance.sql).
-- Log rows moved out of the log by remove_duplicate_outcomes(): the whole
-- row, and who moved it, when and why.  Dumped and restored like the log;
-- restore_archived_logs() puts rows back.
CREATE TABLE @extschema@.log_archive (
    LIKE @extschema@.log,
    archived_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    archived_by     text NOT NULL,
    reason          text NOT NULL CHECK (pg_catalog.btrim(reason) <> ''),
    PRIMARY KEY (id)
);
COMMENT ON TABLE @extschema@.log_archive IS
    'Log rows moved out of the log by remove_duplicate_outcomes(), whole, with who moved them, when and why; restore_archived_logs() puts them back';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.log_archive', '');

-- Every sanctioned change of a log row's context: the row, the context
-- before and after, who, when, which job.
CREATE SEQUENCE @extschema@.log_change_id_seq;
CREATE TABLE @extschema@.log_change (
    id              bigint PRIMARY KEY DEFAULT pg_catalog.nextval('@extschema@.log_change_id_seq'),
    log_id          bigint NOT NULL,
    changed_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    changed_by      text NOT NULL,
    job             text NOT NULL,
    context_before  jsonb,
    context_after   jsonb
);
ALTER SEQUENCE @extschema@.log_change_id_seq OWNED BY @extschema@.log_change.id;
COMMENT ON TABLE @extschema@.log_change IS
    'Audit of every sanctioned change of a log row''s context (add_sla_72h): the row, the context before and after, who, when, which job';
CREATE INDEX log_change_log ON @extschema@.log_change (log_id);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.log_change', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.log_change_id_seq', '');

CREATE FUNCTION @extschema@._archive_logs(log_ids bigint[], archived_by text, reason text) RETURNS bigint
    LANGUAGE c VOLATILE
    AS 'MODULE_PATHNAME', 'cel_archive_logs';
COMMENT ON FUNCTION @extschema@._archive_logs(bigint[], text, text) IS
    'Internal: moves the given log rows into log_archive past the append-only guard; only remove_duplicate_outcomes() calls it';
CREATE FUNCTION @extschema@._restore_logs(log_ids bigint[]) RETURNS bigint
    LANGUAGE c VOLATILE
    AS 'MODULE_PATHNAME', 'cel_restore_logs';
COMMENT ON FUNCTION @extschema@._restore_logs(bigint[]) IS
    'Internal: puts the given archived rows back into the log as they were (no rule re-applied, no side effect replayed); only restore_archived_logs() calls it';
CREATE FUNCTION @extschema@._set_log_contexts(log_ids bigint[], contexts jsonb[]) RETURNS bigint
    LANGUAGE c VOLATILE
    AS 'MODULE_PATHNAME', 'cel_set_log_contexts';
COMMENT ON FUNCTION @extschema@._set_log_contexts(bigint[], jsonb[]) IS
    'Internal: sets the context of the given log rows (arrays in step) past the append-only guard, without touching modified; only add_sla_72h() calls it';


---------------------------------------------------------------------------
-- remove_duplicate_outcomes(dry_run, reason): the runs of consecutive
-- same-code outcome logs of a case on one day (in cla_eventlog.day_time_zone,
-- the debounce's day), by e.1's rule: a case-day qualifies when one of its
-- HIGH outcome logs has the same code as the HIGH outcome log before it;
-- there, every outcome log (any level) with the same code as the outcome log
-- just before it is a duplicate, and the oldest of each run is kept.  Notes
-- are ignored, as in the service.  Dry run by default: it only lists.
-- Otherwise the duplicates move to log_archive and their cases are
-- repaired.
CREATE FUNCTION @extschema@.remove_duplicate_outcomes(dry_run boolean DEFAULT true,
                                                      reason text DEFAULT 'same-day duplicate outcome (LGA-125)')
RETURNS TABLE(log_id bigint, case_id bigint, code text, created timestamptz, day date, kept_log_id bigint)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    tz constant text := current_setting('cla_eventlog.day_time_zone');
    ids bigint[];
    cases bigint[];
BEGIN
    IF dry_run IS NULL THEN
        RAISE EXCEPTION 'dry_run must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NOT dry_run AND (reason IS NULL OR btrim(reason) = '') THEN
        RAISE EXCEPTION 'moving log rows to the archive needs a reason'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Say why: it is kept with each archived row.';
    END IF;
    CREATE TEMP TABLE IF NOT EXISTS cel_duplicate_outcomes
        (log_id bigint, case_id bigint, code text, created timestamptz, day date, kept_log_id bigint)
        ON COMMIT DROP;
    TRUNCATE cel_duplicate_outcomes;
    INSERT INTO cel_duplicate_outcomes
    WITH o AS (
        SELECT l.id, l.case_id, l.code, l.level, l.created, (l.created AT TIME ZONE tz)::date AS day
          FROM @extschema@.log l
         WHERE l.type = 'outcome'),
    candidate AS (
        SELECT DISTINCT h.case_id, h.day
          FROM (SELECT o.case_id, o.day, o.code,
                       lag(o.code) OVER (PARTITION BY o.case_id, o.day ORDER BY o.id) AS before
                  FROM o WHERE o.level >= 29) h
         WHERE h.code = h.before),
    runs AS (
        SELECT r.*, sum(CASE WHEN r.before IS DISTINCT FROM r.code THEN 1 ELSE 0 END)
                        OVER (PARTITION BY r.case_id, r.day ORDER BY r.id) AS run
          FROM (SELECT o.*, lag(o.code) OVER (PARTITION BY o.case_id, o.day ORDER BY o.id) AS before
                  FROM o JOIN candidate c ON c.case_id = o.case_id AND c.day = o.day) r)
    SELECT k.id, k.case_id, k.code, k.created, k.day, k.kept
      FROM (SELECT r.*, min(r.id) OVER (PARTITION BY r.case_id, r.day, r.run) AS kept
              FROM runs r) k
     WHERE k.code = k.before;
    IF NOT dry_run THEN
        SELECT array_agg(d.log_id ORDER BY d.log_id), array_agg(DISTINCT d.case_id)
          INTO ids, cases FROM cel_duplicate_outcomes d;
        IF ids IS NOT NULL THEN
            PERFORM @extschema@._case_lock(cases);
            PERFORM @extschema@._archive_logs(ids, @extschema@._caller(), reason);
            PERFORM @extschema@.repair_cases(cases);
        END IF;
    END IF;
    RETURN QUERY SELECT d.* FROM cel_duplicate_outcomes d ORDER BY d.case_id, d.log_id;
END
$$;
COMMENT ON FUNCTION @extschema@.remove_duplicate_outcomes(boolean, text) IS
    'Maintenance: lists (dry_run, the default) or moves to log_archive the same-day duplicate outcome logs (runs of one code on a case-day, the oldest kept), then repairs their cases; returns each duplicate with the log kept';

-- restore_archived_logs(log_ids): archived rows back into the log, as they
-- were (ids, times, context), and their cases repaired.
CREATE FUNCTION @extschema@.restore_archived_logs(log_ids bigint[])
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    cases bigint[];
    restored bigint;
BEGIN
    IF log_ids IS NULL THEN
        RAISE EXCEPTION 'log_ids must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT array_agg(DISTINCT a.case_id) INTO cases
      FROM @extschema@.log_archive a WHERE a.id = ANY (log_ids);
    IF cases IS NULL THEN
        RETURN 0;
    END IF;
    PERFORM @extschema@._case_lock(cases);
    restored := @extschema@._restore_logs(log_ids);
    PERFORM @extschema@.repair_cases(cases);
    RETURN restored;
END
$$;
COMMENT ON FUNCTION @extschema@.restore_archived_logs(bigint[]) IS
    'Maintenance: puts the given rows of log_archive back into the log as they were and repairs their cases; returns the number restored';

---------------------------------------------------------------------------
-- add_sla_72h(): the service's add_72h_to_context job (e.2).  CB1 logs
-- whose context has no sla_72h get it: 72 working hours after the
-- context's own requires_action_at (the service used the case's current
-- requires_action_at, which a later callback has moved).  A CB1 without a
-- readable requires_action_at is listed with NULL and left alone (the
-- service's job crashed on it).  Every change is recorded in log_change.
CREATE FUNCTION @extschema@.add_sla_72h()
RETURNS TABLE(log_id bigint, requires_action_at timestamptz, sla_72h text)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ids bigint[];
    contexts jsonb[];
BEGIN
    CREATE TEMP TABLE IF NOT EXISTS cel_sla_72h
        (log_id bigint, requires_action_at timestamptz, sla_72h text, context_before jsonb)
        ON COMMIT DROP;
    TRUNCATE cel_sla_72h;
    INSERT INTO cel_sla_72h
    SELECT l.id, w.at, @extschema@._iso_local(@extschema@.sla_time(w.at, 4320)), l.context
      FROM @extschema@.log l
     CROSS JOIN LATERAL (SELECT @extschema@._iso_time(l.context ->> 'requires_action_at') AS at) w
     WHERE l.code = 'CB1' AND l.type = 'outcome'
       AND (l.context IS NULL OR NOT l.context ? 'sla_72h');
    SELECT array_agg(s.log_id ORDER BY s.log_id),
           array_agg(s.context_before || jsonb_build_object('sla_72h', s.sla_72h) ORDER BY s.log_id)
      INTO ids, contexts
      FROM cel_sla_72h s WHERE s.sla_72h IS NOT NULL;
    IF ids IS NOT NULL THEN
        PERFORM @extschema@._set_log_contexts(ids, contexts);
        INSERT INTO @extschema@.log_change (log_id, changed_by, job, context_before, context_after)
        SELECT s.log_id, @extschema@._caller(), 'add_sla_72h', s.context_before,
               s.context_before || jsonb_build_object('sla_72h', s.sla_72h)
          FROM cel_sla_72h s WHERE s.sla_72h IS NOT NULL;
    END IF;
    RETURN QUERY SELECT s.log_id, s.requires_action_at, s.sla_72h FROM cel_sla_72h s ORDER BY s.log_id;
END
$$;
COMMENT ON FUNCTION @extschema@.add_sla_72h() IS
    'Maintenance: adds sla_72h (72 working hours after its requires_action_at, by sla_time) to the context of every CB1 log that lacks it, recorded in log_change; returns each CB1 it looked at (sla_72h NULL: no readable requires_action_at, left alone)';
REVOKE ALL ON TABLE @extschema@.log_archive, @extschema@.log_change FROM PUBLIC;
REVOKE ALL ON SEQUENCE @extschema@.log_change_id_seq FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@._archive_logs(bigint[], text, text), @extschema@._restore_logs(bigint[]),
    @extschema@._set_log_contexts(bigint[], jsonb[]), @extschema@.remove_duplicate_outcomes(boolean, text),
    @extschema@.restore_archived_logs(bigint[]), @extschema@.add_sla_72h() FROM PUBLIC;

-- Status check disk_space and healthcheck_json() (sql/parts/72_status.sql).
-- disk_space: the data directory and pg_wal each have more than
-- cla_eventlog.min_free_disk_percent of their disk free (the service's
-- threshold, 2; exactly the threshold fails, as there).  statvfs in C
-- (disk.c), so a pg_monitor probe gets it too.
CREATE FUNCTION @extschema@._disk_space()
RETURNS TABLE(location text, path text, available bigint, total bigint, free_percent float8)
LANGUAGE c VOLATILE
AS 'MODULE_PATHNAME', 'cel_disk_space';
COMMENT ON FUNCTION @extschema@._disk_space() IS
    'Internal: the available and total bytes of the file systems of the data directory and of pg_wal (statvfs, as the server)';

CREATE FUNCTION @extschema@._check_disk_space(OUT ok boolean, OUT detail text, OUT locations jsonb)
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT bool_and(COALESCE(d.free_percent > m.minimum, false)),
           string_agg(CASE WHEN d.total IS NULL THEN format('%s: its free space could not be read', d.location)
                           ELSE format('%s: %s free of %s (%s %%)', d.location, pg_size_pretty(d.available),
                                       pg_size_pretty(d.total), round(d.free_percent::numeric, 1)) END,
                      '; ' ORDER BY d.location)
           || CASE WHEN bool_and(COALESCE(d.free_percent > m.minimum, false)) THEN ''
                   ELSE format('; at most %s %% free: free space now, or the server stops writing', m.minimum) END,
           jsonb_agg(jsonb_build_object('location', d.location, 'available', d.available, 'total', d.total,
                                        'free_percent', round(d.free_percent::numeric, 2)) ORDER BY d.location)
      FROM @extschema@._disk_space() d,
           (SELECT current_setting('cla_eventlog.min_free_disk_percent')::float8 AS minimum) m
     GROUP BY m.minimum
$$;
COMMENT ON FUNCTION @extschema@._check_disk_space() IS
    'Internal: status check disk_space: the data directory and pg_wal each have more than cla_eventlog.min_free_disk_percent free; with the figures of each, for healthcheck_json()';

REVOKE ALL ON FUNCTION @extschema@._disk_space(), @extschema@._check_disk_space() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@._disk_space(), @extschema@._check_disk_space() TO PUBLIC;
-- healthcheck_json(): the document of the service's /status/healthcheck.json
-- (behaviour g): {"database": {"status": true}, "disk": {"status": ...},
-- "*": {"status": every check passed}}; the application answers HTTP 500
-- when "*" is false, else 200.  "database" is true whenever the query
-- answers; "disk" is status check disk_space, with its figures.
CREATE FUNCTION @extschema@.healthcheck_json() RETURNS jsonb
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
               'database', jsonb_build_object('status', true),
               'disk', jsonb_build_object('status', c.ok, 'detail', c.detail, 'locations', c.locations),
               '*', jsonb_build_object('status', c.ok))
      FROM @extschema@._check_disk_space() c
$$;
COMMENT ON FUNCTION @extschema@.healthcheck_json() IS
    'The service''s healthcheck document: {"database": {"status": true}, "disk": {"status": ..., "detail": ..., "locations": [...]}, "*": {"status": all passed}}; a probe answers HTTP 500 when "*" is false';
REVOKE ALL ON FUNCTION @extschema@.healthcheck_json() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.healthcheck_json() TO pg_monitor;

-- Status check standby (sql/parts/72_status.sql).
-- standby: on a standby, the WAL receiver is streaming and replay is at
-- most cla_eventlog.max_standby_lag behind (nothing to replay counts as no
-- lag, so an idle primary does not turn it red); a cut-off standby, whose
-- reports go stale, is red.  On the primary: ok.
CREATE OR REPLACE FUNCTION @extschema@._check_standby(OUT ok boolean, OUT detail text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    receiver text;
    lag interval;
    limit_ interval := COALESCE(current_setting('cla_eventlog.max_standby_lag', true), '5min')::interval;
BEGIN
    IF NOT pg_is_in_recovery() THEN
        SELECT COALESCE(bool_and(s.ok), true), string_agg(s.detail, '; ' ORDER BY s.name)
          INTO ok, detail FROM @extschema@._subscriptions() s;
        detail := CASE WHEN detail IS NULL THEN 'the primary'
                       WHEN ok THEN 'a logical subscriber: ' || detail
                       ELSE 'a logical subscriber: ' || detail || '; reports read here go stale: enable the subscription, reconnect the publisher, or drop the subscription after a switchover'
                  END;
        RETURN;
    END IF;
    SELECT r.status INTO receiver FROM pg_stat_wal_receiver r;
    lag := CASE WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN interval '0'
                ELSE now() - pg_last_xact_replay_timestamp() END;
    ok := receiver IS NOT DISTINCT FROM 'streaming' AND COALESCE(lag <= limit_, false);
    detail := CASE
        WHEN receiver IS DISTINCT FROM 'streaming' THEN
            format('the WAL receiver is %s: this standby no longer follows its primary (last transaction replayed at %s); reports read here go stale',
                   COALESCE(receiver, 'not running'), COALESCE(pg_last_xact_replay_timestamp()::text, 'never'))
        ELSE format('streaming, replay %s behind (limit %s)', date_trunc('second', COALESCE(lag, interval '0')), limit_)
    END;
END
$$;
COMMENT ON FUNCTION @extschema@._check_standby() IS
    'Internal: status check standby: on a standby, the WAL receiver streams and replay is at most cla_eventlog.max_standby_lag behind; on a logical subscriber, every subscription is enabled, applying, synchronised and at most cla_eventlog.max_standby_lag behind; ok on the primary';

REVOKE ALL ON FUNCTION @extschema@._check_standby() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@._check_standby() TO PUBLIC;

-- Issue 16: a logical copy and the rules that nothing bypasses (README "A
-- logical copy").  The role table's whole row is its replica identity (the
-- publication's row filter names seeded); row triggers enabled REPLICA
-- invalidate the registry cache for replicated rows; status names a
-- subscriber's subscriptions and flags foreign BEFORE triggers, rules and
-- inheritance on the log.  sync_sequences() and the event trigger
-- cla_eventlog_no_inheritance are sql/parts/78_replication.sql, which
-- follows this file.
ALTER TABLE @extschema@.role REPLICA IDENTITY FULL;
CREATE TRIGGER registry_replicated AFTER INSERT OR UPDATE OR DELETE
    ON @extschema@.role FOR EACH ROW EXECUTE FUNCTION @extschema@._registry_changed();
CREATE TRIGGER registry_replicated AFTER INSERT OR UPDATE OR DELETE
    ON @extschema@.event FOR EACH ROW EXECUTE FUNCTION @extschema@._registry_changed();
CREATE TRIGGER registry_replicated AFTER INSERT OR UPDATE OR DELETE
    ON @extschema@.code FOR EACH ROW EXECUTE FUNCTION @extschema@._registry_changed();
ALTER TABLE @extschema@.role ENABLE REPLICA TRIGGER registry_replicated;
ALTER TABLE @extschema@.event ENABLE REPLICA TRIGGER registry_replicated;
ALTER TABLE @extschema@.code ENABLE REPLICA TRIGGER registry_replicated;

-- The logical subscriptions of this database (README "A logical copy"):
-- each one's state, the tables it has synchronised, and how long ago the
-- publisher's last message was sent (how far behind it is at most; the
-- exact WAL distance is the publisher's confirmed_flush_lsn).  ok: enabled,
-- its apply worker running, every table ready, and that message at most
-- cla_eventlog.max_standby_lag old (an idle publisher sends one at least
-- every wal_sender_timeout / 2).  Reads only the columns of
-- pg_subscription that every role may read, so a pg_monitor probe gets it.
CREATE OR REPLACE FUNCTION @extschema@._subscriptions()
RETURNS TABLE(name text, ok boolean, detail text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT s.subname::text,
           s.subenabled AND w.pid IS NOT NULL AND r.n_ready = r.n_tables AND COALESCE(w.lag <= m.max_lag, true),
           format('subscription %s to %s: %s, %s of %s tables ready, %s',
                  s.subname, array_to_string(s.subpublications, ', '),
                  CASE WHEN NOT s.subenabled THEN 'disabled'
                       WHEN w.pid IS NULL THEN 'enabled but its apply worker is not running (the publisher unreachable?)'
                       ELSE 'streaming' END,
                  r.n_ready, r.n_tables,
                  CASE WHEN w.last_msg_send_time IS NULL THEN 'no message from the publisher yet'
                       ELSE format('behind by at most %s (the publisher''s last message sent at %s, received up to WAL %s)%s',
                                   date_trunc('second', w.lag), date_trunc('second', w.last_msg_send_time), w.received_lsn,
                                   CASE WHEN w.lag > m.max_lag
                                        THEN format(', more than cla_eventlog.max_standby_lag (%s)', m.max_lag) ELSE '' END) END)
      FROM pg_subscription s
      LEFT JOIN (SELECT sw.*, greatest(now() - sw.last_msg_send_time, interval '0') AS lag
                   FROM pg_stat_subscription sw WHERE sw.relid IS NULL) w ON w.subid = s.oid
      CROSS JOIN LATERAL (SELECT count(*) AS n_tables, count(*) FILTER (WHERE sr.srsubstate = 'r') AS n_ready
                            FROM pg_subscription_rel sr WHERE sr.srsubid = s.oid) r
      CROSS JOIN (SELECT COALESCE(current_setting('cla_eventlog.max_standby_lag', true), '5min')::interval AS max_lag) m
     WHERE s.subdbid = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database())
     ORDER BY s.subname
$$;
COMMENT ON FUNCTION @extschema@._subscriptions() IS
    'Internal: the logical subscriptions of this database with their state, tables ready and lag (judged against cla_eventlog.max_standby_lag), for status checks database and standby';

-- The detail of status check database: the primary, a standby, or a
-- logical subscriber and its subscriptions.
CREATE FUNCTION @extschema@._database_detail() RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN pg_is_in_recovery() THEN 'answers (a standby, read-only)'
                WHEN count(*) = 0 THEN 'answers (the primary)'
                ELSE 'answers (a logical subscriber: ' || string_agg(s.detail, '; ' ORDER BY s.name) || ')' END
      FROM @extschema@._subscriptions() s
$$;
COMMENT ON FUNCTION @extschema@._database_detail() IS
    'Internal: the detail of status check database (the primary, a standby, or a logical subscriber with its subscriptions)';

REVOKE ALL ON FUNCTION @extschema@._subscriptions() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@._database_detail() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@._subscriptions(), @extschema@._database_detail() TO PUBLIC;

-- standby: on a standby, the WAL receiver is streaming and replay is at
-- most cla_eventlog.max_standby_lag behind (nothing to replay counts as no
-- lag, so an idle primary does not turn it red); a cut-off standby, whose
-- reports go stale, is red.  On a logical subscriber: every subscription
-- is enabled, its apply worker runs, its tables are ready and the
-- publisher's last message is at most cla_eventlog.max_standby_lag old.
-- On the primary: ok.
COMMENT ON FUNCTION @extschema@._check_standby() IS
    'Internal: status check standby: on a standby, the WAL receiver streams and replay is at most cla_eventlog.max_standby_lag behind; on a logical subscriber, every subscription is enabled, applying, synchronised and at most cla_eventlog.max_standby_lag behind; ok on the primary';

-- triggers: the extension's triggers are present and enabled (a disabled
-- trigger lets rows past the rules, or leaves backend caches stale), and
-- nothing else on the log or the timers can change, skip or redirect a row
-- before those rules see it (README "Status checks", check triggers): no
-- foreign BEFORE row trigger that is not disabled (pg_partman's
-- trigger-based partitioning fires before log_validate, alphabetically, and
-- stores the raw row elsewhere), no rule, no inheritance or partitioning
-- (inserts through a parent into its other partitions bypass the log's
-- triggers, and pg_dump does not keep the attachment; the event trigger
-- cla_eventlog_no_inheritance refuses it, see 78_replication.sql).  Other
-- foreign triggers are named in the detail.

COMMENT ON FUNCTION @extschema@._check_triggers() IS
    'Internal: status check triggers (the log''s and the registry''s triggers exist and are enabled; no foreign BEFORE row trigger, rule, inheritance or partitioning on the log or the timers)';

-- status(): the health probe.
COMMENT ON FUNCTION @extschema@.status() IS
    'Health probe: one row per check (database, library_version, registry, case_binding, denormalised_outcomes, billable_time, stale_timers, log_id_headroom, triggers, disk_space, standby) with ok and a detail; cheap (index lookups only). See the README for what each check means';

-- A procedure that commits after each batch (apply_retention, and
-- import_history below) refuses a transaction block first
-- (sql/parts/11_internal.sql).
CREATE FUNCTION @extschema@._require_own_transactions(what text) RETURNS void
    LANGUAGE c VOLATILE
    AS 'MODULE_PATHNAME', 'cel_require_own_transactions';
COMMENT ON FUNCTION @extschema@._require_own_transactions(text) IS
    'Internal: error 25001 when called inside a transaction block, for a procedure that commits after each batch';
REVOKE ALL ON FUNCTION @extschema@._require_own_transactions(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@._require_own_transactions(text) TO PUBLIC;

-- Issue 16, retention (README "Retention"; apply_retention() and its audit
-- retention_run are sql/parts/78_retention.sql, which follows this file):
-- log rows and timers leave through one path, _remove_history()
-- (sql/parts/75_erasure.sql), which erase_cases() now uses too (and erases
-- the cases' archived rows).
CREATE INDEX log_archive_case ON @extschema@.log_archive (case_id);
CREATE INDEX log_archive_timer ON @extschema@.log_archive (timer_id) WHERE timer_id IS NOT NULL;
COMMENT ON TABLE @extschema@.log_archive IS
    'Log rows moved out of the log by remove_duplicate_outcomes() and apply_retention(archive => true), whole, with who moved them, when and why; restore_archived_logs() puts them back';
COMMENT ON FUNCTION @extschema@._archive_logs(bigint[], text, text) IS
    'Internal: moves the given log rows into log_archive past the append-only guard; only remove_duplicate_outcomes() and _remove_history() call it';

---------------------------------------------------------------------------
-- _remove_history(log_ids, timer_ids, archive, who, reason): the one path
-- by which log rows and timers leave the extension, for erase_cases() and
-- apply_retention() (README "Retention").  The log rows are deleted, or
-- moved to log_archive with who and why (archive); then the given timers
-- are deleted, except one that a log row or an archived row still names
-- (the log's foreign key, and restore_archived_logs(), need it) or that a
-- concurrent writer holds (it is left for a later run).  Per case: how many
-- log rows and timers went.  The callers lock the cases whose state the
-- rows decide and write their own audit; the rows' cases are not repaired
-- here.
CREATE FUNCTION @extschema@._remove_history(log_ids bigint[], timer_ids bigint[], archive boolean,
                                            who text, reason text)
RETURNS TABLE (case_id bigint, log_rows bigint, timer_rows bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    log_cases bigint[];
    log_counts bigint[];
    locked bigint[];
    timer_cases bigint[];
    timer_counts bigint[];
BEGIN
    IF log_ids IS NOT NULL AND cardinality(log_ids) > 0 THEN
        SELECT array_agg(g.case_id ORDER BY g.case_id), array_agg(g.n ORDER BY g.case_id)
          INTO log_cases, log_counts
          FROM (SELECT l.case_id, count(*) AS n FROM @extschema@.log l
                 WHERE l.id = ANY (log_ids) GROUP BY l.case_id) g;
        IF archive THEN
            PERFORM @extschema@._archive_logs(log_ids, who, reason);
        ELSE
            PERFORM @extschema@._delete_logs(log_ids);
        END IF;
    END IF;
    IF timer_ids IS NOT NULL AND cardinality(timer_ids) > 0 THEN
        -- A writer naming one of these timers in a new log row holds it
        -- (its foreign-key check): skip it.  Locked, a timer cannot gain a
        -- log row before this transaction ends, so the next statement's
        -- check that none names it holds until the DELETE.
        SELECT array_agg(t.id) INTO locked
          FROM (SELECT t.id FROM @extschema@.timer t WHERE t.id = ANY (timer_ids)
                 ORDER BY t.id FOR UPDATE SKIP LOCKED) t;
        WITH gone AS (
            DELETE FROM @extschema@.timer t
             WHERE t.id = ANY (locked)
               AND NOT EXISTS (SELECT 1 FROM @extschema@.log l WHERE l.timer_id = t.id)
               AND NOT EXISTS (SELECT 1 FROM @extschema@.log_archive a WHERE a.timer_id = t.id)
            RETURNING t.linked_case)
        SELECT array_agg(g.linked_case ORDER BY g.linked_case), array_agg(g.n ORDER BY g.linked_case)
          INTO timer_cases, timer_counts
          FROM (SELECT gone.linked_case, count(*) AS n FROM gone GROUP BY gone.linked_case) g;
    END IF;
    RETURN QUERY
        SELECT u.id, sum(u.l)::bigint, sum(u.t)::bigint
          FROM (SELECT l.id, l.n, 0 FROM unnest(log_cases, log_counts) l(id, n)
                UNION ALL
                SELECT t.id, 0, t.n FROM unnest(timer_cases, timer_counts) t(id, n)) u(id, l, t)
         GROUP BY u.id ORDER BY u.id;
END
$$;
COMMENT ON FUNCTION @extschema@._remove_history(bigint[], bigint[], boolean, text, text) IS
    'Internal: deletes (or, archive, moves to log_archive) the given log rows, then deletes the given timers that no log or archived row names; per case the rows that went. The one path of erase_cases() and apply_retention()';

COMMENT ON FUNCTION @extschema@.erase_cases(bigint[], text) IS
    'Deletes the given cases'' log rows (also those in log_archive) and their timers, clears their outcome columns and records each case in cla_eventlog.erasure; the application then deletes the cases. For a role granted EXECUTE that holds DELETE on the case table';

---------------------------------------------------------------------------
-- Hot standby (issue 16): no subtransaction in the status probe or the
-- reports (README "Reports on a standby"): _iso_time() in C, status()
-- without exception blocks, its checks reporting what would fail them by
-- catalog lookups (_case_read_problem()); rebind_case_table() keeps
-- unchanged keys and takes ACCESS EXCLUSIVE only to replace one, last.
-- (sql/parts/60_mi.sql, 72_status.sql, 30_binding.sql).  status(), its
-- checks and rebind_case_table() are each defined once in this script, in
-- their final form, where they first appear above.
CREATE OR REPLACE FUNCTION @extschema@._iso_time(value text) RETURNS timestamptz
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'cel_iso_time';

-- 1.0 indexed CB1 rows only (log_cb1_requires_action_at); 1.1 indexes the
-- four callback codes, for mi_callback_progression too (sql/parts/60_mi.sql).
DROP INDEX @extschema@.log_cb1_requires_action_at;
-- Callback rows (CB1 to CB4) by the start of their callback window:
-- mi_callback_sla reads CB1 through it, mi_callback_progression all four.
-- The code is in the key, so a scan for CB1 alone skips the others in the
-- index.
CREATE INDEX log_callback_requires_action_at
    ON @extschema@.log (@extschema@._iso_time(context OPERATOR(pg_catalog.->>) 'requires_action_at'), code)
    WHERE code IN ('CB1', 'CB2', 'CB3', 'CB4');

CREATE FUNCTION @extschema@._case_read_problem() RETURNS text
LANGUAGE c STABLE
AS 'MODULE_PATHNAME', 'cel_case_read_problem';
COMMENT ON FUNCTION @extschema@._case_read_problem() IS
    'Internal: why _case_rows() would refuse to read the bound case table for the current user (the message of its error), NULL when it would read it; the same checks, raising nothing, for the status probe';
REVOKE ALL ON FUNCTION @extschema@._case_read_problem() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@._case_read_problem() TO PUBLIC;
