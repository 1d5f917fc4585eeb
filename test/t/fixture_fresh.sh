#!/usr/bin/env bash
# fixture_fresh: the reference application fixture (test/fixtures/cla_reference.sql)
# is exactly what its generator (test/fixtures/gen_reference.sh) makes of the
# service's code set (test/fixtures/cla_event_codes.csv): one source of truth,
# and an edit of the fixture by hand is caught.  Needs no cluster.  Exits 0
# on success.
set -euo pipefail
top=${CEL_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
out=$(mktemp /tmp/cel_fixture.XXXXXX.sql)
trap 'rm -f "$out"' EXIT
bash "$top/test/fixtures/gen_reference.sh" "$top/test/fixtures/cla_event_codes.csv" "$out"
if ! diff -u "$top/test/fixtures/cla_reference.sql" "$out"; then
    echo "FAILED: test/fixtures/cla_reference.sql differs from what gen_reference.sh generates (diff above); re-run the generator and commit its output"
    exit 1
fi
echo "ok: the fixture is the generator's output"
