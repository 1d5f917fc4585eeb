#!/usr/bin/env bash
# upgrade: a database created at 1.0 and in use, after
# ALTER EXTENSION cla_eventlog UPDATE TO '1.1', has exactly the objects of a
# fresh 1.1 install, keeps all its data, and goes on logging.
#
#  * the version is stated once per place and the places agree: the control
#    file's default_version, CEL_VERSION in src/cla_eventlog.h, EXTVERSION in
#    the Makefile; the released 1.0 script is unchanged (md5);
#  * the installed files offer the update path 1.0 -> 1.1;
#  * before the update status() reports library_version not ok (library 1.1,
#    SQL objects 1.0), after it ok;
#  * every member object of the extension (pg_depend deptype 'e'), with its
#    definition — functions (pg_get_functiondef, ACL), views (pg_get_viewdef),
#    tables (columns in order with types, defaults, NOT NULL; constraints;
#    indexes; triggers; ACL), sequences, comments on all of them and their
#    columns, initial privileges, the extension's config-dump list, the
#    schema's ACL — is identical in the updated database and in a fresh 1.1
#    database prepared the same way;
#  * counts and md5 checksums of registry, log, timers, binding, case table
#    and sequences are the same before and after the update;
#  * after the update a new log id is above every old one, a stops_timer code
#    stops a timer started under 1.0, the case shows the outcome, and 1.1's
#    case_history() lists the case's logs.
#
# Run by test/run.sh with PGHOST, PGPORT and PGUSER set; exits 0 on success.
set -euo pipefail

