# The service's request flows through Django's ORM and connection: an
# operator's timer, CASE_CREATED, a callback chosen by the resolver, an
# outcome that stops the timer, each checked after refresh_from_db(), a
# rolled-back transaction.atomic(), and the no-op UPDATE of Model.save();
# then the recipes of README "Using it from Django": parameters and
# results, bulk_create, the exception class of each kind of error, and the
# erasure of a case.
import datetime
import decimal
import json
import os
import sys
import uuid

import django

sys.path.insert(0, os.path.dirname(__file__))
os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'settings')
django.setup()

from django.core.serializers.json import DjangoJSONEncoder  # noqa: E402
from django.db import DataError, IntegrityError, ProgrammingError, connection, transaction  # noqa: E402
from psycopg2.extras import Json  # noqa: E402
from helpline.models import Case, Log  # noqa: E402


def one(sql, *args):
    with connection.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchone()


def check(what, ok):
    print(('ok   ' if ok else 'FAIL ') + what)
    if not ok:
        sys.exit(1)


case = Case.objects.create()
operator = 42
one("SELECT id FROM cla_eventlog.start_timer(%s)", operator)
created = one("SELECT cla_eventlog.log_event('case', %s, %s, code => 'CASE_CREATED', acting_role => 'operator')",
              case.id, operator)[0]
check('CASE_CREATED logged (id %s)' % created, created is not None)
# A duplicate that once_per skips: log_event() returns NULL (None), the
# transaction goes on.  (The ORM's create() of the same row would fail:
# the trigger stores nothing, so INSERT ... RETURNING returns no row.)
check('a second CASE_CREATED is skipped: None',
      one("SELECT cla_eventlog.log_event('case', %s, %s, code => 'CASE_CREATED')", case.id, operator)[0] is None)

cb = one("SELECT cla_eventlog.log_event('call_me_back', %s, %s, acting_role => 'operator', context => %s)",
         case.id, operator, Json({'requires_action_at': '2026-12-02T10:00:00Z'}))[0]
case.refresh_from_db()
check('the resolver chose CB1, denormalised onto the Django row',
      case.outcome_code == 'CB1' and case.outcome_code_id == cb and case.level == 29
      and case.requires_action_by == 'operator')
check('the callback stopped the timer and billed the case', case.billable_time >= 1)

one("SELECT id FROM cla_eventlog.start_timer(%s)", operator)
before = case.billable_time
decl = one("SELECT cla_eventlog.log_event('decline_help', %s, %s, acting_role => 'operator')", case.id, operator)[0]
case.refresh_from_db()
check('DECL is the outcome, requires_action_by cleared, more billable time',
      case.outcome_code == 'DECL' and case.outcome_code_id == decl and case.requires_action_by is None
      and case.billable_time > before)


class Rollback(Exception):
    pass


try:
    with transaction.atomic():
        one("SELECT id FROM cla_eventlog.start_timer(%s)", operator)
        one("SELECT cla_eventlog.log_event('call_me_back', %s, %s, code => 'CB2', acting_role => 'operator')",
            case.id, operator)
        raise Rollback()
except Rollback:
    pass
case.refresh_from_db()
check('a rolled-back atomic() leaves the case and the timers as they were',
      case.outcome_code == 'DECL'
      and one("SELECT count(*) FROM cla_eventlog.timer WHERE stopped IS NULL")[0] == 0)

# Writing the log through the ORM.  A row that is stored works as usual.
# (CASE_CREATED is once per case: that row is a duplicate.)  With the
# default cla_eventlog.duplicates = 'skip' the trigger stores nothing and
# INSERT ... RETURNING returns no row, which Django cannot handle:
try:
    with transaction.atomic():
        Log.objects.create(case=case, code='CASE_CREATED', created_by=operator)
    skipped_ok = False
except TypeError:
    skipped_ok = True
