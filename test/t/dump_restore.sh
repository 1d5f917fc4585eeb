#!/usr/bin/env bash
# dump_restore: a database in use — registry with a retired code, logs of
# many codes, running, stopped and cancelled timers, the bound case table —
# goes through pg_dump and comes back identical (README "Backup, restore and upgrade"), three ways:
# pg_dump -Fc | pg_restore, pg_restore -j 3 (the extension's own tables
# loaded serially, see below), and a plain dump through psql.
#
# What it shows:
#  * the log is loaded as it was: rows of a retired code, rows the
#    triggers would skip today (once_per, debounce) and rows whose case
#    table is restored after the log all come back, and loading them
#    changes no case and no timer (the log triggers stand aside for a
#    dump's COPY, see cel_loading_dump());
#  * codes, roles, events, log, timers, binding, retention runs and case table have the same
#    counts and md5 checksums; the sequences continue after the restore;
#  * pg_dump does not dump the foreign keys bind_case_table() added to the
#    extension's tables: status() says so after the restore and
#    rebind_case_table() puts them back (the one post-restore step);
#  * logging goes on in the restored database: a new id above every restored
#    one, a stops_timer code stops a restored running timer, the case shows
#    the new outcome and billable time.
#
# Run by test/run.sh with PGHOST, PGPORT and PGUSER set; exits 0 on success.
set -euo pipefail

