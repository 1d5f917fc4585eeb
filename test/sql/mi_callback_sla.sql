-- mi_callback_sla: the callback SLA report (README "Management information"), one scenario case per
-- branch of missed_sla_1 and missed_sla_2, the window bounds, the parsing of
-- requires_action_at, and bad input.
\i test/setup.psql

-- Registration (raw catalog rows; the C registry cache sees raw DML).
INSERT INTO cla_eventlog.event (key) VALUES
    ('case'), ('call_me_back'), ('suspend_case'), ('decline_help'), ('assign_to_provider');
INSERT INTO cla_eventlog.code (event_key, code, type, level, selectable_by, description, stops_timer) VALUES
    ('case', 'CASE_VIEWED', 'system', 11, '{}', 'Case viewed', false),
    ('case', 'CALL_STARTED', 'event', 29, '{operator}', 'Operator started call', false),
    ('call_me_back', 'CB1', 'outcome', 29, '{operator}', 'Callback 1', true),
    ('call_me_back', 'CB2', 'outcome', 29, '{operator}', 'Callback 2', true),
    ('call_me_back', 'CB3', 'outcome', 29, '{operator}', 'Callback 3', true),
    ('suspend_case', 'TERM', 'outcome', 29, '{operator,specialist}', 'Hung up call', true),
    ('decline_help', 'DECL', 'outcome', 29, '{operator}', 'Client declined all help options', true),
    ('assign_to_provider', 'REFSP', 'outcome', 29, '{}', 'Referred to Specialist', true);

\i test/mi_case_table.psql
SET client_min_messages = warning;
SELECT cla_eventlog.bind_case_table('mi_app.legalaid_case');
RESET client_min_messages;
SET TimeZone = 'UTC';

-- The scenario: every CB1 asks for a callback at 10:00 UTC on 2024-06-03
-- (window 10:00-10:30), with sla_120 12:00, sla_480 18:00 and sla_72h
-- 10:00 on 06-06, unless said otherwise.  Operator 1, specialist 2.
CREATE TABLE mi_app.scenario (case_id bigint PRIMARY KEY, source text, what text);
INSERT INTO mi_app.scenario VALUES
    (1,  'PHONE',     'CB2 inside the window (non-terminal)'),
    (2,  'WEB',       'operator action before the window'),
    (3,  'PHONE',     'operator action after the window'),
    (4,  'WEB',       'no contact yet'),
    (5,  'PHONE',     'operator view inside, CB3 after the window'),
    (6,  'PHONE',     'terminal TERM by the operator inside the window'),
    (7,  'WEB',       'no contact, no terminal'),
    (8,  'PHONE',     'first action after sla_72h, then terminal'),
    (9,  'WEB',       'terminal REFSP without an acting role: no operator action'),
    (10, 'PHONE',     'a specialist''s TERM is no operator action'),
    (11, 'SMS',       'call started before sla_120, terminal before sla_480'),
    (12, 'VOICEMAIL', 'call started after sla_120, terminal after sla_480'),
    (13, 'SMS',       'no call started, no terminal'),
    (14, 'CHAT',      'another source'),
    (15, NULL,        'no source'),
    (16, 'PHONE',     'requires_action_at given with an offset: -01:00'),
    (17, 'PHONE',     'requires_action_at without an offset: read as UTC'),
    (18, 'PHONE',     'requires_action_at exactly at from_ts: outside'),
    (19, 'PHONE',     'requires_action_at the day before: outside'),
    (20, 'PHONE',     'no requires_action_at: skipped'),
    (21, 'PHONE',     'requires_action_at 2024-13-01: skipped'),
    (22, 'PHONE',     'requires_action_at "tomorrow": skipped'),
    (23, 'PHONE',     'requires_action_at a number: skipped'),
    (24, 'SMS',       'no sla_120 in the context'),
    (25, 'PHONE',     'two CB1 on one case');
INSERT INTO mi_app.legalaid_case (id, created, source)
SELECT case_id, '2024-06-03 08:00+00', source FROM mi_app.scenario;

