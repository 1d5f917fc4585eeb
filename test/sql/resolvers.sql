-- resolvers: the reference application's code resolvers
-- (test/fixtures/cla_reference.sql), called directly, one rule and one
-- error at a time.  log_event() calls them the same way and passes their
-- errors through unchanged (README "Logging"), so these messages are what an
-- application developer sees.  After each error, \echo shows its SQLSTATE.
\i test/setup.psql
\set ECHO none
\i test/fixtures/cla_reference.sql
\set ECHO all

-- Cases in the states the rules look at: callbacks booked so far, and the
-- client's priority-callback flag.
INSERT INTO cla_reference.legalaid_case (id, reference, callback_attempt, priority_callback) VALUES
    (1, 'T-CB0', 0, false),
    (2, 'T-CB1', 1, false),
    (3, 'T-CB2', 2, false),
    (4, 'T-CB3', 3, false),
    (5, 'T-PRIO', 0, true),
    (6, 'T-PRIO-CB3', 3, true);
-- The resolvers read the case through cla_eventlog.bound_case(), so they
-- serve whichever table is bound (a Django table in the service).
SELECT cla_reference.bind();

------------------------------------------------------------------------
-- call_me_back
------------------------------------------------------------------------

-- Without params (NULL or {}) the callback number follows the case's
-- callback_attempt: 0 -> CB1, 1 -> CB2, 2 -> CB3; a case flagged for a
-- priority callback gives PCB, even after 3 callbacks.
SELECT id, callback_attempt, priority_callback,
       cla_reference.resolve_call_me_back(id, NULL) AS with_null,
       cla_reference.resolve_call_me_back(id, '{}') AS with_empty
  FROM cla_reference.legalaid_case WHERE id <> 4 ORDER BY id;

-- {"priority_callback": true} gives PCB whatever the case's count, also
-- after 3 callbacks; {"priority_callback": false} behaves as if absent and
-- does not override the case's own flag.
SELECT id, callback_attempt, priority_callback,
       cla_reference.resolve_call_me_back(id, '{"priority_callback": true}') AS prio_true
  FROM cla_reference.legalaid_case WHERE id IN (1, 3, 4, 5) ORDER BY id;
SELECT id, callback_attempt, priority_callback,
       cla_reference.resolve_call_me_back(id, '{"priority_callback": false}') AS prio_false
  FROM cla_reference.legalaid_case WHERE id IN (1, 3, 5) ORDER BY id;

-- A fourth callback is refused (the case state, not the params, is wrong).
SELECT cla_reference.resolve_call_me_back(4, NULL);
\echo :LAST_ERROR_SQLSTATE

