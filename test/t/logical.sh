#!/usr/bin/env bash
# logical: a logical copy and the rules that nothing bypasses (README "A
# logical copy", issue 16).  Three private clusters on private sockets: a
# primary (wal_level = logical), a logical subscriber and a streaming
# standby of the primary.  Runs the README's commands and checks:
#   1. the documented publication syncs with no manual step (the seeded
#      rows of role and opening_hours are not published), data match, and
#      INSERT, UPDATE and DELETE on the primary replicate;
#   2. a long-lived session on the subscriber sees a code registered, a
#      code retired (also by raw DML) and a role added on the primary (the
#      registry cache follows replicated rows);
#   3. status() on the subscriber names its subscription and is green; a
#      subscription further behind than cla_eventlog.max_standby_lag, or
#      disabled, turns check standby red; the streaming standby says it is
#      one;
#   4. switchover: without sync_sequences() the new writer's log_event()
#      collides (23505 on log_pkey); with it, logging, timers and
#      registering work and status() is green;
#   5. a pg_partman-shaped BEFORE trigger on the log turns check triggers
#      red (and really stored an unvalidated row); a rule too;
#   6. attaching the log as a partition, or inheriting from it, is refused
#      (42P16); with the event trigger disabled, check triggers is red.
# Ports: CEL_LOGICAL_PORT (default 55461) and the next two.  Exits 0 on
# success.
set -euo pipefail

top=${CEL_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
bindir=$(pg_config --bindir)
port=${CEL_LOGICAL_PORT:-55461}
sport=$((port + 1))
bport=$((port + 2))
work=$(mktemp -d /tmp/cel_logical.XXXXXX)
mkdir -p "$work/sock"
chown -R postgres: "$work"
as_pg() { su postgres -s /bin/sh -c "$*"; }
stop_all() {
    [ -n "${SUB_PID:-}" ] && kill "$SUB_PID" 2>/dev/null || true
    for d in "$work/standby" "$work/subscriber" "$work/primary"; do
        [ -f "$d/postmaster.pid" ] && as_pg "$bindir/pg_ctl -D '$d' -m immediate -w stop" >/dev/null 2>&1 || true
    done
    rm -rf "$work"
}
trap stop_all EXIT
psql_() { "$bindir/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$work/sock" -U postgres "$@"; }
pri() { psql_ -p "$port" -d app "$@"; }
sub() { psql_ -p "$sport" -d app "$@"; }
stb() { psql_ -p "$bport" -d app "$@"; }
fail=0
bad() { echo "FAILED: $*"; fail=1; }
expect() {   # expect WHAT GOT PATTERN: GOT must match the shell pattern
    # shellcheck disable=SC2254
    case $2 in $3) echo "   ok: $1" ;; *) bad "$1: got [$2]" ;; esac
}
wait_for() {   # wait_for SECONDS PSQLFUNC SQL: until SQL returns t
    local n=$(($1 * 4)) f=$2 q=$3
    for _ in $(seq 1 "$n"); do
        [ "$($f -c "$q" 2>/dev/null)" = t ] && return 0
        sleep 0.25
    done
    return 1
}

start_node() {   # start_node DIR PORT [extra conf]
    as_pg "$bindir/initdb -D '$work/$1' -A trust -U postgres --no-sync" > "$work/initdb_$1.log" 2>&1
    cat >> "$work/$1/postgresql.conf" <<CONF
listen_addresses = ''
port = $2
unix_socket_directories = '$work/sock'
fsync = off
wal_level = logical
max_wal_senders = 10
max_replication_slots = 10
wal_retrieve_retry_interval = '500ms'
$3
CONF
    as_pg "$bindir/pg_ctl -D '$work/$1' -l '$work/$1.log' -w start" 9>&- >/dev/null
    psql_ -p "$2" -d postgres -c 'CREATE DATABASE app' >/dev/null
}

# The application's schema and the binding, the same on both nodes (on the
# subscriber, before the subscription: README "A logical copy", step 2).
app_schema=$(cat <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION cla_eventlog;
CREATE TABLE public.legalaid_case (id bigint PRIMARY KEY, outcome_code text, outcome_code_id bigint,
    level int, requires_action_by text, billable_time int NOT NULL DEFAULT 0, modified timestamptz);
SELECT cla_eventlog.bind_case_table('public.legalaid_case') \g /dev/null
SQL
)

