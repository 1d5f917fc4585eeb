# The service's case model, reduced to what the extension binds and the
# reference resolver reads.  Django makes outcome_code varchar NOT NULL
# (its default '' is kept in Python), outcome_code_id integer, level
# smallint: the shapes README "Case binding" describes.
from django.db import models


class Case(models.Model):
    outcome_code = models.CharField(max_length=50, blank=True)
    outcome_code_id = models.IntegerField(null=True)
    level = models.SmallIntegerField(null=True)
    billable_time = models.PositiveIntegerField(default=0)
    requires_action_by = models.CharField(max_length=50, null=True, default='operator')
    source = models.CharField(max_length=20, default='PHONE')
    callback_attempt = models.IntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = 'legalaid_case'


class Log(models.Model):
    """The extension's log, for writing rows through the ORM (not managed
    by Django's migrations).  Columns left out (type, level, timer_id,
    created, ...) are filled by the log's trigger or its defaults."""
    id = models.BigAutoField(primary_key=True)
    case = models.ForeignKey(Case, on_delete=models.DO_NOTHING, db_constraint=False)
    event_key = models.TextField(null=True)
    code = models.TextField()
    created_by = models.BigIntegerField()
    created_by_role = models.TextField(null=True)
    notes = models.TextField(null=True)

    class Meta:
        managed = False
        db_table = 'cla_eventlog"."log'
