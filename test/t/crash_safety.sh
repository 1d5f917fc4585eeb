#!/usr/bin/env bash
# crash_safety: a crash in the middle of a logging workload loses no
# acknowledged log or timer and leaves no case inconsistent (every
# side effect happens in the caller's transaction or not at all).
#
# A private cluster (fsync and synchronous_commit on) gets the reference
# application and 2000 cases.  Four clients share three users and log
# against random cases and a few hot ones: start_timer, CASE_VIEWED, a means
# test, a plain INSERT, an outcome that stops the timer, now and then a
# cancel.  Every call is its own transaction; a client writes down the log
# and timer ids psql printed once psql has exited 0 (the commits were
# acknowledged).  After a few seconds the postmaster and every one of its
# processes are killed with SIGKILL, the clients fail, the cluster is
# started again (crash recovery), and:
#   * every acknowledged log id and timer id is in the tables;
#   * cla_eventlog.verify() returns no row (outcome columns and billable
#     time of every case agree with the log and the timers);
#   * no user has two running timers;
#   * status() is ok (stale_timers aside), the indexes pass amcheck;
#   * logging continues, with ids above every id the crash left.
#
# Run by test/run.sh (the main cluster's PGHOST/PGPORT/PGUSER are saved and
# restored; this test starts and stops its own cluster on port
# CEL_CRASH_PORT, default 55441).  Exits 0 on success.
set -euo pipefail

