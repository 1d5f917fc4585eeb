#!/usr/bin/env bash
# standby: the status probe and the reports on a hot standby (README
# "Status checks: what each check means", check standby; README "Reports on
# a standby").  A primary with the reference application and generated
# data (test/fixtures/generate.sql), and a standby made with
# pg_basebackup -R, on private sockets.  In order:
#
#  1. while the standby streams, status() is green on both;
#  2. recovery conflicts (max_standby_streaming_delay = 2s, feedback off):
#     one probe session runs status() and mi_callback_sla() in REPEATABLE
#     READ transactions in a loop while the primary updates and vacuums the
#     case table.  Its statements may be cancelled (an ERROR), but no
#     conflict terminates it inside a statement (the escalation of a
#     subtransaction); a session ended by PostgreSQL 15's own race at the
#     next command read is counted, checked against the log and replaced;
#  3. rebinding on the primary while a report holds the log open on the
#     standby (max_standby_streaming_delay = 30s): an unchanged binding
#     takes no lock the standby replays, so replay does not stop, a new
#     probe answers at once and the report is not cancelled;
#  4. MI on the standby while the primary logs outcomes and vacuums, with
#     hot_standby_feedback off and then on: the cancelled queries
#     (pg_stat_database_conflicts) of both are printed; with feedback on
#     there must be none;
#  5. with the primary stopped, the standby's check standby (and so
#     status_json()'s ok) turns red, so a stale replica is not reported
#     healthy.
#
# Starts and stops its own two clusters (CEL_STANDBY_PORT and the next
# port, default 55451).  CEL_STANDBY_SECONDS (default 12) is how long each
# load phase runs.  Exits 0 on success.
set -euo pipefail

top=${CEL_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
bindir=$(pg_config --bindir)
port=${CEL_STANDBY_PORT:-55451}
sport=$((port + 1))
secs=${CEL_STANDBY_SECONDS:-12}
work=$(mktemp -d /tmp/cel_standby.XXXXXX)
mkdir -p "$work/sock"
chown -R postgres: "$work"
chmod 755 "$work"
as_pg() { su postgres -s /bin/sh -c "$*"; }
pids=()
stop_all() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for d in "$work/standby" "$work/primary"; do
        [ -f "$d/postmaster.pid" ] && as_pg "$bindir/pg_ctl -D '$d' -m immediate -w stop" >/dev/null 2>&1 || true
    done
    rm -rf "$work"
}
trap stop_all EXIT
psql_() { "$bindir/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$work/sock" -U postgres -d postgres "$@"; }
on_primary() { psql_ -p "$port" "$@"; }
on_standby() { psql_ -p "$sport" "$@"; }
fail=0
failed() { echo "FAILED: $*"; fail=1; }
# wait until the standby has replayed what the primary has written (at most $1 s)
caught_up() {
    local lsn
    lsn=$(on_primary -c "SELECT pg_current_wal_lsn()")
    for _ in $(seq 1 $(( ${1:-20} * 10 ))); do
        [ "$(on_standby -c "SELECT pg_last_wal_replay_lsn() >= '$lsn'")" = t ] && return 0
        sleep 0.1
    done
    return 1
}
# The recovery-conflict terminations in the standby's log after line $1,
# printed as "ESCALATED AT_READ".  A connection ends for a conflict in one
# of two places, and the log tells them apart:
#  - ESCALATED: inside a statement: the conflict struck inside a
#    subtransaction (an exception block) and PostgreSQL terminated the
#    session mid-statement.  The FATAL names the statement (STATEMENT:, and
#    CONTEXT: inside a function), and on PostgreSQL 15 it has no HINT.
#    That is the failure this test exists for: the extension's probe and
#    reports must never cause it.
#  - AT_READ: at a command read: the backend was waiting for the client's
#    next command with a conflict still pending: no statement, and the HINT
#    "In a moment you should be able to reconnect".  Our probes never sit
#    idle in an open transaction (each is one query message), so each of
#    these is PostgreSQL 15's own race: its signal handler decides while a
#    statement, or the commit or abort that ends it, still runs, and the
#    flag it leaves is taken for an idle session at the next read (README
#    "Reports on a standby").
# A message's lines are contiguous in the log (one write per message).
conflict_fatals() {   # conflict_fatals FROM_LINE
    tail -n +"$(( $1 + 1 ))" "$work/standby.log" | awk '
        function close_() {
            if (cur != "") { if (stmt || !hint) escalated++; else at_read++ }
            cur = ""
        }
        /^\t/ { next }
        cur != "" && $4 == cur && ($5 == "DETAIL:" || $5 == "HINT:" || $5 == "CONTEXT:" || $5 == "STATEMENT:") {
            if ($5 == "HINT:") hint = 1
            if ($5 == "CONTEXT:" || $5 == "STATEMENT:") stmt = 1
            next
        }
        { close_() }
        $5 == "FATAL:" && /terminating connection due to conflict with recovery/ { cur = $4; hint = 0; stmt = 0 }
        END { close_(); print escalated + 0, at_read + 0 }'
}
log_lines() { wc -l < "$work/standby.log"; }
conflicts() { on_standby -c "SELECT confl_snapshot + confl_lock + confl_bufferpin + confl_deadlock FROM pg_stat_database_conflicts WHERE datname = 'postgres'"; }

