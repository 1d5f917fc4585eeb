-- Compatibility views (README "Moving an existing cla_backend database"):
-- cla_eventlog_log and timer_timer, named and shaped as Django made them,
-- over the extension's log and timers, so that the service's report SQL
-- runs unchanged after the cutover.
--
-- The shape, column by column, is Django's (names, order, the varchar,
-- smallint and json types), with two choices a report cannot see:
-- * ids stay bigint, as in the extension, so that the log's indexes serve
--   a report's joins and filters (an integer cast would hide them); every
--   comparison with an integer and every printed value is the same;
-- * patch is shown as the service stored it, a JSON string literal of the
--   serialised patch (a report unwraps it with #>> '{}'), also for rows
--   logged after the cutover.
CREATE FUNCTION @extschema@.create_compat_views(target_schema text,
                                                content_types regclass DEFAULT NULL)
    RETURNS text[]
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    v       text;
    ct_join text;
    ct_id   text;
BEGIN
    IF target_schema IS NULL THEN
        RAISE EXCEPTION 'target_schema must not be null'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Name the schema the reports read, usually the one the Django tables were in.';
    END IF;
    IF to_regnamespace(quote_ident(target_schema)) IS NULL THEN
        RAISE EXCEPTION 'schema "%" does not exist', target_schema
            USING ERRCODE = 'invalid_schema_name', HINT = 'Create it first, or name an existing schema.';
    END IF;
    FOREACH v IN ARRAY ARRAY['cla_eventlog_log', 'timer_timer'] LOOP
        IF EXISTS (SELECT FROM pg_class c
                    WHERE c.oid = to_regclass(quote_ident(target_schema) || '.' || quote_ident(v))
                      AND c.relkind <> 'v') THEN
            RAISE EXCEPTION '%.% exists and is not a view', target_schema, v
                USING ERRCODE = 'duplicate_table',
                      HINT = pg_catalog.format('Move the Django table out of the way first, for example: ALTER TABLE %I.%I SET SCHEMA legacy;',
                                               target_schema, v);
        END IF;
    END LOOP;
    IF content_types IS NULL THEN
        ct_join := '';
        ct_id := 'NULL::integer';
    ELSE
        IF NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = content_types AND a.attname = 'app_label')
           OR NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = content_types AND a.attname = 'model') THEN
            RAISE EXCEPTION '% is not a django_content_type table', content_types
                USING ERRCODE = 'undefined_column', HINT = 'Name the table with columns id, app_label and model.';
        END IF;
        ct_join := format(' LEFT JOIN %s ct ON ct.app_label OPERATOR(pg_catalog.=) pg_catalog.split_part(l.content_type, ''.'', 1)'
                          ' AND ct.model OPERATOR(pg_catalog.=) pg_catalog.split_part(l.content_type, ''.'', 2)',
                          content_types);
        ct_id := 'ct.id';
    END IF;
    EXECUTE format($v$
        CREATE OR REPLACE VIEW %I.cla_eventlog_log AS
        SELECT l.id, l.created, l.modified, l.case_id, l.timer_id,
               l.code::pg_catalog.varchar AS code, l.type::pg_catalog.varchar AS type,
               l.level::pg_catalog.int2 AS level, l.created_by AS created_by_id, l.notes,
               CASE WHEN pg_catalog.jsonb_typeof(l.patch) OPERATOR(pg_catalog.=) 'string' THEN l.patch::pg_catalog.json
                    ELSE pg_catalog.to_json(l.patch::pg_catalog.text) END AS patch,
               l.context::pg_catalog.json AS context, %s AS content_type_id, l.object_id
          FROM @extschema@.log l%s
        $v$, target_schema, ct_id, ct_join);
    EXECUTE format($v$
        CREATE OR REPLACE VIEW %I.timer_timer AS
        SELECT t.id, t.created, t.modified, t.stopped, t.linked_case AS linked_case_id, t.cancelled,
               t.created_by AS created_by_id
          FROM @extschema@.timer t
        $v$, target_schema);
    EXECUTE format('COMMENT ON VIEW %I.cla_eventlog_log IS %L', target_schema,
                   'cla_backend''s cla_eventlog_log over cla_eventlog.log (cla_eventlog.create_compat_views()): Django''s columns; patch as the JSON string literal the service stored');
    EXECUTE format('COMMENT ON VIEW %I.timer_timer IS %L', target_schema,
                   'cla_backend''s timer_timer over cla_eventlog.timer (cla_eventlog.create_compat_views())');
    RETURN ARRAY[format('%I.cla_eventlog_log', target_schema), format('%I.timer_timer', target_schema)];
END
$$;
COMMENT ON FUNCTION @extschema@.create_compat_views(text, regclass) IS
    'Creates (or replaces) views cla_eventlog_log and timer_timer in target_schema, shaped like cla_backend''s Django tables, over the log and the timers; content_types maps content_type back to content_type_id; returns the views'' names';