-- A case that does not exist, and a NULL case id, are errors.
SELECT cla_reference.resolve_call_me_back(999, NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT cla_reference.resolve_call_me_back(NULL, NULL);
\echo :LAST_ERROR_SQLSTATE

-- priority_callback must be a JSON boolean: a string or null is refused,
-- naming the parameter.
SELECT cla_reference.resolve_call_me_back(1, '{"priority_callback": "true"}');
\echo :LAST_ERROR_SQLSTATE
SELECT cla_reference.resolve_call_me_back(1, '{"priority_callback": null}');
\echo :LAST_ERROR_SQLSTATE

-- A misspelt parameter is refused rather than silently ignored, and
-- params that are not a JSON object are refused (JSON null counts as none).
SELECT cla_reference.resolve_call_me_back(1, '{"priority": true}');
\echo :LAST_ERROR_SQLSTATE
SELECT cla_reference.resolve_call_me_back(1, '[true]');
\echo :LAST_ERROR_SQLSTATE
SELECT cla_reference.resolve_call_me_back(1, 'null');

------------------------------------------------------------------------
-- stop_call_me_back
------------------------------------------------------------------------

-- {"cancel": true} -> CBC, {"complete": true} -> CALLBACK_COMPLETE, on a
-- case with a callback booked; the other flag may be given as false.
SELECT cla_reference.resolve_stop_call_me_back(2, '{"cancel": true}') AS cancel,
       cla_reference.resolve_stop_call_me_back(2, '{"complete": true}') AS complete,
       cla_reference.resolve_stop_call_me_back(4, '{"cancel": true, "complete": false}') AS cancel_explicit,
       cla_reference.resolve_stop_call_me_back(4, '{"cancel": false, "complete": true}') AS complete_explicit;

-- Both, or neither (absent, NULL params, or both false), is an error.
SELECT cla_reference.resolve_stop_call_me_back(2, '{"cancel": true, "complete": true}');
\echo :LAST_ERROR_SQLSTATE
SELECT cla_reference.resolve_stop_call_me_back(2, NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT cla_reference.resolve_stop_call_me_back(2, '{"cancel": false, "complete": false}');
\echo :LAST_ERROR_SQLSTATE

-- The case must have a callback booked (callback_attempt > 0), and exist.
SELECT cla_reference.resolve_stop_call_me_back(1, '{"cancel": true}');
\echo :LAST_ERROR_SQLSTATE
SELECT cla_reference.resolve_stop_call_me_back(999, '{"complete": true}');
\echo :LAST_ERROR_SQLSTATE

-- The flags must be JSON booleans.
SELECT cla_reference.resolve_stop_call_me_back(2, '{"cancel": 1}');
\echo :LAST_ERROR_SQLSTATE

------------------------------------------------------------------------
-- assign_to_provider
------------------------------------------------------------------------

-- No flag -> REFSP; is_spor -> SPOR; is_manual_ref -> MANREF;
-- is_manual -> MANALC; flags given as false do not count.  The case is
-- not read, so these work for any case id.
SELECT cla_reference.resolve_assign_to_provider(1, NULL) AS none,
       cla_reference.resolve_assign_to_provider(1, '{"is_spor": false, "is_manual": false}') AS all_false,
       cla_reference.resolve_assign_to_provider(1, '{"is_spor": true}') AS spor,
       cla_reference.resolve_assign_to_provider(1, '{"is_manual_ref": true}') AS manual_ref,
       cla_reference.resolve_assign_to_provider(1, '{"is_manual": true, "is_spor": false}') AS manual;

-- More than one flag true is an error; a flag of the wrong type too.
SELECT cla_reference.resolve_assign_to_provider(1, '{"is_spor": true, "is_manual": true}');
\echo :LAST_ERROR_SQLSTATE
SELECT cla_reference.resolve_assign_to_provider(1, '{"is_manual_ref": "yes"}');
\echo :LAST_ERROR_SQLSTATE

------------------------------------------------------------------------
-- close_case
------------------------------------------------------------------------

-- {"drefer": true} -> DREFER, anything else -> CLSP.
SELECT cla_reference.resolve_close_case(1, NULL) AS none,
       cla_reference.resolve_close_case(1, '{"drefer": false}') AS drefer_false,
       cla_reference.resolve_close_case(1, '{"drefer": true}') AS drefer_true;

-- drefer must be a JSON boolean.
SELECT cla_reference.resolve_close_case(1, '{"drefer": "true"}');
\echo :LAST_ERROR_SQLSTATE

------------------------------------------------------------------------
-- split_case
------------------------------------------------------------------------

-- internal x created gives the four codes; created defaults to false.
SELECT i AS internal, c AS created,
       cla_reference.resolve_split_case(1, pg_catalog.jsonb_build_object('internal', i, 'created', c)) AS code
  FROM (VALUES (true), (false)) AS a(i), (VALUES (false), (true)) AS b(c)
 ORDER BY 1 DESC, 2;
SELECT cla_reference.resolve_split_case(1, '{"internal": true}') AS internal_only,
       cla_reference.resolve_split_case(1, '{"internal": false}') AS external_only;

-- internal is required, and must be a JSON boolean.
SELECT cla_reference.resolve_split_case(1, '{"created": true}');
\echo :LAST_ERROR_SQLSTATE
SELECT cla_reference.resolve_split_case(1, NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT cla_reference.resolve_split_case(1, '{"internal": "no"}');
\echo :LAST_ERROR_SQLSTATE

------------------------------------------------------------------------
-- case, means_test, diagnosis: a "status" string picks the code
------------------------------------------------------------------------

-- Every status of event "case".
SELECT s AS status, cla_reference.resolve_case(1, pg_catalog.jsonb_build_object('status', s)) AS code
  FROM pg_catalog.unnest(ARRAY['created', 'viewed', 'call_started',
                               'complaint_flag_toggled', 'organisation_set']) AS s;

-- Missing, unknown, or non-string status is an error listing the allowed
-- statuses; so is an unknown parameter next to a good status.
SELECT cla_reference.resolve_case(1, NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT cla_reference.resolve_case(1, '{"status": "opened"}');
\echo :LAST_ERROR_SQLSTATE
SELECT cla_reference.resolve_case(1, '{"status": 1}');
\echo :LAST_ERROR_SQLSTATE
SELECT cla_reference.resolve_case(1, '{"status": "created", "code": "CASE_CREATED"}');
\echo :LAST_ERROR_SQLSTATE

-- Every status of event "means_test", and an unknown one.
SELECT s AS status, cla_reference.resolve_means_test(1, pg_catalog.jsonb_build_object('status', s)) AS code
  FROM pg_catalog.unnest(ARRAY['created', 'changed', 'passed', 'failed']) AS s;
SELECT cla_reference.resolve_means_test(1, '{"status": "PASSED"}');
\echo :LAST_ERROR_SQLSTATE

-- Every status of event "diagnosis", and a missing one.
SELECT s AS status, cla_reference.resolve_diagnosis(1, pg_catalog.jsonb_build_object('status', s)) AS code
  FROM pg_catalog.unnest(ARRAY['created', 'deleted', 'incomplete_deleted']) AS s;
SELECT cla_reference.resolve_diagnosis(1, '{}');
\echo :LAST_ERROR_SQLSTATE

------------------------------------------------------------------------
-- The fixture as a whole
------------------------------------------------------------------------

-- Every resolver can only return codes of its event: the generator checks
-- this against the CSV; here, every (event, code) a resolver returned above
-- is one that register_events() registers for that event.
WITH reg AS (
    SELECT m[1] AS event_key, k AS code
      FROM pg_catalog.pg_proc p,
           pg_catalog.regexp_matches(p.prosrc,
               'register_event\(''([a-z_]+)'', \$codes\$ ([^$]*) \$codes\$', 'g') AS m,
           pg_catalog.jsonb_object_keys(m[2]::jsonb) AS k
     WHERE p.oid = 'cla_reference.register_events()'::regprocedure
), returned(event_key, code) AS (VALUES
    ('call_me_back', 'CB1'), ('call_me_back', 'CB2'), ('call_me_back', 'CB3'), ('call_me_back', 'PCB'),
    ('stop_call_me_back', 'CBC'), ('stop_call_me_back', 'CALLBACK_COMPLETE'),
    ('assign_to_provider', 'REFSP'), ('assign_to_provider', 'SPOR'),
    ('assign_to_provider', 'MANREF'), ('assign_to_provider', 'MANALC'),
    ('close_case', 'CLSP'), ('close_case', 'DREFER'),
    ('split_case', 'REF-INT'), ('split_case', 'REF-EXT'),
    ('split_case', 'REF-INT_CREATED'), ('split_case', 'REF-EXT_CREATED'),
    ('case', 'CASE_CREATED'), ('case', 'CASE_VIEWED'), ('case', 'CALL_STARTED'),
    ('case', 'COMPLAINT_FLAG_TOGGLED'), ('case', 'CASE_ORGANISATION_SET'),
    ('means_test', 'MT_CREATED'), ('means_test', 'MT_CHANGED'),
    ('means_test', 'MT_PASSED'), ('means_test', 'MT_FAILED'),
    ('diagnosis', 'DIAGNOSIS_CREATED'), ('diagnosis', 'DIAGNOSIS_DELETED'),
    ('diagnosis', 'INCOMPLETE_DIAGNOSIS_DELETED'))
SELECT (SELECT count(DISTINCT event_key) FROM reg) AS events,
       (SELECT count(*) FROM reg) AS codes,
       (SELECT count(*) FROM returned r
         WHERE NOT EXISTS (SELECT FROM reg WHERE reg.event_key = r.event_key
                                              AND reg.code = r.code)) AS unregistered_results;

-- What the fixture adds to the CSV (README "Registry", "Logging", "Side effects"), read from the
-- generated register_events(): the once_per rules, the set_case_columns
-- stamps, and how the CSV's set_requires_action_by cells were translated
-- (absent / JSON null / string / clear_if_owned_by object).
CREATE TEMP VIEW fixture_codes AS
SELECT m[1] AS event_key, c.key AS code, c.value AS def
  FROM pg_catalog.pg_proc p,
       pg_catalog.regexp_matches(p.prosrc,
           'register_event\(''([a-z_]+)'', \$codes\$ ([^$]*) \$codes\$', 'g') AS m,
       pg_catalog.jsonb_each(m[2]::jsonb) AS c
 WHERE p.oid = 'cla_reference.register_events()'::regprocedure;
SELECT event_key, code, def->'once_per' AS once_per
  FROM fixture_codes WHERE def ? 'once_per' ORDER BY 1, 2;
SELECT event_key, pg_catalog.string_agg(code, ' ' ORDER BY code) AS codes,
       def->'set_case_columns' AS set_case_columns
  FROM fixture_codes WHERE def ? 'set_case_columns'
 GROUP BY 1, 3 ORDER BY 1, 2;
SELECT CASE WHEN NOT def ? 'set_requires_action_by' THEN 'absent'
            ELSE pg_catalog.jsonb_typeof(def->'set_requires_action_by') END AS kind,
       def->'set_requires_action_by' AS value, count(*) AS codes
  FROM fixture_codes GROUP BY 1, 2 ORDER BY 1, 2;

-- Every function of the fixture pins its search_path and is documented.
SELECT p.oid::regprocedure AS function_without_pinned_path_or_comment
  FROM pg_catalog.pg_proc p
 WHERE p.pronamespace = 'cla_reference'::regnamespace
   AND (p.proconfig IS DISTINCT FROM ARRAY['search_path=pg_catalog, pg_temp']
        OR pg_catalog.obj_description(p.oid, 'pg_proc') IS NULL);

-- The case table has every column the extension binds by default (README "Case binding").
SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull
  FROM pg_catalog.pg_attribute a
 WHERE a.attrelid = 'cla_reference.legalaid_case'::regclass AND a.attnum > 0
   AND a.attname IN ('id', 'outcome_code', 'outcome_code_id', 'level', 'requires_action_by',
                     'billable_time', 'modified', 'source', 'created', 'provider_viewed',
                     'provider_accepted', 'provider_closed', 'provider_assigned_at')
 ORDER BY a.attnum;

-- Loading the fixture again replaces the schema cleanly (the demo relies
-- on it): the test cases are gone and the resolvers work.
\set ECHO none
\i test/fixtures/cla_reference.sql
\set ECHO all
SELECT count(*) AS cases_after_reload FROM cla_reference.legalaid_case;
SELECT cla_reference.resolve_close_case(NULL, '{"drefer": true}') AS after_reload;
