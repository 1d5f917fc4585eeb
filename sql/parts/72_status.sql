-- The status probe (README "Status checks: what each check means"):
-- status(), status_json() and their checks.
--
-- Design rules:
--  * status() is a health probe: every check is a handful of index lookups
--    (never a scan of the log), and it runs as the extension's owner so a
--    monitoring role needs only EXECUTE (granted to pg_monitor).
--  * No subtransaction anywhere in the probe (no EXCEPTION block, here or
--    in what it calls): on a hot standby, a recovery conflict that arrives
--    inside one is escalated from a cancelled statement to a terminated
--    connection (README "Reports on a standby").  So no check may raise for
--    what it reports: each finds the condition that would make it fail (no
--    binding, a dropped table or column, ...) by catalog lookups first and
--    returns a red row saying so (for the case table: _case_read_problem(),
--    the checks of _case_rows() themselves).
--  * The two consistency checks sample the 100 most recently logged cases
--    (from the newest log rows, read backwards through the primary key) and
--    the cases of the 100 newest timers, and compare them with
--    _case_mismatches() (70_consistency.sql), the comparison verify() runs
--    over every case.


-- The cases a status check samples: the 100 most recently logged cases
-- (newest log rows first, read backwards through the primary key) and the
-- linked cases of the 100 newest timers.
CREATE FUNCTION @extschema@._status_sample() RETURNS bigint[]
LANGUAGE sql STABLE
AS $$
    SELECT COALESCE(pg_catalog.array_agg(DISTINCT s.case_id ORDER BY s.case_id), '{}')
      FROM ((SELECT r.case_id
               FROM (SELECT l.case_id, l.id FROM @extschema@.log l ORDER BY l.id DESC LIMIT 1000) r
              GROUP BY r.case_id
              ORDER BY pg_catalog.max(r.id) DESC LIMIT 100)
            UNION ALL
            (SELECT t.linked_case FROM @extschema@.timer t
              WHERE t.linked_case IS NOT NULL ORDER BY t.id DESC LIMIT 100)) AS s(case_id)
$$;
COMMENT ON FUNCTION @extschema@._status_sample() IS
    'Internal: the case ids the status checks sample (recently logged cases, cases of recent timers)';

-- Why _case_rows() (30_binding.sql, src/binding.c) would refuse to read the
-- bound case table for the current user, with the message of its error;
-- NULL when it can read it.  The same C checks as _case_rows(), returning
-- the problem instead of raising it, so the status probe can report it
-- without catching an error (no subtransaction).
CREATE FUNCTION @extschema@._case_read_problem() RETURNS text
LANGUAGE c STABLE
AS 'MODULE_PATHNAME', 'cel_case_read_problem';
COMMENT ON FUNCTION @extschema@._case_read_problem() IS
    'Internal: why _case_rows() would refuse to read the bound case table for the current user (the message of its error), NULL when it would read it; the same checks, raising nothing, for the status probe';

---------------------------------------------------------------------------
-- The checks of status(), one function each: (ok, detail).  No check
-- raises an error for the condition it reports (see the header).