-- A CB1's context: requires_action_at (JSON, to test odd values) and the
-- SLA deadlines (sla_15 10:15, sla_30 10:30).
CREATE FUNCTION mi_app.ctx(requires_action_at jsonb DEFAULT '"2024-06-03T10:00:00+00:00"',
                           sla_120 text DEFAULT '2024-06-03T12:00:00Z')
RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object('requires_action_at', requires_action_at,
               'sla_15', '2024-06-03T10:15:00Z', 'sla_30', '2024-06-03T10:30:00Z',
               'sla_120', sla_120, 'sla_480', '2024-06-03T18:00:00Z', 'sla_72h', '2024-06-06T10:00:00Z'))
$$;

-- Log rows are stored in the order given, so each case's ids follow it.
INSERT INTO cla_eventlog.log (case_id, code, created_by, created_by_role, context, created)
SELECT c, 'CB1', 1, 'operator', mi_app.ctx(), '2024-06-03 08:00+00' FROM generate_series(1, 15) c ORDER BY c;
INSERT INTO cla_eventlog.log (case_id, code, created_by, created_by_role, context, created) VALUES
    (1,  'CB2',          1, 'operator',   NULL, '2024-06-03 10:10+00'),
    (2,  'CB2',          1, 'operator',   NULL, '2024-06-03 09:50+00'),
    (3,  'CB2',          1, 'operator',   NULL, '2024-06-03 10:45+00'),
    (5,  'CASE_VIEWED',  1, 'operator',   NULL, '2024-06-03 10:05+00'),
    (5,  'TERM',         2, 'specialist', NULL, '2024-06-03 10:06+00'),
    (5,  'CB3',          1, 'operator',   NULL, '2024-06-03 10:40+00'),
    (6,  'TERM',         1, 'operator',   NULL, '2024-06-03 10:20+00'),
    (8,  'CB2',          1, 'operator',   NULL, '2024-06-06 11:00+00'),
    (8,  'DECL',         1, 'operator',   NULL, '2024-06-06 12:00+00'),
    (9,  'REFSP',        1, NULL,         NULL, '2024-06-03 10:20+00'),
    (10, 'TERM',         2, 'specialist', NULL, '2024-06-03 10:20+00'),
    (11, 'CALL_STARTED', 1, 'operator',   NULL, '2024-06-03 11:00+00'),
    (11, 'TERM',         1, 'operator',   NULL, '2024-06-03 17:00+00'),
    (12, 'CALL_STARTED', 1, 'operator',   NULL, '2024-06-03 12:30+00'),
    (12, 'TERM',         1, 'operator',   NULL, '2024-06-03 19:00+00'),
    (14, 'CB2',          1, 'operator',   NULL, '2024-06-03 23:00+00'),
    (15, 'CB2',          1, 'operator',   NULL, '2024-06-03 23:00+00'),
    (16, 'CB1',          1, 'operator',   mi_app.ctx('"2024-06-03T09:00:00-01:00"'), '2024-06-03 08:00+00'),
    (17, 'CB1',          1, 'operator',   mi_app.ctx('"2024-06-03T10:00:00"'), '2024-06-03 08:00+00'),
    (18, 'CB1',          1, 'operator',   mi_app.ctx('"2024-06-03T00:00:00Z"'), '2024-06-02 08:00+00'),
    (19, 'CB1',          1, 'operator',   mi_app.ctx('"2024-06-02T10:00:00Z"'), '2024-06-02 08:00+00'),
    (20, 'CB1',          1, 'operator',   mi_app.ctx(NULL), '2024-06-03 08:00+00'),
    (21, 'CB1',          1, 'operator',   mi_app.ctx('"2024-13-01T10:00:00Z"'), '2024-06-03 08:00+00'),
    (22, 'CB1',          1, 'operator',   mi_app.ctx('"tomorrow"'), '2024-06-03 08:00+00'),
    (23, 'CB1',          1, 'operator',   mi_app.ctx('1717408800'), '2024-06-03 08:00+00'),
    (24, 'CB1',          1, 'operator',   mi_app.ctx(sla_120 => NULL), '2024-06-03 08:00+00'),
    -- case 25: CB1, CB2 inside its window, then a second CB1 for 16:00
    -- that nobody acts on: each CB1 looks only at the logs after it.
    (25, 'CB1',          1, 'operator',   mi_app.ctx(), '2024-06-03 08:00+00'),
    (25, 'CB2',          1, 'operator',   NULL, '2024-06-03 10:05+00'),
    (25, 'CB1',          1, 'operator',   mi_app.ctx('"2024-06-03T16:00:00Z"'), '2024-06-03 10:06+00');

