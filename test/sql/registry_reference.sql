-- registry_reference: the reference code set of the legal-aid helpline
-- (shared/data/cla_event_codes.csv: 18 event keys, 72 code definitions)
-- registers as-is, and the registry reads back what README "Registry" promises
-- (29 operator-selectable codes).  Self-contained: the definitions are
-- written out here from the CSV, not loaded from the reference app.
--
-- CSV to JSON: selectable_by "a;b" -> ["a", "b"], empty -> []; order empty
-- -> absent; set_requires_action_by empty -> absent, "null" -> null,
-- "policy:None_if_owned_by_op_or_op_manager" -> {"clear_if_owned_by":
-- ["operator", "operator_manager"]}, other text -> that string.  Added from
-- README "Logging" and "Side effects" (the CSV has no columns for them): once_per for
-- case/CALL_STARTED and case/CASE_VIEWED; set_case_columns for
-- accept_case/SPOP, close_case/CLSP and DREFER, reopen_case/REOPEN,
-- open_case/CASE_VIEWED and the reject_case codes whose requires-action-by
-- is null.
\i test/setup.psql

-- Every event registers; the number of codes of each.
SELECT v.event_key, cla_eventlog.register_event(v.event_key, v.codes::jsonb) AS codes
  FROM (VALUES
    ('assign_to_provider', '{
        "REFSP": {"type": "outcome", "level": 29, "selectable_by": [], "description": "Referred to Specialist", "stops_timer": true, "set_requires_action_by": "1_provider_review"},
        "MANALC": {"type": "outcome", "level": 29, "selectable_by": [], "description": "Manually allocated to Specialist", "stops_timer": true, "set_requires_action_by": "1_provider_review"},
        "MANREF": {"type": "outcome", "level": 29, "selectable_by": [], "description": "Manually allocated to Specialist for course-correction", "stops_timer": true, "set_requires_action_by": "1_provider_review"},
        "SPOR": {"type": "outcome", "level": 29, "selectable_by": [], "description": "Referred to Specialist for second opinion", "stops_timer": true, "set_requires_action_by": "1_provider_review"}
    }'),
    ('defer_assignment', '{
        "CBSP": {"type": "outcome", "level": 29, "selectable_by": ["operator"], "description": "Will call back later for Specialist", "stops_timer": true}
    }'),
    ('decline_help', '{
        "DESP": {"type": "outcome", "level": 29, "selectable_by": ["operator"], "description": "Client declined Specialist", "stops_timer": true, "set_requires_action_by": {"clear_if_owned_by": ["operator", "operator_manager"]}},
        "DECL": {"type": "outcome", "level": 29, "selectable_by": ["operator"], "description": "Client declined all help options", "stops_timer": true, "set_requires_action_by": {"clear_if_owned_by": ["operator", "operator_manager"]}},
        "NRES": {"type": "outcome", "level": 29, "selectable_by": ["operator"], "description": "No resources available to help", "stops_timer": true, "set_requires_action_by": {"clear_if_owned_by": ["operator", "operator_manager"]}}
    }'),
    ('call_me_back', '{
        "CB1": {"type": "outcome", "level": 29, "selectable_by": ["operator"], "description": "Callback 1", "stops_timer": true, "set_requires_action_by": "operator"},
        "CB2": {"type": "outcome", "level": 29, "selectable_by": ["operator"], "description": "Callback 2", "stops_timer": true, "set_requires_action_by": "operator"},
        "CB3": {"type": "outcome", "level": 29, "selectable_by": ["operator"], "description": "Callback 3", "stops_timer": true, "set_requires_action_by": "operator"},
        "PCB": {"type": "outcome", "level": 29, "selectable_by": ["operator"], "description": "Priority callback", "stops_timer": true, "set_requires_action_by": "operator"}
    }'),
    ('stop_call_me_back', '{
        "CBC": {"type": "outcome", "level": 29, "selectable_by": ["operator"], "description": "Callback Cancelled", "stops_timer": true, "set_requires_action_by": {"clear_if_owned_by": ["operator", "operator_manager"]}},
        "CALLBACK_COMPLETE": {"type": "system", "level": 29, "selectable_by": [], "description": "Callback complete", "stops_timer": false}
    }'),
    ('reject_case', '{
        "MIS-OOS": {"type": "outcome", "level": 29, "selectable_by": [], "description": "Misdiagnosed, out of scope", "stops_timer": false, "order": 10, "set_requires_action_by": null, "set_case_columns": {"provider_closed": "now"}},
        "MIS-MEANS": {"type": "outcome", "level": 29, "selectable_by": [], "description": "Misdiagnosed, means test isn''t correct", "stops_timer": false, "order": 20, "set_requires_action_by": null, "set_case_columns": {"provider_closed": "now"}},
        "COI": {"type": "outcome", "level": 29, "selectable_by": ["specialist"], "description": "Conflict of Interest", "stops_timer": false, "order": 30, "set_requires_action_by": "operator"},
        "MIS": {"type": "outcome", "level": 29, "selectable_by": [], "description": "Misdiagnosed, assigned to wrong Specialist or another Specialist is dealing with client", "stops_timer": false, "order": 40, "set_requires_action_by": "operator"},
        "MERI": {"type": "outcome", "level": 29, "selectable_by": ["specialist"], "description": "Merits - not eligible", "stops_timer": false, "order": 50, "set_requires_action_by": null, "set_case_columns": {"provider_closed": "now"}},
        "DUPL": {"type": "outcome", "level": 29, "selectable_by": ["specialist"], "description": "Duplicate case", "stops_timer": false, "order": 60, "set_requires_action_by": null, "set_case_columns": {"provider_closed": "now"}},
        "CLOT": {"type": "outcome", "level": 29, "selectable_by": ["specialist"], "description": "Other", "stops_timer": false, "order": 70, "set_requires_action_by": null, "set_case_columns": {"provider_closed": "now"}}
    }'),
    ('accept_case', '{
        "SPOP": {"type": "outcome", "level": 29, "selectable_by": [], "description": "Case taken", "stops_timer": false, "set_requires_action_by": "2_provider", "set_case_columns": {"provider_accepted": "now", "provider_closed": null}}
    }'),
    ('open_case', '{
        "CASE_VIEWED": {"type": "outcome", "level": 29, "selectable_by": [], "description": "Case opened by provider", "stops_timer": false, "set_requires_action_by": "2_provider", "set_case_columns": {"provider_viewed": "now"}}
    }'),
    ('close_case', '{
        "CLSP": {"type": "outcome", "level": 29, "selectable_by": [], "description": "Closed SP Case", "stops_timer": false, "set_requires_action_by": null, "set_case_columns": {"provider_closed": "now"}},
        "DREFER": {"type": "outcome", "level": 29, "selectable_by": [], "description": "Arranged an appointment with a F2F specialist", "stops_timer": false, "set_requires_action_by": null, "set_case_columns": {"provider_closed": "now"}}
    }'),
    ('reopen_case', '{
        "REOPEN": {"type": "outcome", "level": 29, "selectable_by": [], "description": "Reopened SP Case", "stops_timer": false, "set_case_columns": {"provider_closed": null}}
    }'),
    ('split_case', '{
        "REF-EXT": {"type": "outcome", "level": 29, "selectable_by": [], "description": "Referred externally", "stops_timer": false},
        "REF-INT": {"type": "outcome", "level": 29, "selectable_by": [], "description": "Referred internally", "stops_timer": false},
        "REF-EXT_CREATED": {"type": "system", "level": 29, "selectable_by": [], "description": "Split case created and referred externally", "stops_timer": false},
        "REF-INT_CREATED": {"type": "system", "level": 29, "selectable_by": [], "description": "Split case created and referred internally", "stops_timer": false}
    }'),
    ('complaint', '{
        "COMPLAINT_CREATED": {"type": "system", "level": 29, "selectable_by": [], "description": "Complaint created", "stops_timer": false},
        "OWNER_SET": {"type": "system", "level": 29, "selectable_by": [], "description": "Complaint owner set", "stops_timer": false},
        "COMPLAINT_NOTE": {"type": "system", "level": 11, "selectable_by": ["operator"], "description": "Complaint note", "stops_timer": false},
        "HOLDING_LETTER_SENT": {"type": "system", "level": 29, "selectable_by": ["operator"], "description": "Complaint holding letter sent", "stops_timer": false},
        "TRANSFERRED_TO_SPECIALIST": {"type": "system", "level": 29, "selectable_by": ["operator"], "description": "Complaint transferred to specialist", "stops_timer": false},
        "FULL_RESPONSE_SENT": {"type": "system", "level": 29, "selectable_by": ["operator"], "description": "Complaint full response sent", "stops_timer": false},
        "COMPLAINT_CLOSED": {"type": "system", "level": 29, "selectable_by": ["operator"], "description": "Complaint closed", "stops_timer": false},
        "COMPLAINT_REOPENED": {"type": "system", "level": 29, "selectable_by": [], "description": "Complaint reopened", "stops_timer": false},
        "COMPLAINT_VOID": {"type": "system", "level": 29, "selectable_by": ["operator"], "description": "Complaint voided", "stops_timer": false}
    }'),
    ('diagnosis', '{
        "DIAGNOSIS_CREATED": {"type": "system", "level": 29, "selectable_by": [], "description": "Diagnosis created", "stops_timer": false},
        "DIAGNOSIS_DELETED": {"type": "system", "level": 29, "selectable_by": [], "description": "Diagnosis deleted", "stops_timer": false},
        "INCOMPLETE_DIAGNOSIS_DELETED": {"type": "system", "level": 29, "selectable_by": [], "description": "Incomplete Diagnosis deleted", "stops_timer": false}
    }'),
    ('alternative_help', '{
        "IRKB": {"type": "outcome", "level": 29, "selectable_by": ["operator", "specialist"], "description": "Assigned to alternative help from Knowledgebase", "stops_timer": true, "set_requires_action_by": {"clear_if_owned_by": ["operator", "operator_manager"]}},
        "COSPF": {"type": "outcome", "level": 29, "selectable_by": ["operator", "specialist"], "description": "Assigned to F2F provider", "stops_timer": true, "set_requires_action_by": {"clear_if_owned_by": ["operator", "operator_manager"]}},
        "SPFN": {"type": "outcome", "level": 29, "selectable_by": ["operator", "specialist"], "description": "Assigned to F2F provider (Housing and Family)", "stops_timer": true, "set_requires_action_by": {"clear_if_owned_by": ["operator", "operator_manager"]}},
        "SPFM": {"type": "outcome", "level": 29, "selectable_by": ["operator", "specialist"], "description": "Assigned to F2F provider (Debt, Education and Discrimination)", "stops_timer": true, "set_requires_action_by": {"clear_if_owned_by": ["operator", "operator_manager"]}},
        "EDFF": {"type": "outcome", "level": 29, "selectable_by": ["operator", "specialist"], "description": "Assigned to F2F provider (Education specialist providers not available)", "stops_timer": true, "set_requires_action_by": {"clear_if_owned_by": ["operator", "operator_manager"]}}
    }'),
    ('means_test', '{
        "MT_CREATED": {"type": "system", "level": 29, "selectable_by": [], "description": "Means test created", "stops_timer": false},
        "MT_CHANGED": {"type": "system", "level": 29, "selectable_by": [], "description": "Means test changed", "stops_timer": false},
        "MT_PASSED": {"type": "system", "level": 29, "selectable_by": [], "description": "Means test passed", "stops_timer": false},
        "MT_FAILED": {"type": "system", "level": 29, "selectable_by": [], "description": "Means test failed", "stops_timer": false}
    }'),
    ('case', '{
        "CASE_CREATED": {"type": "system", "level": 29, "selectable_by": [], "description": "Case created", "stops_timer": false},
        "CASE_VIEWED": {"type": "system", "level": 11, "selectable_by": [], "description": "Case viewed", "stops_timer": false, "once_per": {"scope": "case_timer", "with": ["CASE_CREATED"]}},
        "COMPLAINT_FLAG_TOGGLED": {"type": "system", "level": 11, "selectable_by": [], "description": "Complaint flag toggled", "stops_timer": false},
        "CALL_STARTED": {"type": "event", "level": 29, "selectable_by": ["operator"], "description": "Operator started call", "stops_timer": false, "once_per": {"scope": "case"}},
        "CASE_ORGANISATION_SET": {"type": "system", "level": 11, "selectable_by": [], "description": "Case organisation set", "stops_timer": false}
    }'),
    ('suspend_case', '{
        "INSUF": {"type": "outcome", "level": 29, "selectable_by": ["operator"], "description": "Not enough info to continue", "stops_timer": true, "order": 10, "set_requires_action_by": {"clear_if_owned_by": ["operator", "operator_manager"]}},
        "ABND": {"type": "outcome", "level": 29, "selectable_by": ["operator", "specialist"], "description": "Client abandoned call", "stops_timer": true, "order": 20, "set_requires_action_by": {"clear_if_owned_by": ["operator", "operator_manager"]}},
        "TERM": {"type": "outcome", "level": 29, "selectable_by": ["operator", "specialist"], "description": "Hung up call", "stops_timer": true, "order": 30, "set_requires_action_by": {"clear_if_owned_by": ["operator", "operator_manager"]}},
        "IRCB": {"type": "outcome", "level": 29, "selectable_by": ["operator"], "description": "Booked appointment with senior member of staff", "stops_timer": true, "order": 40, "set_requires_action_by": "operator_manager"},
        "COPE": {"type": "outcome", "level": 29, "selectable_by": ["operator"], "description": "Case opened in error", "stops_timer": true, "order": 50, "set_requires_action_by": {"clear_if_owned_by": ["operator", "operator_manager"]}},
        "DUPL": {"type": "outcome", "level": 29, "selectable_by": ["operator"], "description": "Duplicate", "stops_timer": true, "order": 60, "set_requires_action_by": {"clear_if_owned_by": ["operator", "operator_manager"]}},
        "WROF": {"type": "outcome", "level": 29, "selectable_by": ["operator"], "description": "Write off case - use only under senior instruction", "stops_timer": true, "order": 70, "set_requires_action_by": {"clear_if_owned_by": ["operator", "operator_manager"]}},
        "RDSP": {"type": "outcome", "level": 29, "selectable_by": ["operator"], "description": "Sent back to Specialist", "stops_timer": true, "order": 80, "set_requires_action_by": {"clear_if_owned_by": ["operator", "operator_manager"]}},
        "SAME": {"type": "outcome", "level": 29, "selectable_by": ["operator"], "description": "Read out prior alternate help", "stops_timer": true, "order": 90, "set_requires_action_by": {"clear_if_owned_by": ["operator", "operator_manager"]}},
        "MRNB": {"type": "outcome", "level": 29, "selectable_by": ["operator"], "description": "Manager reviewed non-billable", "stops_timer": true, "order": 100, "set_requires_action_by": {"clear_if_owned_by": ["operator", "operator_manager"]}},
        "MRCC": {"type": "outcome", "level": 29, "selectable_by": ["operator"], "description": "Manager reviewed compliant case", "stops_timer": true, "order": 110, "set_requires_action_by": {"clear_if_owned_by": ["operator", "operator_manager"]}},
        "REFDPA": {"type": "outcome", "level": 29, "selectable_by": ["operator"], "description": "Refused DPA", "stops_timer": true, "order": 120, "set_requires_action_by": {"clear_if_owned_by": ["operator", "operator_manager"]}},
        "RELBD": {"type": "outcome", "level": 29, "selectable_by": ["operator"], "description": "Don''t transfer / COI identifier", "stops_timer": true, "order": 130, "set_requires_action_by": {"clear_if_owned_by": ["operator", "operator_manager"]}},
        "RSTR": {"type": "outcome", "level": 29, "selectable_by": ["operator"], "description": "Restricted from service", "stops_timer": true, "order": 140, "set_requires_action_by": {"clear_if_owned_by": ["operator", "operator_manager"]}},
        "NOLA": {"type": "outcome", "level": 29, "selectable_by": ["operator"], "description": "No Legal Aid", "stops_timer": true, "order": 150, "set_requires_action_by": {"clear_if_owned_by": ["operator", "operator_manager"]}}
    }'),
    ('change_category', '{
        "CATEGORY_CHANGED": {"type": "system", "level": 29, "selectable_by": [], "description": "Category of law changed", "stops_timer": false}
    }')
  ) AS v (event_key, codes);

