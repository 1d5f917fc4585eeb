-- side_effects: what a stored log row does to its case and timer, in the
-- same transaction (README "Side effects"), and the timer functions (README "Timers").
\i test/setup.psql
\i test/reference.psql

-- Every one of the 72 reference codes, from each starting requires-action-by
-- value, logged by a fresh user who has a running timer: the timer is
-- stopped exactly when the code has stops_timer, and requires-action-by
-- becomes what README "Registry" says.  One case per (code, starting value).
CREATE TEMP TABLE matrix AS
SELECT row_number() OVER (ORDER BY c.event_key, c.code, s.start) AS k,
       c.event_key, c.code, c.selectable_by[1] AS role, c.stops_timer,
       c.set_requires_action_by AS rule, s.start
  FROM cla_eventlog.codes c,
       unnest(ARRAY[NULL, 'operator', 'operator_manager', '1_provider_review', '2_provider']) s(start)
 WHERE NOT c.retired;
SELECT count(*) AS combinations, count(DISTINCT (event_key, code)) AS codes FROM matrix;
INSERT INTO cla_reference.legalaid_case (id, requires_action_by) SELECT 10000 + k, start FROM matrix;
SELECT count(cla_eventlog.start_timer(20000 + k)) AS timers_started FROM matrix;
SELECT count(cla_eventlog.log_event(event_key, 10000 + k, 20000 + k, code, acting_role => role)) AS logged
  FROM matrix;
-- the timer is stopped exactly when stops_timer
SELECT m.stops_timer, t.stopped IS NOT NULL AS timer_stopped, count(*)
  FROM matrix m JOIN cla_eventlog.timer t ON t.created_by = 20000 + m.k
 GROUP BY 1, 2 ORDER BY 1, 2;
-- requires-action-by: expected from the rule, by form
SELECT CASE WHEN m.rule IS NULL THEN 'absent'
            WHEN jsonb_typeof(m.rule) = 'null' THEN 'null'
            WHEN jsonb_typeof(m.rule) = 'string' THEN 'value'
            ELSE 'clear_if_owned_by' END AS form,
       count(*) AS cases,
       count(*) FILTER (WHERE c.requires_action_by IS DISTINCT FROM
           CASE WHEN m.rule IS NULL THEN m.start
                WHEN jsonb_typeof(m.rule) = 'null' THEN NULL
                WHEN jsonb_typeof(m.rule) = 'string' THEN m.rule #>> '{}'
                WHEN m.start IN (SELECT jsonb_array_elements_text(m.rule -> 'clear_if_owned_by')) THEN NULL
                ELSE m.start END) AS wrong
  FROM matrix m JOIN cla_reference.legalaid_case c ON c.id = 10000 + m.k
 GROUP BY 1 ORDER BY 1;
-- HIGH outcomes are denormalised, other codes leave the outcome alone
SELECT l.type, l.level >= 29 AS high,
       count(*) FILTER (WHERE c.outcome_code_id = l.id AND c.outcome_code = l.code AND c.level = l.level) AS denormalised,
       count(*) FILTER (WHERE c.outcome_code IS NULL) AS untouched
  FROM matrix m JOIN cla_eventlog.log l ON l.case_id = 10000 + m.k
  JOIN cla_reference.legalaid_case c ON c.id = l.case_id
 GROUP BY 1, 2 ORDER BY 1, 2;
-- billable time of every case equals the sum of its timers
SELECT count(*) FILTER (WHERE c.billable_time <> COALESCE(b.seconds, 0)) AS billable_wrong,
       count(*) FILTER (WHERE c.billable_time > 0) AS billed
  FROM cla_reference.legalaid_case c
  LEFT JOIN (SELECT linked_case, sum(ceil(extract(epoch FROM stopped - created))) AS seconds
               FROM cla_eventlog.timer WHERE stopped IS NOT NULL AND NOT cancelled GROUP BY 1) b
         ON b.linked_case = c.id
 WHERE c.id > 10000;

