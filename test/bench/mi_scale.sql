-- MI and status at scale: status() well under 100 ms; each MI view over a
-- one-day range, and each report function over a day and a week, under a
-- second (README "Performance").
-- Run by test/bench/run.sh on benchlog (100,000 cases, 1,000,000 logs);
-- prints one line per query: its name and EXPLAIN ANALYZE's execution time
-- (the best of three runs), and the plan of the first run to mi_scale_plans.
\set QUIET on
SET client_min_messages = warning;
SELECT (created AT TIME ZONE 'Europe/London')::date AS day
  FROM cla_eventlog.log GROUP BY 1 ORDER BY count(*) DESC LIMIT 1 \gset
SELECT (:'day'::date::timestamp AT TIME ZONE 'Europe/London') AS day_from,
       ((:'day'::date + 1)::timestamp AT TIME ZONE 'Europe/London') AS day_to,
       ((:'day'::date - 3)::timestamp AT TIME ZONE 'Europe/London') AS week_from,
       ((:'day'::date + 4)::timestamp AT TIME ZONE 'Europe/London') AS week_to \gset
CREATE TEMP TABLE q (name text, sql text);
INSERT INTO q VALUES
 ('status()', 'SELECT * FROM cla_eventlog.status()'),
 ('status_json()', 'SELECT cla_eventlog.status_json()'),
 ('mi_outcomes, one day', format('SELECT * FROM cla_eventlog.mi_outcomes WHERE created >= %L AND created < %L', :'day_from', :'day_to')),
 ('mi_case_outcomes, one day', format('SELECT * FROM cla_eventlog.mi_case_outcomes WHERE outcome_at >= %L AND outcome_at < %L', :'day_from', :'day_to')),
 ('mi_daily_codes, one day', format('SELECT * FROM cla_eventlog.mi_daily_codes WHERE day = %L', :'day')),
 ('mi_timers, one day', format('SELECT * FROM cla_eventlog.mi_timers WHERE created >= %L AND created < %L', :'day_from', :'day_to')),
 ('mi_billable_daily, one day', format('SELECT * FROM cla_eventlog.mi_billable_daily WHERE day = %L', :'day')),
 ('mi_first_actions, one day', format('SELECT * FROM cla_eventlog.mi_first_actions(%L, %L)', :'day_from', :'day_to')),
 ('mi_callback_sla, one week', format('SELECT * FROM cla_eventlog.mi_callback_sla(%L, %L)', :'week_from', :'week_to')),
 ('mi_callback_sla_agilisys, one day', format('SELECT * FROM cla_eventlog.mi_callback_sla_agilisys(%L, %L)', :'day_from', :'day_to')),
 ('mi_callback_sla_agilisys, one week', format('SELECT * FROM cla_eventlog.mi_callback_sla_agilisys(%L, %L)', :'week_from', :'week_to')),
 ('mi_case_extract, one day', format('SELECT * FROM cla_eventlog.mi_case_extract(%L, %L)', :'day_from', :'day_to')),
 ('mi_case_extract, one week', format('SELECT * FROM cla_eventlog.mi_case_extract(%L, %L)', :'week_from', :'week_to')),
 ('mi_contacts_per_case, one day', format('SELECT * FROM cla_eventlog.mi_contacts_per_case(%L, %L)', :'day_from', :'day_to')),
 ('mi_contacts_per_case, one week', format('SELECT * FROM cla_eventlog.mi_contacts_per_case(%L, %L)', :'week_from', :'week_to')),
 ('mi_callback_progression, one day', format('SELECT * FROM cla_eventlog.mi_callback_progression(%L, %L)', :'day', (:'day'::date + 1)::text)),
 ('mi_callback_progression, one week', format('SELECT * FROM cla_eventlog.mi_callback_progression(%L, %L)', (:'day'::date - 3)::text, (:'day'::date + 4)::text)),
 ('mi_complaints, one day', format('SELECT * FROM cla_eventlog.mi_complaints(%L, %L)', :'day_from', :'day_to')),
 ('mi_complaints, one week', format('SELECT * FROM cla_eventlog.mi_complaints(%L, %L)', :'week_from', :'week_to')),
 ('sla_time, 1000 callbacks of 72 hours', 'SELECT cla_eventlog.sla_time(now() + g * interval ''7 minutes'', 4320) FROM generate_series(1, 1000) g');
CREATE FUNCTION pg_temp.exec_ms(sql text) RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE line text; ms numeric;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) ' || sql LOOP
        IF line LIKE 'Execution Time:%' THEN
            ms := substring(line FROM 'Execution Time: ([0-9.]+)')::numeric;
        END IF;
    END LOOP;
    RETURN ms;
END $$;
\pset format unaligned
\pset tuples_only on
\pset fieldsep '\t'
SELECT name, least(pg_temp.exec_ms(sql), pg_temp.exec_ms(sql), pg_temp.exec_ms(sql)) FROM q;
