-- Catalog and data tables.
--
-- Registry: role, event, code.  Binding: case_binding (one row).  Data:
-- timer and log.  Every table whose rows users create is registered with
-- pg_extension_config_dump so pg_dump/pg_restore loses nothing; seeded rows
-- are filtered out so a restore does not insert them twice.

-- Roles that may create codes (README "Registry").
-- member_of: the role acts as that role too (README "Registry": a code
-- selectable by specialist is selectable by a member of specialist, and MI
-- counts the member as a specialist).  Set by add_role().
CREATE TABLE @extschema@.role (
    name        text PRIMARY KEY CHECK (name <> ''),
    seeded      boolean NOT NULL DEFAULT false,
    member_of   text REFERENCES @extschema@.role (name) CHECK (member_of <> name)
);
COMMENT ON TABLE @extschema@.role IS
    'Roles that may be named in a code''s selectable_by (seeded: operator, specialist; applications may add more)';
COMMENT ON COLUMN @extschema@.role.member_of IS
    'The role this one also acts as: codes selectable by it are selectable by this role, and MI counts this role as it';
INSERT INTO @extschema@.role (name, seeded) VALUES ('operator', true), ('specialist', true);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.role', 'WHERE NOT seeded');
-- A logical copy publishes the role table WHERE (NOT seeded) (README "A
-- logical copy"): the subscriber seeds its own.  A row filter of a
-- publication that replicates UPDATE and DELETE may name only replica
-- identity columns, and seeded is not in the key, so the whole row is the
-- identity (a handful of rows, rarely changed).
ALTER TABLE @extschema@.role REPLICA IDENTITY FULL;

-- Registered events (README "Registry").
CREATE TABLE @extschema@.event (
    key             text PRIMARY KEY CHECK (key <> ''),
    code_resolver   text,
    registered_at   timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE @extschema@.event IS
    'Registered event keys; code_resolver names a function (case_id bigint, params jsonb) RETURNS text';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.event', '');

-- Code definitions, keyed by (event_key, code).  reg_order keeps
-- registration order for ties in sort_order; a retired code stays so old
-- logs keep their description.
CREATE SEQUENCE @extschema@.code_reg_order_seq;
SELECT pg_catalog.pg_extension_config_dump('@extschema@.code_reg_order_seq', '');

CREATE TABLE @extschema@.code (
    event_key               text NOT NULL REFERENCES @extschema@.event (key) ON UPDATE CASCADE,
    code                    text NOT NULL CHECK (code <> ''),
    type                    text NOT NULL CHECK (type IN ('outcome', 'system', 'event')),
    level                   integer NOT NULL CHECK (level IN (11, 21, 29)),
    selectable_by           text[] NOT NULL DEFAULT '{}',
    description             text NOT NULL,
    stops_timer             boolean NOT NULL,
    sort_order              integer NOT NULL DEFAULT 10000,
    reg_order               bigint NOT NULL DEFAULT pg_catalog.nextval('@extschema@.code_reg_order_seq'),
    set_requires_action_by  jsonb,
    set_case_columns        jsonb,
    once_per                jsonb,
    retired                 boolean NOT NULL DEFAULT false,
    PRIMARY KEY (event_key, code)
);
COMMENT ON TABLE @extschema@.code IS
    'Code definitions of every registered event; retired codes are kept for old logs but refused for new ones';
COMMENT ON COLUMN @extschema@.code.set_requires_action_by IS
    'SQL NULL: attribute absent (case untouched); JSON null: set to NULL; JSON string: set to it; {"clear_if_owned_by": [...]} or {"function": "schema.name"}';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.code', '');

-- The application's case table (README "Case binding"): one row, or none before binding.
-- columns maps each active case-column role to its column name.
CREATE TABLE @extschema@.case_binding (
    singleton       boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    case_schema     text NOT NULL,
    case_table      text NOT NULL,
    columns         jsonb NOT NULL,
    bound_at        timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE @extschema@.case_binding IS
    'The bound application case table and the column of each case-column role (set by bind_case_table)';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.case_binding', '');

-- Timers (README "Timers").  Running = stopped IS NULL; a cancelled timer is
-- stopped with cancelled = true.
CREATE SEQUENCE @extschema@.timer_id_seq;
CREATE TABLE @extschema@.timer (
    id              bigint PRIMARY KEY DEFAULT pg_catalog.nextval('@extschema@.timer_id_seq'),
    created_by      bigint NOT NULL,
    created         timestamptz NOT NULL DEFAULT pg_catalog.now(),
    stopped         timestamptz,
    linked_case     bigint,
    cancelled       boolean NOT NULL DEFAULT false,
    modified        timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CHECK (NOT cancelled OR stopped IS NOT NULL),
    CHECK (stopped IS NULL OR stopped >= created)
);
ALTER SEQUENCE @extschema@.timer_id_seq OWNED BY @extschema@.timer.id;
COMMENT ON TABLE @extschema@.timer IS
    'Per-user timers measuring billable time; at most one running (stopped IS NULL) per user';
-- One running timer per user, also under concurrency.
CREATE UNIQUE INDEX timer_one_running_per_user
    ON @extschema@.timer (created_by) WHERE stopped IS NULL;
-- Billable time of a case: stopped, non-cancelled timers linked to it.
CREATE INDEX timer_billable_by_case
    ON @extschema@.timer (linked_case) INCLUDE (created, stopped)
    WHERE stopped IS NOT NULL AND NOT cancelled;
CREATE INDEX timer_created ON @extschema@.timer (created);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.timer', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.timer_id_seq', '');

-- The event log (README "Logging").  Rows are validated and completed by the
-- BEFORE INSERT trigger and applied to the case and timers by the AFTER
-- INSERT trigger (see 40_log.sql); UPDATE/DELETE/TRUNCATE are refused.
CREATE SEQUENCE @extschema@.log_id_seq;
-- The id default: nextval of log_id_seq, remembered so that the BEFORE
-- trigger accepts exactly the ids it issued (an application role may not
-- choose an id: it orders the log).  Defined here, before the table that
-- uses it; PUBLIC gets EXECUTE in 80_privileges.sql (a default's function is
-- executed with the inserting role's rights; nextval's USAGE check remains).
CREATE FUNCTION @extschema@._log_id() RETURNS bigint
    LANGUAGE c VOLATILE PARALLEL UNSAFE
    AS 'MODULE_PATHNAME', 'cel_log_id';
COMMENT ON FUNCTION @extschema@._log_id() IS
    'Internal: default of log.id; the next value of log_id_seq, which the log''s BEFORE trigger then accepts for that row';
CREATE TABLE @extschema@.log (
    id              bigint PRIMARY KEY DEFAULT @extschema@._log_id(),
    case_id         bigint NOT NULL,
    timer_id        bigint REFERENCES @extschema@.timer (id),
    event_key       text NOT NULL,
    code            text NOT NULL,
    type            text NOT NULL,
    level           integer NOT NULL,
    created_by      bigint NOT NULL,
    created_by_role text,
    notes           text,
    patch           jsonb,
    context         jsonb CHECK (context IS NULL OR pg_catalog.jsonb_typeof(context) = 'object'),
    content_type    text,
    object_id       bigint,
    created         timestamptz NOT NULL DEFAULT pg_catalog.now(),
    modified        timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CHECK ((content_type IS NULL) = (object_id IS NULL))
);
ALTER SEQUENCE @extschema@.log_id_seq OWNED BY @extschema@.log.id;
COMMENT ON TABLE @extschema@.log IS
    'Append-only event log: one row per event on a case, validated by triggers';
COMMENT ON COLUMN @extschema@.log.id IS
    'Issued by the default in logging order (a case shows its highest-id outcome); explicit ids only with cla_eventlog.allow_explicit_ids (superuser)';
COMMENT ON COLUMN @extschema@.log.created_by IS 'The application''s user id';
COMMENT ON COLUMN @extschema@.log.created_by_role IS 'Acting role (from the row or the setting cla_eventlog.acting_role)';
COMMENT ON COLUMN @extschema@.log.context IS 'JSON object with event details (e.g. requires_action_at and SLA times for CB1)';
COMMENT ON COLUMN @extschema@.log.content_type IS 'Optional reference to another application object: its type (with object_id)';
-- Logs of a case, newest first: once_per(case), repair, verify, MI.
CREATE INDEX log_case ON @extschema@.log (case_id, id);
-- Latest HIGH outcome of a case: debounce, denormalisation checks.
CREATE INDEX log_case_high_outcome ON @extschema@.log (case_id, id)
    WHERE type = 'outcome' AND level >= 29;
-- Logs of a timer: once_per(case_timer), stop_timer's latest log.
CREATE INDEX log_timer ON @extschema@.log (timer_id, id) WHERE timer_id IS NOT NULL;
-- MI day ranges.
CREATE INDEX log_created ON @extschema@.log (created);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.log', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.log_id_seq', '');
