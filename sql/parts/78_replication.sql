-- A logical copy and the rules that nothing bypasses (README "A logical
-- copy"): the switchover step that moves the extension's sequences past
-- the replicated data, and the event trigger that keeps the log and the
-- timers tables of their own.
--
-- Design rules:
--  * Logical replication copies rows, not sequences: on a subscriber the
--    sequences stay where CREATE EXTENSION left them, and the first
--    log_event() after a switchover would collide with a replicated id.
--    sync_sequences() sets each one to the largest value its data holds
--    (never backwards).  The one list of the extension's sequences and the
--    columns they fill is here.
--  * The log and the timers are never a partition, an inheritance child or
--    parent: rows inserted through a parent into its other partitions
--    bypass the log's triggers, rows of a child are read as the log's
--    without having been checked, and pg_dump does not keep an attachment
--    to an extension's table.  The event trigger refuses the DDL; status
--    check triggers reports it if the event trigger was disabled meanwhile.

-- sync_sequences(): the switchover step.  Each extension sequence is set
-- past the largest value of the columns it fills (log ids also live in
-- log_archive), so the next nextval() issues a new one.
CREATE FUNCTION @extschema@.sync_sequences()
RETURNS TABLE(sequence_name text, data_max bigint, last_value bigint)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    seq text;
    query text;
    sub text;
    prev bigint;
BEGIN
    SELECT s.name INTO sub FROM @extschema@._subscriptions() s
      JOIN pg_subscription p ON p.subname = s.name AND p.subenabled
     ORDER BY s.name LIMIT 1;
    IF sub IS NOT NULL THEN
        RAISE WARNING 'subscription "%" is still enabled', sub
            USING DETAIL = 'Rows it applies after this call may carry ids past the values set now.',
                  HINT = 'At a switchover, stop the writers on the publisher, wait until the subscriber has caught up, drop the subscription, then call cla_eventlog.sync_sequences().';
    END IF;
    FOR seq, query IN VALUES
        ('log_id_seq', 'SELECT greatest((SELECT max(l.id) FROM @extschema@.log l), (SELECT max(a.id) FROM @extschema@.log_archive a))'),
        ('timer_id_seq', 'SELECT max(t.id) FROM @extschema@.timer t'),
        ('code_reg_order_seq', 'SELECT max(c.reg_order) FROM @extschema@.code c'),
        ('erasure_id_seq', 'SELECT max(e.id) FROM @extschema@.erasure e'),
        ('log_change_id_seq', 'SELECT max(c.id) FROM @extschema@.log_change c'),
        ('import_run_id_seq', 'SELECT max(r.id) FROM @extschema@.import_run r'),
        ('retention_run_id_seq', 'SELECT max(r.id) FROM @extschema@.retention_run r')
    LOOP
        sequence_name := '@extschema@.' || seq;
        EXECUTE query INTO data_max;
        prev := pg_sequence_last_value(sequence_name::regclass);
        last_value := greatest(data_max, prev);
        IF last_value IS NOT NULL AND last_value IS DISTINCT FROM prev THEN
            PERFORM setval(sequence_name::regclass, last_value, true);
        END IF;
        RETURN NEXT;
    END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@.sync_sequences() IS
    'Switchover step of a logical copy: sets each of the extension''s sequences to the largest value its replicated data holds (never backwards), so the new writer''s log_event() and timers issue new ids; returns each sequence, its data''s maximum and its value now';
REVOKE ALL ON FUNCTION @extschema@.sync_sequences() FROM PUBLIC;

-- The event trigger: after any ALTER TABLE or CREATE TABLE, the log and
-- the timers must still have no pg_inherits row (ATTACH PARTITION, INHERIT,
-- CREATE TABLE ... INHERITS / PARTITION OF).  Enabled ALWAYS, so a session
-- with session_replication_role = replica is refused too.
CREATE FUNCTION @extschema@._no_inheritance() RETURNS event_trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    child regclass;
    parent regclass;
    ours regclass;
BEGIN
    -- by name through the catalogs, which every role may read: this runs
    -- for every role's DDL, also one without USAGE on the schema
    SELECT i.inhrelid::regclass, i.inhparent::regclass, c.oid::regclass
      INTO child, parent, ours
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_inherits i ON c.oid IN (i.inhrelid, i.inhparent)
     WHERE n.nspname = '@extschema@' AND c.relname IN ('log', 'timer')
     ORDER BY c.relname
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'table "%" cannot be a partition, an inheritance child or an inheritance parent', ours
            USING ERRCODE = 'invalid_table_definition',
                  DETAIL = format('%s would make "%s" a child of "%s": %s', tg_tag, child, parent,
                                  CASE WHEN child = ours
                                       THEN format('rows inserted through "%s" into its other tables would bypass the rules of "%s", and pg_dump does not keep the attachment.', parent, ours)
                                       ELSE format('the rows of "%s" would be read as rows of "%s" without having passed its rules.', child, ours) END),
                  HINT = 'Keep the extension''s tables on their own; to keep the log small, see README "A logical copy" (partitioning and archiving).';
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@._no_inheritance() IS
    'Internal: event trigger function refusing DDL that makes the log or the timers a partition, an inheritance child or parent';
CREATE EVENT TRIGGER cla_eventlog_no_inheritance ON ddl_command_end
    WHEN TAG IN ('ALTER TABLE', 'CREATE TABLE')
    EXECUTE FUNCTION @extschema@._no_inheritance();
ALTER EVENT TRIGGER cla_eventlog_no_inheritance ENABLE ALWAYS;
COMMENT ON EVENT TRIGGER cla_eventlog_no_inheritance IS
    'Refuses ALTER TABLE ... ATTACH PARTITION / INHERIT and CREATE TABLE ... INHERITS that would make cla_eventlog.log or cla_eventlog.timer a partition, an inheritance child or parent (README "A logical copy")';