top=${CEL_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
bindir=$(pg_config --bindir)
old=1.0
new=1.1
# md5 of the released sql/cla_eventlog--1.0.sql: a released script is never
# edited (STYLE.md); a change goes into the parts and an upgrade script.
released_md5_1_0=0d968ab73ea255df91a798fb32333b38
upd=cel_upgrade_updated
fresh=cel_upgrade_fresh

psql_() { "$bindir/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }
cleanup() {
    for db in "$upd" "$fresh"; do "$bindir/dropdb" --if-exists "$db" 2>/dev/null || true; done
}
trap cleanup EXIT
cleanup
failed=0
fail() { echo "   -> $*"; failed=1; }

echo "== versions in the source tree"
control=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" "$top/cla_eventlog.control")
header=$(sed -n 's/^#define CEL_VERSION[[:space:]]*"\(.*\)"/\1/p' "$top/src/cla_eventlog.h")
makefile=$(sed -n 's/^EXTVERSION *= *//p' "$top/Makefile")
echo "   control $control, CEL_VERSION $header, Makefile EXTVERSION $makefile"
[ "$control" = "$new" ] && [ "$header" = "$new" ] && [ "$makefile" = "$new" ] \
    || fail "the versions disagree (expected $new everywhere)"
sum=$(md5sum < "$top/sql/cla_eventlog--$old.sql" | cut -d' ' -f1)
echo "   sql/cla_eventlog--$old.sql md5 $sum"
[ "$sum" = "$released_md5_1_0" ] || fail "the released $old script was edited: put the change in sql/parts and in sql/cla_eventlog--$old--$new.sql instead"

"$bindir/createdb" "$upd"
"$bindir/createdb" "$fresh"
path=$(psql_ -d "$upd" -At -c "SELECT path FROM pg_extension_update_paths('cla_eventlog') WHERE source = '$old' AND target = '$new'")
echo "   installed update path $old -> $new: ${path:-none}"
[ "$path" = "$old--$new" ] || fail "no direct update script $old--$new is installed"

# The same application, binding and data in both databases, so that the
# binding's foreign keys are on both sides of the comparison.  $old has no
# role membership: there the reference application adds its MCC role
# without one, and its next deployment on $new (add_role() with member_of,
# after the update) declares the membership.
tmp=$(mktemp -d /tmp/cel_upgrade.XXXXXX)
trap 'cleanup; rm -rf "$tmp"' EXIT
sed "s/add_role('mcc_specialist', member_of => 'specialist')/add_role('mcc_specialist')/" \
    "$top/test/fixtures/cla_reference.sql" > "$tmp/cla_reference_$old.sql"
grep -q "add_role('mcc_specialist');" "$tmp/cla_reference_$old.sql" || fail "the $old variant of the reference application was not made"
app_setup() {
    cat <<SQL
SET client_min_messages = warning;
\\i $1
SELECT cla_reference.register_events() \\g /dev/null
SELECT cla_reference.bind() \\g /dev/null
SELECT cla_eventlog.add_role('supervisor') \\g /dev/null
INSERT INTO cla_reference.legalaid_case (id, source)
SELECT i, (ARRAY['WEB', 'PHONE', 'SMS', 'VOICEMAIL'])[1 + i % 4] FROM generate_series(1, 40) i;
SELECT setval('cla_reference.legalaid_case_id_seq', 40) \\g /dev/null
SQL
}

echo "== $upd: CREATE EXTENSION cla_eventlog VERSION '$old', in use"
psql_ -d "$upd" <<SQL
SET client_min_messages = warning;
CREATE EXTENSION cla_eventlog VERSION '$old';
$(app_setup "$tmp/cla_reference_$old.sql")
DO \$\$
DECLARE
    c int;
    u int;
BEGIN
    FOR c IN 1..40 LOOP
        u := 1 + c % 4;
        PERFORM cla_eventlog.start_timer(u);
        PERFORM cla_eventlog.log_event('case', c, u, 'CASE_CREATED', acting_role => 'operator');
        PERFORM cla_eventlog.log_event('means_test', c, u, params => '{"status": "passed"}');
        IF c % 3 = 0 THEN
            PERFORM cla_eventlog.log_event('decline_help', c, u, 'DECL', notes => 'case ' || c, acting_role => 'operator');
        ELSIF c % 3 = 1 THEN
            PERFORM cla_eventlog.log_event('assign_to_provider', c, u, params => '{"is_spor": true}');
            PERFORM cla_eventlog.log_event('accept_case', c, 100 + u, acting_role => 'specialist');
        ELSE
            PERFORM cla_eventlog.cancel_timer(u);
        END IF;
    END LOOP;
END
\$\$;
-- a timer left running (user 7) with a log on case 3; a retired code
SELECT cla_eventlog.start_timer(7) \g /dev/null
SELECT cla_eventlog.log_event('case', 3, 7, 'CASE_VIEWED', acting_role => 'operator') \g /dev/null
SELECT cla_eventlog.log_event('change_category', 4, 1, 'CATEGORY_CHANGED') \g /dev/null
SELECT cla_eventlog.register_event('change_category', '{
    "CATEGORY_CHECKED": {"type": "system", "level": 11, "selectable_by": ["supervisor"], "description": "Category checked", "stops_timer": false}}') \g /dev/null
SQL

echo "== $fresh: CREATE EXTENSION cla_eventlog (default version)"
psql_ -d "$fresh" <<SQL
SET client_min_messages = warning;
CREATE EXTENSION cla_eventlog;
$(app_setup "$top/test/fixtures/cla_reference.sql")
SELECT cla_eventlog.register_event('change_category', '{
    "CATEGORY_CHECKED": {"type": "system", "level": 11, "selectable_by": ["supervisor"], "description": "Category checked", "stops_timer": false}}') \g /dev/null
SQL

# sequences that $new adds (they have no value before the update)
new_sequences="'erasure_id_seq', 'log_change_id_seq', 'import_run_id_seq', 'retention_run_id_seq'"
checks=(
  "codes|SELECT count(*) || ' ' || md5(string_agg(c::text, '|' ORDER BY c.event_key, c.code)) FROM cla_eventlog.codes c"
  "roles|SELECT count(*) || ' ' || md5(string_agg(r.name || ' ' || r.seeded, '|' ORDER BY r.name)) FROM cla_eventlog.role r"
  "events|SELECT count(*) || ' ' || md5(string_agg(e::text, '|' ORDER BY e.key)) FROM cla_eventlog.event e"
  "log|SELECT count(*) || ' ' || md5(string_agg(l::text, '|' ORDER BY l.id)) FROM cla_eventlog.log l"
  "timers|SELECT count(*) || ' ' || md5(string_agg(t::text, '|' ORDER BY t.id)) FROM cla_eventlog.timer t"
  "case_binding|SELECT count(*) || ' ' || md5(string_agg(b::text, '|')) FROM cla_eventlog.case_binding b"
  "case table|SELECT count(*) || ' ' || md5(string_agg(c::text, '|' ORDER BY c.id)) FROM cla_reference.legalaid_case c"
  "sequences|SELECT string_agg(s.sequencename || '=' || COALESCE(s.last_value::text, 'unset'), ' ' ORDER BY s.sequencename) FROM pg_sequences s WHERE s.schemaname IN ('cla_eventlog', 'cla_reference') AND s.sequencename NOT IN ($new_sequences)"
)
declare -A before
for chk in "${checks[@]}"; do
    before[${chk%%|*}]=$(psql_ -d "$upd" -At -c "${chk#*|}")
done
lv=$(psql_ -d "$upd" -At -c "SELECT ok || ': ' || detail FROM cla_eventlog.status() WHERE check_name = 'library_version'")
echo "   status library_version at $old: $lv"
case $lv in false:*"SQL objects $old"*) ;; *) fail "status() did not notice the $old objects under the $new library" ;; esac

