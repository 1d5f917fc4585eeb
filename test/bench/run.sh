#!/usr/bin/env bash
# Benchmarks (README: `make bench`), README "Performance".
#
# As root on a Debian 12 machine: installs what is missing, builds and
# installs the extension (under the machine-wide test lock), starts a
# throwaway cluster on port 55434 with the settings of test/lib.sh (fsync
# off), prepares the databases and runs groups of pgbench workloads, 2
# clients, every variant once per round, in pairs of rounds (a random order,
# then its reverse), then a bulk load (COPY) into the log and into an
# untriggered table in the same pairs, and prints the median of each
# variant, the ratios and the targets, as a Markdown table (also written to
# bench_results/latest.md).
#
#   bash test/bench/run.sh            the benchmark
#   bash test/bench/run.sh --smoke    every script once per client on small
#                                     data, and a small COPY; non-zero exit on
#                                     any error
#
# Data set: the reference code set, BENCH_CASES cases; workloads 1 to 3 run
# on "benchwork", a copy of the BENCH_LOG_ROWS-row database in which the
# baselines' tables hold the same rows as the log (fill_baselines.sql).
#
# Workloads (the benchmark issue's numbering):
#   1  MINOR system code via log_event          vs plain INSERT (the limit)
#   2  HIGH outcome via log_event               vs INSERT+UPDATE (the limit)
#                                               vs PL/pgSQL (plpgsql_baseline.sql)
#   3  timer cycle: start_timer + stops_timer outcome via log_event
#                                               vs PL/pgSQL
#   4  workload 2 as a plain INSERT into the log (trigger path)
#                                               vs log_event and vs the limit
#   5  bulk COPY of BENCH_COPY_ROWS rows into the log vs into bench.plain_log
#   6  history import of BENCH_IMPORT_CASES cases of Django-shaped history
#      (import_history()) vs a plain INSERT ... SELECT of the same source rows
#      into untriggered copies, and the stored rows copied (rows/s,
#      BENCH_IMPORT_ROUNDS runs, in pairs of rounds)
#   registry size (72 vs BENCH_CODES codes), log size (empty vs BENCH_LOG_ROWS),
#   registry cache memory.
#
# Environment: BENCH_SECONDS (6) per run, BENCH_ROUNDS (8, even) per group,
# BENCH_WARMUP (3) seconds of uncounted warm-up per variant of each group,
# BENCH_CASES (100000) cases in every database, BENCH_LOG_ROWS (1000000)
# log rows of the "large log" database, BENCH_CODES (10000) codes of the
# "large registry" database, BENCH_COPY_ROWS (1000000) rows of the bulk
# load (4 runs per side: BENCH_COPY_ROUNDS), BENCH_PORT (55434),
# BENCH_SHARED_BUFFERS (2GB; the cluster's shared_buffers, full runs only),
# BENCH_SEED (1; the order of the variants in each round),
# BENCH_STRICT=1 to exit non-zero when a target is missed.
set -euo pipefail
cd "$(dirname "$0")/../.."
top=$(pwd)

mode=full
case "${1:-}" in
    --smoke) mode=smoke ;;
    "") ;;
    *) echo "usage: $0 [--smoke]" >&2; exit 2 ;;
esac

seconds=${BENCH_SECONDS:-6}
warmup=${BENCH_WARMUP:-3}
rounds=${BENCH_ROUNDS:-8}
cases=${BENCH_CASES:-100000}
log_rows=${BENCH_LOG_ROWS:-1000000}
codes=${BENCH_CODES:-10000}
copy_rows=${BENCH_COPY_ROWS:-1000000}
copy_rounds=${BENCH_COPY_ROUNDS:-4}
import_cases=${BENCH_IMPORT_CASES:-168800}
import_rounds=${BENCH_IMPORT_ROUNDS:-4}
port=${BENCH_PORT:-55434}
shared_buffers=${BENCH_SHARED_BUFFERS:-2GB}
seed=${BENCH_SEED:-1}
if [ "$mode" = smoke ]; then
    cases=${BENCH_CASES:-100}
    log_rows=${BENCH_LOG_ROWS:-500}
    codes=${BENCH_CODES:-500}
    copy_rows=${BENCH_COPY_ROWS:-100}
    copy_rounds=1
    import_cases=${BENCH_IMPORT_CASES:-200}
    import_rounds=1
