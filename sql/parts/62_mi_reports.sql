-- The service's other reports that read the log (README "Management
-- information", behaviour f.5 and b.5): contacts per case, callback
-- progression and complaints.  Each is a function of its date range, so
-- that it reads only the logs it needs; the columns that come from the
-- application's own tables (LAA reference, category, third party, the
-- complaint's own row) are joined by the report's caller on case_id or
-- complaint_id.  Like the other MI functions they are SECURITY DEFINER:
-- a reporting role granted EXECUTE reads the log with the extension
-- owner's rights (README "Privileges: a recipe for three roles").

---------------------------------------------------------------------------
-- mi_contacts_per_case(from_ts, to_ts, codes): one row per case created in
-- [from_ts, to_ts) that has at least one log whose code is a contact: by
-- default an outcome code that stops the timer (the service's list, 33 codes
-- in the reference set, retired ones included, so old logs still count).
CREATE FUNCTION @extschema@.mi_contacts_per_case(from_ts timestamptz, to_ts timestamptz,
                                                 codes text[] DEFAULT NULL)
RETURNS TABLE(case_id bigint, case_created timestamptz, contacts bigint, outcomes text)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    contact_codes text[] := codes;
BEGIN
    PERFORM @extschema@._require_range('from_ts', from_ts, 'to_ts', to_ts,
        'Give the range of case creation times, for example a month: mi_contacts_per_case(''2024-03-01'', ''2024-04-01'').');
    PERFORM @extschema@._require_case_role('created', 'mi_contacts_per_case reports on the cases created in a range.');
    IF contact_codes IS NULL THEN
        SELECT array_agg(DISTINCT c.code) INTO contact_codes
          FROM @extschema@.code c WHERE c.type = 'outcome' AND c.stops_timer;
    END IF;
    RETURN QUERY
        SELECT cr.case_id, cr.created, count(*), string_agg(l.code, '|' ORDER BY l.id)
          FROM @extschema@._case_rows(NULL, from_ts, to_ts) cr
          JOIN @extschema@.log l ON l.case_id = cr.case_id
         WHERE l.code = ANY (contact_codes)
         GROUP BY cr.case_id, cr.created
         ORDER BY cr.created, cr.case_id;
END
$$;
COMMENT ON FUNCTION @extschema@.mi_contacts_per_case(timestamptz, timestamptz, text[]) IS
    'MI: contacts per case: one row per case created in [from_ts, to_ts) with at least one log of a contact code (default: outcome codes that stop the timer, retired included), with their number and the codes in logging order joined by |';