echo "== primary on port $port: the reference application, 5,000 cases, 50,000 logs (at ${SECONDS}s)"
as_pg "$bindir/initdb -D '$work/primary' -A trust -U postgres --no-sync" > "$work/initdb.log" 2>&1
cat >> "$work/primary/postgresql.conf" <<CONF
listen_addresses = ''
port = $port
unix_socket_directories = '$work/sock'
fsync = off
autovacuum = off
CONF
as_pg "$bindir/pg_ctl -D '$work/primary' -l '$work/primary.log' -w start" 9>&- >/dev/null
on_primary > /dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION cla_eventlog;
\i $top/test/fixtures/cla_reference.sql
SELECT cla_reference.register_events();
SELECT cla_reference.bind();
\set cases 5000
\set logs 50000
\i $top/test/fixtures/generate.sql
-- an outcome for the load: every one writes its case row
SELECT cla_eventlog.register_event('standby_load', '{"SBL": {"type": "outcome", "level": 29,
    "selectable_by": [], "description": "Outcome logged by the standby test", "stops_timer": false}}');
VACUUM ANALYZE;
SQL

echo "== standby on port $sport (pg_basebackup -R) (at ${SECONDS}s)"
as_pg "$bindir/pg_basebackup -h '$work/sock' -p $port -U postgres -D '$work/standby' -R -X stream -c fast" 9>&-
cat >> "$work/standby/postgresql.conf" <<CONF
port = $sport
hot_standby_feedback = off
max_standby_streaming_delay = 2s
wal_receiver_status_interval = 1s
CONF
as_pg "$bindir/pg_ctl -D '$work/standby' -l '$work/standby.log' -w start" 9>&- >/dev/null
for _ in $(seq 1 60); do
    [ "$(on_standby -c "SELECT status FROM pg_stat_wal_receiver")" = streaming ] && break
    sleep 0.5
done
on_primary -c "SELECT cla_eventlog.log_event('standby_load', 2, 7)" >/dev/null
caught_up 20 || failed "the standby does not catch up"

check() {   # check PORT: the standby check and status_json's ok
    psql_ -p "$1" -c "SELECT ok || ' ' || detail FROM cla_eventlog.status() WHERE check_name = 'standby'" \
          -c "SELECT 'status_json ok: ' || (cla_eventlog.status_json() ->> 'ok')"
}
echo "== 1. streaming (at ${SECONDS}s)"
p=$(check "$port"); s=$(check "$sport")
echo "   primary: $p" | head -1; echo "   standby: $(echo "$s" | head -1)"; echo "   standby $(echo "$s" | tail -1)"
case $p in "true the primary"*) ;; *) failed "the primary's check standby" ;; esac
case $s in "true streaming"*"status_json ok: true") ;; *) failed "a streaming standby should be green" ;; esac

# The primary's load: each round writes every case row (an UPDATE, or
# outcomes through the log) and vacuums, so the standby must remove row
# versions its snapshots may still see.
primary_load() {   # primary_load SECONDS KIND
    local end=$((SECONDS + $1))
    while [ $SECONDS -lt "$end" ]; do
        if [ "$2" = update ]; then
            on_primary -c "UPDATE cla_reference.legalaid_case SET modified = modified" -c "VACUUM cla_reference.legalaid_case"
        else
            on_primary -c "SELECT count(cla_eventlog.log_event('standby_load', 1 + (random() * 4999)::int, 7)) FROM generate_series(1, 200)" \
                       -c "VACUUM cla_reference.legalaid_case, cla_eventlog.timer" >/dev/null
        fi
        sleep 0.5
    done
}

