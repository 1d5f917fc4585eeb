#!/usr/bin/env bash
# bench_smoke: every pgbench script of test/bench runs once without error
# on a small bench database (prepared by test/bench/setup.sql, as make bench
# does), and each log_event script really stores its row.
#
# Run by test/run.sh with PGHOST, PGPORT, PGUSER and CEL_TOP set; builds,
# installs and starts nothing.  Exits 0 on success.
set -euo pipefail
top=${CEL_TOP:?CEL_TOP must be the repository top}
. "$top/test/bench/common.sh"

db=cel_bench_smoke
tmp=$(mktemp -d /tmp/cel_bench_smoke.XXXXXX)
cleanup() {
    rm -rf "$tmp"
    "$bench_bindir/dropdb" --if-exists "$db" 2>/dev/null || true
}
trap cleanup EXIT

echo "== preparing $db (20 cases, 100 generated log rows, 200 codes)"
bench_prepare "$db" 20 100
bench_add_codes "$db" 200 | sed 's/^/   live codes: /'

count() { bench_psql -At -d "$db" -c "SELECT (SELECT count(*) FROM cla_eventlog.log) || ' ' || (SELECT count(*) FROM bench.plain_log)"; }
failed=0
for s in "${bench_scripts[@]}"; do
    before=$(count)
    if bench_pgbench "$db" "$s" 20 "$tmp/$s.log" -c 1 -t 1; then
        after=$(count)
        echo "ok   $s (log rows, plain rows: $before -> $after)"
        if [ "$before" = "$after" ]; then echo "     but no row was stored"; failed=1; fi
    else
        echo "FAIL $s"; failed=1
    fi
done
[ "$failed" -eq 0 ] && echo "every bench script ran once"
exit "$failed"