-- set_case_columns (README "Side effects"): SPOP stamps accepted and clears closed;
-- CLSP stamps closed; REOPEN clears it; now_if_null keeps the first time.
INSERT INTO cla_reference.legalaid_case (id, provider_closed) VALUES (30001, '2020-01-01');
SELECT cla_eventlog.log_event('accept_case', 30001, 41) IS NOT NULL AS spop;
SELECT provider_accepted IS NOT NULL AS accepted_stamped, provider_closed IS NULL AS closed_cleared
  FROM cla_reference.legalaid_case WHERE id = 30001;
SELECT cla_eventlog.log_event('close_case', 30001, 41, 'CLSP') IS NOT NULL AS clsp;
SELECT provider_closed > '2020-01-01' AS closed_stamped FROM cla_reference.legalaid_case WHERE id = 30001;
SELECT cla_eventlog.log_event('reopen_case', 30001, 41) IS NOT NULL AS reopen;
SELECT provider_closed IS NULL AS closed_cleared FROM cla_reference.legalaid_case WHERE id = 30001;
SELECT cla_eventlog.register_event('stamp_test', '{"FIRST_VIEW": {"type": "system", "level": 11, "selectable_by": [],
    "description": "first view", "stops_timer": false, "set_case_columns": {"provider_viewed": "now_if_null"}}}');
UPDATE cla_reference.legalaid_case SET provider_viewed = '2020-01-01' WHERE id = 30001;
SELECT cla_eventlog.log_event('stamp_test', 30001, 41) IS NOT NULL AS first_view;
SELECT provider_viewed AT TIME ZONE 'UTC' AS kept FROM cla_reference.legalaid_case WHERE id = 30001;

-- set_requires_action_by {"function": ...} decides from the current value.
CREATE FUNCTION cla_reference.escalate(case_id bigint, current text) RETURNS text
LANGUAGE sql AS $$ SELECT COALESCE(current || '+', 'first') $$;
SELECT cla_eventlog.register_event('escalate', '{"ESC": {"type": "system", "level": 11, "selectable_by": [],
    "description": "escalate", "stops_timer": false, "set_requires_action_by": {"function": "cla_reference.escalate"}}}');
UPDATE cla_reference.legalaid_case SET requires_action_by = NULL WHERE id = 30001;
SELECT cla_eventlog.log_event('escalate', 30001, 41) IS NOT NULL AS esc1;
SELECT cla_eventlog.log_event('escalate', 30001, 41) IS NOT NULL AS esc2;
SELECT requires_action_by FROM cla_reference.legalaid_case WHERE id = 30001;

-- An older HIGH outcome never overwrites a newer one (explicit ids).
INSERT INTO cla_reference.legalaid_case (id) VALUES (30002);
SET cla_eventlog.allow_explicit_ids = on;
INSERT INTO cla_eventlog.log (id, case_id, event_key, code, created_by) VALUES (900000002, 30002, 'accept_case', 'SPOP', 41);
INSERT INTO cla_eventlog.log (id, case_id, event_key, code, created_by) VALUES (900000001, 30002, 'close_case', 'CLSP', 41);
SELECT outcome_code, outcome_code_id, requires_action_by, provider_closed IS NULL AS not_closed
  FROM cla_reference.legalaid_case WHERE id = 30002;
-- ... but what does not depend on the outcome still happens: a stopping
-- timer's billable time and "modified" (the case UPDATE falls back to them).
UPDATE cla_reference.legalaid_case SET modified = '2000-01-01' WHERE id = 30002;
SELECT (cla_eventlog.start_timer(41)).id IS NOT NULL AS started;
INSERT INTO cla_eventlog.log (id, case_id, event_key, code, created_by)
VALUES (900000000, 30002, 'assign_to_provider', 'REFSP', 41);
RESET cla_eventlog.allow_explicit_ids;
SELECT outcome_code, outcome_code_id, billable_time, modified > '2000-01-01' AS modified,
       cla_eventlog.current_timer(41) IS NULL AS timer_stopped
  FROM cla_reference.legalaid_case WHERE id = 30002;

