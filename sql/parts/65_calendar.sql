-- The working-hours calendar and the SLA clock (README "Working hours and
-- the SLA clock"): the operators' opening hours per weekday, bank holidays
-- and date-specific exceptions, all in the report time zone
-- (cla_eventlog.report_time_zone); sla_time() adds working minutes by them,
-- and cb1_context() builds a callback's context from it.  Unlike the
-- service's get_sla_time, nothing here reads the clock: the same inputs and
-- calendar always give the same answer.

-- Opening hours per ISO weekday (1 = Monday ... 7 = Sunday).  The service's
-- hours are seeded (weekdays 09:00-20:00, Saturday 09:00-12:30, Sunday
-- closed) and stay as they are; a DBA changes a weekday by adding a row
-- with seeded = false, which wins over the seeded one.  So a dump keeps
-- exactly the DBA's rows and a restore, after CREATE EXTENSION seeded the
-- others again, has both.  opens and closes NULL: closed that weekday.
CREATE TABLE @extschema@.opening_hours (
    weekday     smallint NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    opens       time,
    closes      time,
    seeded      boolean NOT NULL DEFAULT false,
    PRIMARY KEY (weekday, seeded),
    CHECK ((opens IS NULL) = (closes IS NULL)),
    CHECK (opens < closes)
);
COMMENT ON TABLE @extschema@.opening_hours IS
    'Operator opening hours per ISO weekday in the report time zone; seeded rows are the service''s hours, a row with seeded = false overrides its weekday; NULL hours: closed';
INSERT INTO @extschema@.opening_hours (weekday, opens, closes, seeded) VALUES
    (1, '09:00', '20:00', true), (2, '09:00', '20:00', true), (3, '09:00', '20:00', true),
    (4, '09:00', '20:00', true), (5, '09:00', '20:00', true), (6, '09:00', '12:30', true),
    (7, NULL, NULL, true);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.opening_hours', 'WHERE NOT seeded');

-- Days the service is closed (England and Wales bank holidays; none seeded:
-- the DBA loads them, e.g. from gov.uk/bank-holidays.json).
CREATE TABLE @extschema@.bank_holiday (
    day         date PRIMARY KEY,
    name        text NOT NULL DEFAULT ''
);
COMMENT ON TABLE @extschema@.bank_holiday IS
    'Dates on which the service is closed all day (bank holidays), in the report time zone';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.bank_holiday', '');

-- One date's own hours, over its weekday and a bank holiday: NULL hours
-- close it, hours open it (a Christmas Eve that closes at 16:00, a bank
-- holiday with a skeleton service).
CREATE TABLE @extschema@.calendar_exception (
    day         date PRIMARY KEY,
    opens       time,
    closes      time,
    reason      text NOT NULL DEFAULT '',
    CHECK ((opens IS NULL) = (closes IS NULL)),
    CHECK (opens < closes)
);
COMMENT ON TABLE @extschema@.calendar_exception IS
    'A date''s own opening hours in the report time zone, over its weekday and bank holidays; NULL hours: closed that day';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.calendar_exception', '');

-- The hours of one day: the exception, else closed on a bank holiday, else
-- the weekday's row (the DBA's over the seeded one).  NULLs: closed.
CREATE FUNCTION @extschema@.opening_hours_on(day date, OUT opens time, OUT closes time)
LANGUAGE sql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT h.opens, h.closes
      FROM (SELECT 1 AS rank, e.opens, e.closes FROM @extschema@.calendar_exception e
             WHERE e.day OPERATOR(pg_catalog.=) opening_hours_on.day
            UNION ALL
            SELECT 2, NULL, NULL FROM @extschema@.bank_holiday b
             WHERE b.day OPERATOR(pg_catalog.=) opening_hours_on.day
            UNION ALL
            SELECT CASE WHEN w.seeded THEN 4 ELSE 3 END, w.opens, w.closes
              FROM @extschema@.opening_hours w
             WHERE w.weekday OPERATOR(pg_catalog.=) pg_catalog.date_part('isodow', opening_hours_on.day)) h
     ORDER BY h.rank
     LIMIT 1
$$;
COMMENT ON FUNCTION @extschema@.opening_hours_on(date) IS
    'The opening hours of a date in the report time zone (calendar_exception, else closed on a bank_holiday, else opening_hours); NULLs when closed';

---------------------------------------------------------------------------
-- sla_time(start, minutes): start plus that many working minutes.  A start
-- before a day's opening counts from the opening, one after its closing or
-- on a closed day from the next opening; minutes that do not fit before a
-- day's closing go on at the next opening.  A result exactly at closing
-- time stays on that day.
CREATE FUNCTION @extschema@.sla_time(start timestamptz, minutes integer)
RETURNS timestamptz
LANGUAGE plpgsql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    tz constant text := @extschema@._report_time_zone();
    here constant timestamp := start AT TIME ZONE tz;
    day date := here::date;
    at time := here::time;
    left_ interval := make_interval(mins => minutes);
    h record;
    open_for interval;
