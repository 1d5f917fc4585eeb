#!/usr/bin/env bash
# The whole test command (README: `make test`; CI: .ci/run).
#
# On a fresh Debian 12 machine, as root: installs what is missing with
# apt-get, builds and installs the extension, starts a throwaway cluster as
# the postgres OS user on a private socket directory and port, runs every
# pg_regress suite, every isolation spec and every script test, stops the
# cluster and prints "N passed, N failed".  Exits non-zero on any failure.
#
# Environment: CEL_TEST_PORT (default 55432) to run beside another cluster;
# CEL_ONLY="regress|isolation|scripts" to run one kind only; CEL_SCRIPTS=glob
# (e.g. "upgrade") to run only the matching script tests.
set -u
cd "$(dirname "$0")/.."
top=$(pwd)

. test/lib.sh
# One test run at a time on this machine: the installed extension is shared.
exec 9>"$CEL_TEST_LOCK"
flock 9
cel_install_packages
cel_build_install || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }

port=${CEL_TEST_PORT:-55432}
cel_start_cluster "$port" || { echo "cluster did not start"; echo "0 passed, 1 failed"; exit 1; }
trap 'cel_stop_cluster' EXIT

passed=0
failed=0
count() {   # count LOGFILE: add pg_regress's per-test "ok"/"FAILED" lines
    local p f
    p=$(grep -cE '^(ok|test) .*\.\.\. ok|^ok [0-9]+ ' "$1" || true)
    f=$(grep -cE '\.\.\. FAILED|^not ok [0-9]+ ' "$1" || true)
    passed=$((passed + p)); failed=$((failed + f))
}

pgxs_dir=$(dirname "$(pg_config --pgxs)")/../..
regress_opts=(--host="$CEL_SOCKDIR" --port="$port" --user=postgres)
only=${CEL_ONLY:-all}
mkdir -p test/tmp

if [ "$only" = all ] || [ "$only" = regress ]; then
    tests=$(make -s print-regress)
    if [ -n "$tests" ]; then
        echo "== pg_regress: $tests"
        "$pgxs_dir/src/test/regress/pg_regress" "${regress_opts[@]}" \
            --inputdir=test --bindir="$(pg_config --bindir)" \
            --dbname=cel_regress $tests 2>&1 | tee test/tmp/regress.log
        rc=${PIPESTATUS[0]}
        count test/tmp/regress.log
        # a suite that fails without a FAILED line (missing expected file...)
        if [ "$rc" -ne 0 ] && ! grep -q 'FAILED' test/tmp/regress.log; then failed=$((failed + 1)); fi
        [ -s regression.diffs ] && head -200 regression.diffs
    fi
fi

if [ "$only" = all ] || [ "$only" = isolation ]; then
    specs=$(make -s print-isolation)
    if [ -n "$specs" ]; then
        echo "== pg_isolation_regress: $specs"
        "$pgxs_dir/src/test/isolation/pg_isolation_regress" "${regress_opts[@]}" \
            --inputdir=test --outputdir=. --bindir="$(pg_config --bindir)" \
            --dbname=cel_isolation $specs 2>&1 | tee test/tmp/isolation.log
        rc=${PIPESTATUS[0]}
        count test/tmp/isolation.log
        if [ "$rc" -ne 0 ] && ! grep -q 'FAILED' test/tmp/isolation.log; then failed=$((failed + 1)); fi
        [ -s regression.diffs ] && head -200 regression.diffs
    fi
fi

if [ "$only" = all ] || [ "$only" = scripts ]; then
    # Script tests: each test/t/*.sh gets the cluster's coordinates and
    # exits 0 on success.
    for t in test/t/${CEL_SCRIPTS:-*}.sh; do
        [ -e "$t" ] || continue
        echo "== script: $t"
        # 9>&-: a script's stray background process must not hold the lock
        if PGHOST=$CEL_SOCKDIR PGPORT=$port PGUSER=postgres CEL_TOP=$top timeout --kill-after=10 ${CEL_SCRIPT_TIMEOUT:-600} bash "$t" 9>&- > "test/tmp/$(basename "$t").log" 2>&1; then
            echo "ok script $(basename "$t")"; passed=$((passed + 1))
        else
            echo "not ok script $(basename "$t") (log follows)"; tail -40 "test/tmp/$(basename "$t").log"
            failed=$((failed + 1))
        fi
    done
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