check("ORM create() of a skipped row fails in Django (hence: log_event(), or duplicates = 'error')", skipped_ok)
# With cla_eventlog.duplicates = 'error' (a connection option in
# settings, or SET) the duplicate is an IntegrityError with SQLSTATE
# 23EL1; inside atomic() only its savepoint is lost, the request goes on.
with transaction.atomic():
    with connection.cursor() as cur:
        cur.execute("SET LOCAL cla_eventlog.duplicates = 'error'")
    try:
        with transaction.atomic():
            Log.objects.create(case=case, code='CASE_CREATED', created_by=operator)
        code = None
    except IntegrityError as e:
        code = e.__cause__.pgcode
    check('a duplicate is IntegrityError 23EL1 (got %s)' % code, code == '23EL1')
    viewed = Log.objects.create(case=case, event_key='call_me_back', code='CB2', created_by=operator,
                                created_by_role='operator')
    check('the request goes on: the next ORM create() is stored (id %s)' % viewed.id, viewed.id is not None)
case.refresh_from_db()
check('CB2 written through the ORM is the outcome', case.outcome_code == 'CB2')

# Model.save() with a primary key first runs an UPDATE; on the log one that
# matches no row changes nothing and is not refused.
with connection.cursor() as cur:
    cur.execute("UPDATE cla_eventlog.log SET notes = 'x' WHERE id = -1")
    check('an UPDATE of the log that matches no row passes', cur.rowcount == 0)


# --- Parameters and results ------------------------------------------------
# jsonb from a dict: psycopg2's Json, with Django's encoder for the values
# json cannot encode (datetime, Decimal, UUID).
Json_ = lambda value: Json(value, dumps=lambda v: json.dumps(v, cls=DjangoJSONEncoder))  # noqa: E731
when = datetime.datetime(2026, 12, 2, 10, 0, tzinfo=datetime.timezone.utc)
viewed = one("SELECT cla_eventlog.log_event('case', %s, %s, code => 'CASE_VIEWED', context => %s)",
             case.id, operator, Json_({'at': when, 'fee': decimal.Decimal('12.50'), 'ref': uuid.UUID(int=7)}))[0]
# jsonb results arrive as str (Django turns psycopg2's jsonb parsing off):
# json.loads() them.
raw = one("SELECT context FROM cla_eventlog.log WHERE id = %s", viewed)[0]
check('jsonb arrives as str; json.loads gives the dict back',
      isinstance(raw, str) and json.loads(raw) == {'at': '2026-12-02T10:00:00Z', 'fee': '12.50',
                                                   'ref': '00000000-0000-0000-0000-000000000007'})
status = one("SELECT cla_eventlog.status_json()")[0]
check('status_json() arrives as str too', isinstance(status, str) and 'ok' in json.loads(status))
# A function returning a row: SELECT * FROM f(...) gives its columns; SELECT
# f(...) would give one string '(12,42,...)'.
with connection.cursor() as cur:
    cur.execute("SELECT * FROM cla_eventlog.start_timer(%s)", [operator])
    timer = dict(zip([c.name for c in cur.description], cur.fetchone()))
    cur.execute("SELECT cla_eventlog.current_timer(%s)", [operator])
    as_one_value = cur.fetchone()[0]
check('SELECT * FROM start_timer() gives columns (id %s, created_by %s)' % (timer['id'], timer['created_by']),
      timer['created_by'] == operator and timer['stopped'] is None)
check('SELECT current_timer() gives one string', isinstance(as_one_value, str) and as_one_value.startswith('('))
# Named arguments, in any order, for the optional ones.
named = one("SELECT cla_eventlog.log_event(event_key => 'case', case_id => %s, created_by => %s,"
            " notes => %s, code => 'CASE_VIEWED')", case.id, operator, 'named arguments')[0]
check('named arguments', named is not None)
one("SELECT id FROM cla_eventlog.cancel_timer(%s)", operator)

# --- bulk_create ------------------------------------------------------------
# Every object gets the id of its own row (INSERT ... RETURNING id).
more = [Case.objects.create() for _ in range(3)]
made = Log.objects.bulk_create([Log(case=c, code='CASE_VIEWED', created_by=operator) for c in more])
check('bulk_create: each object has its row\'s id',
      all(Log.objects.get(id=o.id).case_id == c.id for o, c in zip(made, more)))
# A duplicate in the batch: with duplicates = 'error' the batch is one
# IntegrityError and stores nothing; with the default 'skip' Django's
# bulk_create gets fewer ids than objects and fails an assertion (under
# python -O it would give the wrong ids): hence 'error' for ORM writers.
batch = lambda: [Log(case=c, code='CASE_CREATED', created_by=operator) for c in more] + \
    [Log(case=case, code='CASE_CREATED', created_by=operator)]  # noqa: E731
