# The test-case class a project with cla_eventlog uses instead of
# TransactionTestCase (README "Using it from Django", "Tests").
#
# After each test, Django empties the database with `flush`: one TRUNCATE
# of every table of its models.  The extension's log and timers refer to
# the case table, so that TRUNCATE fails ("cannot truncate a table
# referenced in a foreign key constraint") unless it cascades to them, and
# the log refuses TRUNCATE while it holds rows.  So: empty the log and the
# timers first with reset_test_data() (it runs only in a test_* database),
# then flush with CASCADE.  TestCase, which rolls each test back, needs
# nothing.
from django.core.management import call_command
from django.db import connections
from django.test import TransactionTestCase


class EventLogTransactionTestCase(TransactionTestCase):
    def _fixture_teardown(self):
        for db_name in self._databases_names(include_mirrors=False):
            with connections[db_name].cursor() as cursor:
                cursor.execute('SELECT cla_eventlog.reset_test_data()')
            call_command('flush', verbosity=0, interactive=False, database=db_name,
                         reset_sequences=False, allow_cascade=True,
                         inhibit_post_migrate=self.available_apps is not None)
