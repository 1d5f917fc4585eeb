-- Binding the application's case table (README "Case binding").
--
-- Binding adds foreign keys to the extension's log and timer tables, which
-- only their owner may alter: bind_case_table() runs as the extension's
-- owner (SECURITY DEFINER) so that an administrator role granted EXECUTE
-- can bind.  The caller must still hold REFERENCES on the case table, the
-- privilege PostgreSQL asks for a foreign key: "the caller" is the role the
-- session acts as (SET ROLE, else the session user), which a SECURITY
-- DEFINER function cannot change.

-- The case-column roles and the column types each accepts: role => the
-- accepted types (as format_type() names them).  A role's default column
-- has the role's name.  bind_case_table() binds by it and status check
-- case_binding (72_status.sql) checks the binding against it.
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

-- The binding, or the error that there is none: every function that needs
-- a bound case table starts with it.
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

-- The foreign keys from the log and the timers to the bound case table,
-- (re)created from the stored binding.  bind_case_table() ends with it; after
-- pg_restore it is the one step to run by hand: pg_dump does not dump
-- constraints that were added to an extension's tables, so a restored
-- database has the binding but not its foreign keys (status check
-- case_binding says so).
--
-- A key that is already as it would be made (from the same column, to the
-- bound table's id column, NO ACTION, MATCH SIMPLE, not deferrable) is kept:
-- nothing is locked, dropped or re-checked, so rebinding an unchanged
-- binding takes no lock a hot standby replays (README "Case binding").  A
-- key that must be made is added NOT VALID, which takes SHARE ROW EXCLUSIVE
-- on both tables (writers wait, readers do not; a standby does not replay
-- it).  Only a key that must be replaced is dropped, and that takes ACCESS
-- EXCLUSIVE on the log or the timers and on the old referenced table, which
-- a standby replays: so the new key is added first under a temporary name
-- and checked, and the old one dropped and the new one renamed last, just
-- before the transaction ends.  Keys stay NOT VALID rather than going
-- through VALIDATE CONSTRAINT: PostgreSQL would validate with a query on
-- the case table planned as the caller (the extension's owner, a
-- superuser), and planning loads the table's index expressions, which may
-- run the table owner's code.  The existing rows are
-- checked instead through _case_rows(), as the table's owner; a log or timer
-- row whose case is missing is an error, as validation would be.  New rows
-- are checked by the key whether it is validated or not.
CREATE FUNCTION @extschema@.rebind_case_table()
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
REVOKE ALL ON FUNCTION @extschema@.rebind_case_table() FROM PUBLIC;

CREATE FUNCTION @extschema@.bind_case_table(case_table regclass, columns jsonb DEFAULT '{}')
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
REVOKE ALL ON FUNCTION @extschema@.bind_case_table(regclass, jsonb) FROM PUBLIC;

-- The current binding, readable.
CREATE VIEW @extschema@.case_binding_columns AS
SELECT b.case_schema, b.case_table, r.key AS role, r.value AS column_name
  FROM @extschema@.case_binding b, jsonb_each_text(b.columns) r;
COMMENT ON VIEW @extschema@.case_binding_columns IS
    'The bound case table and the column of each active case-column role';

-- The case table, read and written as its owner (src/binding.c): MI,
-- status, verify() and repair_cases() use these instead of SQL on the
-- table, so nothing its owner attached to it (index expressions, CHECK
-- constraints, triggers) ever runs with more rights than the owner's,
-- whichever role calls them.  Each does only what the calling role could do
-- itself: it checks the caller's SELECT (and UPDATE) on the table and
-- refuses a caller that row-level security would restrict.
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

-- The bound case row as JSON, for code resolvers and set_requires_action_by
-- functions (they decide on the case, whatever the application's table is).
CREATE FUNCTION @extschema@.bound_case(case_id bigint) RETURNS jsonb
LANGUAGE c STABLE
AS 'MODULE_PATHNAME', 'cel_bound_case';
COMMENT ON FUNCTION @extschema@.bound_case(bigint) IS
    'The bound case table''s row of the case as JSON (column name => value), NULL when there is none; read as the table''s owner for a caller with SELECT on it. For code resolvers and set_requires_action_by functions';