top=${CEL_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/test/lib.sh"
bindir=$(pg_config --bindir)
port=${CEL_CRASH_PORT:-55441}
clients=4
users=3
cases=2000
run_seconds=${CEL_CRASH_SECONDS:-5}
work=$(mktemp -d /tmp/cel_crash.XXXXXX)
db=cel_crash

saved_env=$(declare -p PGHOST PGPORT PGUSER CEL_CLUSTER CEL_SOCKDIR 2>/dev/null || true)
finish() {
    local rc=$?
    [ -n "${client_pids:-}" ] && kill $client_pids 2>/dev/null || true
    cel_stop_cluster || true
    rm -rf "$work"
    unset PGHOST PGPORT PGUSER CEL_CLUSTER CEL_SOCKDIR
    eval "$saved_env"
    exit $rc
}
trap finish EXIT

psql_() { "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -d "$db" "$@"; }
pg_ctl_() { su postgres -s /bin/sh -c "$bindir/pg_ctl -D '$CEL_CLUSTER/data' -l '$CEL_CLUSTER/server.log' -w $*"; }

echo "== private cluster on port $port"
CEL_CLUSTER=
cel_start_cluster "$port"
# test/lib.sh runs clusters with fsync off; this one must be faithful
"$bindir/psql" -X -q -d postgres <<'SQL'
ALTER SYSTEM SET fsync = on;
ALTER SYSTEM SET synchronous_commit = on;
ALTER SYSTEM SET full_page_writes = on;
SQL
pg_ctl_ restart >/dev/null
echo "   $("$bindir/psql" -X -At -d postgres -c "SELECT string_agg(name || '=' || setting, ', ' ORDER BY name) FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes')")"

"$bindir/createdb" "$db"
psql_ <<SQL
SET client_min_messages = warning;
CREATE EXTENSION cla_eventlog;
\i $top/test/fixtures/cla_reference.sql
SELECT cla_reference.register_events() \g /dev/null
SELECT cla_reference.bind() \g /dev/null
INSERT INTO cla_reference.legalaid_case (id, source)
SELECT i, (ARRAY['WEB', 'PHONE', 'SMS', 'VOICEMAIL'])[1 + i % 4] FROM generate_series(1, $cases) i;
CHECKPOINT;
SQL

# client K: loops until the server is gone; one psql per iteration, one
# transaction per -c.  Lines: T<timer id>, L<log id> (empty when a
# duplicate was skipped).  Ids count only when psql exits 0.
client() {
    local k=$1 i=0 u c hot code out
    local codes=(INSUF ABND TERM COPE SAME)
    : > "$work/ack.$k"
    while [ ! -e "$work/killed" ]; do
        i=$((i + 1))
        u=$((1 + RANDOM % users))
        c=$((1 + RANDOM % cases))
        hot=$((1 + RANDOM % 20))
        code=${codes[$((RANDOM % 5))]}
        cmds=(
            -c "SELECT 'T' || (cla_eventlog.start_timer($u)).id"
            -c "SELECT 'L' || cla_eventlog.log_event('case', $c, $u, 'CASE_VIEWED', acting_role => 'operator')"
            -c "SELECT 'L' || cla_eventlog.log_event('means_test', $c, $u, params => '{\"status\": \"changed\"}')"
            -c "INSERT INTO cla_eventlog.log (case_id, code, created_by, created_by_role, notes)
                VALUES ($c, 'CALL_STARTED', $u, 'operator', 'client $k') RETURNING 'L' || id"
            -c "SELECT 'L' || cla_eventlog.log_event('suspend_case', $hot, $u, '$code', notes => 'client $k call $i', acting_role => 'operator')"
        )
        if [ $((i % 7)) -eq 0 ]; then
            cmds+=(-c "SELECT 'T' || (cla_eventlog.start_timer($u)).id"
                   -c "DO \$\$ BEGIN PERFORM cla_eventlog.cancel_timer($u);
                       EXCEPTION WHEN sqlstate '23EL2' THEN NULL; END \$\$")
        fi
        if [ $((i % 5)) -eq 0 ]; then
            cmds+=(-c "SELECT 'L' || cla_eventlog.log_event('decline_help', $hot, $u, 'DESP', notes => 'client $k call $i', acting_role => 'operator')")
        fi
        if out=$(timeout 60 "$bindir/psql" -X -q -A -t -v ON_ERROR_STOP=1 -d "$db" "${cmds[@]}" 2>>"$work/err.$k"); then
            printf '%s\n' "$out" | grep -E '^[TL][0-9]+$' >> "$work/ack.$k" || true
        elif [ ! -e "$work/killed" ]; then
            echo "client $k: psql failed before the crash" >> "$work/early_errors"
        fi
    done
}

echo "== $clients clients logging for ${run_seconds}s, then SIGKILL"
client_pids=
for k in $(seq 1 "$clients"); do
    client "$k" &
    client_pids="$client_pids $!"
done
sleep "$run_seconds"

# Kill the postmaster and every process it started, all with SIGKILL: a
# crash in the middle of transactions, not a shutdown.  The postmaster is
# stopped first so that it forks no backend after its children are listed:
# a backend left alive could wait forever for a lightweight lock that a
# killed one held, and keep the old shared memory busy.
pm=$(head -1 "$CEL_CLUSTER/data/postmaster.pid")
kill -STOP "$pm"
children=$(ps -o pid= --ppid "$pm" | tr -s ' \n' ' ')
acked_before_kill=$(cat "$work"/ack.* | wc -l)
touch "$work/killed"
kill -9 $children "$pm" 2>/dev/null || true
echo "   killed postmaster $pm and $(echo $children | wc -w) children; $acked_before_kill acknowledged ids so far"
wait $client_pids || true
client_pids=
for p in $pm $children; do
    for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
done

echo "== restart (crash recovery)"
# (pg_ctl warns that the dead postmaster's pid file is still there)
pg_ctl_ start >"$work/pg_ctl.out" 2>&1 || { cat "$work/pg_ctl.out" "$CEL_CLUSTER/server.log"; exit 1; }
grep -E 'not properly shut down|redo (starts|done)|automatic recovery' "$CEL_CLUSTER/server.log" | sed 's/^/   /' || true

failed=0
if [ -s "$work/early_errors" ]; then
    echo "   clients failed before the crash:"; sort "$work/early_errors" | uniq -c | sed 's/^/   /'
    sort -u "$work"/err.* | head -5 | sed 's/^/   /'
    failed=1
fi

cat "$work"/ack.* | grep '^L' | cut -c2- | sort -n > "$work/ack_logs"
cat "$work"/ack.* | grep '^T' | cut -c2- | sort -nu > "$work/ack_timers"
n_logs=$(wc -l < "$work/ack_logs")
n_timers=$(wc -l < "$work/ack_timers")

echo "== checks after recovery"
result=$(psql_ -At <<SQL
CREATE TEMP TABLE ack_log (id bigint);
CREATE TEMP TABLE ack_timer (id bigint);
\copy ack_log FROM '$work/ack_logs'
\copy ack_timer FROM '$work/ack_timers'
SELECT 'log rows in the database: ' || count(*) FROM cla_eventlog.log;
SELECT 'acknowledged log ids: ' || count(*) || ', missing: ' || count(*) FILTER (WHERE l.id IS NULL)
  FROM ack_log a LEFT JOIN cla_eventlog.log l USING (id);
SELECT 'acknowledged timer ids: ' || count(*) || ', missing: ' || count(*) FILTER (WHERE t.id IS NULL)
  FROM ack_timer a LEFT JOIN cla_eventlog.timer t USING (id);
SELECT 'committed but not acknowledged (in flight at the kill): ' || count(*)
  FROM cla_eventlog.log l WHERE NOT EXISTS (SELECT 1 FROM ack_log a WHERE a.id = l.id);
SELECT 'cases checked by verify(): ' || count(*) FROM cla_reference.legalaid_case;
SELECT 'verify rows: ' || count(*) FROM cla_eventlog.verify();
SELECT 'users with two running timers: ' || count(*)
  FROM (SELECT created_by FROM cla_eventlog.timer WHERE stopped IS NULL GROUP BY 1 HAVING count(*) > 1) s;
SELECT 'status not ok: ' || COALESCE(string_agg(check_name, ', '), 'none')
  FROM cla_eventlog.status() WHERE NOT ok AND check_name <> 'stale_timers';
SQL
)
echo "$result" | sed 's/^/   /'
grep -q '^acknowledged log ids: [1-9][0-9]*, missing: 0$' <<<"$result" || { echo "   -> acknowledged log rows lost (or none acknowledged)"; failed=1; }
grep -q '^acknowledged timer ids: [1-9][0-9]*, missing: 0$' <<<"$result" || { echo "   -> acknowledged timers lost (or none acknowledged)"; failed=1; }
grep -q '^verify rows: 0$' <<<"$result" || { psql_ -c "SELECT * FROM cla_eventlog.verify() LIMIT 10"; failed=1; }
grep -q '^users with two running timers: 0$' <<<"$result" || failed=1
grep -q '^status not ok: none$' <<<"$result" || { psql_ -c "SELECT * FROM cla_eventlog.status()"; failed=1; }

# The B-tree indexes of the log, the timers and the case table are sound.
if psql_ -c "CREATE EXTENSION IF NOT EXISTS amcheck" 2>/dev/null; then
    idx=$(psql_ -At -c "SELECT c.relname, bt_index_check(i.indexrelid, true)
                          FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam
                         WHERE a.amname = 'btree' AND i.indrelid IN ('cla_eventlog.log'::regclass,
                               'cla_eventlog.timer'::regclass, 'cla_reference.legalaid_case'::regclass)" | wc -l) \
        && echo "   amcheck: $idx indexes of log, timers and case table pass bt_index_check" \
        || { echo "   -> amcheck found a broken index"; failed=1; }
else
    echo "   (amcheck not installed: index check skipped)"
fi

# Logging continues, with new ids above every id the crash left behind.
after=$(psql_ -At <<'SQL'
SELECT COALESCE(max(id), 0) AS max_log FROM cla_eventlog.log \gset
SELECT COALESCE(max(id), 0) AS max_timer FROM cla_eventlog.timer \gset
SELECT 'new timer above: ' || ((cla_eventlog.start_timer(99)).id > :max_timer);
SELECT 'new log above: ' || (cla_eventlog.log_event('suspend_case', 1, 99, 'TERM', notes => 'after the crash', acting_role => 'operator') > :max_log);
SELECT 'timer stopped by it: ' || ((cla_eventlog.current_timer(99)).id IS NULL);
SELECT 'verify rows: ' || count(*) FROM cla_eventlog.verify();
SQL
)
echo "$after" | sed 's/^/   /'
[ "$after" = "new timer above: true
new log above: true
timer stopped by it: true
verify rows: 0" ] || { echo "   -> logging after the crash is wrong"; failed=1; }

if [ "$failed" -ne 0 ]; then
    echo "FAILED: the crash lost or broke something"
    exit 1
fi
echo "crash safe: $n_logs acknowledged log ids and $n_timers acknowledged timer ids all survived"
