#!/usr/bin/env bash
# history_import: the move of a running cla_backend database (README
# "Moving an existing cla_backend database"), end to end, on the generated
# Django-shaped source (test/fixtures/django_source.sql, CEL_IMPORT_CASES
# cases, default 400):
#   1. the bulk import runs while "the service" keeps writing its old
#      tables (new logs and timers, timers stopped), in small batches;
#   2. the tail at cutover brings over only what is new;
#   3. every source row is then imported or listed in import_problem, the
#      problems are the generator's planted ones, ids and sequences agree;
#   4. verify() names the cases the old last-saved-wins code left
#      disagreeing, and repair_cases() fixes them;
#   5. the service's reports (test/fixtures/django_reports.sql) give the
#      same output on the Django tables (without the rows listed in
#      import_problem) and on the compatibility views; JSON values compare
#      as JSON, since jsonb keeps no key order or spacing;
#   6. going back after the cutover (README's steps) keeps what the
#      extension logged meanwhile.
# Uses the test cluster (PGHOST/PGPORT from test/run.sh); its own database.
set -euo pipefail

top=${CEL_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
bindir=$(pg_config --bindir)
db=cel_history_import
cases=${CEL_IMPORT_CASES:-400}
work=$(mktemp -d /tmp/cel_import.XXXXXX)
cleanup() {
    [ -n "${writer:-}" ] && kill "$writer" 2>/dev/null || true
    "$bindir/dropdb" --if-exists "$db" 2>/dev/null || true
    rm -rf "$work"
}
[ -n "${CEL_KEEP:-}" ] || trap cleanup EXIT
psql_() { "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -d "$db" "$@"; }
val() { psql_ -At -c "$1"; }
failed=0
fail() { echo "   -> $*"; failed=1; }

"$bindir/dropdb" --if-exists "$db" 2>/dev/null || true
"$bindir/createdb" "$db"
echo "== the service's database: $cases cases (test/fixtures/django_source.sql)"
psql_ -v cases="$cases" -f "$top/test/fixtures/django_source.sql" > "$work/source.log"
echo "   $(val "SELECT count(*) FROM cla_eventlog_log") logs, $(val "SELECT count(*) FROM timer_timer") timers"

echo "== the extension beside it: the registry of the service, its case table bound"
psql_ -v ref="$top/test/fixtures/cla_reference.sql" > /dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION cla_eventlog;
\i :ref
SELECT cla_reference.register_events();
ALTER TABLE public.legalaid_case ALTER COLUMN outcome_code_id TYPE bigint;   -- the runbook's step 1
SELECT cla_eventlog.bind_case_table('public.legalaid_case');
SQL

echo "== 1. the bulk import, while the service writes its old tables"
# The service: every 50 ms an operator's outcome on a case, with what the
# old code did to the case; it stops the oldest running timer (imported
# running, so the next run must update it) and starts a new one for that
# user.
cat > "$work/service.sql" <<'SQL'
DO $$
DECLARE
    t integer;
    u integer;
    l integer;
    c integer := (SELECT max(id) FROM legalaid_case) - (random() * 50)::int;
BEGIN
    -- (a timer already imported, when there is one: the stop to carry over)
    SELECT id, created_by_id INTO t, u FROM timer_timer WHERE stopped IS NULL AND NOT cancelled
     ORDER BY id IN (SELECT x.id FROM cla_eventlog.timer x) DESC, id LIMIT 1;
    UPDATE timer_timer SET stopped = now(), modified = now(), linked_case_id = c WHERE id = t;
    INSERT INTO cla_eventlog_log (created, modified, case_id, timer_id, code, type, level, created_by_id, notes, patch, context)
    VALUES (now(), now(), c, t, 'DECL', 'outcome', 29, u, NULL, NULL, '{}') RETURNING id INTO l;
    -- what the old service did to the case (c.2, d.4)
    UPDATE legalaid_case SET outcome_code = 'DECL', outcome_code_id = l, level = 29, modified = now(),
           billable_time = (SELECT COALESCE(sum(ceil(extract(epoch FROM x.stopped - x.created))), 0)
                              FROM timer_timer x WHERE x.linked_case_id = c AND x.stopped IS NOT NULL AND NOT x.cancelled)
     WHERE id = c;
    INSERT INTO timer_timer (created, modified, stopped, linked_case_id, cancelled, created_by_id)
    VALUES (now(), now(), NULL, NULL, false, u);
END
$$;
SQL
(
    while :; do
        "$bindir/psql" -X -q -d "$db" -f "$work/service.sql" >> "$work/service.log" 2>&1 || true
        sleep 0.05
    done
) 9>&- &
writer=$!
sleep 1
# a user's timer left running at the start of the import
val "INSERT INTO timer_timer (created, modified, stopped, linked_case_id, cancelled, created_by_id)
     SELECT now(), now(), NULL, NULL, false, o.user_id FROM call_centre_operator o
      WHERE NOT EXISTS (SELECT FROM timer_timer t WHERE t.created_by_id = o.user_id AND t.stopped IS NULL AND NOT t.cancelled)
      ORDER BY o.user_id DESC LIMIT 1" > /dev/null
"$bindir/psql" -X -q -v ON_ERROR_STOP=1 -d "$db" -c "CALL cla_eventlog.import_history('public', batch_size => 500)" \
    > "$work/import1.log" 2>&1 || { cat "$work/import1.log"; fail "the bulk import failed"; }
sleep 2
kill "$writer"; wait "$writer" 2>/dev/null || true; writer=
echo "   $(grep -c 'import_history: logs' "$work/import1.log") log batches reported progress; $(grep -c 'ERROR' "$work/service.log" || true) service errors"
echo "   run 1: $(val "SELECT logs_imported || ' logs, ' || timers_imported || ' timers, ' || problems || ' problems' FROM cla_eventlog.import_run WHERE id = 1")"

echo "== 2. the tail at cutover: only what is new"
# the end of the service's day: every running timer stopped; each timer
# the extension holds running, or that the service stopped or linked since,
# must be updated by the tail
val "UPDATE timer_timer SET stopped = now(), modified = now() WHERE stopped IS NULL AND NOT cancelled" > /dev/null
stopped=$(val "SELECT count(*) FROM timer_timer s JOIN cla_eventlog.timer t USING (id)
                WHERE (s.stopped, s.linked_case_id) IS DISTINCT FROM (t.stopped, t.linked_case)")
new_logs=$(val "SELECT count(*) FROM cla_eventlog_log s WHERE NOT EXISTS (SELECT FROM cla_eventlog.log l WHERE l.id = s.id)
                  AND NOT EXISTS (SELECT FROM cla_eventlog.import_problem p WHERE p.source_table = 'cla_eventlog_log' AND p.source_id = s.id)")
psql_ -c "CALL cla_eventlog.import_history('public')" > "$work/import2.log" 2>&1 || { cat "$work/import2.log"; fail "the tail import failed"; }
got=$(val "SELECT logs_imported || ' ' || timers_updated FROM cla_eventlog.import_run WHERE id = 2")
echo "   run 2: $new_logs new logs, $stopped imported timers stopped or linked since at the source; imported and updated: $got"
[ "$got" = "$new_logs $stopped" ] || fail "the tail did not bring over exactly what is new"
[ "$stopped" -gt 0 ] || fail "no imported timer was running: the tail's update is not tested"
psql_ -c "CALL cla_eventlog.import_history('public')" > /dev/null 2>&1
[ "$(val "SELECT logs_imported + timers_imported + timers_updated FROM cla_eventlog.import_run WHERE id = 3")" = 0 ] \
    || fail "a third run with nothing new imported or updated something"

echo "== 3. every source row imported or listed"
psql_ -At > "$work/accounting.txt" <<'SQL'
SELECT 'logs unaccounted: ' || count(*) FROM cla_eventlog_log s
 WHERE NOT EXISTS (SELECT FROM cla_eventlog.log l WHERE l.id = s.id)
   AND NOT EXISTS (SELECT FROM cla_eventlog.import_problem p WHERE p.source_table = 'cla_eventlog_log' AND p.source_id = s.id);
SELECT 'timers unaccounted: ' || count(*) FROM timer_timer s
 WHERE NOT EXISTS (SELECT FROM cla_eventlog.timer t WHERE t.id = s.id)
   AND NOT EXISTS (SELECT FROM cla_eventlog.import_problem p WHERE p.source_table = 'timer_timer' AND p.source_id = s.id);
SELECT 'imported logs that differ from the source: ' || count(*) FROM cla_eventlog_log s JOIN cla_eventlog.log l USING (id)
 WHERE (l.case_id, l.timer_id, l.code, l.type, l.level, l.created_by, l.notes, l.created, l.modified, l.object_id)
       IS DISTINCT FROM (s.case_id, s.timer_id, s.code, s.type, s.level, s.created_by_id, s.notes, s.created, s.modified, s.object_id);
SELECT 'imported timers that differ from the source: ' || count(*) FROM timer_timer s JOIN cla_eventlog.timer t USING (id)
 WHERE (t.created, t.stopped, t.linked_case, t.cancelled, t.created_by) IS DISTINCT FROM (s.created, s.stopped, s.linked_case_id, s.cancelled, s.created_by_id);
SELECT 'log_id_seq past the ids: ' || ((SELECT last_value FROM cla_eventlog.log_id_seq) >= (SELECT max(id) FROM cla_eventlog.log));
SELECT 'event keys of DUPL and CASE_VIEWED: ' || string_agg(event_key || '/' || code || ' by ' || COALESCE(created_by_role, '-'), ', ' ORDER BY event_key, code, created_by_role)
  FROM (SELECT DISTINCT event_key, code, created_by_role FROM cla_eventlog.log WHERE code IN ('DUPL', 'CASE_VIEWED')) d;
SELECT 'retired codes registered: ' || string_agg(code, ', ' ORDER BY code) FROM cla_eventlog.code WHERE event_key = 'imported';
SELECT 'problems: ' || string_agg(reason || ' ' || n, ', ' ORDER BY reason)
  FROM (SELECT reason, count(*) AS n FROM cla_eventlog.import_problem GROUP BY reason) p;
SQL
sed 's/^/   /' "$work/accounting.txt"
grep -qx 'logs unaccounted: 0' "$work/accounting.txt" || fail "a source log is neither imported nor listed"
grep -qx 'timers unaccounted: 0' "$work/accounting.txt" || fail "a source timer is neither imported nor listed"
grep -qx 'imported logs that differ from the source: 0' "$work/accounting.txt" || fail "an imported log differs from its source row"
grep -qx 'imported timers that differ from the source: 0' "$work/accounting.txt" || fail "an imported timer differs from its source row"
grep -qx 'log_id_seq past the ids: true' "$work/accounting.txt" || fail "log_id_seq is not past the imported ids"
grep -q 'case/CASE_VIEWED by operator' "$work/accounting.txt" && grep -q 'open_case/CASE_VIEWED by specialist' "$work/accounting.txt" \
    && grep -q 'reject_case/DUPL by specialist' "$work/accounting.txt" && grep -q 'suspend_case/DUPL by operator' "$work/accounting.txt" \
    || fail "DUPL and CASE_VIEWED did not land on their events"
grep -q '^problems: .*context_not_object' "$work/accounting.txt" && grep -q 'timer_owner' "$work/accounting.txt" \
    && grep -q 'code_ambiguous' "$work/accounting.txt" || fail "the generator's unimportable rows were not all listed"

echo "== 4. verify() after the import, and repair_cases()"
disagree=$(val "SELECT count(DISTINCT case_id) FROM cla_eventlog.verify()")
echo "   cases that disagree with their history: $disagree of $(val "SELECT count(*) FROM legalaid_case")"
val "SELECT k || ': ' || n FROM (SELECT split_part(problem, ' ', 1) AS k, count(*) AS n FROM cla_eventlog.verify() GROUP BY 1) v ORDER BY 1" | sed 's/^/     /'
[ "$disagree" -gt 0 ] || fail "no case disagrees: the generator's last-saved-wins cases are not found"
# the reports must see the service's own state, so repair a copy's worth:
# repair and verify inside a transaction that is rolled back
after=$(psql_ -At <<'SQL'
BEGIN;
SELECT count(*) FROM cla_eventlog.repair_cases() \g /dev/null
SELECT count(*) FROM cla_eventlog.verify();
ROLLBACK;
SQL
)
echo "   after repair_cases(): $after disagree"
[ "$after" = 0 ] || fail "repair_cases() left cases disagreeing"

echo "== 5. the service's reports on the Django tables and on the compatibility views"
psql_ > /dev/null <<'SQL'
CREATE SCHEMA legacy;
ALTER TABLE public.cla_eventlog_log SET SCHEMA legacy;
ALTER TABLE public.timer_timer SET SCHEMA legacy;
SELECT cla_eventlog.create_compat_views('public', 'public.django_content_type');
SQL
psql_ -A -F $'\t' -f "$top/test/fixtures/django_reports.sql" > "$work/reports_views.txt"
# The rows the import left out (import_problem) are not in the views: the
# same reports over the Django tables without those rows are what the views
# must give, line for line.
psql_ > /dev/null <<'SQL'
CREATE SCHEMA imported;
CREATE VIEW imported.cla_eventlog_log AS
    SELECT s.* FROM legacy.cla_eventlog_log s
     WHERE NOT EXISTS (SELECT FROM cla_eventlog.import_problem p WHERE p.source_table = 'cla_eventlog_log' AND p.source_id = s.id);
CREATE VIEW imported.timer_timer AS
    SELECT s.* FROM legacy.timer_timer s
     WHERE NOT EXISTS (SELECT FROM cla_eventlog.import_problem p WHERE p.source_table = 'timer_timer' AND p.source_id = s.id);
SQL
PGOPTIONS="-c search_path=imported,public" psql_ -A -F $'\t' -f "$top/test/fixtures/django_reports.sql" > "$work/reports_imported.txt"
# JSON columns (context, and patch, the literal of serialised JSON) are
# compared as JSON: jsonb keeps neither the key order nor the spacing the
# service wrote (README "Moving an existing cla_backend database"); every
# other byte must be the same.
json_normal() {
    python3 -c '
import json, sys
for line in sys.stdin:
    out = []
    for f in line.rstrip("\n").split("\t"):
        if f[:1] in "{[\"":
            try:
                v = json.loads(f)
                if isinstance(v, str):    # a patch: the literal of serialised JSON
                    v = json.dumps(json.loads(v), sort_keys=True, separators=(",", ":"))
                f = json.dumps(v, sort_keys=True, separators=(",", ":"))
            except ValueError:
                pass
        out.append(f)
    print("\t".join(out))
'
}
json_normal < "$work/reports_imported.txt" > "$work/reports_imported.norm"
json_normal < "$work/reports_views.txt" > "$work/reports_views.norm"
echo "   lines whose text differs only in JSON formatting: $(diff "$work/reports_imported.txt" "$work/reports_views.txt" | grep -c '^>' || true)"
if diff -u "$work/reports_imported.norm" "$work/reports_views.norm" > "$work/reports.diff"; then
    echo "   identical: $(wc -l < "$work/reports_views.txt") lines of report output"
else
    echo "   DIFFERENT:"; head -40 "$work/reports.diff" | sed 's/^/   /'
    fail "the reports differ between the Django tables and the compatibility views"
fi

echo "== 6. after the cutover the extension logs; going back (README's steps) keeps those rows"
psql_ -At > "$work/back.txt" <<'SQL'
SELECT cla_eventlog.log_event('case', (SELECT max(id) FROM legalaid_case), 1, 'CASE_VIEWED', acting_role => 'operator') \g /dev/null
SELECT 'new rows since the cutover: ' || count(*) FROM public.cla_eventlog_log v WHERE v.id > (SELECT max(id) FROM legacy.cla_eventlog_log);
INSERT INTO legacy.cla_eventlog_log
SELECT * FROM public.cla_eventlog_log v WHERE v.id > (SELECT max(id) FROM legacy.cla_eventlog_log);
INSERT INTO legacy.timer_timer
SELECT * FROM public.timer_timer v WHERE v.id > (SELECT max(id) FROM legacy.timer_timer);
UPDATE legacy.timer_timer t SET stopped = v.stopped, cancelled = v.cancelled,
       linked_case_id = v.linked_case_id, modified = v.modified
  FROM public.timer_timer v WHERE v.id = t.id AND v.modified > t.modified;
SELECT setval('legacy.cla_eventlog_log_id_seq', (SELECT max(id) FROM legacy.cla_eventlog_log)) \g /dev/null
SELECT setval('legacy.timer_timer_id_seq', (SELECT max(id) FROM legacy.timer_timer)) \g /dev/null
DROP VIEW public.cla_eventlog_log, public.timer_timer;
ALTER TABLE legacy.cla_eventlog_log SET SCHEMA public;
ALTER TABLE legacy.timer_timer SET SCHEMA public;
SELECT 'logs of the extension missing from the old table: ' || count(*) FROM cla_eventlog.log l
 WHERE NOT EXISTS (SELECT FROM public.cla_eventlog_log s WHERE s.id = l.id);
-- the old code's next insert takes the next id
INSERT INTO public.cla_eventlog_log (created, modified, case_id, code, type, level, created_by_id, context)
VALUES (now(), now(), 1, 'CASE_VIEWED', 'system', 11, 1, '{}') RETURNING 'the old code logs again: ' || (id > (SELECT max(l.id) FROM cla_eventlog.log l));
SQL
sed 's/^/   /' "$work/back.txt"
grep -qx 'new rows since the cutover: 1' "$work/back.txt" || fail "the row logged after the cutover is not seen through the view"
grep -qx 'logs of the extension missing from the old table: 0' "$work/back.txt" || fail "going back lost a row"
grep -qx 'the old code logs again: true' "$work/back.txt" || fail "the old table's sequence was not moved"

if [ "$failed" -ne 0 ]; then
    echo "FAILED"
    exit 1
fi
echo "the history import keeps every row or lists it, resumes, the reports run unchanged on the views, and the way back loses nothing"