fi

. test/lib.sh
cel_install_packages
# The installed extension is shared machine-wide: hold the test lock from
# the build to the end of the benchmark.
exec 9>"$CEL_TEST_LOCK"
flock 9
cel_build_install || { echo "build failed"; exit 1; }
cel_start_cluster "$port" || { echo "cluster did not start"; exit 1; }
trap 'cel_stop_cluster' EXIT
. test/bench/common.sh
# Quieter runs: no autovacuum worker starting in the middle of a run (each
# group starts from VACUUM ANALYZE instead), and no full-page images after
# each CHECKPOINT (crash safety is moot here: fsync is off).
bench_psql -d postgres -c 'ALTER SYSTEM SET autovacuum = off' \
    -c 'ALTER SYSTEM SET full_page_writes = off' -c 'SELECT pg_reload_conf()' >/dev/null
# Shared buffers sized for the machine rather than PostgreSQL's 128 MB
# default (meant to start anywhere; a tuned server of 24 GiB would have more):
# what a group reads and writes then mostly stays in the buffer pool.  With
# 128 MB every variant that reads an older row (the
# HIGH outcome's debounce reads the case's previous outcome) pays a copy from
# the kernel's page cache and the eviction of a dirty buffer, so the ratios
# measured the cache size, not the work.  (Not for --smoke: small data.)
if [ "$mode" = full ]; then
    bench_psql -d postgres -c "ALTER SYSTEM SET shared_buffers = '$shared_buffers'" >/dev/null
    su postgres -s /bin/sh -c "$bench_bindir/pg_ctl -D '$CEL_CLUSTER/data' -l '$CEL_CLUSTER/server.log' -w restart" 9>&- >/dev/null
fi

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
"$bench_bindir/createdb" -T bench72 benchreg72
"$bench_bindir/createdb" -T bench72 bench10k
"$bench_bindir/createdb" -T bench72 benchcopy
bench_add_codes bench10k "$codes" | sed 's/^/   live codes in bench10k: /'
echo "   bench72, benchempty, benchreg72, bench10k, benchcopy ready in $(( $(date +%s) - t0 ))s"
t0=$(date +%s)
bench_prepare benchlog "$cases" "$log_rows"
echo "   benchlog: $(bench_psql -At -d benchlog -c 'SELECT count(*) FROM cla_eventlog.log') log rows, generated in $(( $(date +%s) - t0 ))s"
if [ "$mode" = full ]; then
    # Workloads 1 to 3 run on the issue's data set: a copy of benchlog whose
    # baseline tables hold the same history as its log (benchlog itself stays
    # as generated for the log-size group).
    t0=$(date +%s)
    "$bench_bindir/createdb" -T benchlog benchwork
    bench_psql -At -F ' ' -d benchwork -f "$bench_dir/fill_baselines.sql" |
        sed 's/^\([0-9]*\) \([0-9]*\) \([0-9]*\)$/   benchwork: \1 log rows, \2 in bench.plain_log, \3 in bench.plpgsql_log/'
    echo "   benchwork ready in $(( $(date +%s) - t0 ))s"
