#!/usr/bin/env bash
# Benchmarks (README: `make bench`), SPEC 11 "Performance".
#
# As root on a Debian 12 machine: installs what is missing, builds and
# installs the extension (under the machine-wide test lock), starts a
# throwaway cluster on port 55434 with the settings of test/lib.sh (fsync
# off), prepares the databases and runs pairs of pgbench workloads, 2
# clients, alternating A B A B ... within each pair, then prints the median
# tps of each side, their ratio and the target, as a Markdown table (also
# written to bench_results/latest.md).
#
#   bash test/bench/run.sh            the benchmark
#   bash test/bench/run.sh --smoke    every script once per client on small
#                                     data; non-zero exit on any error
#
# Environment: BENCH_SECONDS (10) per run, BENCH_ROUNDS (3) per pair,
# BENCH_WARMUP (3) seconds of uncounted warm-up per side of each pair,
# BENCH_CASES (100000) cases in every database, BENCH_LOG_ROWS (1000000)
# log rows of the "large log" database, BENCH_CODES (10000) codes of the
# "large registry" database, BENCH_PORT (55434), BENCH_STRICT=1 to exit
# non-zero when a target is missed.
set -euo pipefail
cd "$(dirname "$0")/../.."
top=$(pwd)

mode=full
case "${1:-}" in
    --smoke) mode=smoke ;;
    "") ;;
    *) echo "usage: $0 [--smoke]" >&2; exit 2 ;;
esac

seconds=${BENCH_SECONDS:-10}
warmup=${BENCH_WARMUP:-3}
rounds=${BENCH_ROUNDS:-3}
cases=${BENCH_CASES:-100000}
log_rows=${BENCH_LOG_ROWS:-1000000}
codes=${BENCH_CODES:-10000}
port=${BENCH_PORT:-55434}
if [ "$mode" = smoke ]; then
    cases=${BENCH_CASES:-100}
    log_rows=${BENCH_LOG_ROWS:-500}
    codes=${BENCH_CODES:-500}
fi

. test/lib.sh
cel_install_packages
# The installed extension is shared machine-wide: hold the test lock from
# the build to the end of the benchmark.
exec 9>/tmp/cla_eventlog_test.lock
flock 9
cel_build_install || { echo "build failed"; exit 1; }
cel_start_cluster "$port" || { echo "cluster did not start"; exit 1; }
trap 'cel_stop_cluster' EXIT
. test/bench/common.sh

out=bench_results
mkdir -p "$out"
work=$out/runs
rm -rf "$work"; mkdir -p "$work"
started=$(date +%s)

echo "== preparing databases ($cases cases; $codes codes in bench10k; $log_rows log rows in benchlog)"
t0=$(date +%s)
bench_prepare bench72 "$cases" 0
# Identical copies before anything is logged.
"$bench_bindir/createdb" -T bench72 benchempty
"$bench_bindir/createdb" -T bench72 bench10k
bench_add_codes bench10k "$codes" | sed 's/^/   live codes in bench10k: /'
echo "   bench72, benchempty, bench10k ready in $(( $(date +%s) - t0 ))s"
t0=$(date +%s)
bench_prepare benchlog "$cases" "$log_rows"
echo "   benchlog: $(bench_psql -At -d benchlog -c 'SELECT count(*) FROM cla_eventlog.log') log rows, generated in $(( $(date +%s) - t0 ))s"
bench_psql -d postgres -c 'CHECKPOINT'

if [ "$mode" = smoke ]; then
    fail=0
    for db in bench72 bench10k benchlog; do
        for s in "${bench_scripts[@]}"; do
            if bench_pgbench "$db" "$s" "$cases" "$work/smoke_${db}_$s.log" -c 2 -j 2 -t 1; then
                echo "ok   $s on $db"
            else
                echo "FAIL $s on $db"; fail=1
            fi
        done
    done
    [ "$fail" -eq 0 ] && echo "smoke: every pgbench script ran without error"
    exit "$fail"
fi

