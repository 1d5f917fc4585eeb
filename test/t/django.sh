#!/usr/bin/env bash
# django: the extension from a Django 3.2 project (Debian's python3-django
# and python3-psycopg2), as the service uses it.  The project in
# test/django has the service's case model; `django-admin migrate` creates
# its table, and a migration enables the extension, binds the table and
# registers the codes.  test/django/flows.py then runs the request flows
# through the ORM (an operator's timer, CASE_CREATED and a skipped
# duplicate, a callback chosen by the resolver, an outcome that stops the
# timer, each checked after refresh_from_db(), a rolled-back atomic(), the
# no-op UPDATE of Model.save()), the recipes for parameters, results and
# bulk_create, the exception class of each kind of error and the erasure
# of a case, and ends with verify() empty and status_json() ok.  Then
# `django-admin test` runs helpline/tests.py in Django's own test database:
# a TestCase, and TransactionTestCases flushed through reset_test_data().
# README "Using it from Django" shows the same calls.
#
# Run by test/run.sh on the main cluster (its own database).  Exits 0 on
# success.
set -euo pipefail

top=${CEL_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
py=/usr/bin/python3
bindir=$(pg_config --bindir)
db=cel_django
work=$(mktemp -d /tmp/cel_django.XXXXXX)
trap 'rm -rf "$work"; "$bindir/dropdb" --if-exists "$db" >/dev/null 2>&1 || true' EXIT

"$py" -c 'import django, psycopg2' || { echo "FAILED: python3-django and python3-psycopg2 are needed (test/lib.sh installs them)"; exit 1; }
cp -r "$top/test/django/." "$work/"
"$bindir/dropdb" --if-exists "$db" >/dev/null 2>&1 || true
"$bindir/createdb" "$db"
export CEL_DJANGO_DB=$db PYTHONDONTWRITEBYTECODE=1

echo "== django-admin migrate (Django $("$py" -c 'import django; print(django.get_version())'))"
"$py" -m django migrate --settings=settings --pythonpath="$work" --verbosity 1 2>&1 | sed 's/^/   /'
echo "== the request flows"
"$py" "$work/flows.py" 2>&1 | sed 's/^/   /'
[ "${PIPESTATUS[0]}" -eq 0 ] || { echo "FAILED: the flows"; exit 1; }
echo "== django-admin test (test_$db: TestCase, and TransactionTestCase through reset_test_data())"
"$py" -m django test helpline --settings=settings --pythonpath="$work" --noinput --verbosity 2 2>&1 | sed 's/^/   /'
[ "${PIPESTATUS[0]}" -eq 0 ] || { echo "FAILED: the Django tests"; exit 1; }
echo "ok"