-- 18 events, 72 codes, all live; by type and level.
SELECT count(DISTINCT event_key) AS events, count(*) AS codes,
       count(*) FILTER (WHERE retired) AS retired
  FROM cla_eventlog.codes;
SELECT type, level_name, count(*) FROM cla_eventlog.codes GROUP BY 1, 2 ORDER BY 1, 2;

-- The same code string under two events, with different definitions.
SELECT event_key, code, type, level, selectable_by, stops_timer, set_requires_action_by,
       set_case_columns, once_per
  FROM cla_eventlog.codes WHERE code IN ('DUPL', 'CASE_VIEWED') ORDER BY code, event_key;

-- The four forms of set_requires_action_by in the set: absent (SQL NULL),
-- null, a string, clear_if_owned_by.
SELECT pg_catalog.jsonb_typeof(set_requires_action_by) AS form,
       set_requires_action_by, count(*)
  FROM cla_eventlog.codes GROUP BY 1, 2 ORDER BY 1 NULLS FIRST, 2::text;

-- The codes that stamp case columns.
SELECT event_key, code, set_case_columns
  FROM cla_eventlog.codes WHERE set_case_columns IS NOT NULL ORDER BY 1, 2;

-- Display order: suspend_case by its "order" attribute; codes without one
-- (assign_to_provider) in registration order, which within one call is
-- code order (jsonb does not keep the order the CSV lists them in).
SELECT code, sort_order, description FROM cla_eventlog.event_codes('suspend_case');
SELECT code, sort_order FROM cla_eventlog.event_codes('assign_to_provider');