-- library_version: the loaded C library is the installed SQL version.
CREATE FUNCTION @extschema@._check_library_version(OUT ok boolean, OUT detail text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_sql text;
    v_lib text;
BEGIN
    SELECT e.extversion INTO v_sql FROM pg_extension e WHERE e.extname = 'cla_eventlog';
    v_lib := @extschema@.library_version();
    ok := v_lib IS NOT DISTINCT FROM v_sql;
    detail := format('library %s, SQL objects %s', v_lib, v_sql);
    IF NOT ok THEN
        detail := detail || '; install the matching library (make install) or ALTER EXTENSION cla_eventlog UPDATE, then reconnect';
    END IF;
END
$$;

-- registry: at least one live code.
CREATE FUNCTION @extschema@._check_registry(OUT ok boolean, OUT detail text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n_events bigint;
    n_live bigint;
    n_retired bigint;
BEGIN
    SELECT count(*) INTO n_events FROM @extschema@.event;
    SELECT count(*) FILTER (WHERE NOT c.retired), count(*) FILTER (WHERE c.retired)
      INTO n_live, n_retired FROM @extschema@.code c;
    ok := n_live > 0;
    detail := format('%s events, %s live codes, %s retired codes', n_events, n_live, n_retired);
    IF NOT ok THEN
        detail := detail || '; register events with cla_eventlog.register_event() or cla_eventlog.autodiscover()';
    END IF;
END
$$;

-- case_binding: bound; the table and every bound column exist with a
-- suitable type; the log's and timers' foreign keys point at it.
CREATE FUNCTION @extschema@._check_case_binding(OUT ok boolean, OUT detail text)
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

-- denormalised_outcomes and billable_time: the sampled recent cases agree
-- with their latest HIGH outcome log, or with their timers.
CREATE FUNCTION @extschema@._check_sampled_cases(check_name text, OUT ok boolean, OUT detail text)
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

-- stale_timers: no timer running longer than cla_eventlog.stale_timer_after.
-- Reads running timers only (partial index timer_one_running_per_user).
CREATE FUNCTION @extschema@._check_stale_timers(OUT ok boolean, OUT detail text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    -- the setting reads "12h", "90s", "1d"; taken as seconds, so a day is
    -- 24 hours also across a DST change, and shown as the setting reads
    setting constant text := COALESCE(NULLIF(current_setting('cla_eventlog.stale_timer_after', true), ''), '12h');
    after constant interval := make_interval(secs => EXTRACT(EPOCH FROM setting::interval));
    n_running bigint;
    n_stale bigint;
    stale_list text;
BEGIN
    SELECT count(*), count(*) FILTER (WHERE t.created < now() - after)
      INTO n_running, n_stale
      FROM @extschema@.timer t WHERE t.stopped IS NULL;
    SELECT string_agg(format('timer %s of user %s', s.id, s.created_by), ', ' ORDER BY s.created, s.id)
      INTO stale_list
      FROM (SELECT t.id, t.created_by, t.created FROM @extschema@.timer t
             WHERE t.stopped IS NULL AND t.created < now() - after
             ORDER BY t.created, t.id LIMIT 5) s;
    ok := n_stale = 0;
    detail := CASE WHEN ok
                   THEN format('no timer has run longer than %s (%s running)', setting, n_running)
                   ELSE format('%s of %s running timers have run longer than %s: %s%s; stop or cancel them',
                               n_stale, n_running, setting, stale_list,
                               CASE WHEN n_stale > 5 THEN ', ...' ELSE '' END)
              END;
END
$$;

-- log_id_headroom: the log's ids still fit the narrowest bound column that
-- holds one (the case's outcome_code_id; Django makes it integer): red from
-- 90 % of that column's largest value, long before a HIGH outcome fails
-- with "integer out of range".
-- The logical subscriptions of this database (README "A logical copy"):
-- each one's state, the tables it has synchronised, and how long ago the
-- publisher's last message was sent (how far behind it is at most; the
-- exact WAL distance is the publisher's confirmed_flush_lsn).  ok: enabled,
-- its apply worker running, every table ready, and that message at most
-- cla_eventlog.max_standby_lag old (an idle publisher sends one at least
-- every wal_sender_timeout / 2).  Reads only the columns of
-- pg_subscription that every role may read, so a pg_monitor probe gets it.
CREATE FUNCTION @extschema@._subscriptions()
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

-- standby: on a standby, the WAL receiver is streaming and replay is at
-- most cla_eventlog.max_standby_lag behind (nothing to replay counts as no
-- lag, so an idle primary does not turn it red); a cut-off standby, whose
-- reports go stale, is red.  On a logical subscriber: every subscription
-- is enabled, its apply worker runs, its tables are ready and the
-- publisher's last message is at most cla_eventlog.max_standby_lag old.
-- On the primary: ok.
CREATE FUNCTION @extschema@._check_standby(OUT ok boolean, OUT detail text)
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
CREATE FUNCTION @extschema@._check_triggers(OUT ok boolean, OUT detail text)
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

COMMENT ON FUNCTION @extschema@._check_library_version() IS
    'Internal: status check library_version (the C library and the SQL objects are the same version)';
COMMENT ON FUNCTION @extschema@._check_registry() IS
    'Internal: status check registry (at least one live code)';
COMMENT ON FUNCTION @extschema@._check_case_binding() IS
    'Internal: status check case_binding (bound, columns exist with suitable types, foreign keys in place)';
COMMENT ON FUNCTION @extschema@._check_sampled_cases(text) IS
    'Internal: status checks denormalised_outcomes and billable_time over the sampled recent cases';
COMMENT ON FUNCTION @extschema@._check_stale_timers() IS
    'Internal: status check stale_timers (no timer running longer than cla_eventlog.stale_timer_after)';
COMMENT ON FUNCTION @extschema@._check_log_id_headroom() IS
    'Internal: status check log_id_headroom (the log id sequence is below 90 % of the largest value of the bound outcome_code_id column)';
COMMENT ON FUNCTION @extschema@._check_triggers() IS
    'Internal: status check triggers (the log''s and the registry''s triggers exist and are enabled; no foreign BEFORE row trigger, rule, inheritance or partitioning on the log or the timers)';

---------------------------------------------------------------------------
-- status(): the health probe.
CREATE FUNCTION @extschema@.status()
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
REVOKE ALL ON FUNCTION @extschema@.status() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.status() TO pg_monitor;
-- A monitoring role must be able to name the probe; the tables stay private.
GRANT USAGE ON SCHEMA @extschema@ TO pg_monitor;

CREATE FUNCTION @extschema@.status_json() RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
               'ok', bool_and(s.ok),
               'checks', jsonb_object_agg(s.check_name, jsonb_build_object('ok', s.ok, 'detail', s.detail)))
      FROM @extschema@.status() s
$$;
COMMENT ON FUNCTION @extschema@.status_json() IS
    'status() as one JSON document: {"ok": every check ok, "checks": {name: {"ok": ..., "detail": ...}}}';
REVOKE ALL ON FUNCTION @extschema@.status_json() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.status_json() TO pg_monitor;

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