BEGIN
    IF minutes < 0 THEN
        RAISE EXCEPTION 'minutes must not be negative: %', minutes
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- ten years of days without an opening is a calendar mistake, not a wait
    FOR i IN 1 .. 3660 LOOP
        h := @extschema@.opening_hours_on(day);
        IF h.opens IS NOT NULL THEN
            at := greatest(at, h.opens);
            IF at < h.closes THEN
                open_for := h.closes - at;
                IF left_ <= open_for THEN
                    RETURN (day + at + left_) AT TIME ZONE tz;
                END IF;
                left_ := left_ - open_for;
            END IF;
        END IF;
        day := day + 1;
        at := time '00:00';
    END LOOP;
    RAISE EXCEPTION 'the calendar has no opening hours in the ten years after %', start
        USING ERRCODE = 'invalid_parameter_value',
              HINT = 'Check cla_eventlog.opening_hours, bank_holiday and calendar_exception.';
END
$$;
COMMENT ON FUNCTION @extschema@.sla_time(timestamptz, integer) IS
    'start plus minutes of working time by the calendar (opening_hours, bank_holiday, calendar_exception) in the report time zone; independent of the current time';

-- A time as the service writes it into a log context: ISO 8601 in the
-- report time zone with its offset, Z when the offset is zero.
CREATE FUNCTION @extschema@._iso_local(t timestamptz) RETURNS text
LANGUAGE sql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.to_char(l.local, 'YYYY-MM-DD"T"HH24:MI:SS') ||
           CASE WHEN l.off OPERATOR(pg_catalog.=) 0 THEN 'Z'
                ELSE CASE WHEN l.off OPERATOR(pg_catalog.<) 0 THEN '-' ELSE '+' END ||
                     pg_catalog.to_char(pg_catalog.abs(l.off) OPERATOR(pg_catalog./) 60, 'FM00') || ':' ||
                     pg_catalog.to_char(pg_catalog.abs(l.off) OPERATOR(pg_catalog.%) 60, 'FM00') END
      FROM (SELECT t AT TIME ZONE @extschema@._report_time_zone() AS local,
                   pg_catalog.date_part('epoch', (t AT TIME ZONE @extschema@._report_time_zone())
                                                 OPERATOR(pg_catalog.-) (t AT TIME ZONE 'UTC'))::integer
                   OPERATOR(pg_catalog./) 60 AS off) l
$$;
COMMENT ON FUNCTION @extschema@._iso_local(timestamptz) IS
    'Internal: a time as ISO 8601 text in the report time zone with its offset (Z for +00:00)';

-- cb1_context(requested, case_created, source): the context of a callback
-- log (CB1 ... CB3, PCB) as the service builds it: the requested time and
-- its SLA times, counted from the requested time, or from the case's
-- creation for cases that came in by SMS or voicemail.
CREATE FUNCTION @extschema@.cb1_context(requires_action_at timestamptz,
                                        case_created timestamptz DEFAULT NULL,
                                        source text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    base timestamptz := requires_action_at;
BEGIN
    IF requires_action_at IS NULL THEN
        RAISE EXCEPTION 'requires_action_at must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF upper(source) IN ('SMS', 'VOICEMAIL') THEN
        IF case_created IS NULL THEN
            RAISE EXCEPTION 'case_created must be given for a case from %', source
                USING ERRCODE = 'null_value_not_allowed',
                      DETAIL = 'The SLA of a case that came in by SMS or voicemail runs from its creation.';
        END IF;
        base := case_created;
    END IF;
    RETURN jsonb_build_object(
        'requires_action_at', @extschema@._iso_local(requires_action_at),
        'sla_15', @extschema@._iso_local(@extschema@.sla_time(base, 15)),
        'sla_30', @extschema@._iso_local(@extschema@.sla_time(base, 30)),
        'sla_120', @extschema@._iso_local(@extschema@.sla_time(base, 120)),
        'sla_480', @extschema@._iso_local(@extschema@.sla_time(base, 480)),
        'sla_72h', @extschema@._iso_local(@extschema@.sla_time(base, 4320)));
END
$$;
COMMENT ON FUNCTION @extschema@.cb1_context(timestamptz, timestamptz, text) IS
    'The context of a callback log: requires_action_at and sla_15, sla_30, sla_120, sla_480, sla_72h by sla_time() from the requested time, or from case_created when source is SMS or VOICEMAIL; times as ISO 8601 in the report time zone';
