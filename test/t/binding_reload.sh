#!/usr/bin/env bash
# binding_reload: a reload of the binding cache never frees a plan that an
# outer call is still executing (README, "Design decisions": caches).
#
# A trigger on the case table changes the binding and logs an event while
# the extension's UPDATE of that table is running (AFTER UPDATE row
# triggers fire inside it).  The nested log_event() finds the binding
# stale and reloads it; the outer UPDATE's saved plan must stay valid until
# the transaction ends.  The scenario runs in a single-user backend under
# valgrind memcheck, which fails the test on any invalid read, write or
# free; then the cluster runs normally and checks that the outer and every
# nested log applied to their cases.  (Limit: before the fix, valgrind did
# not catch the stale read either: PostgreSQL recycles deleted memory
# contexts, and a build without its valgrind hooks cannot mark them
# inaccessible.  The test guards the path; the fix, freeing replaced plans
# only at transaction end, is what makes it safe.)
#
# Run by test/run.sh; starts and stops its own cluster on port
# CEL_RELOAD_PORT (default 55443).  Exits 0 on success.
set -euo pipefail

top=${CEL_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/test/lib.sh"
bindir=$(pg_config --bindir)
port=${CEL_RELOAD_PORT:-55443}
work=$(mktemp -d /tmp/cel_reload.XXXXXX)
chown postgres: "$work"
db=cel_reload

saved_env=$(declare -p PGHOST PGPORT PGUSER CEL_CLUSTER CEL_SOCKDIR 2>/dev/null || true)
finish() {
    local rc=$?
    cel_stop_cluster || true
    [ -n "${CEL_KEEP:-}" ] || rm -rf "$work"
    unset PGHOST PGPORT PGUSER CEL_CLUSTER CEL_SOCKDIR
    eval "$saved_env"
    exit $rc
}
trap finish EXIT
fail() { echo "FAILED: $*"; exit 1; }
command -v valgrind >/dev/null || fail "valgrind is not installed (test/lib.sh installs it)"
psql_() { "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -d "$db" "$@"; }

echo "== private cluster on port $port"
CEL_CLUSTER=
cel_start_cluster "$port"
"$bindir/createdb" "$db"
psql_ <<'SQL'
CREATE EXTENSION cla_eventlog;
CREATE SCHEMA app;
CREATE TABLE app.legalaid_case (id bigint PRIMARY KEY, outcome_code text, outcome_code_id bigint,
    level integer, requires_action_by text, modified timestamptz);
INSERT INTO app.legalaid_case (id) SELECT g FROM generate_series(1, 2000) g;
SELECT cla_eventlog.bind_case_table('app.legalaid_case');
INSERT INTO cla_eventlog.event (key) VALUES ('accept_case'), ('note');
INSERT INTO cla_eventlog.code (event_key, code, type, level, description, stops_timer, set_requires_action_by)
VALUES ('accept_case', 'SPOP', 'outcome', 29, 'Accepted', false, NULL),
       ('note', 'NOTE', 'event', 11, 'Note', false, '"operator"');
-- Cases below 1000: every update of the case changes the binding 40
-- times (every backend then reloads it) and each time logs a NOTE on case
-- id + 1000, which writes that case's requires_action_by through the
-- reloaded binding.  So many reloads matter: PostgreSQL keeps up to 100
-- deleted memory contexts of a size class for reuse, so valgrind sees a
-- freed plan only once a hundred more were deleted after it.
CREATE FUNCTION app.relog() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id < 1000 THEN
        FOR i IN 1 .. 40 LOOP
            UPDATE cla_eventlog.case_binding SET columns = columns;
            PERFORM cla_eventlog.log_event('note', NEW.id + 1000, 1);
        END LOOP;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER relog AFTER UPDATE ON app.legalaid_case FOR EACH ROW EXECUTE FUNCTION app.relog();
SQL
su postgres -s /bin/sh -c "$bindir/pg_ctl -D '$CEL_CLUSTER/data' -m fast -w stop" >/dev/null

echo "== single-user backend under valgrind: 20 outcomes, each reloading the binding 40 times inside its UPDATE"
for i in $(seq 1 20); do
    printf "SELECT cla_eventlog.log_event('accept_case', %d, 5);\n\n" "$i"
done > "$work/script.sql"
chmod 644 "$work/script.sql"
su postgres -s /bin/sh -c "valgrind --quiet --error-limit=no --track-origins=no --num-callers=30 \
    --log-file='$work/valgrind.log' $bindir/postgres --single -j -D '$CEL_CLUSTER/data' $db \
    < '$work/script.sql' > '$work/single.out' 2>&1" || { tail -20 "$work/single.out"; fail "the single-user backend failed"; }
grep -q 'ERROR' "$work/single.out" && { grep -B2 -A2 ERROR "$work/single.out" | head -20; fail "a log_event() failed"; }
bad=$(grep -cE 'Invalid (read|write|free)' "$work/valgrind.log" || true)
if [ "$bad" -gt 0 ]; then
    grep -E -A14 'Invalid (read|write|free)' "$work/valgrind.log" | head -60
    fail "valgrind reports $bad invalid memory accesses"
fi
echo "   valgrind: no invalid read, write or free ($(wc -l < "$work/valgrind.log") lines of other reports)"

echo "== every outer and nested log applied"
su postgres -s /bin/sh -c "$bindir/pg_ctl -D '$CEL_CLUSTER/data' -l '$CEL_CLUSTER/server.log' -w start" 9>&- >/dev/null
got=$(psql_ -At -c "SELECT count(*) FILTER (WHERE id <= 20 AND outcome_code = 'SPOP'),
                           count(*) FILTER (WHERE id > 1000 AND id <= 1020 AND requires_action_by = 'operator')
                      FROM app.legalaid_case")
[ "$got" = "20|20" ] || fail "expected 20 outcomes and 20 nested requires_action_by, got $got"
echo "   20 outcomes, 20 nested logs applied"
echo "ok"