-- The report as of 2024-06-03 13:00, for callbacks due on 2024-06-03.
CREATE FUNCTION mi_app.report(at_ts timestamptz)
RETURNS TABLE(c bigint, source text, w0 text, w1 text, viewed text, acted text, next text,
              called text, term text, tcode text, sla1 boolean, sla2 boolean, what text)
LANGUAGE sql AS $$
    SELECT r.case_id, r.source, to_char(r.window_start, 'DD HH24:MI'), to_char(r.window_end, 'DD HH24:MI'),
           to_char(r.first_operator_view_at, 'DD HH24:MI'), to_char(r.first_operator_action_at, 'DD HH24:MI'),
           r.next_outcome, to_char(r.call_started_at, 'DD HH24:MI'), to_char(r.terminal_at, 'DD HH24:MI'),
           r.terminal_code, r.missed_sla_1, r.missed_sla_2, s.what
      FROM cla_eventlog.mi_callback_sla('2024-06-03 00:00+00', '2024-06-04 00:00+00', at_ts) r
      JOIN mi_app.scenario s USING (case_id)
     ORDER BY r.case_id, r.log_id
$$;

-- missed_sla_1, WEB/PHONE: an operator action outside [W0, W1] (cases 2,
-- 3, 5 -- a view inside the window is no action), or none by at_ts > W1
-- (4, 7, 9, 10: neither a log without acting role nor a specialist's is an
-- operator action).  missed_sla_2, WEB/PHONE: false while at_ts < sla_72h
-- with no terminal log; true with a terminal log and the first operator
-- action after sla_72h (8).
-- SMS/VOICEMAIL: call started after sla_120 (12), or none by at_ts >
-- sla_120 (13); missed_sla_2 terminal after sla_480 (12).  Other sources
-- and no source: false.  A missing sla_120 gives NULL (24).  16 and 17
-- are in the range (offset and UTC reading), 18-23 are not.  The log is
-- read as it is: case 8's action three days later already counts (at_ts
-- only decides the branches where nothing has happened yet).
SELECT * FROM mi_app.report('2024-06-03 13:00+00');

-- Before the window opens nothing is missed for a WEB/PHONE case without
-- contact (case 4, 7, ...), and inside the window neither.
SELECT c, source, sla1, sla2, what FROM mi_app.report('2024-06-03 09:00+00') WHERE c IN (4, 7, 13) ORDER BY c;
SELECT c, source, sla1, sla2, what FROM mi_app.report('2024-06-03 10:15+00') WHERE c IN (4, 7, 13) ORDER BY c;

-- After sla_480 and sla_72h: no terminal log means missed_sla_2 (4, 7,
-- 13); a terminal log with the first operator action after sla_72h too
-- (8); a terminal log without any operator action does not (9, 10); a
-- non-terminal action alone does not stop the clock (1, 2, 3, 5).
SELECT c, source, acted, term, tcode, sla2, what FROM mi_app.report('2024-06-07 00:00+00') ORDER BY c;

-- terminal_codes is a parameter: with CB2 terminal, case 1 has ended.
SELECT case_id, terminal_at, terminal_code, missed_sla_2
  FROM cla_eventlog.mi_callback_sla('2024-06-03', '2024-06-04', '2024-06-07', ARRAY['CB2'])
 WHERE case_id IN (1, 4) ORDER BY case_id;

