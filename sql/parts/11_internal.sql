-- Internal C functions shared by the other parts.

CREATE FUNCTION @extschema@.library_version() RETURNS text
    LANGUAGE c IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cel_library_version';
COMMENT ON FUNCTION @extschema@.library_version() IS
    'Version of the loaded C library (compare with the extension version: status check library_version)';

-- Registration-time check of a function named in the registry: same lookup
-- and same errors as at use time.  kind: code_resolver | set_requires_action_by.
CREATE FUNCTION @extschema@._check_function(name text, kind text) RETURNS void
    LANGUAGE c STABLE
    AS 'MODULE_PATHNAME', 'cel_check_function';
COMMENT ON FUNCTION @extschema@._check_function(text, text) IS
    'Internal: checks that a registry function exists with the right signature';

-- First statement of a procedure that commits after each batch
-- (import_history, apply_retention): 25001 inside a transaction block,
-- before any work, instead of "invalid transaction termination" at its
-- first COMMIT.
CREATE FUNCTION @extschema@._require_own_transactions(what text) RETURNS void
    LANGUAGE c VOLATILE
    AS 'MODULE_PATHNAME', 'cel_require_own_transactions';
COMMENT ON FUNCTION @extschema@._require_own_transactions(text) IS
    'Internal: error 25001 when called inside a transaction block, for a procedure that commits after each batch';

-- Statement trigger on the registry tables: marks every backend's registry
-- cache stale (transactionally, through a relcache invalidation), so raw DML
-- on the catalog is seen as surely as register_event().
CREATE FUNCTION @extschema@._registry_changed() RETURNS trigger
    LANGUAGE c
    AS 'MODULE_PATHNAME', 'cel_registry_changed';
COMMENT ON FUNCTION @extschema@._registry_changed() IS
    'Internal: invalidates the registry cache of every backend when the registry tables change';

CREATE TRIGGER registry_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON @extschema@.role FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._registry_changed();
CREATE TRIGGER registry_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON @extschema@.event FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._registry_changed();
CREATE TRIGGER registry_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON @extschema@.code FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._registry_changed();
-- Rows applied by logical replication fire no statement trigger, and only
-- the triggers enabled REPLICA or ALWAYS (README "A logical copy"): the same
-- invalidation as a row trigger that fires only there (and in a session
-- with session_replication_role = replica), so a subscriber's backends see
-- a replicated registration at its commit.
CREATE TRIGGER registry_replicated AFTER INSERT OR UPDATE OR DELETE
    ON @extschema@.role FOR EACH ROW EXECUTE FUNCTION @extschema@._registry_changed();
CREATE TRIGGER registry_replicated AFTER INSERT OR UPDATE OR DELETE
    ON @extschema@.event FOR EACH ROW EXECUTE FUNCTION @extschema@._registry_changed();
CREATE TRIGGER registry_replicated AFTER INSERT OR UPDATE OR DELETE
    ON @extschema@.code FOR EACH ROW EXECUTE FUNCTION @extschema@._registry_changed();
ALTER TABLE @extschema@.role ENABLE REPLICA TRIGGER registry_replicated;
ALTER TABLE @extschema@.event ENABLE REPLICA TRIGGER registry_replicated;
ALTER TABLE @extschema@.code ENABLE REPLICA TRIGGER registry_replicated;
CREATE TRIGGER binding_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON @extschema@.case_binding FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._registry_changed();
