# Run by test/t/django.sh with `django-admin test`: Django's test runner
# creates test_<database>, the migrations enable and bind the extension
# there, and the tests below run in it.
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import TestCase

from helpline.models import Case
from helpline.testing import EventLogTransactionTestCase


def one(sql, *args):
    with connection.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchone()


def log_count():
    return one('SELECT count(*) FROM cla_eventlog.log')[0]


class RolledBack(TestCase):
    """A TestCase rolls each test back: the log's rows go with it."""

    def test_outcome(self):
        case = Case.objects.create()
        one("SELECT id FROM cla_eventlog.start_timer(42)")
        one("SELECT cla_eventlog.log_event('decline_help', %s, 42, acting_role => 'operator')", case.id)
        case.refresh_from_db()
        self.assertEqual(case.outcome_code, 'DECL')


class Flushed(EventLogTransactionTestCase):
    """Each test starts from an empty database, the log included."""

    def test_1_logs(self):
        self.assertEqual(log_count(), 0)
        case = Case.objects.create()
        one("SELECT cla_eventlog.log_event('case', %s, 42, 'CASE_CREATED')", case.id)
        self.assertEqual(log_count(), 1)

    def test_2_starts_empty(self):
        self.assertEqual((Case.objects.count(), log_count()), (0, 0))
        case = Case.objects.create()
        one("SELECT cla_eventlog.log_event('case', %s, 42, 'CASE_CREATED')", case.id)
        # What the plain TransactionTestCase runs, and why it fails: without
        # CASCADE the log's foreign key stops the TRUNCATE of the case
        # table; with CASCADE the log refuses while it has rows.
        for cascade in (False, True):
            with self.assertRaises(CommandError):
                call_command('flush', verbosity=0, interactive=False, allow_cascade=cascade)
        self.assertEqual(log_count(), 1)

    def test_3_starts_empty(self):
        self.assertEqual((Case.objects.count(), log_count()), (0, 0))
