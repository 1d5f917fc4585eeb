#!/usr/bin/env bash
# The demo (README's first command: `make demo`).
#
# On a fresh Debian 12 machine, as root: installs what is missing, builds
# and installs the extension, starts a throwaway cluster, creates database
# cla_demo with the extension and the reference application
# (test/fixtures/cla_reference.sql), registers its events through
# autodiscover() and shows what the extension does, section by section.
# Stops the cluster at the end.
#
# Environment: CEL_DEMO_PORT (default 55433) to run beside another
# cluster; CEL_DEMO_KEEP=1 to leave the cluster running afterwards and print
# how to connect to it.
#
# Each section is a block below that starts with `section "N. title"`; a
# new step is appended as one more such block before the end marker.
set -euo pipefail
cd "$(dirname "$0")/.."

. test/lib.sh
# Same lock as `make test`: the installed extension is shared machine-wide.
exec 9>/tmp/cla_eventlog_test.lock
flock 9

port=${CEL_DEMO_PORT:-55433}
db=cla_demo

section() { printf '\n==== %s\n\n' "$*"; }
# psql on the demo database: stop at the first error, no pager, no tags.
demo_psql() { psql -X -q -v ON_ERROR_STOP=1 -P pager=off -d "$db" "$@"; }

section "0. Build, install, start a throwaway cluster on port $port"
cel_install_packages
cel_build_install
cel_start_cluster "$port"
if [ "${CEL_DEMO_KEEP:-0}" = 1 ]; then
    trap 'echo; echo "cluster left running: psql -h $CEL_SOCKDIR -p $port -U postgres $db"; echo "stop it with: su postgres -s /bin/sh -c \"$(pg_config --bindir)/pg_ctl -D $CEL_CLUSTER/data stop\""' EXIT
else
    trap cel_stop_cluster EXIT
fi
echo "PostgreSQL $(pg_config --version | awk '{print $2}'), socket $CEL_SOCKDIR"

section "1. Database $db with the extension"
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $db"
demo_psql <<'SQL'
CREATE EXTENSION cla_eventlog;
SELECT e.extname, e.extversion, n.nspname AS schema,
       cla_eventlog.library_version() AS library
  FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
 WHERE e.extname = 'cla_eventlog';
SQL

section "2. The reference application (schema cla_reference: case table, resolvers, event definitions)"
demo_psql -f test/fixtures/cla_reference.sql
demo_psql <<'SQL'
SELECT p.oid::regprocedure AS function,
       pg_catalog.split_part(pg_catalog.obj_description(p.oid, 'pg_proc'), E'\n', 1) AS what
  FROM pg_catalog.pg_proc p
 WHERE p.pronamespace = 'cla_reference'::regnamespace AND p.proname !~ '^_'
 ORDER BY p.proname;
SQL

section "3. Autodiscovery: every app's register_events() fills the registry"
demo_psql <<'SQL'
SELECT * FROM cla_eventlog.autodiscover(ARRAY['cla_reference']);
SELECT count(DISTINCT event_key) AS events, count(*) AS codes,
       count(*) FILTER (WHERE type = 'outcome') AS outcome_codes,
       (SELECT count(*) FROM cla_eventlog.selectable_codes('operator')) AS operator_can_pick
  FROM cla_eventlog.codes WHERE NOT retired;
SQL

section "4. The registry in display order"
demo_psql <<'SQL'
SELECT c.event_key, c.code, c.type, c.level_name, c.selectable_by, c.stops_timer, c.description
  FROM cla_eventlog.codes c
  JOIN cla_eventlog.code r USING (event_key, code)
 WHERE NOT c.retired
 ORDER BY c.event_key, c.sort_order, r.reg_order;
SQL

# ---------------------------------------------------------------------------
# Next sections go here, one block each, in this order:
#   section "5. Binding the case table"          SELECT cla_reference.bind();
#   section "6. A day of helpline work"          cases, timers, log_event()
#   section "7. Management information"          the mi_* views
#   section "8. Status check"                    cla_eventlog.status()
# ---------------------------------------------------------------------------

section "Done"
echo "demo finished"