echo "$(date +%T) == primary on port $port, subscriber on $sport"
start_node primary "$port" ""
start_node subscriber "$sport" ""
pri <<< "$app_schema"
sub <<< "$app_schema"
pri > /dev/null <<'SQL'
SET client_min_messages = warning;
INSERT INTO legalaid_case (id) SELECT generate_series(1, 20);
SELECT cla_eventlog.add_role('supervisor');
SELECT cla_eventlog.register_event('case', '{
  "CASE_VIEWED": {"type": "system", "level": "MINOR", "selectable_by": [], "description": "Case viewed", "stops_timer": false},
  "OLD_CODE": {"type": "outcome", "level": "HIGH", "selectable_by": ["operator"], "description": "An old outcome", "stops_timer": true},
  "CLOSED": {"type": "outcome", "level": "HIGH", "selectable_by": ["operator", "supervisor"], "description": "Closed", "stops_timer": true}}');
SELECT cla_eventlog.start_timer(7);
SELECT cla_eventlog.log_event('case', 1, 7, 'CASE_VIEWED', acting_role => 'operator');
SELECT cla_eventlog.log_event('case', 1, 7, 'CLOSED', acting_role => 'operator');
SELECT cla_eventlog.log_event('case', c, 8, 'CASE_VIEWED') FROM generate_series(2, 20) c;
SELECT cla_eventlog.log_event('case', 3, 8, 'OLD_CODE');
-- a DBA's Saturday hours over the seeded ones, and calendar rows
INSERT INTO cla_eventlog.opening_hours (weekday, opens, closes) VALUES (6, '09:00', '13:00'), (7, '10:00', '12:00');
INSERT INTO cla_eventlog.bank_holiday (day, name) VALUES ('2026-12-25', 'Christmas Day'), ('2026-12-28', 'Boxing Day (substitute)');
INSERT INTO cla_eventlog.calendar_exception (day, opens, closes, reason) VALUES ('2026-12-24', '09:00', '16:00', 'Christmas Eve');
SQL