echo "== ALTER EXTENSION cla_eventlog UPDATE TO '$new'"
psql_ -d "$upd" -c "ALTER EXTENSION cla_eventlog UPDATE TO '$new'"
echo "   extversion: $(psql_ -d "$upd" -At -c "SELECT extversion FROM pg_extension WHERE extname = 'cla_eventlog'")"

echo "== data before and after the update"
compared=0
for chk in "${checks[@]}"; do
    name=${chk%%|*}
    got=$(psql_ -d "$upd" -At -c "${chk#*|}")
    compared=$((compared + 1))
    if [ "$got" = "${before[$name]}" ]; then
        printf '   %-13s %s\n' "$name" "$got"
    else
        printf '   %-13s CHANGED: %s, before %s\n' "$name" "$got" "${before[$name]}"; failed=1
    fi
done

echo "== $upd: the application's next deployment declares its role membership"
psql_ -d "$upd" -At -c "SELECT cla_eventlog.add_role('mcc_specialist', member_of => 'specialist')" > /dev/null
for db in "$upd" "$fresh"; do
    got=$(psql_ -d "$db" -At -c "SELECT string_agg(r.name || ' member of ' || r.member_of, ', ' ORDER BY r.name) FROM cla_eventlog.role r WHERE r.member_of IS NOT NULL")
    echo "   $db: $got"
    [ "$got" = "mcc_specialist member of specialist" ] || fail "$db: unexpected role membership"
done

