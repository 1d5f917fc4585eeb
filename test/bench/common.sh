# Shared by test/bench/run.sh and test/t/bench_smoke.sh: preparing a bench
# database and running one pgbench script.  Needs PGHOST/PGPORT/PGUSER and
# $top (the repository top).

bench_bindir=$(pg_config --bindir)
bench_dir=$top/test/bench
# The pgbench scripts, and the database each is smoke-tested in.
bench_scripts=(minor_log_event minor_plain_insert high_log_event high_plain_insert_update)

bench_psql() { "$bench_bindir/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }

# bench_prepare DB CASES LOGS: a fresh database set up by setup.sql
bench_prepare() {
    "$bench_bindir/dropdb" --if-exists "$1" 2>/dev/null
    "$bench_bindir/createdb" "$1"
    (cd "$top" && bench_psql -d "$1" -v cases="$2" -v logs="$3" -f "$bench_dir/setup.sql")
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