echo "$(date +%T) == the publication (README \"A logical copy\", step 1) and the subscription (step 3)"
publication=$(cat <<'SQL'
CREATE PUBLICATION cla_eventlog FOR TABLE
    cla_eventlog.role WHERE (NOT seeded),
    cla_eventlog.opening_hours WHERE (NOT seeded),
    cla_eventlog.event, cla_eventlog.code,
    cla_eventlog.timer, cla_eventlog.log,
    cla_eventlog.log_archive, cla_eventlog.log_change, cla_eventlog.erasure,
    cla_eventlog.import_run, cla_eventlog.import_problem, cla_eventlog.retention_run,
    cla_eventlog.bank_holiday, cla_eventlog.calendar_exception,
    public.legalaid_case;
SQL
)
pri -c "$publication"
# every table the extension dumps is published, except the binding
missing=$(pri -c "SELECT string_agg(c.cfg::regclass::text, ', ') FROM pg_extension e, unnest(e.extconfig) c(cfg)
                   WHERE e.extname = 'cla_eventlog' AND c.cfg::regclass::text <> 'cla_eventlog.case_binding'
                     AND (SELECT relkind FROM pg_class WHERE oid = c.cfg) = 'r'
                     AND NOT EXISTS (SELECT 1 FROM pg_publication_tables p WHERE p.pubname = 'cla_eventlog'
                                        AND format('%I.%I', p.schemaname, p.tablename)::regclass = c.cfg)")
expect "every data table of the extension but case_binding is published" "${missing:-none}" none

# A long-lived session on the subscriber, started before the sync: its
# registry cache is loaded now and must follow the replicated rows.
mkfifo "$work/sub.in"
chown postgres: "$work/sub.in"
"$bindir/psql" -X -q -A -t -h "$work/sock" -p "$sport" -U postgres -d app < "$work/sub.in" > "$work/sub.out" 2>&1 &
SUB_PID=$!
exec 7> "$work/sub.in"
echo 0 > "$work/marks"
session() {   # session SQL: run SQL in the long-lived session, print its output
    local n_mark
    n_mark=$(( $(cat "$work/marks") + 1 )); echo "$n_mark" > "$work/marks"   # (called in $(...))
    printf '%s;\n\\echo MARK-%s\n' "$1" "$n_mark" >&7
    for _ in $(seq 1 120); do grep -q "^MARK-$n_mark\$" "$work/sub.out" && break; sleep 0.25; done
    sed -n "/^MARK-$((n_mark - 1))\$/,/^MARK-$n_mark\$/p" "$work/sub.out" | grep -v '^MARK-' || true
}
try_log() {   # try_log CODE: insert it in the long-lived session (validated by its cache), rolled back
    # (an id of its own: the subscriber's sequence is behind the replicated ids until the switchover)
    local n=$(( $(cat "$work/marks") + 1 ))
    session "BEGIN; SET LOCAL cla_eventlog.allow_explicit_ids = on;
             INSERT INTO cla_eventlog.log (id, case_id, event_key, code, created_by)
                  VALUES (1000000 + $n, 10 + $n % 9, 'case', '$1', 9) RETURNING 'logged ' || code; ROLLBACK;" | tr '\n' ' '
}
session "SELECT 'first'" > /dev/null   # the first mark
spid=$(session "SELECT pg_backend_pid()")
expect "before the sync, the subscriber's session has no event case" "$(try_log CLOSED)" "*ERROR:*event \"case\" is not registered*"

sub -c "CREATE SUBSCRIPTION cla_eventlog_sub CONNECTION 'host=$work/sock port=$port dbname=app user=postgres' PUBLICATION cla_eventlog" 2>&1 | grep -v 'created replication slot' || true
t0=$(date +%s)
if wait_for 60 sub "SELECT count(*) > 0 AND bool_and(srsubstate = 'r') FROM pg_subscription_rel"; then
    echo "   ok: initial sync done in $(( $(date +%s) - t0 )) s, $(sub -c "SELECT count(*) FROM pg_subscription_rel") tables ready"
else
    bad "the initial sync did not finish: $(sub -c "SELECT string_agg(srrelid::regclass || '=' || srsubstate, ' ') FROM pg_subscription_rel")"
    grep -E 'ERROR' "$work/subscriber.log" | head -5
fi
dup=$(grep -c 'duplicate key value' "$work/subscriber.log" || true)
expect "no duplicate-key error in the subscriber's log" "$dup" 0

tables="cla_eventlog.role cla_eventlog.event cla_eventlog.code cla_eventlog.timer cla_eventlog.log
        cla_eventlog.opening_hours cla_eventlog.bank_holiday cla_eventlog.calendar_exception
        cla_eventlog.erasure cla_eventlog.log_archive public.legalaid_case"
compare() {   # compare: every published table (and the seeded rows) has the same rows on both nodes
    local t a b diffs=""
    for t in $tables; do
        q="SELECT count(*) || ' ' || md5(COALESCE(string_agg(x::text, '|' ORDER BY x::text), '')) FROM $t x"
        a=$(pri -c "$q"); b=$(sub -c "$q")
        [ "$a" = "$b" ] || diffs="$diffs $t($a vs $b)"
    done
    echo "${diffs:-same}"
}
wait_caught_up() {   # the subscriber has applied everything the primary wrote
    local lsn
    lsn=$(pri -c "SELECT pg_current_wal_lsn()")
    wait_for 30 pri "SELECT confirmed_flush_lsn >= '$lsn' FROM pg_replication_slots WHERE slot_name = 'cla_eventlog_sub'" ||
        bad "the subscriber did not catch up to $lsn"
}
wait_caught_up
expect "after the sync, every table has the same rows on both nodes" "$(compare)" same

echo "$(date +%T) == INSERT, UPDATE and DELETE on the primary replicate"
pri > /dev/null <<'SQL'
SET client_min_messages = warning;
SELECT cla_eventlog.add_role('caseworker');

INSERT INTO cla_eventlog.role (name) VALUES ('temp_role');
UPDATE cla_eventlog.role SET name = 'temp_role_2' WHERE name = 'temp_role';
DELETE FROM cla_eventlog.role WHERE name = 'temp_role_2';
UPDATE cla_eventlog.opening_hours SET closes = '13:30' WHERE weekday = 6 AND NOT seeded;
DELETE FROM cla_eventlog.opening_hours WHERE weekday = 7 AND NOT seeded;
UPDATE cla_eventlog.calendar_exception SET closes = '15:00' WHERE day = '2026-12-24';
DELETE FROM cla_eventlog.bank_holiday WHERE day = '2026-12-28';
SELECT cla_eventlog.start_timer(9);
SELECT cla_eventlog.log_event('case', 5, 9, 'CASE_VIEWED');
SELECT cla_eventlog.stop_timer(9);
SELECT cla_eventlog.log_event('case', 4, 8, 'CLOSED');
SELECT cla_eventlog.erase_cases(ARRAY[20::bigint], 'logical replication test');
SQL
wait_caught_up
expect "after UPDATE and DELETE of roles, hours, calendar, timers, erased logs: the same rows" "$(compare)" same
expect "the subscriber keeps its own seeded rows" \
    "$(sub -c "SELECT (SELECT count(*) FROM cla_eventlog.role WHERE seeded) || ' ' || (SELECT count(*) FROM cla_eventlog.opening_hours WHERE seeded)")" "2 7"
expect "the subscriber's Saturday is the DBA's, its Sunday the seeded one" \
    "$(sub -c "SELECT (SELECT closes FROM cla_eventlog.opening_hours_on('2026-11-28')) || ' ' || COALESCE((SELECT closes::text FROM cla_eventlog.opening_hours_on('2026-11-29')), 'closed')")" "13:30:00 closed"

echo "$(date +%T) == the registry cache of a long-lived subscriber session follows replicated rows"
expect "the session logs a code of the initial copy" "$(try_log CLOSED)" "logged *"
expect "the session refuses a code not registered yet" "$(try_log NEW_CODE)" "*ERROR:*NEW_CODE*"
pri -c "SELECT cla_eventlog.register_event('case', '{
  \"CASE_VIEWED\": {\"type\": \"system\", \"level\": \"MINOR\", \"selectable_by\": [], \"description\": \"Case viewed\", \"stops_timer\": false},
  \"NEW_CODE\": {\"type\": \"outcome\", \"level\": \"HIGH\", \"selectable_by\": [\"caseworker\"], \"description\": \"A new outcome\", \"stops_timer\": true},
  \"CLOSED\": {\"type\": \"outcome\", \"level\": \"HIGH\", \"selectable_by\": [\"operator\", \"supervisor\"], \"description\": \"Closed\", \"stops_timer\": true}}')" > /dev/null
wait_caught_up
expect "the same session logs the code registered on the primary" "$(try_log NEW_CODE)" "logged *"
expect "the same session refuses the code retired on the primary" "$(try_log OLD_CODE)" "*ERROR:*OLD_CODE*retired*"
# raw DML on the primary (a statement trigger there, a row trigger here)
pri -c "UPDATE cla_eventlog.code SET retired = true WHERE code = 'NEW_CODE'" > /dev/null
wait_caught_up
expect "the same session refuses a code retired by raw DML on the primary" "$(try_log NEW_CODE)" "*ERROR:*NEW_CODE*retired*"
pri -c "UPDATE cla_eventlog.code SET retired = false WHERE code = 'NEW_CODE'" > /dev/null
wait_caught_up
expect "... and logs it again once un-retired" "$(try_log NEW_CODE)" "logged *"
out=$(session "BEGIN; SET LOCAL cla_eventlog.allow_explicit_ids = on;
    INSERT INTO cla_eventlog.log (id, case_id, event_key, code, created_by, created_by_role)
         VALUES (2000000, 11, 'case', 'CASE_VIEWED', 9, 'duty_solicitor') RETURNING 'logged as ' || created_by_role; ROLLBACK;" | tr '\n' ' ')
expect "the session refuses a role not added yet" "$out" "*ERROR:*duty_solicitor*"
pri -c "SELECT cla_eventlog.add_role('duty_solicitor')" > /dev/null
wait_caught_up
out=$(session "BEGIN; SET LOCAL cla_eventlog.allow_explicit_ids = on;
    INSERT INTO cla_eventlog.log (id, case_id, event_key, code, created_by, created_by_role)
         VALUES (2000001, 11, 'case', 'CASE_VIEWED', 9, 'duty_solicitor') RETURNING 'logged as ' || created_by_role; ROLLBACK;" | tr '\n' ' ')
expect "the same session accepts the role added on the primary" "$out" "logged as duty_solicitor*"
expect "it was one session all along" "$(session "SELECT pg_backend_pid()")" "$spid"

echo "$(date +%T) == status() on the subscriber"
row() { "$1" -c "SELECT ok || ' ' || detail FROM cla_eventlog.status() WHERE check_name = '$2'"; }
expect "check database names the subscription" "$(row sub database)" \
    "true answers (a logical subscriber: subscription cla_eventlog_sub to cla_eventlog: streaming, 15 of 15 tables ready, behind by at most *)"
expect "check standby is green while it applies" "$(row sub standby)" "true a logical subscriber: subscription cla_eventlog_sub to cla_eventlog: streaming*"
expect "status_json on the subscriber is ok" "$(sub -c "SELECT cla_eventlog.status_json() ->> 'ok'")" true
# The lag is judged against cla_eventlog.max_standby_lag: with a limit of
# 1 s, a publisher that has sent nothing for longer turns the check red
# (polled: a keepalive can arrive at any time and make it green again).
wait_for 40 sub "SET cla_eventlog.max_standby_lag = '1s';
    SELECT NOT ok AND detail LIKE '%, more than cla_eventlog.max_standby_lag (00:00:01)%'
      FROM cla_eventlog.status() WHERE check_name = 'standby'" ||
    bad "a subscription further behind than cla_eventlog.max_standby_lag should turn check standby red"
expect "with the default limit the same subscription is green" "$(row sub standby)" "true a logical subscriber:*"
sub -c "CREATE ROLE probe LOGIN; GRANT pg_monitor TO probe" > /dev/null
expect "a pg_monitor probe sees the same" \
    "$(psql_ -p "$sport" -d app -U probe -c "SELECT detail FROM cla_eventlog.status() WHERE check_name = 'database'" 2>&1)" \
    "answers (a logical subscriber: subscription cla_eventlog_sub*"
expect "the primary is still the primary" "$(row pri database)" "true answers (the primary)"
sub -c "ALTER SUBSCRIPTION cla_eventlog_sub DISABLE" > /dev/null
sleep 0.5
expect "a disabled subscription turns check standby red" "$(row sub standby)" "false a logical subscriber: subscription cla_eventlog_sub to cla_eventlog: disabled*"
sub -c "ALTER SUBSCRIPTION cla_eventlog_sub ENABLE" > /dev/null
wait_for 30 sub "SELECT pid IS NOT NULL FROM pg_stat_subscription WHERE relid IS NULL" || bad "the subscription did not restart"

echo "$(date +%T) == a streaming standby of the primary (port $bport) says it is one"
as_pg "$bindir/pg_basebackup -h '$work/sock' -p $port -U postgres -D '$work/standby' -R -X stream -c fast" 9>&-
echo "port = $bport" >> "$work/standby/postgresql.conf"
as_pg "$bindir/pg_ctl -D '$work/standby' -l '$work/standby.log' -w start" 9>&- >/dev/null
wait_for 30 stb "SELECT status = 'streaming' FROM pg_stat_wal_receiver" || bad "the standby does not stream"
expect "the standby's check database" "$(row stb database)" "true answers (a standby, read-only)"
expect "the standby's check standby" "$(row stb standby)" "true streaming*"
as_pg "$bindir/pg_ctl -D '$work/standby' -m fast -w stop" >/dev/null

echo "$(date +%T) == a pg_partman-shaped BEFORE trigger on the log (on the primary)"
pri > /dev/null <<'SQL'
CREATE TABLE public.log_p2026 (LIKE cla_eventlog.log INCLUDING DEFAULTS);
CREATE FUNCTION public.log_part_trig_func() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO public.log_p2026 VALUES (NEW.*); RETURN NULL; END $$;
CREATE TRIGGER log_part_trig BEFORE INSERT ON cla_eventlog.log FOR EACH ROW EXECUTE FUNCTION public.log_part_trig_func();
INSERT INTO cla_eventlog.log (case_id, event_key, code, type, level, created_by, created_by_role)
     VALUES (5, 'case', 'NO_SUCH_CODE', 'outcome', 29, 8, 'no_such_role');
SQL
expect "the trigger stored an unvalidated row (what the check is for)" \
    "$(pri -c "SELECT count(*) FROM public.log_p2026 WHERE code = 'NO_SUCH_CODE'")" 1
expect "check triggers is red and names the trigger" "$(row pri triggers)" \
    "false trigger log_part_trig on log (BEFORE INSERT for each row, public.log_part_trig_func(), enabled) can change, skip or redirect a row*"
pri -c "ALTER TABLE cla_eventlog.log DISABLE TRIGGER log_part_trig" > /dev/null
expect "disabled, it is named but green" "$(row pri triggers)" "true the 11 triggers*other triggers*log_part_trig*disabled*"
pri -c "ALTER TABLE cla_eventlog.log ENABLE ALWAYS TRIGGER log_part_trig" > /dev/null
expect "enabled ALWAYS, red again" "$(row pri triggers)" "false trigger log_part_trig*enabled always*"
pri -c "DROP TRIGGER log_part_trig ON cla_eventlog.log" > /dev/null
pri -c "CREATE RULE log_redirect AS ON INSERT TO cla_eventlog.log DO INSTEAD INSERT INTO public.log_p2026 VALUES (NEW.*)" > /dev/null
expect "a rule on the log is red" "$(row pri triggers)" "false rule log_redirect on log can redirect rows*"
pri -c "DROP RULE log_redirect ON cla_eventlog.log" > /dev/null
expect "without them, green" "$(row pri triggers)" "true the 11 triggers of the log and the registry are enabled"

echo "$(date +%T) == the log as a partition, or a parent"
pri -c "CREATE TABLE public.all_logs (LIKE cla_eventlog.log) PARTITION BY RANGE (id)" > /dev/null
out=$(pri -v VERBOSITY=verbose -c "ALTER TABLE public.all_logs ATTACH PARTITION cla_eventlog.log FOR VALUES FROM (0) TO (1000000000)" 2>&1 || true)
expect "ATTACH PARTITION of the log is refused" "$out" "*ERROR:  42P16: table \"cla_eventlog.log\" cannot be a partition*"
out=$(pri -c "CREATE TABLE public.log_child () INHERITS (cla_eventlog.log)" 2>&1 || true)
expect "a child of the log is refused" "$out" "*ERROR:  table \"cla_eventlog.log\" cannot be*DETAIL:*public.log_child*"
out=$(pri -c "CREATE TABLE public.timer_parent (LIKE cla_eventlog.timer); ALTER TABLE cla_eventlog.timer INHERIT public.timer_parent" 2>&1 || true)
expect "the timers as a child are refused" "$out" "*ERROR:  table \"cla_eventlog.timer\" cannot be*"
pri -c "ALTER EVENT TRIGGER cla_eventlog_no_inheritance DISABLE" > /dev/null
pri -c "ALTER TABLE public.all_logs ATTACH PARTITION cla_eventlog.log FOR VALUES FROM (0) TO (1000000000)" > /dev/null
expect "attached behind the disabled event trigger, check triggers is red" "$(row pri triggers)" \
    "false cla_eventlog.log is a partition of public.all_logs: rows inserted through public.all_logs*detach it (ALTER TABLE public.all_logs DETACH PARTITION cla_eventlog.log)*event trigger cla_eventlog_no_inheritance is missing or disabled*"
pri -c "ALTER TABLE public.all_logs DETACH PARTITION cla_eventlog.log" > /dev/null
pri -c "ALTER EVENT TRIGGER cla_eventlog_no_inheritance ENABLE ALWAYS" > /dev/null
expect "detached and the event trigger back: green" "$(row pri triggers)" "true the 11 triggers*"
pri -c "CREATE ROLE app_owner LOGIN; GRANT CREATE ON SCHEMA public TO app_owner" > /dev/null
expect "a role without USAGE on the schema still runs its DDL" \
    "$(psql_ -p "$port" -d app -U app_owner -c "CREATE TABLE public.mine (a int); ALTER TABLE public.mine ADD b int; SELECT 'done'" 2>&1)" done

echo "$(date +%T) == switchover: the subscriber becomes the writer (README \"A logical copy\", switchover)"
wait_caught_up
expect "caught up: the same rows" "$(compare)" same
out=$(sub -c "SELECT cla_eventlog.log_event('case', 6, 8, 'CASE_VIEWED')" 2>&1 || true)
expect "before sync_sequences(), log_event collides with a replicated id" "$out" "*duplicate key value violates unique constraint \"log_pkey\"*"
out=$(sub -c "SELECT count(*) FROM cla_eventlog.sync_sequences()" 2>&1)
expect "sync_sequences() warns while the subscription is enabled" "$out" "*WARNING:  subscription \"cla_eventlog_sub\" is still enabled*7"
sub -c "DROP SUBSCRIPTION cla_eventlog_sub" 2>&1 | grep -v 'dropped replication slot' || true
sub -c "SELECT sequence_name || ' ' || COALESCE(data_max::text, '-') || ' ' || COALESCE(last_value::text, '-') FROM cla_eventlog.sync_sequences()" | sed 's/^/   /'
expect "sync_sequences() moved log_id_seq to the log's largest id" \
    "$(sub -c "SELECT pg_sequence_last_value('cla_eventlog.log_id_seq') = (SELECT max(id) FROM cla_eventlog.log)")" t
expect "sync_sequences() covers every sequence of the extension" \
    "$(sub -c "SELECT string_agg(d.objid::regclass::text, ', ') FROM pg_depend d JOIN pg_class c ON c.oid = d.objid AND c.relkind = 'S'
                 WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
                   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'cla_eventlog')
                   AND d.objid::regclass::text NOT IN (SELECT sequence_name FROM cla_eventlog.sync_sequences())")" ""
expect "a second call changes nothing, and does not warn" "$(sub -c "SELECT count(*) FILTER (WHERE data_max IS DISTINCT FROM last_value AND data_max IS NOT NULL) FROM cla_eventlog.sync_sequences()" 2>&1)" 0
sub -c "SELECT setval('cla_eventlog.timer_id_seq', 1000)" > /dev/null
expect "never backwards" "$(sub -c "SELECT last_value FROM cla_eventlog.sync_sequences() WHERE sequence_name = 'cla_eventlog.timer_id_seq'")" 1000
expect "the new writer logs" "$(sub -c "SELECT cla_eventlog.log_event('case', 6, 8, 'CASE_VIEWED') > (SELECT max(id) FROM cla_eventlog.log WHERE case_id <> 6)")" t
expect "... starts and stops timers" "$(sub -c "SELECT (cla_eventlog.start_timer(11)).id > 1; SELECT cla_eventlog.log_event('case', 7, 11, 'CLOSED', acting_role => 'operator') IS NOT NULL")" "t*t"
expect "... registers codes after the replicated ones" "$(sub -c "SELECT cla_eventlog.register_event('other', '{\"X\": {\"type\": \"event\", \"level\": 11, \"selectable_by\": [], \"description\": \"x\", \"stops_timer\": false}}');
    SELECT (SELECT reg_order FROM cla_eventlog.code WHERE code = 'X') > (SELECT max(reg_order) FROM cla_eventlog.code WHERE code <> 'X')")" "1*t"
expect "status() on the new writer is green and says primary" \
    "$(sub -c "SELECT (cla_eventlog.status_json() ->> 'ok') || ' ' || detail FROM cla_eventlog.status() WHERE check_name = 'database'")" "true answers (the primary)"
expect "sync_sequences() is not for PUBLIC" "$(psql_ -p "$sport" -d app -U probe -c "SELECT cla_eventlog.sync_sequences()" 2>&1 || true)" "*permission denied for function sync_sequences*"

grep -E 'PANIC|terminated by signal' "$work"/*.log && bad "a server crashed"
if [ "$fail" -ne 0 ]; then
    echo "--- subscriber log"; tail -20 "$work/subscriber.log"
    echo "--- session"; tail -20 "$work/sub.out"
    exit 1
fi
echo "ok"