results=$work/tps.tsv   # workload <TAB> variant <TAB> round <TAB> tps
: > "$results"
# pair NAME DB_A SCRIPT_A LABEL_A DB_B SCRIPT_B LABEL_B: A B A B ...
pair() {
    local name=$1 da=$2 sa=$3 la=$4 db=$5 sb=$6 lb=$7 r f tps
    echo "== $name: $la ($sa on $da) vs $lb ($sb on $db), $rounds rounds of ${seconds}s each"
    # warm-up, not counted: caches, buffers and the first round's slow start
    if [ "$warmup" -gt 0 ]; then
        bench_pgbench "$da" "$sa" "$cases" "$work/warmup.log" -c 2 -j 2 -T "$warmup" || exit 1
        bench_pgbench "$db" "$sb" "$cases" "$work/warmup.log" -c 2 -j 2 -T "$warmup" || exit 1
    fi
    for r in $(seq 1 "$rounds"); do
        for side in A B; do
            if [ $side = A ]; then set -- "$da" "$sa" "$la"; else set -- "$db" "$sb" "$lb"; fi
            bench_psql -d "$1" -c 'CHECKPOINT'
            f=$work/${name// /_}_${side}_$r.log
            bench_pgbench "$1" "$2" "$cases" "$f" -c 2 -j 2 -T "$seconds" || exit 1
            tps=$(bench_tps "$f")
            printf '%s\t%s\t%s\t%s\n' "$name" "$3" "$r" "$tps" >> "$results"
            printf '   round %s %-28s %10.1f tps\n' "$r" "$3" "$tps"
        done
    done
}

pair "1 registry size" bench72 minor_log_event "72 codes" \
                       bench10k minor_log_event "$codes codes"
pair "2 MINOR vs plain INSERT" bench72 minor_plain_insert "plain INSERT (limit)" \
                               bench72 minor_log_event "log_event"
pair "3 HIGH outcome vs INSERT+UPDATE" bench72 high_plain_insert_update "INSERT+UPDATE CTE (limit)" \
                                       bench72 high_log_event "log_event"
pair "4 log size" benchempty minor_log_event "empty log" \
                  benchlog minor_log_event "$log_rows rows in log"

echo "== registry cache memory (one session, after one log_event)"
mem() {   # mem DB: bytes of the cla_eventlog contexts, and their list
    bench_psql -At -F ' ' -d "$1" <<'SQL'
SELECT cla_eventlog.log_event('case', 1, 1, 'CASE_VIEWED') \g /dev/null
SELECT coalesce(sum(total_bytes), 0),
       coalesce(string_agg(name || ' ' || total_bytes || ' (parent ' || parent || ')', ', ' ORDER BY name), '')
  FROM pg_backend_memory_contexts WHERE name LIKE 'cla_eventlog%';
SQL
}
read -r mem72 ctx72 < <(mem bench72)
read -r mem10k ctx10k < <(mem bench10k)
echo "   bench72:  $mem72 bytes ($ctx72)"
echo "   bench10k: $mem10k bytes ($ctx10k)"

# The table.
median() {   # median WORKLOAD VARIANT
    awk -F '\t' -v w="$1" -v v="$2" '$1 == w && $2 == v { print $4 }' "$results" | sort -g |
        awk '{ a[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print a[(NR + 1) / 2];
                                  else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
missed=0
row() {   # row WORKLOAD LABEL_A LABEL_B KIND(within|atleast) TARGET
    local a b ratio met target
    a=$(median "$1" "$2"); b=$(median "$1" "$3")
    ratio=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", (a > 0 ? b / a : 0) }')
    if [ "$4" = within ]; then
        met=$(awk -v r="$ratio" -v t="$5" 'BEGIN { d = r - 1; if (d < 0) d = -d; print (d <= t ? "yes" : "NO") }')
        target="within ±$(awk -v t="$5" 'BEGIN { print t * 100 }') %"
    else
        met=$(awk -v r="$ratio" -v t="$5" 'BEGIN { print (r >= t ? "yes" : "NO") }')
        target="ratio ≥ $5"
    fi
    [ "$met" = yes ] || missed=1
    printf '| %s | %s | %.0f | | | |\n' "$1" "$2" "$a"
    printf '| %s | %s | %.0f | %s | %s | %s |\n' "$1" "$3" "$b" "$ratio" "$target" "$met"
}
mem_met=$(awk -v m="$mem10k" 'BEGIN { print (m > 0 && m < 10 * 1024 * 1024 ? "yes" : "NO") }')
[ "$mem_met" = yes ] || missed=1
{
    echo "### cla_eventlog benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
    echo
    echo "pgbench -M prepared -c 2 -j 2 -T $seconds (after ${warmup}s of uncounted warm-up per side), $rounds alternating rounds per pair (A B A B ...), median tps;"
    echo "ratio = second variant / first.  $cases cases per database; PostgreSQL $(pg_config --version | awk '{print $2}'),"
    echo "cluster settings of test/lib.sh: **fsync = off** (commits are cheap, so the per-row cost of the rules"
    echo "is a larger share of each transaction and the ratios are strict); $(nproc) CPUs."
    echo
    echo "| workload | variant | median tps | ratio | target | met? |"
    echo "|---|---|---:|---:|---|---|"
    row "1 registry size" "72 codes" "$codes codes" within 0.05
    row "2 MINOR vs plain INSERT" "plain INSERT (limit)" "log_event" atleast 0.85
    row "3 HIGH outcome vs INSERT+UPDATE" "INSERT+UPDATE CTE (limit)" "log_event" atleast 0.85
    row "4 log size" "empty log" "$log_rows rows in log" within 0.15
    printf '| registry cache memory | %s codes | %s bytes (%.2f MB) | | < 10 MB | %s |\n' \
        "$codes" "$mem10k" "$(awk -v m="$mem10k" 'BEGIN { print m / 1048576 }')" "$mem_met"
    echo
    echo "Memory contexts (bench10k): $ctx10k; with 72 codes (bench72): $mem72 bytes."
    echo "Per-run tps: $work/tps.tsv; total time $(( $(date +%s) - started ))s."
} > "$out/latest.md"
echo
cat "$out/latest.md"
if [ "${BENCH_STRICT:-0}" = 1 ] && [ "$missed" -ne 0 ]; then
    echo "a target was missed"; exit 1
fi