-- 29 outcome codes an operator may select (README "Registry"), by event and order.
SELECT count(*) AS operator_codes FROM cla_eventlog.selectable_codes('operator');
SELECT * FROM cla_eventlog.selectable_codes('operator');
-- A specialist's.
SELECT * FROM cla_eventlog.selectable_codes('specialist');

-- Registering the whole set again, rebuilt from the codes view (every
-- deployment re-registers), changes nothing: same definitions, nothing
-- retired, same registration order.
CREATE TEMP TABLE before AS
SELECT c.*, r.reg_order FROM cla_eventlog.codes c JOIN cla_eventlog.code r USING (event_key, code);
SELECT d.event_key, cla_eventlog.register_event(d.event_key, pg_catalog.jsonb_object_agg(d.code, d.def)) AS codes
  FROM (SELECT event_key, code,
               pg_catalog.jsonb_build_object('type', type, 'level', level,
                   'selectable_by', pg_catalog.to_jsonb(selectable_by), 'description', description,
                   'stops_timer', stops_timer, 'order', sort_order)
               || CASE WHEN set_requires_action_by IS NULL THEN '{}'
                       ELSE pg_catalog.jsonb_build_object('set_requires_action_by', set_requires_action_by) END
               || CASE WHEN set_case_columns IS NULL THEN '{}'
                       ELSE pg_catalog.jsonb_build_object('set_case_columns', set_case_columns) END
               || CASE WHEN once_per IS NULL THEN '{}'
                       ELSE pg_catalog.jsonb_build_object('once_per', once_per) END AS def
          FROM cla_eventlog.codes) AS d
 GROUP BY d.event_key ORDER BY 1;
SELECT (SELECT count(*) FROM (SELECT * FROM before
                              EXCEPT SELECT c.*, r.reg_order FROM cla_eventlog.codes c
                                     JOIN cla_eventlog.code r USING (event_key, code)) x) AS changed,
       (SELECT count(*) FROM cla_eventlog.code) AS codes;
