-- Grows the registry to :total_codes live codes (default 10000) with one
-- extra event registered in a single register_event call (MINOR system
-- codes).  Run after setup.sql.
\set ON_ERROR_STOP on
\if :{?total_codes}
\else
\set total_codes 10000
\endif
SELECT cla_eventlog.register_event('bench_bulk',
         pg_catalog.jsonb_object_agg('BULK_' || g, pg_catalog.jsonb_build_object(
             'type', 'system', 'level', 11, 'selectable_by', '[]'::jsonb,
             'description', 'Bulk code ' || g, 'stops_timer', false)))
  FROM pg_catalog.generate_series(1,
         :total_codes - (SELECT pg_catalog.count(*) FROM cla_eventlog.code WHERE NOT retired)) AS g
\g /dev/null
SELECT pg_catalog.count(*) AS live_codes FROM cla_eventlog.code WHERE NOT retired;
