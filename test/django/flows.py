# The service's request flows through Django's ORM and connection: an
# operator's timer, CASE_CREATED, a callback chosen by the resolver, an
# outcome that stops the timer, each checked after refresh_from_db(), a
# rolled-back transaction.atomic(), and the no-op UPDATE of Model.save().
import os
import sys

import django

sys.path.insert(0, os.path.dirname(__file__))
os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'settings')
django.setup()

from django.db import IntegrityError, connection, transaction  # noqa: E402
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

# A case the ORM creates without an outcome holds '' (not NULL): healthy.
Case.objects.create()
check('verify() finds nothing', one("SELECT count(*) FROM cla_eventlog.verify()")[0] == 0)
check('status_json() is ok', one("SELECT (cla_eventlog.status_json() ->> 'ok')::boolean")[0] is True)
print('flows done')
