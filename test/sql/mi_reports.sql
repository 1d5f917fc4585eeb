-- mi_reports: the service's other reports that read the log (behaviour
-- f.5, b.5): mi_contacts_per_case, mi_callback_progression, mi_complaints.
-- Every expected value below was worked out by hand from the scenario's
-- comments; each block names the branch it covers.
\i test/setup.psql
\i test/reference.psql
SET TimeZone = 'UTC';
SET cla_eventlog.report_time_zone = 'Europe/London';
-- Cases 1-10 exist (reference.psql); give them creation times: 1-3 in
-- March 2024, 4 in February.
UPDATE cla_reference.legalaid_case SET created = '2024-03-01 09:00+00'::timestamptz + make_interval(hours => id::integer) WHERE id <= 3;

UPDATE cla_reference.legalaid_case SET created = '2024-02-10 09:00+00' WHERE id = 4;
UPDATE cla_reference.legalaid_case SET created = '2024-03-20 09:00+00' WHERE id > 4;

-- History, written with explicit times (operator 1, specialist 2).
CREATE FUNCTION pg_temp.log(case_id bigint, code text, at text, role text DEFAULT 'operator',
                            context jsonb DEFAULT NULL, object_id bigint DEFAULT NULL)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO cla_eventlog.log (case_id, code, created_by, created_by_role, created, context, content_type, object_id)
    VALUES (case_id, code, CASE role WHEN 'operator' THEN 1 ELSE 2 END, role, at::timestamptz, context,
            CASE WHEN object_id IS NOT NULL THEN 'complaints.complaint' END, object_id)
$$;
SET client_min_messages = warning;
SELECT pg_temp.log(1, 'CASE_CREATED', '2024-03-01 10:00+00'),
       pg_temp.log(1, 'CB1', '2024-03-01 10:05+00', context => '{"requires_action_at": "2024-03-04T10:00:00Z"}'),
       pg_temp.log(1, 'CB2', '2024-03-04 10:10+00', context => '{"requires_action_at": "2024-04-01T14:30:00+01:00"}'),
       pg_temp.log(1, 'DECL', '2024-04-01 13:40+00'),
       pg_temp.log(2, 'CALL_STARTED', '2024-03-01 11:00+00'),
       pg_temp.log(3, 'MIS', '2024-03-01 12:00+00', 'specialist'),
       pg_temp.log(4, 'DECL', '2024-02-10 09:30+00'),
       pg_temp.log(5, 'CB3', '2024-03-20 10:00+00'),
       pg_temp.log(5, 'CB1', '2024-03-20 10:01+00', context => '{"requires_action_at": "2024-03-31T23:30:00Z"}');
RESET client_min_messages;

---------------------------------------------------------------------------
-- mi_contacts_per_case: cases created in March with a contact log.
--  * case 1: CB1, CB2, DECL (CASE_CREATED is no contact) -> 3, 'CB1|CB2|DECL'
--  * case 2: only CALL_STARTED -> absent; case 3: MIS, an outcome that does
--    not stop the timer (a specialist's) -> absent; case 4: created in
--    February -> absent;
--  * case 5 (created 03-20): CB3, CB1 -> 2, in logging order 'CB3|CB1'.
SELECT * FROM cla_eventlog.mi_contacts_per_case('2024-03-01', '2024-04-01');
-- The range is [from, to): one that starts at case 1's creation (03-01
-- 10:00) has it, one that ends there has not.
SELECT case_id FROM cla_eventlog.mi_contacts_per_case('2024-03-01 10:00+00', '2024-03-01 11:00+00');
SELECT case_id FROM cla_eventlog.mi_contacts_per_case('2024-03-01 00:00+00', '2024-03-01 10:00+00');
-- Own list of contact codes.
SELECT case_id, contacts, outcomes FROM cla_eventlog.mi_contacts_per_case('2024-03-01', '2024-04-01', ARRAY['DECL']);