-- The Agilisys extract (behaviour f.3): is_over_sla_X is "the first
-- operator action, or at_ts (13:00) while there is none, is later than
-- sla_X".  Case 1 acted at 10:10 and case 2 at 09:50: nothing over; case 3
-- at 10:45 and case 5 at 10:40 (CB3; the view and the specialist's TERM are
-- no operator action): over 15 and 30; case 6 at 10:20: over 15 only; case
-- 4, no action by 13:00: over 15, 30 and 120 (12:00), not 480 (18:00);
-- case 8, first action three days later: over all; case 24 has no sla_120:
-- NULL.
SELECT r.case_id, to_char(r.first_operator_action_at, 'DD HH24:MI') AS acted, r.next_outcome,
       r.is_over_sla_15, r.is_over_sla_30, r.is_over_sla_120, r.is_over_sla_480
  FROM cla_eventlog.mi_callback_sla_agilisys('2024-06-03 00:00+00', '2024-06-04 00:00+00', '2024-06-03 13:00+00') r
 WHERE r.case_id IN (1, 2, 3, 4, 5, 6, 8, 24)
 ORDER BY r.case_id;
-- The same callbacks as mi_callback_sla, no more, no fewer.
SELECT count(*) AS callbacks, count(*) FILTER (WHERE a.log_id IS NULL OR m.log_id IS NULL) AS in_one_only
  FROM cla_eventlog.mi_callback_sla_agilisys('2024-06-03', '2024-06-04') a
  FULL JOIN cla_eventlog.mi_callback_sla('2024-06-03', '2024-06-04') m USING (log_id);
SELECT * FROM cla_eventlog.mi_callback_sla_agilisys('2024-06-03', '2024-06-04', NULL);
\echo :SQLSTATE

-- A CB1 whose requires_action_at is missing or not a time is never
-- reported, whatever the range; the others are, once the range holds them.
SELECT l.case_id, l.context ->> 'requires_action_at' AS requires_action_at, r.log_id IS NOT NULL AS reported
  FROM cla_eventlog.log l
  LEFT JOIN cla_eventlog.mi_callback_sla('2000-01-01', '2100-01-01') r ON r.log_id = l.id
 WHERE l.code = 'CB1' AND l.case_id BETWEEN 16 AND 23
 ORDER BY l.id;

-- How requires_action_at is read: ISO 8601 only, offset or Z (none = UTC),
-- anything else NULL rather than an error.
SELECT v, cla_eventlog._iso_time(v) FROM (VALUES
    ('2024-06-03T10:00:00+00:00'), ('2024-06-03T10:00:00Z'), ('2024-06-03 11:00:00+01'),
    ('2024-06-03T10:00:00.123456-0130'), ('2024-06-03T10:00'), ('2024-06-03T10:00:00'),
    ('2024-02-30T10:00:00Z'), ('2024-13-01T10:00:00Z'), ('2024-06-03T25:00:00Z'), ('03/06/2024 10:00'),
    ('tomorrow'), ('now'), ('2024-06-03'), (''), ('2024-06-03T10:00:00+99:00')) t(v);

-- It is C (no subtransaction per value: README "Reports on a standby") and
-- reads exactly what the SQL cast it replaced read: the earlier plpgsql
-- version, kept here, agrees on edge cases of every part of the shape.
CREATE FUNCTION pg_temp.iso_time_1_0(value text) RETURNS timestamptz
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
    IF value !~ '^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}(:?\d{2})?)?$' THEN
        RETURN NULL;
    END IF;
    IF value !~ '([Zz]|[+-]\d{2}(:?\d{2})?)$' THEN
        value := value || '+00';
    END IF;
    BEGIN
        RETURN value::timestamptz;
    EXCEPTION WHEN data_exception THEN
        RETURN NULL;
    END;