---------------------------------------------------------------------------
-- mi_callback_progression(from_date, to_date): one row per callback log
-- (CB1 ... CB4) whose callback date, the local date of its context's
-- requires_action_at, lies in [from_date, to_date).
CREATE FUNCTION @extschema@.mi_callback_progression(from_date date, to_date date)
RETURNS TABLE(log_id bigint, case_id bigint, code text, callback_at timestamptz,
              callback_date date, booking_slot text, created timestamptz,
              created_on date, created_by bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    tz constant text := @extschema@._report_time_zone();
BEGIN
    PERFORM @extschema@._require_range('from_date', from_date, 'to_date', to_date,
        'Give the range of callback dates, for example a week: mi_callback_progression(''2024-03-04'', ''2024-03-11'').');
    RETURN QUERY
        SELECT l.id, l.case_id, l.code, w.at, (w.at AT TIME ZONE tz)::date,
               to_char(w.at AT TIME ZONE tz, 'HH24:MI'), l.created, (l.created AT TIME ZONE tz)::date,
               l.created_by
          FROM @extschema@.log l
         CROSS JOIN LATERAL (SELECT @extschema@._iso_time(l.context ->> 'requires_action_at') AS at) w
         WHERE l.code IN ('CB1', 'CB2', 'CB3', 'CB4')
           AND w.at >= from_date::timestamp AT TIME ZONE tz
           AND w.at < to_date::timestamp AT TIME ZONE tz
         ORDER BY l.case_id, l.created, l.id;
END
$$;
COMMENT ON FUNCTION @extschema@.mi_callback_progression(date, date) IS
    'MI: callback progression: one row per CB1-CB4 log whose callback date (local date of context->>''requires_action_at'' in the report time zone) lies in [from_date, to_date), with its booking slot (HH24:MI local); by case, then logging time';

-- The logs of one application object (a complaint), for mi_complaints.
CREATE INDEX log_object ON @extschema@.log (content_type, object_id, id)
    WHERE content_type IS NOT NULL;

---------------------------------------------------------------------------
-- mi_complaints(from_ts, to_ts, at_ts, sla, content_type): one row per
-- complaint (the logs whose content_type names the complaint model) first
-- logged in [from_ts, to_ts).  Every date is the latest log of its code;
-- nothing is ever deleted, so "closed" and "voided" are the latest
-- COMPLAINT_CLOSED / COMPLAINT_VOID after the latest COMPLAINT_REOPENED (the
-- service deleted those logs on reopening).  within_sla: closed (or, while
-- open, at_ts) before created + sla.
CREATE FUNCTION @extschema@.mi_complaints(from_ts timestamptz, to_ts timestamptz,
                                          at_ts timestamptz DEFAULT pg_catalog.now(),
                                          sla interval DEFAULT interval '15 days',
                                          content_type text DEFAULT 'complaints.complaint')
RETURNS TABLE(complaint_id bigint, case_id bigint, created timestamptz, owner_set_at timestamptz,
              holding_letter_at timestamptz, full_response_at timestamptz, reopened_at timestamptz,
              closed_at timestamptz, voided_at timestamptz, within_sla boolean)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF from_ts IS NULL OR to_ts IS NULL OR at_ts IS NULL OR sla IS NULL OR content_type IS NULL THEN
        RAISE EXCEPTION 'the arguments of mi_complaints() must not be null'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Give the range of complaint creation times; leave the others out to get their defaults.';
    END IF;
    RETURN QUERY
        SELECT s.object_id, s.case_id, s.created, s.owner_set_at, s.holding_letter_at, s.full_response_at,
               s.reopened_at, s.closed_at, s.voided_at,
               s.created + sla > COALESCE(s.closed_at, at_ts)
          FROM (
            SELECT c.object_id, c.case_id, c.created,
                   max(l.created) FILTER (WHERE l.code = 'OWNER_SET') AS owner_set_at,
                   max(l.created) FILTER (WHERE l.code = 'HOLDING_LETTER_SENT') AS holding_letter_at,
                   max(l.created) FILTER (WHERE l.code = 'FULL_RESPONSE_SENT') AS full_response_at,
                   r.reopened_at,
                   max(l.created) FILTER (WHERE l.code IN ('COMPLAINT_CLOSED', 'COMPLAINT_VOID')
                                            AND (r.reopened_id IS NULL OR l.id > r.reopened_id)) AS closed_at,
                   max(l.created) FILTER (WHERE l.code = 'COMPLAINT_VOID'
                                            AND (r.reopened_id IS NULL OR l.id > r.reopened_id)) AS voided_at
              FROM (SELECT DISTINCT ON (f.object_id) f.object_id, f.case_id, f.created
                      FROM @extschema@.log f
                     WHERE f.content_type = mi_complaints.content_type
                     ORDER BY f.object_id, f.id) c
              JOIN @extschema@.log l
                ON l.content_type = mi_complaints.content_type AND l.object_id = c.object_id
              LEFT JOIN LATERAL (
                    SELECT o.id AS reopened_id, o.created AS reopened_at FROM @extschema@.log o
                     WHERE o.content_type = mi_complaints.content_type AND o.object_id = c.object_id
                       AND o.code = 'COMPLAINT_REOPENED'
                     ORDER BY o.id DESC LIMIT 1) r ON true
             WHERE c.created >= from_ts AND c.created < to_ts
             GROUP BY c.object_id, c.case_id, c.created, r.reopened_id, r.reopened_at) s
         ORDER BY s.created DESC, s.object_id;
END
$$;
COMMENT ON FUNCTION @extschema@.mi_complaints(timestamptz, timestamptz, timestamptz, interval, text) IS
    'MI: complaints: one row per complaint (logs with that content_type) first logged in [from_ts, to_ts): owner set, holding letter, full response, reopened (latest of each), closed and voided (latest COMPLAINT_CLOSED/COMPLAINT_VOID after the latest COMPLAINT_REOPENED), within_sla (closed, or at_ts while open, before created + sla); newest first';

---------------------------------------------------------------------------
-- The case extract's time of day of a case's creation (behaviour f.4), in
-- the report time zone: WKEND from Friday 20:00 to Saturday 12:30, 5TO8 on
-- weekdays from 17:00 to 20:00, else 9TO5 (all Sunday, Saturday from 12:30
-- and weekday nights included, as in the service).
CREATE FUNCTION @extschema@._time_of_day(t timestamptz) RETURNS text
LANGUAGE sql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE
             WHEN (x.d = 5 AND x.l >= time '20:00') OR (x.d = 6 AND x.l < time '12:30') THEN 'WKEND'
             WHEN x.d BETWEEN 1 AND 5 AND x.l >= time '17:00' AND x.l < time '20:00' THEN '5TO8'
             ELSE '9TO5'
           END
      FROM (SELECT pg_catalog.date_part('isodow', t AT TIME ZONE @extschema@._report_time_zone()) AS d,
                   (t AT TIME ZONE @extschema@._report_time_zone())::time AS l) x
$$;
COMMENT ON FUNCTION @extschema@._time_of_day(timestamptz) IS
    'Internal: WKEND (Friday 20:00 to Saturday 12:30), 5TO8 (weekdays 17:00-20:00) or 9TO5 (otherwise) of a time in the report time zone, the case extract''s Time_of_Day';

---------------------------------------------------------------------------
-- mi_case_extract(from_ts, to_ts): the log side of the service's case
-- extract (f.4): every outcome log created in [from_ts, to_ts), as
-- mi_outcomes has it, with its case's creation time and its time of day.
CREATE FUNCTION @extschema@.mi_case_extract(from_ts timestamptz, to_ts timestamptz)
RETURNS TABLE(log_id bigint, case_id bigint, event_key text, code text, level integer,
              created timestamptz, created_by bigint, user_id text, billable_seconds bigint,
              cumulative_seconds bigint, reject_reason text, provider text,
              case_created timestamptz, time_of_day text)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM @extschema@._require_range('from_ts', from_ts, 'to_ts', to_ts,
        'Give the range of outcome times, for example a day: mi_case_extract(''2024-03-01'', ''2024-03-02'').');
    RETURN QUERY
        SELECT o.log_id, o.case_id, o.event_key, o.code, o.level, o.created, o.created_by, o.user_id,
               o.billable_seconds, o.cumulative_seconds, o.reject_reason, o.provider,
               cr.created, @extschema@._time_of_day(cr.created)
          FROM @extschema@.mi_outcomes o
          LEFT JOIN @extschema@._case_rows(ARRAY(
                   SELECT DISTINCT l.case_id FROM @extschema@.log l
                    WHERE l.type = 'outcome' AND l.created >= from_ts AND l.created < to_ts)) cr
                 ON cr.case_id = o.case_id
         WHERE o.created >= from_ts AND o.created < to_ts
         ORDER BY o.log_id;
END
$$;
COMMENT ON FUNCTION @extschema@.mi_case_extract(timestamptz, timestamptz) IS
    'MI: the case extract''s log columns: one row per outcome log created in [from_ts, to_ts) with user_id (OS:/SP:), billable_seconds (0 for NCOE), cumulative_seconds, reject_reason, provider, the case''s creation and its time_of_day (WKEND, 5TO8, 9TO5 in the report time zone; NULL without the created role)';