-- Billable time (README "Side effects"): stopped timers of 1 s, 300 s and 7201 s linked
-- to case 30003, plus a running one, a cancelled one and one on another
-- case, give 7502 once any stop or cancel recomputes it.
INSERT INTO cla_reference.legalaid_case (id) VALUES (30003), (30004);
INSERT INTO cla_eventlog.timer (created_by, created, stopped, linked_case, cancelled) VALUES
    (301, now() - interval '2 days', now() - interval '2 days' + interval '1 second', 30003, false),
    (302, now() - interval '2 days', now() - interval '2 days' + interval '300 seconds', 30003, false),
    (303, now() - interval '2 days', now() - interval '2 days' + interval '7200.5 seconds', 30003, false),
    (304, now() - interval '2 days', now() - interval '2 days' + interval '500 seconds', 30003, true),
    (305, now() - interval '2 days', now() - interval '2 days' + interval '900 seconds', 30004, false);
SELECT (cla_eventlog.start_timer(306)).id IS NOT NULL AS running_one;
SELECT cla_eventlog.log_event('case', 30003, 306, 'CASE_VIEWED') IS NOT NULL AS running_one_logged;
SELECT (cla_eventlog.start_timer(307)).id IS NOT NULL AS to_cancel;
SELECT cla_eventlog.log_event('case', 30003, 307, 'CASE_VIEWED') IS NOT NULL AS logged;
SELECT (cla_eventlog.cancel_timer(307)).cancelled;
SELECT billable_time FROM cla_reference.legalaid_case WHERE id = 30003;

-- A timer of infinite duration puts the billable time out of range: the
-- stop fails with an error and leaves the timer running.
INSERT INTO cla_reference.legalaid_case (id) VALUES (30005);
INSERT INTO cla_eventlog.timer (created_by, created, stopped, linked_case)
VALUES (308, now() - interval '1 day', 'infinity', 30005);
SELECT (cla_eventlog.start_timer(309)).id IS NOT NULL AS started;
SELECT cla_eventlog.log_event('case', 30005, 309, 'CASE_VIEWED') IS NOT NULL AS logged;
SELECT cla_eventlog.stop_timer(309);
SELECT (cla_eventlog.current_timer(309)).id IS NOT NULL AS still_running;
DELETE FROM cla_eventlog.timer WHERE created_by = 308;
SELECT (cla_eventlog.stop_timer(309)).linked_case;

-- Timer functions and their errors.
SELECT cla_eventlog.current_timer(400) IS NULL AS no_timer;
SELECT cla_eventlog.stop_timer(400);
SELECT cla_eventlog.cancel_timer(400);
SELECT (cla_eventlog.create_timer(400)).created_by;
SELECT cla_eventlog.create_timer(400);
SELECT (cla_eventlog.start_timer(400)).id = (cla_eventlog.current_timer(400)).id AS same_timer;
-- stopping without a log is an error; cancelling without a log is not
SELECT cla_eventlog.stop_timer(400);
SELECT t.cancelled, t.linked_case FROM cla_eventlog.cancel_timer(400) t;
-- stopping links the case of the latest log, and stopping twice is an error
SELECT (cla_eventlog.start_timer(400)).id IS NOT NULL AS started;
SELECT cla_eventlog.log_event('case', 30004, 400, 'CASE_VIEWED') IS NOT NULL AS logged;
SELECT t.cancelled, t.linked_case, t.stopped IS NOT NULL AS stopped FROM cla_eventlog.stop_timer(400) t;
SELECT cla_eventlog.stop_timer(400);
SELECT cla_eventlog.stop_timer(NULL);
SELECT cla_eventlog.start_timer(NULL);

SET client_min_messages = warning;
DROP SCHEMA cla_reference CASCADE;