top=${CEL_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
bindir=$(pg_config --bindir)
src=cel_dump_restore_src
dsts=(cel_dump_restore_fc cel_dump_restore_j cel_dump_restore_plain)
tmp=$(mktemp -d /tmp/cel_dump_restore.XXXXXX)

psql_() { "$bindir/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }
cleanup() {
    rm -rf "$tmp"
    for db in "$src" "${dsts[@]}"; do "$bindir/dropdb" --if-exists "$db" 2>/dev/null || true; done
    "$bindir/psql" -X -q -d postgres -c "DROP ROLE IF EXISTS cel_dump_restore_app" 2>/dev/null || true
}
trap cleanup EXIT
cleanup
mkdir -p "$tmp"
"$bindir/createdb" "$src"

echo "== populating $src"
psql_ -d "$src" <<SQL
SET client_min_messages = warning;
CREATE EXTENSION cla_eventlog;
\i $top/test/fixtures/cla_reference.sql
SELECT cla_reference.register_events() \g /dev/null
SELECT cla_reference.bind() \g /dev/null
SELECT cla_eventlog.add_role('supervisor') \g /dev/null
INSERT INTO cla_reference.legalaid_case (id, source, created)
SELECT i, (ARRAY['WEB', 'PHONE', 'SMS', 'VOICEMAIL'])[1 + i % 4], now() - interval '3 days'
  FROM generate_series(1, 60) i;
SELECT setval('cla_reference.legalaid_case_id_seq', 60);

-- Users 1..6 work on cases 1..60: a timer each, a case viewed, a call, a
-- means test, an outcome that stops the timer.
DO \$\$
DECLARE
    c int;
    u int;
    outcomes text[] := ARRAY['DESP', 'DECL', 'NRES'];
    suspends text[] := ARRAY['INSUF', 'ABND', 'TERM', 'COPE', 'SAME'];
BEGIN
    FOR c IN 1..60 LOOP
        u := 1 + c % 6;
        PERFORM cla_eventlog.start_timer(u);
        PERFORM cla_eventlog.log_event('case', c, u, 'CASE_CREATED', acting_role => 'operator');
        PERFORM cla_eventlog.log_event('case', c, u, params => '{"status": "viewed"}', acting_role => 'operator');
        PERFORM cla_eventlog.log_event('case', c, u, 'CALL_STARTED', acting_role => 'operator');
        PERFORM cla_eventlog.log_event('means_test', c, u, params => '{"status": "passed"}');
        CASE c % 5
            WHEN 0 THEN
                PERFORM cla_eventlog.log_event('decline_help', c, u, outcomes[1 + c % 3], notes => 'declined ' || c, acting_role => 'operator');
            WHEN 1 THEN
                PERFORM cla_eventlog.log_event('suspend_case', c, u, suspends[1 + (c / 5) % 5], acting_role => 'operator');
            WHEN 2 THEN
                UPDATE cla_reference.legalaid_case SET callback_attempt = 0 WHERE id = c;
                PERFORM cla_eventlog.log_event('call_me_back', c, u, context => jsonb_build_object('requires_action_at', now() + interval '1 hour'), acting_role => 'operator');
                UPDATE cla_reference.legalaid_case SET callback_attempt = 1 WHERE id = c;
            WHEN 3 THEN
                PERFORM cla_eventlog.log_event('assign_to_provider', c, u, params => '{"is_manual": true}');
                PERFORM cla_eventlog.log_event('accept_case', c, 100 + u, acting_role => 'specialist');
                PERFORM cla_eventlog.log_event('close_case', c, 100 + u, params => '{"drefer": false}', acting_role => 'specialist');
                -- a timer started for nothing and cancelled
                PERFORM cla_eventlog.start_timer(u);
                PERFORM cla_eventlog.cancel_timer(u);
            ELSE
                PERFORM cla_eventlog.log_event('alternative_help', c, u, 'IRKB', notes => 'knowledge base', acting_role => 'operator');
        END CASE;
    END LOOP;
END
\$\$;

-- Timers left running (users 7 and 8), one with a log on case 5.
SELECT cla_eventlog.start_timer(7) \g /dev/null
SELECT cla_eventlog.log_event('case', 5, 7, 'CASE_VIEWED', acting_role => 'operator') \g /dev/null
SELECT cla_eventlog.start_timer(8) \g /dev/null

-- A complaint referring to another object (content_type/object_id).
SELECT cla_eventlog.log_event('complaint', 7, 3, 'COMPLAINT_CREATED', content_type => 'complaint', object_id => 77) \g /dev/null

-- Rows the triggers would skip if they saw them again: the debounce is off
-- for this session, so the same HIGH outcome twice with the same notes.
SET cla_eventlog.debounce_outcomes = off;
SELECT cla_eventlog.log_event('suspend_case', 11, 2, 'TERM', notes => 'twice') \g /dev/null
SELECT cla_eventlog.log_event('suspend_case', 11, 2, 'TERM', notes => 'twice') \g /dev/null
RESET cla_eventlog.debounce_outcomes;

-- Retire a code that has logs: re-register change_category without
-- CATEGORY_CHANGED, after logging it.
SELECT cla_eventlog.register_event('change_category', '{
    "CATEGORY_CHANGED": {"type": "system", "level": 29, "selectable_by": [], "description": "Category of law changed", "stops_timer": false},
    "CATEGORY_CHECKED": {"type": "system", "level": 11, "selectable_by": ["supervisor"], "description": "Category checked", "stops_timer": false}}') \g /dev/null
SELECT cla_eventlog.log_event('change_category', c, 1, 'CATEGORY_CHANGED') FROM generate_series(1, 9) c \g /dev/null
SELECT cla_eventlog.register_event('change_category', '{
    "CATEGORY_CHECKED": {"type": "system", "level": 11, "selectable_by": ["supervisor"], "description": "Category checked", "stops_timer": false}}') \g /dev/null

-- A retention run: nothing is older than its cutoff, but it is audited
-- in retention_run, which comes back too.
SET client_min_messages = warning;
CALL cla_eventlog.apply_retention('2000-01-01', reason => 'before the dump');
RESET client_min_messages;
SQL

# What is compared: name, then a query giving "count md5" of the rows in a
# fixed order.
checks=(
  "codes|SELECT count(*) || ' ' || md5(string_agg(c::text, '|' ORDER BY c.event_key, c.code)) FROM cla_eventlog.codes c"
  "roles|SELECT count(*) || ' ' || md5(string_agg(r::text, '|' ORDER BY r.name)) FROM cla_eventlog.role r"
  "events|SELECT count(*) || ' ' || md5(string_agg(e::text, '|' ORDER BY e.key)) FROM cla_eventlog.event e"
  "code catalog|SELECT count(*) || ' ' || md5(string_agg(c::text, '|' ORDER BY c.event_key, c.code)) FROM cla_eventlog.code c"
  "log|SELECT count(*) || ' ' || md5(string_agg(l::text, '|' ORDER BY l.id)) FROM cla_eventlog.log l"
  "timers|SELECT count(*) || ' ' || md5(string_agg(t::text, '|' ORDER BY t.id)) FROM cla_eventlog.timer t"
  "case_binding|SELECT count(*) || ' ' || md5(string_agg(b::text, '|')) FROM cla_eventlog.case_binding b"
  "retention runs|SELECT count(*) || ' ' || md5(string_agg(r::text, '|' ORDER BY r.id)) FROM cla_eventlog.retention_run r"
  "case table|SELECT count(*) || ' ' || md5(string_agg(c::text, '|' ORDER BY c.id)) FROM cla_reference.legalaid_case c"
  "sequences|SELECT string_agg(s.sequencename || '=' || COALESCE(s.last_value::text, 'unset'), ' ' ORDER BY s.sequencename) FROM pg_sequences s WHERE s.schemaname IN ('cla_eventlog', 'cla_reference')"
  "verify|SELECT count(*) FROM cla_eventlog.verify()"
)

echo "== source database"
psql_ -d "$src" -At -c "SELECT (SELECT count(*) FROM cla_eventlog.log) || ' log rows of '
    || (SELECT count(DISTINCT (event_key, code)) FROM cla_eventlog.log) || ' codes, '
    || (SELECT count(*) FROM cla_eventlog.log l JOIN cla_eventlog.code c USING (event_key, code) WHERE c.retired) || ' of a retired code; timers: '
    || (SELECT string_agg(n || ' ' || state, ', ' ORDER BY state) FROM (SELECT state, count(*) n FROM cla_eventlog.mi_timers GROUP BY state) s)" | sed 's/^/   /'
declare -A want
for chk in "${checks[@]}"; do
    want[${chk%%|*}]=$(psql_ -d "$src" -At -c "${chk#*|}")
done
if [ "${want[verify]}" != 0 ]; then echo "   the source database itself fails verify()"; exit 1; fi

echo "== dumping"
"$bindir/pg_dump" -Fc -f "$tmp/db.dump" "$src"
"$bindir/pg_dump" -Fp -f "$tmp/db.sql" "$src"

echo "== restoring"
for db in "${dsts[@]}"; do "$bindir/createdb" "$db"; done
"$bindir/pg_restore" --exit-on-error -d cel_dump_restore_fc "$tmp/db.dump"
# pg_restore -j loads tables in parallel, also the extension's tables,
# whose foreign keys to each other (code -> event, log -> timer) exist from
# CREATE EXTENSION: their data must be loaded serially, after the rest.
"$bindir/pg_restore" -l "$tmp/db.dump" > "$tmp/all.list"
grep -E ' TABLE DATA cla_eventlog ' "$tmp/all.list" > "$tmp/ext_data.list"
grep -vE ' TABLE DATA cla_eventlog ' "$tmp/all.list" > "$tmp/rest.list"
"$bindir/pg_restore" --exit-on-error -j 3 -L "$tmp/rest.list" -d cel_dump_restore_j "$tmp/db.dump"
"$bindir/pg_restore" --exit-on-error -L "$tmp/ext_data.list" -d cel_dump_restore_j "$tmp/db.dump"
psql_ -d cel_dump_restore_plain -f "$tmp/db.sql" >/dev/null

failed=0
compared=0
for db in "${dsts[@]}"; do
    echo "== $db"
    for chk in "${checks[@]}"; do
        name=${chk%%|*}
        got=$(psql_ -d "$db" -At -c "${chk#*|}")
        compared=$((compared + 1))
        if [ "$got" = "${want[$name]}" ]; then
            printf '   %-13s %s\n' "$name" "$got"
        else
            printf '   %-13s DIFFERENT: %s, source %s\n' "$name" "$got" "${want[$name]}"
            failed=1
        fi
    done
done

# The foreign keys bind_case_table() adds to the extension's tables are not
# dumped; the status check finds that, rebind_case_table() repairs it.
fkeys="SELECT count(*) FROM pg_constraint WHERE conname IN ('log_case_fkey', 'timer_linked_case_fkey')
         AND conrelid IN ('cla_eventlog.log'::regclass, 'cla_eventlog.timer'::regclass)
         AND confrelid = 'cla_reference.legalaid_case'::regclass"
for db in "${dsts[@]}"; do
    echo "== $db: foreign keys to the case table"
    before=$(psql_ -d "$db" -At -c "$fkeys")
    status_before=$(psql_ -d "$db" -At -c "SELECT ok FROM cla_eventlog.status() WHERE check_name = 'case_binding'")
    psql_ -d "$db" -c "SELECT cla_eventlog.rebind_case_table()" >/dev/null
    after=$(psql_ -d "$db" -At -c "$fkeys")
    echo "   after the restore: $before (status case_binding ok: $status_before); after rebind_case_table(): $after"
    if [ "$before" = 2 ]; then
        echo "   (pg_dump kept them: rebind_case_table() is then a no-op)"
    elif [ "$status_before" != f ]; then
        echo "   -> status() did not notice the missing foreign keys"; failed=1
    fi
    [ "$after" = 2 ] || { echo "   -> rebind_case_table() did not create them"; failed=1; }
done

for db in "${dsts[@]}"; do
    echo "== $db: health and logging after the restore"
    # every check but stale_timers (nothing is stale here) must be ok
    notok=$(psql_ -d "$db" -At -c "SELECT string_agg(check_name || ': ' || detail, '; ') FROM cla_eventlog.status() WHERE NOT ok")
    if [ -n "$notok" ]; then echo "   status not ok: $notok"; failed=1; else echo "   status(): every check ok"; fi

    out=$(psql_ -d "$db" -At <<'SQL'
-- a new log id above every restored one
SELECT (SELECT max(id) FROM cla_eventlog.log) AS max_before \gset
SELECT cla_eventlog.log_event('means_test', 5, 7, 'MT_CHANGED') AS new_id \gset
SELECT 'new id above restored: ' || (:new_id > :max_before);
-- a stops_timer code stops user 7's restored running timer and the case
-- shows the outcome, its id and the billable time
SELECT id AS timer7 FROM cla_eventlog.current_timer(7) \gset
SELECT cla_eventlog.log_event('decline_help', 5, 7, 'DECL', notes => 'after restore', acting_role => 'operator') AS outcome_id \gset
SELECT 'timer stopped: ' || (t.stopped IS NOT NULL AND NOT t.cancelled AND t.linked_case = 5) FROM cla_eventlog.timer t WHERE t.id = :timer7;
SELECT 'case shows outcome: ' || (c.outcome_code = 'DECL' AND c.outcome_code_id = :outcome_id)
    || ', billable time agrees: ' || (c.billable_time = (SELECT sum(ceil(extract(epoch FROM t.stopped - t.created))) FROM cla_eventlog.timer t WHERE t.linked_case = 5 AND t.stopped IS NOT NULL AND NOT t.cancelled))
  FROM cla_reference.legalaid_case c WHERE c.id = 5;
-- the retired code stays refused, the new timer id continues
SELECT 'new timer id above restored: ' || ((cla_eventlog.start_timer(9)).id > (SELECT max(id) FROM cla_eventlog.timer WHERE created_by <> 9));
SELECT 'verify rows: ' || count(*) FROM cla_eventlog.verify();
SQL
)
    echo "$out" | sed 's/^/   /'
    expect="new id above restored: true
timer stopped: true
case shows outcome: true, billable time agrees: true
new timer id above restored: true
verify rows: 0"
    [ "$out" = "$expect" ] || { echo "   -> unexpected"; failed=1; }
    if psql_ -d "$db" -c "SELECT cla_eventlog.log_event('change_category', 1, 1, 'CATEGORY_CHANGED')" >/dev/null 2>&1; then
        echo "   -> the retired code was accepted after the restore"; failed=1
    else
        echo "   retired code still refused"
    fi
done

# Standing aside is for a superuser's COPY in a session that loads a dump
# (check_function_bodies off) only: an application role doing the same, or a
# superuser's COPY with the default settings, is still checked.
db=${dsts[0]}
echo "== $db: COPY into the log outside a restore is still validated"
app=cel_dump_restore_app
psql_ -d "$db" <<SQL
SET client_min_messages = warning;
DROP ROLE IF EXISTS $app;
CREATE ROLE $app;
GRANT USAGE ON SCHEMA cla_eventlog TO $app;
GRANT INSERT ON cla_eventlog.log TO $app;
GRANT USAGE ON SEQUENCE cla_eventlog.log_id_seq TO $app;
SQL
copy_bad() {   # copy_bad SETUP: COPY a row of an unregistered event; prints the error
    psql_ -d "$db" 2>&1 >/dev/null <<SQL || true
$1
COPY cla_eventlog.log (case_id, event_key, code, created_by) FROM stdin;
1	no_such_event	NOPE	1
\.
SQL
}
for setup in "SET ROLE $app; SET check_function_bodies = off;" "SET check_function_bodies = on;"; do
    err=$(copy_bad "$setup")
    echo "   $setup -> ${err%%$'\n'*}"
    case $err in
        *'event "no_such_event" is not registered'*) ;;
        *) echo "   -> the row was not validated"; failed=1 ;;
    esac
done
psql_ -d "$db" -c "DROP OWNED BY $app" -c "DROP ROLE $app"

echo "== $compared comparisons over ${#dsts[@]} restores"
if [ "$failed" -ne 0 ]; then
    echo "FAILED: the restored database differs or does not work"
    exit 1
fi
echo "dump and restore lose nothing; logging continues after rebind_case_table()"