# Every member object of the extension with its definition, one line each.
describe=$(cat <<'SQL'
WITH ext AS (
    SELECT e.oid FROM pg_extension e WHERE e.extname = 'cla_eventlog'
), members AS (
    SELECT d.classid, d.objid, d.objsubid
      FROM pg_depend d, ext
     WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e'
), rels AS (
    SELECT c.oid, c.relkind FROM members m JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid
), owned AS (      -- objects that belong to member tables without being members
    SELECT 'pg_class'::regclass AS classid, i.indexrelid AS objid FROM pg_index i JOIN rels r ON r.oid = i.indrelid
    UNION ALL
    SELECT 'pg_constraint'::regclass, k.oid FROM pg_constraint k JOIN rels r ON r.oid = k.conrelid
    UNION ALL
    SELECT 'pg_trigger'::regclass, t.oid FROM pg_trigger t JOIN rels r ON r.oid = t.tgrelid WHERE NOT t.tgisinternal
    UNION ALL
    SELECT 'pg_policy'::regclass, p.oid FROM pg_policy p JOIN rels r ON r.oid = p.polrelid
)
SELECT 'member ' || pg_describe_object(m.classid, m.objid, m.objsubid) FROM members m
UNION ALL
SELECT 'function ' || p.oid::regprocedure || ' owner ' || p.proowner::regrole || ' acl ' || COALESCE(p.proacl::text, '-')
       || E'\n' || pg_get_functiondef(p.oid)
  FROM members m JOIN pg_proc p ON m.classid = 'pg_proc'::regclass AND p.oid = m.objid AND p.prokind <> 'a'
UNION ALL
SELECT 'relation ' || c.oid::regclass || ' kind ' || c.relkind::text || ' persistence ' || c.relpersistence::text
       || ' owner ' || c.relowner::regrole || ' acl ' || COALESCE(c.relacl::text, '-')
       || ' options ' || COALESCE(c.reloptions::text, '-') || ' rls ' || c.relrowsecurity
  FROM rels r JOIN pg_class c ON c.oid = r.oid
UNION ALL
SELECT 'column ' || a.attrelid::regclass || ' #' || a.attnum || ' ' || quote_ident(a.attname) || ' '
       || format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
       || COALESCE(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
       || CASE WHEN a.attidentity <> '' THEN ' identity ' || a.attidentity::text ELSE '' END
       || CASE WHEN a.attgenerated <> '' THEN ' generated ' || a.attgenerated::text ELSE '' END
       || CASE WHEN a.attcollation <> 0 THEN ' collate ' || a.attcollation::regcollation ELSE '' END
       || COALESCE(' acl ' || a.attacl::text, '')
  FROM rels r JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
UNION ALL
SELECT 'view ' || r.oid::regclass || E'\n' || pg_get_viewdef(r.oid) FROM rels r WHERE r.relkind IN ('v', 'm')
UNION ALL
SELECT 'sequence ' || s.seqrelid::regclass || ' ' || format_type(s.seqtypid, NULL) || ' start ' || s.seqstart
       || ' increment ' || s.seqincrement || ' min ' || s.seqmin || ' max ' || s.seqmax || ' cache ' || s.seqcache
       || ' cycle ' || s.seqcycle
       || COALESCE(' owned by ' || (SELECT d.refobjid::regclass || '.' || a.attname
                                      FROM pg_depend d JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                                     WHERE d.classid = 'pg_class'::regclass AND d.objid = s.seqrelid
                                       AND d.deptype = 'a' AND d.refclassid = 'pg_class'::regclass), '')
  FROM rels r JOIN pg_sequence s ON s.seqrelid = r.oid
UNION ALL
SELECT 'index ' || pg_get_indexdef(o.objid) FROM owned o WHERE o.classid = 'pg_class'::regclass
UNION ALL
-- (the binding's two foreign keys are made by the version that bound the
-- table: 1.0 validated them, 1.1 adds them NOT VALID and checks the rows
-- itself, so their validity is not compared)
SELECT 'constraint ' || k.conrelid::regclass || ' ' || quote_ident(k.conname) || ' '
       || CASE WHEN k.conname IN ('log_case_fkey', 'timer_linked_case_fkey')
               THEN regexp_replace(pg_get_constraintdef(k.oid), ' NOT VALID$', '')
               ELSE pg_get_constraintdef(k.oid)
                    || CASE WHEN k.convalidated THEN '' ELSE ' not valid' END END
       || CASE WHEN k.condeferrable THEN ' deferrable' ELSE '' END
  FROM owned o JOIN pg_constraint k ON o.classid = 'pg_constraint'::regclass AND k.oid = o.objid
UNION ALL
SELECT 'trigger ' || pg_get_triggerdef(t.oid) || ' enabled ' || t.tgenabled::text
  FROM owned o JOIN pg_trigger t ON o.classid = 'pg_trigger'::regclass AND t.oid = o.objid
UNION ALL
SELECT 'policy ' || p.polrelid::regclass || ' ' || p.polname || ' ' || p.polcmd::text || ' '
       || COALESCE(pg_get_expr(p.polqual, p.polrelid), '-') || ' ' || COALESCE(pg_get_expr(p.polwithcheck, p.polrelid), '-')
  FROM owned o JOIN pg_policy p ON o.classid = 'pg_policy'::regclass AND p.oid = o.objid
UNION ALL
SELECT 'comment on ' || pg_describe_object(x.classid, x.objid, d.objsubid) || ': ' || d.description
  FROM (SELECT m.classid, m.objid FROM members m UNION SELECT o.classid, o.objid FROM owned o) x
  JOIN pg_description d ON d.classoid = x.classid AND d.objoid = x.objid
UNION ALL
SELECT 'initial privileges of ' || pg_describe_object(i.classoid, i.objoid, i.objsubid) || ': ' || i.initprivs::text
       || ' (' || i.privtype::text || ')'
  FROM members m JOIN pg_init_privs i ON i.classoid = m.classid AND i.objoid = m.objid
UNION ALL
SELECT 'config dump ' || c.cfg::regclass || ' where ' || COALESCE(NULLIF(e.extcondition[c.n], ''), '-')
  FROM pg_extension e, unnest(e.extconfig) WITH ORDINALITY c(cfg, n) WHERE e.extname = 'cla_eventlog'
UNION ALL
SELECT 'extension schema ' || n.nspname || ' owner ' || n.nspowner::regrole || ' acl ' || COALESCE(n.nspacl::text, '-')
       || ' comment ' || COALESCE(obj_description(n.oid, 'pg_namespace'), '-') || ' relocatable ' || e.extrelocatable
  FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'cla_eventlog'
ORDER BY 1
SQL
)
psql_ -d "$upd" -At -c "$describe" > "$tmp/updated.txt"
psql_ -d "$fresh" -At -c "$describe" > "$tmp/fresh.txt"
members=$(grep -c '^member ' "$tmp/fresh.txt" || true)
entries=$(grep -cE '^(member|function|relation|column|view|sequence|index|constraint|trigger|policy|comment on|initial privileges|config dump|extension schema) ' "$tmp/fresh.txt" || true)
echo "== objects: $members member objects, $entries definitions compared (updated vs fresh $new)"
grep -E '^(member|function|relation|column|view|sequence|index|constraint|trigger|policy|comment|initial|config|extension) ' "$tmp/fresh.txt" \
    | cut -d' ' -f1 | sort | uniq -c | awk '{ printf "%s%s %s", (NR > 1 ? ", " : "   "), $1, $2 } END { print "" }'
if diff -u "$tmp/fresh.txt" "$tmp/updated.txt" > "$tmp/diff.txt"; then
    echo "   identical"
else
    echo "   DIFFERENT (- fresh $new, + updated from $old):"
    head -60 "$tmp/diff.txt" | sed 's/^/   /'
    fail "the update script does not give what the $new install script gives: add the change in sql/parts to sql/cla_eventlog--$old--$new.sql"
fi
[ "$members" -gt 50 ] || fail "too few member objects: the comparison query is broken"
grep -q "^member function cla_eventlog.case_history(bigint)$" "$tmp/updated.txt" || fail "case_history() is not a member after the update"

echo "== $upd: working after the update"
out=$(psql_ -d "$upd" -At <<'SQL'
SELECT ok || ': ' || detail FROM cla_eventlog.status() WHERE check_name = 'library_version';
SELECT 'status not ok: ' || COALESCE(string_agg(check_name, ', '), 'none') FROM cla_eventlog.status() WHERE NOT ok;
SELECT max(id) AS max_before FROM cla_eventlog.log \gset
SELECT id AS timer7 FROM cla_eventlog.current_timer(7) \gset
SELECT cla_eventlog.log_event('decline_help', 3, 7, 'DESP', notes => 'after the update', acting_role => 'operator') AS new_id \gset
SELECT 'new log id above the old ones: ' || (:new_id > :max_before);
SELECT 'timer started under 1.0 stopped: ' || (t.stopped IS NOT NULL AND NOT t.cancelled AND t.linked_case = 3)
  FROM cla_eventlog.timer t WHERE t.id = :timer7;
SELECT 'case shows the outcome: ' || (c.outcome_code = 'DESP' AND c.outcome_code_id = :new_id)
  FROM cla_reference.legalaid_case c WHERE c.id = 3;
SELECT 'case_history lists every log of the case in order: '
       || (array_agg(h.log_id ORDER BY h.log_id) = array_agg(h.log_id)
           AND count(*) = (SELECT count(*) FROM cla_eventlog.log WHERE case_id = 3)
           AND bool_and(h.description IS NOT NULL))
       || ', last: ' || (array_agg(h.code || ' ' || h.description || ' ' || h.level_name))[count(*)]
  FROM cla_eventlog.case_history(3) h;
SELECT 'retired code described: ' || (h.description = 'Category of law changed' AND h.retired)
  FROM cla_eventlog.case_history(4) h WHERE h.code = 'CATEGORY_CHANGED';
SELECT 'verify rows: ' || count(*) FROM cla_eventlog.verify();
SQL
)
echo "$out" | sed 's/^/   /'
[ "$out" = "true: library $new, SQL objects $new
status not ok: none
new log id above the old ones: true
timer started under 1.0 stopped: true
case shows the outcome: true
case_history lists every log of the case in order: true, last: DESP Client declined Specialist HIGH
retired code described: true
verify rows: 0" ] || fail "the updated database does not work as expected"

echo "== $compared data checks, $entries definitions compared"
if [ "$failed" -ne 0 ]; then
    echo "FAILED: the update from $old to $new is not equivalent to a fresh install"
    exit 1
fi
echo "updating $old to $new gives a fresh $new's objects, keeps the data and goes on logging"
