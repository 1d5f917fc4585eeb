#!/usr/bin/env bash
# bench_smoke: every pgbench script of test/bench runs once without error
# on a small bench database (prepared by test/bench/setup.sql, as make bench
# does: with the PL/pgSQL baseline, and the baselines given the log's rows by
# fill_baselines.sql), and each script really stores its row;
# the bulk-load workload (COPY of generated rows into the log through the
# triggers, and into the untriggered table) runs on 100 rows.
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

count() { bench_psql -At -d "$db" -c "SELECT (SELECT count(*) FROM cla_eventlog.log) || ' ' || (SELECT count(*) FROM bench.plain_log) || ' ' || (SELECT count(*) FROM bench.plpgsql_log)"; }
failed=0

# The baselines get the log's history (fill_baselines.sql, as make bench
# does for workloads 1 to 3): the three tables then hold the same rows.
filled=$(bench_psql -At -F ' ' -d "$db" -f "$bench_dir/fill_baselines.sql")
if [ "$filled" = "100 100 100" ]; then
    echo "ok   fill_baselines: log, plain, PL/pgSQL rows: $filled"
else
    echo "FAIL fill_baselines: log, plain, PL/pgSQL rows: $filled (expected 100 100 100)"; failed=1
fi
for s in "${bench_scripts[@]}"; do
    before=$(count)
    if bench_pgbench "$db" "$s" 20 "$tmp/$s.log" -c 1 -t 1; then
        after=$(count)
        echo "ok   $s (log, plain, PL/pgSQL rows: $before -> $after)"
        if [ "$before" = "$after" ]; then echo "     but no row was stored"; failed=1; fi
    else
        echo "FAIL $s"; failed=1
    fi
done

# Timers: each timer cycle stopped the timer it started.
running=$(bench_psql -At -d "$db" -c "SELECT (SELECT count(*) FROM cla_eventlog.timer WHERE stopped IS NULL) + (SELECT count(*) FROM bench.plpgsql_timer WHERE stopped IS NULL)")
if [ "$running" = 0 ]; then echo "ok   no timer left running"; else echo "FAIL $running timers left running"; failed=1; fi

# Workload 5 on 100 rows: generate, reset, COPY into the log and the plain table.
copy_file=$(bench_copy_file "$db")
if bench_copy_generate "$db" 100 "$copy_file" && bench_copy_reset "$db" &&
   bench_copy_load "$db" cla_eventlog.log "$copy_file" >/dev/null &&
   bench_copy_load "$db" bench.plain_log "$copy_file" >/dev/null; then
    stored=$(count)
    echo "ok   COPY of 100 rows (log, plain, PL/pgSQL rows: $stored)"
    case "$stored" in
        "0 "*|*" 0 "*) echo "     but no row was stored"; failed=1 ;;
    esac
    if bench_copy_reset "$db" && [ "$(count | cut -d' ' -f1,2)" = "0 0" ]; then
        echo "ok   bulk-load reset empties the log and the plain table"
    else
        echo "FAIL bulk-load reset"; failed=1
    fi
else
    echo "FAIL COPY"; failed=1
fi
rm -f "$copy_file"

[ "$failed" -eq 0 ] && echo "every bench script ran once"
exit "$failed"
