-- mcc_role: role membership (README "Registry") and the service's MCC
-- restriction (a.6): reject_case's MERI, DUPL and CLOT are for MCC
-- specialist providers only.  The reference application registers
-- mcc_specialist, a member of specialist, and makes the three codes
-- selectable by it alone.
\i test/setup.psql
\i test/reference.psql

-- The role, and what it is a member of.
SELECT name, seeded, member_of FROM cla_eventlog.role ORDER BY name;

-- The listing a provider sees (the service's provider API): a plain
-- specialist gets the four codes open to every specialist, an MCC
-- specialist all seven, and without a role every live code (the operator's
-- API and internal use).  An operator sees the three open to anyone
-- (MIS-OOS, MIS-MEANS and MIS have an empty selectable_by).
SELECT code FROM cla_eventlog.event_codes('reject_case', 'specialist');
SELECT code FROM cla_eventlog.event_codes('reject_case', 'mcc_specialist');
SELECT count(*) AS all_codes FROM cla_eventlog.event_codes('reject_case');
SELECT count(*) AS explicit_null FROM cla_eventlog.event_codes('reject_case', NULL);
SELECT count(*) AS operator_codes FROM cla_eventlog.event_codes('reject_case', 'operator');
-- Codes open to anyone are listed for every role: assign_to_provider's
-- codes have an empty selectable_by.
SELECT count(*) AS open_codes FROM cla_eventlog.event_codes('assign_to_provider', 'operator');
-- An unregistered role is an error, not an empty list that hides a typo.
SELECT code FROM cla_eventlog.event_codes('reject_case', 'mcc_specalist');

-- selectable_codes: the MCC specialist may select every specialist code
-- and the three of its own; the plain specialist three fewer.
SELECT (SELECT count(*) FROM cla_eventlog.selectable_codes('mcc_specialist')) AS mcc,
       (SELECT count(*) FROM cla_eventlog.selectable_codes('specialist')) AS specialist;
SELECT code FROM cla_eventlog.selectable_codes('mcc_specialist')
EXCEPT
SELECT code FROM cla_eventlog.selectable_codes('specialist') ORDER BY 1;

-- On submission (the service's RejectCaseForm): the same rule, for
-- log_event() and a plain INSERT alike.  A plain specialist may not log
-- MERI (42501, naming who may) ...
SELECT cla_eventlog.log_event('reject_case', 1, 41, 'MERI', acting_role => 'specialist');
INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, created_by_role)
VALUES (1, 'reject_case', 'DUPL', 41, 'specialist');
-- ... but may log MIS; the MCC specialist may log MERI, and, as a member of
-- specialist, every specialist code (SPOP here).
SELECT cla_eventlog.log_event('reject_case', 2, 41, 'MIS', acting_role => 'specialist') IS NOT NULL AS mis;
SELECT cla_eventlog.log_event('reject_case', 3, 42, 'MERI', acting_role => 'mcc_specialist') IS NOT NULL AS meri;
SELECT cla_eventlog.log_event('accept_case', 4, 42, 'SPOP', acting_role => 'mcc_specialist') IS NOT NULL AS spop;
-- Membership goes one way: an operator is not a specialist, so COI
-- (specialist only) is refused.
SELECT cla_eventlog.log_event('reject_case', 5, 1, 'COI', acting_role => 'operator');

-- MI counts a member as the role it is a member of: the MCC specialist's
-- rows are a specialist's (SP:).
SELECT code, created_by_role, user_id FROM cla_eventlog.mi_outcomes ORDER BY log_id;

-- add_role(name, member_of): a member of an unregistered role is refused;
-- adding the same role again changes nothing (false), also without
-- member_of, which leaves a membership as it is; a membership that would
-- make a cycle is refused; a new member_of moves the role (true).
SELECT cla_eventlog.add_role('supervisor', member_of => 'manager');
SELECT cla_eventlog.add_role('mcc_specialist', member_of => 'specialist') AS added_again;
SELECT cla_eventlog.add_role('mcc_specialist') AS added_again;
SELECT member_of FROM cla_eventlog.role WHERE name = 'mcc_specialist';
SELECT cla_eventlog.add_role('specialist', member_of => 'mcc_specialist');
SELECT cla_eventlog.add_role('lead', member_of => 'operator') AS added,
       cla_eventlog.add_role('lead', member_of => 'specialist') AS moved;
SELECT member_of FROM cla_eventlog.role WHERE name = 'lead';
-- Chains work transitively: a trainee MCC specialist may log MERI and
-- SPOP, and MI still counts it as a specialist.
SELECT cla_eventlog.add_role('mcc_trainee', member_of => 'mcc_specialist') AS added;
SELECT cla_eventlog.log_event('reject_case', 6, 43, 'CLOT', acting_role => 'mcc_trainee') IS NOT NULL AS clot;
SELECT user_id FROM cla_eventlog.mi_outcomes WHERE case_id = 6;
SELECT count(*) AS trainee_reject_codes FROM cla_eventlog.event_codes('reject_case', 'mcc_trainee');
-- A role cannot be its own member (the table's check).
INSERT INTO cla_eventlog.role (name, member_of) VALUES ('loop', 'loop');
