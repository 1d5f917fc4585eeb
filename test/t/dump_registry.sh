#!/usr/bin/env bash
# dump_registry: pg_dump (custom format) and pg_restore of a database using
# cla_eventlog lose nothing of the registry (README "Backup, restore and upgrade"): the codes view,
# events, roles and registration order are identical after the restore,
# retired codes stay retired, the seeded roles are not duplicated, and the
# registration-order sequence continues after the restored codes.
#
# Run by test/run.sh with PGHOST, PGPORT and PGUSER set; exits 0 on success.
set -euo pipefail

bindir=$(pg_config --bindir)
src=cel_dump_registry_src
dst=cel_dump_registry_dst
dump=$(mktemp /tmp/cel_dump_registry.XXXXXX)

psql_() { "$bindir/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }
cleanup() {
    rm -f "$dump"
    "$bindir/dropdb" --if-exists "$src" 2>/dev/null || true
    "$bindir/dropdb" --if-exists "$dst" 2>/dev/null || true
}
trap cleanup EXIT
cleanup
"$bindir/createdb" "$src"

echo "== registering events in $src"
psql_ -d "$src" <<'SQL'
CREATE EXTENSION cla_eventlog;
CREATE SCHEMA dump_app;
CREATE FUNCTION dump_app.rab(case_id bigint, current text) RETURNS text
    LANGUAGE sql AS $$ SELECT 'operator' $$;
CREATE FUNCTION dump_app.pick(case_id bigint, params jsonb) RETURNS text
    LANGUAGE sql AS $$ SELECT 'CB1' $$;

-- An added role.
SELECT cla_eventlog.add_role('supervisor');

-- call_me_back: CB2 is retired by the second registration.
SELECT cla_eventlog.register_event('call_me_back', '{
    "CB1": {"type": "outcome", "level": 29, "selectable_by": ["operator"],
            "description": "Callback 1", "stops_timer": true, "set_requires_action_by": "operator"},
    "CB2": {"type": "outcome", "level": 29, "selectable_by": ["operator"],
            "description": "Callback 2", "stops_timer": true}}', 'dump_app.pick');
SELECT cla_eventlog.register_event('call_me_back', '{
    "CB1": {"type": "outcome", "level": 29, "selectable_by": ["operator"],
            "description": "Callback 1", "stops_timer": true, "set_requires_action_by": "operator"},
    "CB3": {"type": "outcome", "level": 29, "selectable_by": ["operator", "supervisor"],
            "description": "Callback 3", "stops_timer": true}}', 'dump_app.pick');

-- case: every optional attribute, JSON null next to an absent attribute.
SELECT cla_eventlog.register_event('case', '{
    "CASE_CREATED": {"type": "system", "level": 29, "selectable_by": [],
                     "description": "Case created", "stops_timer": false},
    "CASE_VIEWED":  {"type": "system", "level": "MINOR", "selectable_by": [],
                     "description": "Case viewed", "stops_timer": false,
                     "once_per": {"scope": "case_timer", "with": ["CASE_CREATED"]}},
    "CLSP":         {"type": "outcome", "level": 29, "selectable_by": ["specialist", "supervisor"],
                     "description": "Closed SP Case", "stops_timer": false, "order": 7,
                     "set_requires_action_by": null,
                     "set_case_columns": {"provider_closed": "now", "provider_accepted": null},
                     "once_per": {"scope": "case"}},
    "DESP":         {"type": "outcome", "level": 21, "selectable_by": ["operator"],
                     "description": "Client declined Specialist", "stops_timer": true, "order": 7,
                     "set_requires_action_by": {"clear_if_owned_by": ["operator", "operator_manager"]}},
    "FUNC":         {"type": "event", "level": 11, "selectable_by": [],
                     "description": "Decided by a function", "stops_timer": false,
                     "set_requires_action_by": {"function": "dump_app.rab"}}}');

-- gone: every code retired.
SELECT cla_eventlog.register_event('gone', '{
    "G1": {"type": "system", "level": 11, "selectable_by": [], "description": "Gone", "stops_timer": false}}');
SELECT cla_eventlog.unregister_event('gone');
SQL

echo "== pg_dump -Fc $src, pg_restore into $dst"
"$bindir/pg_dump" -Fc -f "$dump" "$src"
"$bindir/createdb" "$dst"
"$bindir/pg_restore" --exit-on-error -d "$dst" "$dump"

failed=0
compare() {   # compare TITLE QUERY: the query's rows in both databases
    local a b
    a=$(psql_ -d "$src" -At -c "$2")
    b=$(psql_ -d "$dst" -At -c "$2")
    echo "== $1: $2"
    echo "$a" | sed 's/^/   /'
    if [ "$a" = "$b" ]; then
        echo "   -> identical"
    else
        echo "   -> DIFFERENT after restore:"
        diff <(echo "$a") <(echo "$b") || true
        failed=1
    fi
}
compare "codes view" "SELECT * FROM cla_eventlog.codes ORDER BY 1, 2"
compare "JSON null vs SQL NULL" \
    "SELECT event_key, code, set_requires_action_by IS NULL, pg_catalog.jsonb_typeof(set_requires_action_by) FROM cla_eventlog.codes ORDER BY 1, 2"
compare "events" "SELECT key, code_resolver, registered_at FROM cla_eventlog.event ORDER BY 1"
compare "roles" "SELECT name, seeded FROM cla_eventlog.role ORDER BY 1"
compare "registration order" "SELECT event_key, code, reg_order FROM cla_eventlog.code ORDER BY 1, 2"
compare "display order" "SELECT event_key, code FROM cla_eventlog.event_codes('case')"

# The restore must hold what was registered (a guard against comparing two
# empty registries) and the seeded roles exactly once.
echo "== restored counts"
counts=$(psql_ -d "$dst" -At -c "SELECT (SELECT count(*) FROM cla_eventlog.code) || ' codes, '
    || (SELECT count(*) FROM cla_eventlog.code WHERE retired) || ' retired, '
    || (SELECT count(*) FROM cla_eventlog.role WHERE seeded) || ' seeded roles, '
    || (SELECT count(*) FROM cla_eventlog.role WHERE NOT seeded) || ' added roles'")
echo "   $counts"
if [ "$counts" != "9 codes, 2 retired, 2 seeded roles, 1 added roles" ]; then
    echo "   -> unexpected"; failed=1
fi

# A code registered after the restore is ordered after the restored ones.
echo "== registration order continues after the restore"
next=$(psql_ -d "$dst" -At <<'SQL'
SELECT cla_eventlog.register_event('after_restore', '{
    "A1": {"type": "system", "level": 11, "selectable_by": [], "description": "After", "stops_timer": false}}') \g /dev/null
SELECT (SELECT reg_order FROM cla_eventlog.code WHERE event_key = 'after_restore')
     > (SELECT max(reg_order) FROM cla_eventlog.code WHERE event_key <> 'after_restore');
SQL
)
echo "   new reg_order above every restored one: $next"
[ "$next" = t ] || failed=1

if [ "$failed" -ne 0 ]; then
    echo "FAILED: the restored registry differs"
    exit 1
fi
echo "registry identical after dump and restore"