---------------------------------------------------------------------------
-- mi_callback_progression: callback logs by callback date (local).
--  * case 1 CB1 for 2024-03-04 10:00 GMT -> slot 10:00;
--  * case 1 CB2 for 2024-04-01 14:30+01:00 -> date 04-01, slot 14:30 (BST);
--  * case 5 CB1 for 2024-03-31 23:30Z = 00:30 BST on 04-01 -> date 04-01;
--  * case 5 CB3 has no requires_action_at -> absent.
SELECT log_id > 0 AS has_id, case_id, code, callback_date, booking_slot, created_on
  FROM cla_eventlog.mi_callback_progression('2024-03-01', '2024-04-08');
-- [from, to): only 04-01.
SELECT case_id, code FROM cla_eventlog.mi_callback_progression('2024-04-01', '2024-04-02');
-- Its query reads the callback rows of the range through the expression
-- index log_callback_requires_action_at, not by scanning the log (the same
-- WHERE clause as the function's).
SET enable_seqscan = off;
EXPLAIN (COSTS OFF)
SELECT l.id FROM cla_eventlog.log l
 CROSS JOIN LATERAL (SELECT cla_eventlog._iso_time(l.context ->> 'requires_action_at') AS at) w
 WHERE l.code IN ('CB1', 'CB2', 'CB3', 'CB4')
   AND w.at >= '2024-04-01' AND w.at < '2024-04-02';
RESET enable_seqscan;

---------------------------------------------------------------------------
-- mi_complaints: complaints by their first log, as of 2024-05-01.
--  100 (case 1): created 03-01, owner set, holding letter, full response,
--      closed 03-10 -> within_sla (03-10 < 03-16);
--  101 (case 2): created 03-02, closed 03-05, reopened 03-06, still open
--      on 05-01 -> closed_at NULL, within_sla false (05-01 > 03-17);
--  102 (case 3): created 03-03, voided 03-04 -> closed = voided, within;
--  103 (case 6): created 03-05, closed 03-07, reopened 03-08, closed
--      again 03-25 -> closed_at 03-25, late (03-25 > 03-20);
--  104 (case 7): created in February -> absent;
--  105 (case 8): created 03-31, open, within SLA as of 04-10 only.
SET client_min_messages = warning;
SELECT pg_temp.log(1, 'COMPLAINT_CREATED', '2024-03-01 09:00+00', object_id => 100),
       pg_temp.log(1, 'OWNER_SET', '2024-03-01 10:00+00', object_id => 100),
       pg_temp.log(1, 'OWNER_SET', '2024-03-02 10:00+00', object_id => 100),
       pg_temp.log(1, 'HOLDING_LETTER_SENT', '2024-03-03 10:00+00', object_id => 100),
       pg_temp.log(1, 'FULL_RESPONSE_SENT', '2024-03-09 10:00+00', object_id => 100),
       pg_temp.log(1, 'COMPLAINT_CLOSED', '2024-03-10 10:00+00', object_id => 100),
       pg_temp.log(2, 'COMPLAINT_CREATED', '2024-03-02 09:00+00', object_id => 101),
       pg_temp.log(2, 'COMPLAINT_CLOSED', '2024-03-05 09:00+00', object_id => 101),
       pg_temp.log(2, 'COMPLAINT_REOPENED', '2024-03-06 09:00+00', object_id => 101),
       pg_temp.log(3, 'COMPLAINT_CREATED', '2024-03-03 09:00+00', object_id => 102),
       pg_temp.log(3, 'COMPLAINT_VOID', '2024-03-04 09:00+00', object_id => 102),
       pg_temp.log(6, 'COMPLAINT_CREATED', '2024-03-05 09:00+00', object_id => 103),
       pg_temp.log(6, 'COMPLAINT_CLOSED', '2024-03-07 09:00+00', object_id => 103),
       pg_temp.log(6, 'COMPLAINT_REOPENED', '2024-03-08 09:00+00', object_id => 103),
       pg_temp.log(6, 'COMPLAINT_CLOSED', '2024-03-25 09:00+00', object_id => 103),
       pg_temp.log(7, 'COMPLAINT_CREATED', '2024-02-05 09:00+00', object_id => 104),
       pg_temp.log(8, 'COMPLAINT_CREATED', '2024-03-31 09:00+00', object_id => 105);
RESET client_min_messages;
SELECT complaint_id, case_id, created::date, owner_set_at::date, holding_letter_at::date,
       full_response_at::date, reopened_at::date, closed_at::date, voided_at::date, within_sla
  FROM cla_eventlog.mi_complaints('2024-03-01', '2024-04-01', at_ts => '2024-05-01');
SELECT complaint_id, within_sla FROM cla_eventlog.mi_complaints('2024-03-31', '2024-04-01', at_ts => '2024-04-10');

---------------------------------------------------------------------------
-- Bad input.
SELECT * FROM cla_eventlog.mi_contacts_per_case(NULL, '2024-04-01');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM cla_eventlog.mi_contacts_per_case('2024-04-01', '2024-03-01');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM cla_eventlog.mi_callback_progression('2024-04-01', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM cla_eventlog.mi_callback_progression('2024-04-08', '2024-04-01');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM cla_eventlog.mi_case_extract('2024-04-01', '2024-03-01');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM cla_eventlog.mi_complaints('2024-03-01', '2024-04-01', sla => NULL);
\echo :LAST_ERROR_SQLSTATE

---------------------------------------------------------------------------
-- The case extract (f.4).  Time of day of a case's creation, London time:
-- Friday 20:00 and Saturday before 12:30 are WKEND; weekdays 17:00-19:59
-- are 5TO8 (Friday 19:59 too); all else 9TO5: Saturday 12:30, Sunday,
-- weekday mornings and nights.  2024-03-01 is a Friday, in GMT; 2024-06-07
-- a Friday in BST (20:00 local is 19:00 UTC).
SELECT t AS utc, cla_eventlog._time_of_day(t::timestamptz) FROM (VALUES
    ('2024-03-01 19:59+00'), ('2024-03-01 20:00+00'), ('2024-03-02 12:29+00'), ('2024-03-02 12:30+00'),
    ('2024-03-03 10:00+00'), ('2024-03-04 16:59+00'), ('2024-03-04 17:00+00'), ('2024-03-04 20:00+00'),
    ('2024-03-05 08:00+00'), ('2024-06-07 18:59+00'), ('2024-06-07 19:00+00')) v(t);
-- One row per outcome log of the range: user_id by the acting role (OS:
-- operator, SP: specialist), the case's creation and its time of day
-- (case 1 created Friday 2024-03-01 10:00: 9TO5; case 5 Wednesday 03-20
-- 09:00: 9TO5; case 3, now created Friday 20:30: WKEND).  No timer ran for
-- these logs: no billable seconds.
UPDATE cla_reference.legalaid_case SET created = '2024-03-01 20:30+00' WHERE id = 3;
SELECT case_id, code, user_id, billable_seconds, case_created::date, time_of_day
  FROM cla_eventlog.mi_case_extract('2024-03-01', '2024-04-01');
SELECT * FROM cla_eventlog.mi_case_extract(NULL, '2024-04-01');
\echo :LAST_ERROR_SQLSTATE
-- NCOE is billed 0 whatever its timer (the service's rule; the code is not
-- in the reference set, so it is registered here): two five-minute timers
-- stopped by DECL and by NCOE.
INSERT INTO cla_eventlog.code (event_key, code, type, level, description, stops_timer)
VALUES ('decline_help', 'NCOE', 'outcome', 29, 'No contact, out of hours', true);
INSERT INTO cla_eventlog.timer (created_by, created) VALUES (3, now() - interval '5 minutes'),
                                                            (4, now() - interval '5 minutes');
INSERT INTO cla_eventlog.log (case_id, code, created_by, created_by_role) VALUES (9, 'DECL', 3, 'operator'),
                                                                               (10, 'NCOE', 4, 'operator');
SELECT code, user_id, timer_seconds BETWEEN 300 AND 330 AS five_minutes, billable_seconds BETWEEN 300 AND 330 AS billed_five, billable_seconds = 0 AS billed_zero FROM cla_eventlog.mi_outcomes
 WHERE case_id IN (9, 10) ORDER BY case_id;
