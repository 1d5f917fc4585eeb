# Shared by test/bench/run.sh and test/t/bench_smoke.sh: preparing a bench
# database and running one pgbench script.  Needs PGHOST/PGPORT/PGUSER and
# $top (the repository top).

bench_bindir=$(pg_config --bindir)
bench_dir=$top/test/bench
# The pgbench scripts (each smoke-tested once by test/t/bench_smoke.sh).
bench_scripts=(minor_log_event minor_plain_insert high_log_event high_plain_insert_update
               high_insert_log high_log_event_plpgsql timer_cycle timer_cycle_plpgsql)
# Workload 5 (bulk load): the columns of the generated file, in its order.
bench_copy_columns="case_id, event_key, code, type, level, created_by, created_by_role, notes, created"

bench_psql() { "$bench_bindir/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }

# bench_prepare DB CASES LOGS: a fresh database set up by setup.sql.
# generate.sql makes its rows in one transaction, and each case with a
# once_per row holds a transaction advisory lock until commit: 100,000 cases
# in one go overflow the lock table of the test cluster (max_locks_per_
# transaction 64).  So the log is generated in chunks of BENCH_GEN_CHUNK
# cases (default 2000), each with its share of the rows.
bench_prepare() {
    local db=$1 cases=$2 logs=$3 chunk=${BENCH_GEN_CHUNK:-2000}
    local done_cases=0 done_logs=0 n_cases n_logs i=0
    "$bench_bindir/dropdb" --if-exists "$db" 2>/dev/null
    "$bench_bindir/createdb" "$db"
    [ "$logs" -gt 0 ] && [ "$cases" -gt "$chunk" ] || chunk=$cases
    while [ "$done_cases" -lt "$cases" ]; do
        n_cases=$(( cases - done_cases < chunk ? cases - done_cases : chunk ))
        n_logs=$(( (logs * (done_cases + n_cases)) / cases - done_logs ))
        if [ "$i" -eq 0 ]; then
            (cd "$top" && bench_psql -d "$db" -v cases="$n_cases" -v logs="$n_logs" -f "$bench_dir/setup.sql")
        else
            (cd "$top" && bench_psql -d "$db" -v cases="$n_cases" -v logs="$n_logs" \
                 -v seed="0.$(( 1000 + i ))" -o /dev/null -f test/fixtures/generate.sql)
        fi
        done_cases=$(( done_cases + n_cases )); done_logs=$(( done_logs + n_logs )); i=$(( i + 1 ))
    done
    [ "$i" -le 1 ] || bench_psql -d "$db" -c 'VACUUM ANALYZE'
}

# bench_add_codes DB TOTAL: grow the registry to TOTAL live codes
bench_add_codes() {
    (cd "$top" && bench_psql -At -d "$1" -v total_codes="$2" -f "$bench_dir/extra_codes.sql")
}

# bench_pgbench DB SCRIPT NCASES OUTFILE PGBENCH-ARGS...: runs one script;
# fails on a pgbench error or a failed transaction.
bench_pgbench() {
    local db=$1 script=$2 ncases=$3 out=$4; shift 4
    local rc=0
    "$bench_bindir/pgbench" -n -M prepared -D ncases="$ncases" \
        -f "$bench_dir/$script.sql" "$@" "$db" >"$out" 2>&1 || rc=$?
    if [ "$rc" -ne 0 ] || grep -qE 'number of failed transactions: [1-9]|aborted' "$out"; then
        echo "pgbench $script on $db failed (exit $rc):"; tail -20 "$out"
        return 1
    fi
}

# bench_tps OUTFILE: the tps pgbench reported
bench_tps() {
    sed -nE 's/^tps = ([0-9.]+) .*/\1/p' "$1" | head -1
}

# Workload 5, bulk load (COPY).  The file is written and read by the server
# (superuser), in its data directory, so the timing has no client transfer.
# bench_copy_file DB: the file's path
bench_copy_file() {
    bench_psql -At -d "$1" -c "SELECT current_setting('data_directory') || '/cla_eventlog_bench_copy.csv'"
}
# bench_copy_generate DB ROWS FILE: writes the rows (copy_rows.sql)
bench_copy_generate() {
    bench_psql -d "$1" -v rows="$2" -v copy_file="$3" -o /dev/null -f "$bench_dir/copy_rows.sql"
}
# bench_copy_reset DB: empty log and plain table, case columns as before
bench_copy_reset() {
    bench_psql -d "$1" -f "$bench_dir/copy_reset.sql"
}
# bench_copy_load DB TABLE FILE: COPY the file into TABLE; prints seconds
bench_copy_load() {
    local t0 t1
    t0=$(date +%s.%N)
    bench_psql -d "$1" -c "COPY $2 ($bench_copy_columns) FROM '$3' WITH (FORMAT csv)" >/dev/null || return 1
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}

# Workload 6, the history import.  bench_import_prepare DB CASES: the
# Django-shaped source of CASES cases (test/fixtures/django_source.sql)
# and the extension beside it (import_setup.sql).
bench_import_prepare() {
    "$bench_bindir/dropdb" --if-exists "$1" 2>/dev/null
    "$bench_bindir/createdb" "$1"
    (cd "$top" && bench_psql -d "$1" -v cases="$2" -o /dev/null -f test/fixtures/django_source.sql &&
                  bench_psql -d "$1" -o /dev/null -f "$bench_dir/import_setup.sql")
}
# bench_import_reset DB: nothing imported, baseline copies empty
bench_import_reset() {
    bench_psql -d "$1" -o /dev/null -f "$bench_dir/import_reset.sql"
}
# bench_import_load DB: CALL import_history(); prints "seconds rows
# vm_hwm_kb rss_anon_kb problems"
bench_import_load() {
    local t0 t1 line
    t0=$(date +%s.%N)
    line=$(bench_psql -At -F ' ' -d "$1" -f "$bench_dir/import_run.sql" 2>/dev/null) || return 1
    t1=$(date +%s.%N)
    echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }') $line"
}
# bench_import_copy DB FILE: INSERT ... SELECT into the untriggered copies,
# import_baseline.sql (the source rows, plainly) or import_limit.sql (the
# imported rows, as stored); prints seconds
bench_import_copy() {
    local t0 t1
    t0=$(date +%s.%N)
    bench_psql -d "$1" -o /dev/null -f "$bench_dir/$2" || return 1
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}
