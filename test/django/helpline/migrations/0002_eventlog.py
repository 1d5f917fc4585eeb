# Enable the extension, bind the case table Django created, register the
# codes this project logs.  The resolver reads the case through
# cla_eventlog.bound_case(), so it does not depend on the table's name.
from django.db import migrations

SQL = r"""
CREATE EXTENSION IF NOT EXISTS cla_eventlog;
SELECT cla_eventlog.bind_case_table('public.legalaid_case');
CREATE FUNCTION public.resolve_call_me_back(case_id bigint, params jsonb) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE COALESCE((cla_eventlog.bound_case(case_id) ->> 'callback_attempt')::integer, 0)
           WHEN 0 THEN 'CB1' WHEN 1 THEN 'CB2' ELSE 'CB3' END
$$;
SELECT cla_eventlog.register_event('case', '{"CASE_CREATED": {"type": "system", "level": "MINOR",
    "selectable_by": [], "description": "Case created", "stops_timer": false, "once_per": {"scope": "case"}},
    "CASE_VIEWED": {"type": "system", "level": "MINOR", "selectable_by": [], "description": "Case viewed",
    "stops_timer": false}}');
SELECT cla_eventlog.register_event('call_me_back', '{
    "CB1": {"type": "outcome", "level": "HIGH", "selectable_by": ["operator"], "description": "Callback 1",
            "stops_timer": true, "set_requires_action_by": "operator"},
    "CB2": {"type": "outcome", "level": "HIGH", "selectable_by": ["operator"], "description": "Callback 2",
            "stops_timer": true, "set_requires_action_by": "operator"},
    "CB3": {"type": "outcome", "level": "HIGH", "selectable_by": ["operator"], "description": "Callback 3",
            "stops_timer": true, "set_requires_action_by": "operator"}}', 'public.resolve_call_me_back(bigint,jsonb)');
SELECT cla_eventlog.register_event('decline_help', '{"DECL": {"type": "outcome", "level": "HIGH",
    "selectable_by": ["operator"], "description": "Declined", "stops_timer": true, "set_requires_action_by": null}}');
"""


class Migration(migrations.Migration):
    dependencies = [('helpline', '0001_initial')]
    operations = [migrations.RunSQL(SQL)]