fi
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
    copy_file=$(bench_copy_file benchcopy)
    if bench_copy_generate benchcopy "$copy_rows" "$copy_file" && bench_copy_reset benchcopy &&
       bench_copy_load benchcopy cla_eventlog.log "$copy_file" >/dev/null &&
       bench_copy_load benchcopy bench.plain_log "$copy_file" >/dev/null; then
        echo "ok   COPY of $copy_rows rows into the log and the plain table"
    else
        echo "FAIL COPY"; fail=1
    fi
    rm -f "$copy_file"
    if bench_import_prepare benchimport "$import_cases" && r=$(bench_import_load benchimport) &&
       bench_import_copy benchimport import_limit.sql >/dev/null &&
       bench_import_copy benchimport import_baseline.sql >/dev/null; then
        echo "ok   history import of $import_cases cases (seconds rows peak-RSS-kB private-kB problems: $r) and its baseline"
    else
        echo "FAIL history import"; fail=1
    fi
    [ "$fail" -eq 0 ] && echo "smoke: every pgbench script, the COPY and the import ran without error"
    exit "$fail"
fi

# MI and status at scale, on the database with the large log.
echo "== MI and status at scale (benchlog)"
bench_psql -d benchlog -c 'VACUUM ANALYZE' >/dev/null
(cd "$top" && bench_psql -d benchlog -f "$bench_dir/mi_scale.sql") > "$work/mi_scale.tsv"
cat "$work/mi_scale.tsv"

# Before each timed run: a checkpoint, then the kernel writes back what it
# wrote (fsync is off), so that its writeback of dirty pages 30 seconds
# later (vm.dirty_expire_centisecs) does not land in a later run.
quiesce() {
    bench_psql -d "$1" -c 'CHECKPOINT'
    sync
}
RANDOM=$seed