with transaction.atomic():
    with connection.cursor() as cur:
        cur.execute("SET LOCAL cla_eventlog.duplicates = 'error'")
    try:
        with transaction.atomic():
            Log.objects.bulk_create(batch())
        code = None
    except IntegrityError as e:
        code = e.__cause__.pgcode
check("bulk_create with a duplicate, duplicates = 'error': IntegrityError 23EL1 (got %s), nothing stored" % code,
      code == '23EL1' and Log.objects.filter(case__in=more, code='CASE_CREATED').count() == 0)
try:
    with transaction.atomic():
        Log.objects.bulk_create(batch())
    failed = None
except AssertionError:
    failed = 'AssertionError'
check("bulk_create with a duplicate, duplicates = 'skip': Django's AssertionError (got %s)" % failed,
      failed == 'AssertionError')

# --- Errors: one class, one meaning -----------------------------------------
# IntegrityError: the request conflicts with what is stored (a missing case,
# a refused duplicate, the user's timers); nothing was written, the
# transaction goes on after its savepoint.  DataError: a bad value.
# ProgrammingError: a deployment or caller bug.  OperationalError only for
# what a retry fixes.


def sqlstate(sql, *args):
    try:
        with transaction.atomic():
            one(sql, *args)
    except (IntegrityError, DataError, ProgrammingError) as e:
        return type(e).__name__, e.__cause__.pgcode
    return None


for what, sql, args, expected in [
        ('stop_timer() with none running', "SELECT id FROM cla_eventlog.stop_timer(%s)", [operator],
         ('IntegrityError', '23EL2')),
        ('create_timer() with one running', "SELECT (cla_eventlog.create_timer(%s)).id; "
         "SELECT id FROM cla_eventlog.create_timer(%s)", [operator, operator], ('IntegrityError', '23EL2')),
        ('a missing case, code given', "SELECT cla_eventlog.log_event('case', 999999, %s, 'CASE_VIEWED')",
         [operator], ('IntegrityError', '23503')),
        ('a missing case, code chosen by the resolver', "SELECT cla_eventlog.log_event('call_me_back', 999999, %s)",
         [operator], ('IntegrityError', '23503')),
        ('an unknown code', "SELECT cla_eventlog.log_event('case', %s, %s, 'NO_SUCH_CODE')", [case.id, operator],
         ('ProgrammingError', '42704')),
        ('context that is not an object', "SELECT cla_eventlog.log_event('case', %s, %s, 'CASE_VIEWED', context => '[1]')",
         [case.id, operator], ('DataError', '22023'))]:
    got = sqlstate(sql, *args)
    check('%s: %s %s (got %s)' % (what, expected[0], expected[1], got), got == expected)

# --- Erasing a case ---------------------------------------------------------
# Case.delete() of a case with history fails on the log's foreign key; the
# supported way is erase_cases() then delete(), in one transaction.
gone = Case.objects.create()
one("SELECT cla_eventlog.log_event('case', %s, %s, 'CASE_CREATED')", gone.id, operator)
try:
    with transaction.atomic():
        Case.objects.filter(id=gone.id).delete()
    refused = None
except IntegrityError as e:
    refused = e.__cause__.pgcode
check('Case.delete() of a case with logs: IntegrityError 23503 (got %s)' % refused, refused == '23503')
with transaction.atomic():
    with connection.cursor() as cur:
        cur.execute("SELECT log_rows, timer_rows FROM cla_eventlog.erase_cases(%s, %s)",
                    [[gone.id], 'retention: closed more than 6 years ago'])
        erased = cur.fetchone()
    gone_id = gone.id
    gone.delete()                       # (Django then sets gone.id to None)
check('erase_cases() then delete(): %s log row gone, the case deleted, the erasure recorded' % erased[0],
      (erased, Case.objects.filter(id=gone_id).exists(),
       one("SELECT count(*) FROM cla_eventlog.erasure WHERE case_id = %s", gone_id)[0]) == ((1, 0), False, 1))

# A case the ORM creates without an outcome holds '' (not NULL): healthy.
Case.objects.create()
check('verify() finds nothing', one("SELECT count(*) FROM cla_eventlog.verify()")[0] == 0)
check('status_json() is ok', one("SELECT (cla_eventlog.status_json() ->> 'ok')::boolean")[0] is True)
print('flows done')