echo "== 2. recovery conflicts on the probe (max_standby_streaming_delay = 2s, ${secs}s) (at ${SECONDS}s)"
# One session: REPEATABLE READ transactions of about three seconds that
# run status() (and a report that reads CB1 times) again and again until
# the deadline, so a conflict arrives while a check runs.  Each
# transaction is one query message (psql's \;), so the session never sits
# idle in an open transaction.  A cancelled statement is an ERROR and the
# session goes on.  If PostgreSQL 15's command-read race ends the session
# anyway (see conflict_fatals), a new one takes over until the deadline,
# and the count of such sessions is printed and checked against the log.
rounds=$((secs * 4))   # more than can run: the deadline ends the session
deadline=$(( $(date +%s) + secs ))
{
    echo '\set ON_ERROR_STOP 0'
    echo "SELECT 'start ' || pg_backend_pid();"
    for _ in $(seq 1 "$rounds"); do
        echo "SELECT extract(epoch FROM clock_timestamp()) < $deadline AS more \gset"
        echo '\if :more'
        echo 'BEGIN ISOLATION LEVEL REPEATABLE READ \;'
        echo "SELECT count(*) FROM cla_eventlog.status() \;"
        echo "SELECT count(*) FROM cla_eventlog.mi_callback_sla(now() - interval '30 days', now()) \;"
        echo "SELECT sum((SELECT count(*) FROM cla_eventlog.status() s WHERE g > 0)) FROM generate_series(1, 100) g \;"
        echo "SELECT pg_sleep(1.5) \;"
        echo "SELECT count(*) FROM cla_eventlog.status_json() \;"
        echo 'COMMIT;'
        echo '\if :ERROR'
        echo 'ROLLBACK;'
        echo '\endif'
        echo '\endif'
    done
    echo "SELECT 'end ' || pg_backend_pid();"
} > "$work/probe.sql"
probe_sessions() {
    while [ "$(date +%s)" -lt "$deadline" ]; do
        "$bindir/psql" -X -A -t -h "$work/sock" -p "$sport" -U postgres -d postgres -f "$work/probe.sql" >> "$work/probe.out" 2>&1 || true
    done
}
before=$(conflicts); from=$(log_lines)
probe_sessions &
probe=$!; pids+=("$probe")
primary_load "$secs" update
wait "$probe" || true
after=$(conflicts)
read -r escalated at_read <<< "$(conflict_fatals "$from")"
cancelled=$(grep -c 'canceling statement due to conflict with recovery' "$work/probe.out" || true)
sessions=$(grep -c '^start ' "$work/probe.out" || true)
finished=$(grep -c '^end ' "$work/probe.out" || true)
lost=$((sessions - finished))
echo "   probe statements cancelled: $cancelled (pg_stat_database_conflicts: $((after - before)));" \
     "sessions: $sessions, finished: $finished, lost: $lost;" \
     "terminations in the standby's log: $escalated inside a statement, $at_read at a command read (PostgreSQL 15's race)"
[ "$escalated" -eq 0 ] ||
    failed "a recovery conflict terminated the probe inside a statement (a subtransaction on the probe's path)"
[ "$lost" -le "$at_read" ] ||
    { grep -e FATAL -e connection "$work/probe.out" | head -5; failed "the probe lost a connection that no conflict in the log explains"; }
[ "$finished" -ge 1 ] && [ "$finished" -eq "$(grep '^end ' "$work/probe.out" | sort -u | wc -l)" ] ||
    failed "no probe session answered to the end on its connection"
[ "$cancelled" -gt 0 ] || failed "no recovery conflict reached the probe: the test did not test anything"

