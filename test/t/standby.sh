#!/usr/bin/env bash
# standby: the status probe on a streaming standby (README "Status checks:
# what each check means", check standby).  A primary and a standby made with
# pg_basebackup -R, on private sockets: while the standby streams, status()
# is green on both; with the primary stopped, the standby's check standby
# (and so status_json()'s ok) turns red, so a stale replica is not reported
# healthy.  Starts and stops its own two clusters (CEL_STANDBY_PORT and the
# next port, default 55451).  Exits 0 on success.
set -euo pipefail

top=${CEL_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
bindir=$(pg_config --bindir)
port=${CEL_STANDBY_PORT:-55451}
sport=$((port + 1))
work=$(mktemp -d /tmp/cel_standby.XXXXXX)
mkdir -p "$work/sock"
chown -R postgres: "$work"
as_pg() { su postgres -s /bin/sh -c "$*"; }
stop_all() {
    for d in "$work/standby" "$work/primary"; do
        [ -f "$d/postmaster.pid" ] && as_pg "$bindir/pg_ctl -D '$d' -m immediate -w stop" >/dev/null 2>&1 || true
    done
    rm -rf "$work"
}
trap stop_all EXIT
psql_() { "$bindir/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$work/sock" "$@"; }

echo "== primary on port $port"
as_pg "$bindir/initdb -D '$work/primary' -A trust -U postgres --no-sync" > "$work/initdb.log" 2>&1
cat >> "$work/primary/postgresql.conf" <<CONF
listen_addresses = ''
port = $port
unix_socket_directories = '$work/sock'
fsync = off
CONF
as_pg "$bindir/pg_ctl -D '$work/primary' -l '$work/primary.log' -w start" 9>&- >/dev/null
psql_ -p "$port" -U postgres -d postgres > /dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION cla_eventlog;
CREATE TABLE legalaid_case (id bigint PRIMARY KEY, outcome_code text, outcome_code_id bigint, level int);
INSERT INTO legalaid_case SELECT generate_series(1, 10);
SELECT cla_eventlog.bind_case_table('public.legalaid_case');
SELECT cla_eventlog.register_event('case', '{"CASE_VIEWED": {"type": "system", "level": "MINOR",
    "selectable_by": [], "description": "Case viewed", "stops_timer": false}}');
SELECT cla_eventlog.log_event('case', 1, 7);
SQL

echo "== standby on port $sport (pg_basebackup -R)"
as_pg "$bindir/pg_basebackup -h '$work/sock' -p $port -U postgres -D '$work/standby' -R -X stream" 9>&-
cat >> "$work/standby/postgresql.conf" <<CONF
port = $sport
CONF
as_pg "$bindir/pg_ctl -D '$work/standby' -l '$work/standby.log' -w start" 9>&- >/dev/null
for _ in $(seq 1 60); do
    [ "$(psql_ -p "$sport" -U postgres -d postgres -c "SELECT status FROM pg_stat_wal_receiver")" = streaming ] && break
    sleep 0.5
done
psql_ -p "$port" -U postgres -d postgres -c "SELECT cla_eventlog.log_event('case', 2, 7)" >/dev/null
sleep 1

check() {   # check PORT: the standby check and status_json's ok
    psql_ -p "$1" -U postgres -d postgres -c "SELECT ok || ' ' || detail FROM cla_eventlog.status() WHERE check_name = 'standby'" \
          -c "SELECT 'status_json ok: ' || (cla_eventlog.status_json() ->> 'ok')"
}
fail=0
echo "== streaming"
p=$(check "$port"); s=$(check "$sport")
echo "   primary: $p" | head -1; echo "   standby: $(echo "$s" | head -1)"; echo "   standby $(echo "$s" | tail -1)"
case $p in "true the primary"*) ;; *) echo "FAILED: the primary's check standby"; fail=1 ;; esac
case $s in "true streaming"*"status_json ok: true") ;; *) echo "FAILED: a streaming standby should be green"; fail=1 ;; esac

echo "== the primary stopped"
as_pg "$bindir/pg_ctl -D '$work/primary' -m fast -w stop" >/dev/null
sleep 2
s=$(check "$sport")
echo "   standby: $(echo "$s" | head -1)"; echo "   standby $(echo "$s" | tail -1)"
case $s in "false the WAL receiver is"*"status_json ok: false") ;; *) echo "FAILED: a cut-off standby must be red"; fail=1 ;; esac

[ "$fail" -eq 0 ] || { tail -20 "$work/standby.log"; exit 1; }
echo "ok"