END
$$;
SELECT count(*) AS compared,
       count(*) FILTER (WHERE cla_eventlog._iso_time(v) IS NOT NULL) AS read,
       array_agg(v) FILTER (WHERE cla_eventlog._iso_time(v) IS DISTINCT FROM pg_temp.iso_time_1_0(v)) AS disagree
  FROM (VALUES ('2024-06-03T10:00:00+00:00'), ('2024-06-03T10:00:00z'), ('2024-06-03T24:00:00Z'),
               ('2024-06-03T24:00:01Z'), ('0000-01-01T00:00:00Z'), ('0001-01-01T00:00:00Z'),
               ('9999-12-31T23:59:59.999999Z'), ('2024-06-03T10:00:00.1234567Z'),
               ('2024-06-03T10:00:00.' || repeat('1', 200) || 'Z'), ('2024-06-03T10:00:00+0530'),
               ('2024-06-03T10:00:00+05:30'), ('2024-06-03T10:00:00+05:3'), ('2024-06-03T10:00:00+05:'),
               ('2024-06-03T10:00:00+5'), ('2024-06-03T10:00:00+15'), ('2024-06-03T10:00:00-15:59'),
               ('2024-06-03T10:00:00+16'), ('2024-06-03T10:00:60Z'), ('2024-06-03T10:60:00Z'),
               ('2024-02-29T10:00Z'), ('2023-02-29T10:00Z'), ('2024-06-03t10:00:00Z'), ('2024-06-03  10:00'),
               (' 2024-06-03T10:00'), ('2024-06-03T10:00 '), ('2024-06-03T10:00:00.Z'), ('２０２４-06-03T10:00'),
               ('2024-06-03T10:00:00Z+01'), ('2024-06-03T10:00:00+01:00:00')) t(v);

-- It does not depend on the session's TimeZone or DateStyle.
SET TimeZone = 'America/New_York';
SET DateStyle = 'SQL, DMY';
SELECT cla_eventlog._iso_time('2024-06-03T10:00:00') = '2024-06-03 10:00+00' AS utc_read,
       cla_eventlog._iso_time('2024-06-03T10:00:00+02') = '2024-06-03 08:00+00' AS offset_read;
RESET DateStyle;
SET TimeZone = 'UTC';

-- The report reads CB1 rows through the expression index (seq scans off
-- only so that the tiny table does not hide it).
SET enable_seqscan = off;
EXPLAIN (COSTS OFF)
SELECT id FROM cla_eventlog.log l
 WHERE l.code = 'CB1'
   AND cla_eventlog._iso_time(l.context ->> 'requires_action_at') > '2024-06-03'
   AND cla_eventlog._iso_time(l.context ->> 'requires_action_at') < '2024-06-04';
RESET enable_seqscan;

-- Bad input: from_ts after to_ts, NULL bounds, NULL at_ts, NULL codes.
SELECT * FROM cla_eventlog.mi_callback_sla('2024-06-04', '2024-06-03');
\echo :SQLSTATE
SELECT * FROM cla_eventlog.mi_callback_sla(NULL, '2024-06-03');
\echo :SQLSTATE
SELECT * FROM cla_eventlog.mi_callback_sla('2024-06-03', NULL);
\echo :SQLSTATE
SELECT * FROM cla_eventlog.mi_callback_sla('2024-06-03', '2024-06-04', NULL);
\echo :SQLSTATE
SELECT * FROM cla_eventlog.mi_callback_sla('2024-06-03', '2024-06-04', now(), NULL);
\echo :SQLSTATE

-- An empty range is no error, just no rows.
SELECT count(*) FROM cla_eventlog.mi_callback_sla('2024-06-03', '2024-06-03');

-- Without the case-column role "source" every source is NULL: all false.
SET client_min_messages = warning;
SELECT cla_eventlog.bind_case_table('mi_app.legalaid_case', '{"source": null}');
RESET client_min_messages;
SELECT count(*) AS rows, count(*) FILTER (WHERE source IS NULL) AS no_source,
       bool_or(missed_sla_1) AS any_missed_1, bool_or(missed_sla_2) AS any_missed_2
  FROM cla_eventlog.mi_callback_sla('2024-06-03', '2024-06-04', '2024-06-07');

SET client_min_messages = warning;
DROP SCHEMA mi_app CASCADE;