echo "== 3. rebinding on the primary while a report is open on the standby (max_standby_streaming_delay = 30s) (at ${SECONDS}s)"
on_standby -c "ALTER SYSTEM SET max_standby_streaming_delay = '30s'" -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
# the open report: it holds the log (ACCESS SHARE) for 8 seconds
psql_ -p "$sport" -c "BEGIN; SELECT count(*) FROM cla_eventlog.log; SELECT pg_sleep(8); COMMIT" \
    > "$work/report.out" 2>&1 &
report=$!; pids+=("$report")
sleep 1
on_primary -c "SELECT cla_reference.bind()" >/dev/null
t0=$(date +%s.%N)
caught=no; caught_up 5 && caught=yes
answer=$(timeout 20 "$bindir/psql" -X -A -t -h "$work/sock" -p "$sport" -U postgres -d postgres \
             -c "SELECT count(*) FROM cla_eventlog.status()" 2>&1 || echo "timed out")
took=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
wait "$report" && report_ok=yes || report_ok=no
echo "   replay caught up while the report was open: $caught; a new probe answered ($answer rows) after ${took}s; the report finished: $report_ok"
[ "$caught" = yes ] || failed "replay stopped behind the rebinding (a replayed ACCESS EXCLUSIVE lock)"
[ "$answer" = 11 ] && awk -v t="$took" 'BEGIN { exit !(t < 5) }' || failed "the probe waited for the rebinding"
[ "$report_ok" = yes ] || { cat "$work/report.out"; failed "the open report was cancelled"; }
on_standby -c "ALTER SYSTEM SET max_standby_streaming_delay = '2s'" -c "SELECT pg_reload_conf()" >/dev/null

echo "== 4. MI on the standby while the primary logs outcomes and vacuums (${secs}s each) (at ${SECONDS}s)"
# A report of two MI queries 1.5 s apart in one REPEATABLE READ
# transaction, as an export that runs several, back to back; one query
# message, as in step 2.
mi_load() {   # mi_load SECONDS
    local end=$((SECONDS + $1))
    while [ $SECONDS -lt "$end" ]; do
        on_standby -c "BEGIN ISOLATION LEVEL REPEATABLE READ;
                       SELECT count(*) FROM cla_eventlog.mi_callback_sla(now() - interval '30 days', now());
                       SELECT pg_sleep(1.5);
                       SELECT count(*), count(DISTINCT o.case_id) FROM cla_eventlog.mi_outcomes o;
                       COMMIT" >/dev/null 2>>"$work/mi.err" || true
        echo >> "$work/mi.runs"
    done
}
from=$(log_lines)
for feedback in off on; do
    on_standby -c "ALTER SYSTEM SET hot_standby_feedback = $feedback" -c "SELECT pg_reload_conf()" >/dev/null
    sleep 2     # the next status message (every second) carries the standby's xmin
    : > "$work/mi.err"; : > "$work/mi.runs"
    before=$(conflicts)
    mi_load "$secs" &
    mi=$!; pids+=("$mi")
    primary_load "$secs" outcomes
    wait "$mi" || true
    n=$(( $(conflicts) - before ))
    c=$(grep -c 'canceling statement due to conflict with recovery' "$work/mi.err" || true)
    echo "   hot_standby_feedback = $feedback: $n queries cancelled by recovery conflicts (pg_stat_database_conflicts), $c of $(wc -l < "$work/mi.runs") reports saw the error"
    eval "conflicts_$feedback=$n"
done
read -r escalated at_read <<< "$(conflict_fatals "$from")"
echo "   connections terminated: $escalated inside a statement, $at_read at a command read (PostgreSQL 15's race)"
[ "$conflicts_on" -eq 0 ] || failed "with hot_standby_feedback = on, MI queries were still cancelled"
[ "$escalated" -eq 0 ] || failed "a recovery conflict terminated a report inside a statement"

echo "== 5. the primary stopped (at ${SECONDS}s)"
as_pg "$bindir/pg_ctl -D '$work/primary' -m fast -w stop" >/dev/null
sleep 2
s=$(check "$sport")
echo "   standby: $(echo "$s" | head -1)"; echo "   standby $(echo "$s" | tail -1)"
case $s in "false the WAL receiver is"*"status_json ok: false") ;; *) failed "a cut-off standby must be red" ;; esac

[ "$fail" -eq 0 ] || { grep -B2 -A4 'FATAL:  terminating' "$work/standby.log" | head -40; tail -20 "$work/standby.log"; exit 1; }
echo "ok"