results=$work/tps.tsv   # group <TAB> variant <TAB> round <TAB> tps (or rows/s)
: > "$results"
# group NAME DB:SCRIPT:LABEL ...: rounds of every variant in a random order, after an uncounted
# warm-up of each variant
# round_order ROUND shuffle|fixed ITEM...: sets order to the items in the
# order of round ROUND.  Rounds come in pairs: the first of a pair in a
# random order (seeded: BENCH_SEED; "fixed": as given), the second in the
# reverse of it.  On this machine the first run of a round is faster than
# the last by up to 20 % whatever it runs (drift within a round: see
# test/bench/README.md), so each variant must hold every position equally
# often; the ratio of a pair (ratio_median) then cancels the drift.  A
# random first order keeps a periodic disturbance from lining up with one
# variant.
round_order() {
    local r=$1 how=$2 i j v; shift 2
    if (( r % 2 == 1 )); then
        order=("$@")
        if [ "$how" = shuffle ]; then
            for (( i = ${#order[@]} - 1; i > 0; i-- )); do
                j=$(( RANDOM % (i + 1) )); v=${order[i]}; order[i]=${order[j]}; order[j]=$v
            done
        fi
    else
        local reversed=()
        for (( i = ${#order[@]} - 1; i >= 0; i-- )); do reversed+=("${order[i]}"); done
        order=("${reversed[@]}")
    fi
}

group() {
    local name=$1 r v db sc label f tps i j; shift
    echo "== $name: $rounds rounds of ${seconds}s per variant, in pairs of rounds (a random order, then its reverse)"
    for v in "$@"; do
        IFS=: read -r db sc label <<<"$v"
        bench_psql -d "$db" -c 'VACUUM ANALYZE'
    done
    if [ "$warmup" -gt 0 ]; then
        for v in "$@"; do
            IFS=: read -r db sc label <<<"$v"
            bench_pgbench "$db" "$sc" "$cases" "$work/warmup.log" -c 2 -j 2 -T "$warmup" || exit 1
        done
    fi
    for r in $(seq 1 "$rounds"); do
        round_order "$r" shuffle "$@"
        for v in "${order[@]}"; do
            IFS=: read -r db sc label <<<"$v"
            quiesce "$db"
            f=$work/${name// /_}_${sc}_${db}_$r.log
            bench_pgbench "$db" "$sc" "$cases" "$f" -c 2 -j 2 -T "$seconds" || exit 1
            tps=$(bench_tps "$f")
            printf '%s\t%s\t%s\t%s\n' "$name" "$label" "$r" "$tps" >> "$results"
            printf '   round %s %-40s %10.1f tps\n' "$r" "$label ($sc on $db)" "$tps"
        done
    done
}

group "1 MINOR" "benchwork:minor_plain_insert:plain INSERT (limit)" \
                "benchwork:minor_log_event:log_event"
group "2 HIGH outcome" "benchwork:high_plain_insert_update:INSERT+UPDATE (limit)" \
                       "benchwork:high_log_event:log_event" \
                       "benchwork:high_insert_log:INSERT into the log" \
                       "benchwork:high_log_event_plpgsql:PL/pgSQL log_event"
group "3 timer cycle" "benchwork:timer_cycle_plpgsql:PL/pgSQL" \
                      "benchwork:timer_cycle:log_event"
# (two fresh copies with empty logs: only the registry differs)
group "registry size" "benchreg72:minor_log_event:72 codes" \
                      "bench10k:minor_log_event:$codes codes"
group "log size" "benchempty:minor_log_event:empty log" \
                 "benchlog:minor_log_event:$log_rows rows in log"

echo "== 5 bulk load: COPY of $copy_rows rows, untriggered table vs log, $copy_rounds rounds"
t0=$(date +%s)
copy_file=$(bench_copy_file benchcopy)
bench_copy_generate benchcopy "$copy_rows" "$copy_file"
echo "   file generated in $(( $(date +%s) - t0 ))s: $copy_file"
for r in $(seq 1 "$copy_rounds"); do
    round_order "$r" fixed "bench.plain_log:COPY into plain table (limit)" "cla_eventlog.log:COPY into the log"
    for v in "${order[@]}"; do
        IFS=: read -r table label <<<"$v"
        bench_copy_reset benchcopy
        quiesce benchcopy
        secs=$(bench_copy_load benchcopy "$table" "$copy_file") || exit 1
        rate=$(awk -v n="$copy_rows" -v s="$secs" 'BEGIN { printf "%.1f", n / s }')
        printf '%s\t%s\t%s\t%s\n' "5 bulk COPY" "$label" "$r" "$rate" >> "$results"
        printf '   round %s %-40s %8.2fs %10.1f rows/s\n' "$r" "$label" "$secs" "$rate"
    done
done
stored=$(bench_psql -At -d benchcopy -c 'SELECT count(*) FROM cla_eventlog.log')
echo "   log rows stored by the last load: $stored of $copy_rows (the rest skipped by the debounce)"
rm -f "$copy_file"

echo "== 6 history import: $import_cases cases of Django-shaped history, import_history() vs INSERT ... SELECT, $import_rounds rounds"
t0=$(date +%s)
bench_import_prepare benchimport "$import_cases"
echo "   source generated in $(( $(date +%s) - t0 ))s: $(bench_psql -At -d benchimport -c "SELECT (SELECT count(*) FROM cla_eventlog_log) || ' logs, ' || (SELECT count(*) FROM timer_timer) || ' timers'")"
: > "$work/import.tsv"
# The baseline runs before the import in every second round (round_order);
# the floor copies what the import stored, so it always follows it.  The
# rows of a round are those the import stores (the same every round).
import_baseline_round() {   # import_baseline_round ROUND: the plain INSERT ... SELECT
    quiesce benchimport
    baseline_secs=$(bench_import_copy benchimport import_baseline.sql) || exit 1
}
for r in $(seq 1 "$import_rounds"); do
    round_order "$r" fixed import baseline
    [ "${order[0]}" = baseline ] && import_baseline_round "$r"
    bench_import_reset benchimport
    quiesce benchimport
    read -r secs rows hwm anon problems < <(bench_import_load benchimport) || exit 1
    printf '%s\t%s\t%s\t%s\n' "6 history import" "import_history()" "$r" "$(awk -v n="$rows" -v s="$secs" 'BEGIN { printf "%.1f", n / s }')" >> "$results"
    printf '%s\t%s\t%s\t%s\n' "$r" "$secs" "$hwm" "$anon" >> "$work/import.tsv"
    printf '   round %s %-40s %8.2fs %10.1f rows/s (%s rows, %s problems; peak RSS %s kB, private %s kB)\n' \
        "$r" "import_history()" "$secs" "$(awk -v n="$rows" -v s="$secs" 'BEGIN { print n / s }')" "$rows" "$problems" "$hwm" "$anon"
    quiesce benchimport
    floor_secs=$(bench_import_copy benchimport import_limit.sql) || exit 1
    [ "${order[0]}" = import ] && import_baseline_round "$r"
    for v in "$floor_secs:the stored rows copied (floor)" "$baseline_secs:plain INSERT ... SELECT"; do
        IFS=: read -r secs label <<<"$v"
        printf '%s\t%s\t%s\t%s\n' "6 history import" "$label" "$r" "$(awk -v n="$rows" -v s="$secs" 'BEGIN { printf "%.1f", n / s }')" >> "$results"
        printf '   round %s %-40s %8.2fs %10.1f rows/s\n' "$r" "$label" "$secs" "$(awk -v n="$rows" -v s="$secs" 'BEGIN { print n / s }')"
    done
done
import_hwm=$(cut -f3 "$work/import.tsv" | sort -g | tail -1)
import_anon=$(cut -f4 "$work/import.tsv" | sort -g | tail -1)

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
# ratio_median WORKLOAD VARIANT_A VARIANT_B: the median over the pairs of
# rounds (1-2, 3-4, ...; round_order runs the second of a pair in the
# reverse order of the first) of the geometric mean of the pair's two B / A,
# each measured in its own round: a drift within a round favours A in one
# and B in the other, and cancels.  A round without its pair counts alone.
ratio_median() {
    awk -F '\t' -v w="$1" -v va="$2" -v vb="$3" '
        $1 == w && $2 == va { a[$3] = $4 }
        $1 == w && $2 == vb { b[$3] = $4 }
        END {
            for (r in a) if ((r in b) && a[r] > 0 && b[r] > 0) {
                p = int((r + 1) / 2); lr[p] += log(b[r] / a[r]); n[p]++
            }
            for (p in lr) print exp(lr[p] / n[p])
        }' "$results" | sort -g |
        awk '{ a[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) printf "%.3f\n", a[(NR + 1) / 2];
                                  else printf "%.3f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
missed=0
row() {   # row WORKLOAD LABEL_A LABEL_B KIND(within|atleast|info) TARGET [GROUP]
    local a b ratio met target
    a=$(median "${6:-$1}" "$2"); b=$(median "${6:-$1}" "$3")
    ratio=$(ratio_median "${6:-$1}" "$2" "$3")
    if [ "$4" = within ]; then
        met=$(awk -v r="$ratio" -v t="$5" 'BEGIN { d = r - 1; if (d < 0) d = -d; print (d <= t ? "yes" : "NO") }')
        target="within ±$(awk -v t="$5" 'BEGIN { print t * 100 }') %"
    elif [ "$4" = info ]; then
        met="—"; target="(shown)"
    else
        met=$(awk -v r="$ratio" -v t="$5" 'BEGIN { print (r >= t ? "yes" : "NO") }')
        target="ratio ≥ $5"
    fi
    if [ "$met" = NO ]; then missed=1; fi
    printf '| %s | %s | %.0f | | | |\n' "$1" "$2" "$a"
    printf '| %s | %s | %.0f | %s | %s | %s |\n' "$1" "$3" "$b" "$ratio" "$target" "$met"
}
mem_met=$(awk -v m="$mem10k" 'BEGIN { print (m > 0 && m < 10 * 1024 * 1024 ? "yes" : "NO") }')
[ "$mem_met" = yes ] || missed=1
{
    echo "### cla_eventlog benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
    echo
    echo "pgbench -M prepared -c 2 -j 2 -T $seconds (after ${warmup}s of uncounted warm-up per variant), $rounds rounds per group, each variant once per round, in pairs of rounds: a random order (seed $seed), then its reverse; a checkpoint and sync before each run, median tps;"
    echo "ratio = median over the pairs of rounds of the geometric mean of the pair's two ratios second variant / first, each in its own round (tps, or rows/s for COPY and the import), so a drift within a round cancels.  $cases cases per database; PostgreSQL $(pg_config --version | awk '{print $2}'),"
    echo "cluster settings of test/lib.sh: **fsync = off** (commits are cheap, so the per-row cost of the rules"
    echo "is a larger share of each transaction and the ratios are strict), and for the benchmark shared_buffers = $shared_buffers, full_page_writes = off,"
    echo "autovacuum = off (VACUUM ANALYZE before each group); $(nproc) CPUs.  Workload 5: COPY FROM a"
    echo "server-side CSV file of $copy_rows generated rows, $copy_rounds runs per side from a fresh state, in the same pairs of rounds, median rows/s."
    echo "PL/pgSQL: test/bench/plpgsql_baseline.sql (the same rules written by a DBA, on copies of the log and timer tables)."
    echo
    echo "| workload | variant | median tps | ratio | target | met? |"
    echo "|---|---|---:|---:|---|---|"
    row "1 MINOR" "plain INSERT (limit)" "log_event" atleast 0.85
    row "2 HIGH outcome" "INSERT+UPDATE (limit)" "log_event" atleast 0.85
    row "2 HIGH outcome" "PL/pgSQL log_event" "log_event" atleast 1.15
    row "3 timer cycle" "PL/pgSQL" "log_event" atleast 1.25
    row "4 INSERT into the log" "log_event" "INSERT into the log" info 0 "2 HIGH outcome"
    row "4 INSERT into the log" "INSERT+UPDATE (limit)" "INSERT into the log" info 0 "2 HIGH outcome"
    row "5 bulk COPY (rows/s)" "COPY into plain table (limit)" "COPY into the log" atleast 0.5 "5 bulk COPY"
    row "6 history import (rows/s)" "plain INSERT ... SELECT" "import_history()" atleast 0.5 "6 history import"
    row "6 history import (rows/s)" "the stored rows copied (floor)" "import_history()" info 0 "6 history import"
    row "registry size" "72 codes" "$codes codes" within 0.05
    row "log size" "empty log" "$log_rows rows in log" within 0.15
    printf '| registry cache memory | %s codes | %s bytes (%.2f MB) | | < 10 MB | %s |\n' \
        "$codes" "$mem10k" "$(awk -v m="$mem10k" 'BEGIN { print m / 1048576 }')" "$mem_met"
    echo
    echo "Memory contexts (bench10k): $ctx10k; with 72 codes (bench72): $mem72 bytes."
    echo
    echo "Workload 6: $import_cases cases of test/fixtures/django_source.sql, rows = logs + timers stored; the importing backend's peak resident set $import_hwm kB (VmHWM, the shared buffers it touched included), its private memory at the end $import_anon kB (RssAnon); the plain INSERT ... SELECT copies the same source rows into untriggered copies of the log and the timers with a plain column mapping (test/bench/import_baseline.sql), the floor copies the rows as the import stored them (import_limit.sql)."
    echo
    echo "MI and status on benchlog ($cases cases, $log_rows log rows), EXPLAIN (ANALYZE, BUFFERS), best of 3 (test/bench/mi_scale.sql):"
    echo
    echo "| query | execution time (ms) |"
    echo "|---|---:|"
    awk -F'\t' '{ printf "| %s | %.1f |\n", $1, $2 }' "$work/mi_scale.tsv"
    echo "Per-run tps: $work/tps.tsv; total time $(( $(date +%s) - started ))s."
} > "$out/latest.md"
echo
cat "$out/latest.md"
if [ "${BENCH_STRICT:-0}" = 1 ] && [ "$missed" -ne 0 ]; then
    echo "a target was missed"; exit 1
fi
