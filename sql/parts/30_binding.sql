-- Binding the application's case table (SPEC 3).
--
-- Binding adds foreign keys to the extension's log and timer tables, which
-- only their owner may alter: bind_case_table() runs as the extension's
-- owner (SECURITY DEFINER) so that an administrator role granted EXECUTE
-- can bind.  The caller must still hold REFERENCES on the case table, the
-- privilege PostgreSQL asks for a foreign key: "the caller" is the role the
-- session acts as (SET ROLE, else the session user), which a SECURITY
-- DEFINER function cannot change.

-- The foreign keys from the log and the timers to the bound case table,
-- (re)created from the stored binding.  bind_case_table() ends with it; after
-- pg_restore it is the one step to run by hand: pg_dump does not dump
-- constraints that were added to an extension's tables, so a restored
-- database has the binding but not its foreign keys (status check
-- case_binding says so).
CREATE FUNCTION @extschema@.rebind_case_table()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    b record;
BEGIN
    SELECT * INTO b FROM @extschema@.case_binding;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no case table is bound to cla_eventlog'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Call cla_eventlog.bind_case_table(''app.case_table'') once, as the extension''s administrator.';
    END IF;
    IF to_regclass(format('%I.%I', b.case_schema, b.case_table)) IS NULL THEN
        RAISE EXCEPTION 'bound case table %.% does not exist', quote_ident(b.case_schema), quote_ident(b.case_table)
            USING ERRCODE = 'undefined_table',
                  HINT = 'Bind the case table again with cla_eventlog.bind_case_table().';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_constraint k
                WHERE k.conrelid = '@extschema@.log'::regclass AND k.conname = 'log_case_fkey') THEN
        ALTER TABLE @extschema@.log DROP CONSTRAINT log_case_fkey;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_constraint k
                WHERE k.conrelid = '@extschema@.timer'::regclass AND k.conname = 'timer_linked_case_fkey') THEN
        ALTER TABLE @extschema@.timer DROP CONSTRAINT timer_linked_case_fkey;
    END IF;
    EXECUTE format('ALTER TABLE @extschema@.log ADD CONSTRAINT log_case_fkey'
                   ' FOREIGN KEY (case_id) REFERENCES %I.%I (%I)',
                   b.case_schema, b.case_table, b.columns ->> 'id');
    EXECUTE format('ALTER TABLE @extschema@.timer ADD CONSTRAINT timer_linked_case_fkey'
                   ' FOREIGN KEY (linked_case) REFERENCES %I.%I (%I)',
                   b.case_schema, b.case_table, b.columns ->> 'id');
END
$$;
COMMENT ON FUNCTION @extschema@.rebind_case_table() IS
    'Re-creates the log''s and timers'' foreign keys to the bound case table from the stored binding; run it after pg_restore (pg_dump does not dump them)';
REVOKE ALL ON FUNCTION @extschema@.rebind_case_table() FROM PUBLIC;

CREATE FUNCTION @extschema@.bind_case_table(case_table regclass, columns jsonb DEFAULT '{}')
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    -- role => (default column, allowed types)
    roles constant jsonb := '{
        "id":                   ["id",                   "integer"],
        "outcome_code":         ["outcome_code",         "text"],
        "outcome_code_id":      ["outcome_code_id",      "integer"],
        "level":                ["level",                "integer"],
        "requires_action_by":   ["requires_action_by",   "text"],
        "billable_time":        ["billable_time",        "number"],
        "modified":             ["modified",             "timestamp"],
        "source":               ["source",               "text"],
        "created":              ["created",              "timestamp"],
        "provider_viewed":      ["provider_viewed",      "timestamp"],
        "provider_accepted":    ["provider_accepted",    "timestamp"],
        "provider_closed":      ["provider_closed",      "timestamp"],
        "provider_assigned_at": ["provider_assigned_at", "timestamp"]
    }';
    kinds constant jsonb := '{
        "integer":   ["smallint", "integer", "bigint"],
        "number":    ["smallint", "integer", "bigint", "numeric"],
        "text":      ["text", "character varying", "character"],
        "timestamp": ["timestamp with time zone", "timestamp without time zone"]
    }';
    nsp text;
    rel text;
    role text;
    spec jsonb;
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

    SELECT string_agg(@extschema@._reg_quote(k), ', ') INTO bad
      FROM jsonb_object_keys(columns) k WHERE NOT roles ? k;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'unknown case-column role %', bad
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Roles: ' || (SELECT string_agg(k, ', ') FROM jsonb_object_keys(roles) k) || '.';
    END IF;

    FOR role, spec IN SELECT * FROM jsonb_each(roles) LOOP
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
        colname := CASE WHEN explicit THEN columns ->> role ELSE spec ->> 0 END;
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
        IF NOT (kinds -> (spec ->> 1)) ? coltype THEN
            RAISE EXCEPTION 'column "%" of case table % has unsuitable type %', colname, case_table, coltype
                USING ERRCODE = 'datatype_mismatch',
                      DETAIL = format('The case-column role "%s" needs one of: %s.', role,
                                      (SELECT string_agg(t, ', ') FROM jsonb_array_elements_text(kinds -> (spec ->> 1)) t));
        END IF;
        resolved := resolved || jsonb_build_object(role, colname);
    END LOOP;

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

-- Before a SECURITY DEFINER function reads the case table with dynamic SQL
-- (MI, status), it locks the table and checks it is still a table whose
-- bound columns have built-in types, so that nothing of the table owner's
-- making (a cast or operator of its own type, a view in the table's place)
-- runs with the extension owner's rights.
CREATE FUNCTION @extschema@._case_table_check(case_table text, columns text[]) RETURNS void
LANGUAGE c STABLE
AS 'MODULE_PATHNAME', 'cel_case_table_check';
COMMENT ON FUNCTION @extschema@._case_table_check(text, text[]) IS
    'Internal: locks the bound case table and checks it is a table whose given columns exist with built-in types (error otherwise)';
