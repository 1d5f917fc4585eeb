/*-------------------------------------------------------------------------
 *
 * registry.c
 *	  The event registry as seen from C: a backend-local cache of every
 *	  registered code, event and role, and the lookups the log triggers and
 *	  log_event() make for each row.
 *
 * Design rules:
 *	- The cache is loaded on first use in a backend, with one SPI query per
 *	  table run under the latest snapshot (so a transaction sees its own
 *	  registrations, and a long REPEATABLE READ transaction never caches a
 *	  registry older than the committed one).
 *	- It is marked stale by a relcache invalidation of any registry table.
 *	  register_event() and raw DML on those tables both fire the statement
 *	  trigger _registry_changed(), which queues that invalidation; it takes
 *	  effect locally at the next command and in other backends when the
 *	  writing transaction commits (and is undone locally if it aborts).
 *	- Callbacks only mark the cache stale; the next lookup reloads it.
 *	- Lookups are hash probes: their cost does not depend on the number of
 *	  registered codes.  Entries live in RegistryContext, a child of
 *	  CacheMemoryContext.  A reload moves the old cache under
 *	  RegistryGraveyard, freed at transaction end, so a pointer returned by
 *	  a lookup stays valid for the rest of the transaction even if SQL run
 *	  meanwhile (a resolver, a case trigger) reloads the cache.
 *
 *-------------------------------------------------------------------------
 */
#include "cla_eventlog.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

PG_FUNCTION_INFO_V1(cel_registry_changed);

/* Hash keys are fixed-size, zero-padded names (see CEL_MAX_NAME) */
typedef struct CodeKey
{
	char		event_key[CEL_MAX_NAME + 1];
	char		code[CEL_MAX_NAME + 1];
} CodeKey;

typedef struct NameKey
{
	char		name[CEL_MAX_NAME + 1];
} NameKey;

typedef struct CodeEntry
{
	CodeKey		key;
	CelCode		def;
} CodeEntry;

/* Live codes sharing one code string, for rows that omit the event key */
typedef struct ByCodeEntry
{
	NameKey		key;
	int			n;
	int			cap;
	CelCode   **cands;
} ByCodeEntry;

typedef struct EventEntry
{
	NameKey		key;
	CelEvent	ev;
} EventEntry;

typedef struct RoleEntry
{
	NameKey		key;
} RoleEntry;

static MemoryContext RegistryContext = NULL;
static MemoryContext RegistryGraveyard = NULL;	/* replaced caches, freed at
												 * transaction end */
static HTAB *codes_htab = NULL;
static HTAB *bycode_htab = NULL;
static HTAB *events_htab = NULL;
static HTAB *roles_htab = NULL;
static bool registry_valid = false;

/* OIDs of the registry tables as of the last load (for the callback) */
static Oid	role_relid = InvalidOid;
static Oid	event_relid = InvalidOid;
static Oid	code_relid = InvalidOid;

static const char *const stamp_role_names[CEL_N_STAMPS] = {
	"provider_viewed", "provider_accepted", "provider_closed", "provider_assigned_at"
};

/* Relcache callback: mark the cache stale when a registry table changes */
static void
registry_relcache_callback(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == role_relid ||
		relid == event_relid || relid == code_relid)
		registry_valid = false;
}

/* Transaction end: free the caches replaced during the transaction */
static void
registry_xact_callback(XactEvent event, void *arg)
{
	if (RegistryGraveyard != NULL &&
		(event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT ||
		 event == XACT_EVENT_PARALLEL_COMMIT || event == XACT_EVENT_PARALLEL_ABORT))
		MemoryContextDeleteChildren(RegistryGraveyard);
}

/* Register the invalidation callbacks; called once from _PG_init */
void
cel_registry_init(void)
{
	CacheRegisterRelcacheCallback(registry_relcache_callback, (Datum) 0);
	RegisterXactCallback(registry_xact_callback, NULL);
}

/*
 * _registry_changed() statement trigger on role, event, code and
 * case_binding: queue a relcache invalidation of the changed table, which
 * every backend's callback turns into "cache stale".
 */
Datum
cel_registry_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "cla_eventlog: _registry_changed() must be called as a trigger");
	CacheInvalidateRelcacheByRelid(RelationGetRelid(trigdata->tg_relation));
	return PointerGetDatum(NULL);
}

/* Fill a zero-padded name key; false if the name is too long to be cached */
static bool
make_name_key(NameKey *key, const char *name)
{
	size_t		len = strlen(name);

	memset(key, 0, sizeof(*key));
	if (len > CEL_MAX_NAME)
		return false;
	memcpy(key->name, name, len);
	return true;
}

static bool
make_code_key(CodeKey *key, const char *event_key, const char *code)
{
	size_t		klen = strlen(event_key);
	size_t		clen = strlen(code);

	memset(key, 0, sizeof(*key));
	if (klen > CEL_MAX_NAME || clen > CEL_MAX_NAME)
		return false;
	memcpy(key->event_key, event_key, klen);
	memcpy(key->code, code, clen);
	return true;
}

static HTAB *
make_htab(const char *name, Size keysize, Size entrysize)
{
	HASHCTL		ctl;

	ctl.keysize = keysize;
	ctl.entrysize = entrysize;
	ctl.hcxt = RegistryContext;
	return hash_create(name, 256, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

/* Column i (1-based) of the current SPI row as a C string copy, or NULL */
static char *
spi_text(HeapTuple tup, int i)
{
	return SPI_getvalue(tup, SPI_tuptable->tupdesc, i);
}

/* Column i as a Datum copied into RegistryContext (arrays), or 0 if NULL */
static Datum
spi_array_copy(HeapTuple tup, int i)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, SPI_tuptable->tupdesc, i, &isnull);

	if (isnull)
		return (Datum) 0;
	return datumCopy(d, false, -1);
}

/* Deconstruct a text[] (in RegistryContext) into C strings */
static int
text_array_to_cstrings(Datum arr, char ***out)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	if (arr == (Datum) 0)
	{
		*out = NULL;
		return 0;
	}
	deconstruct_array(DatumGetArrayTypeP(arr), TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, &n);
	*out = palloc(sizeof(char *) * Max(n, 1));
	for (int i = 0; i < n; i++)
		(*out)[i] = nulls[i] ? pstrdup("") : TextDatumGetCString(elems[i]);
	return n;
}

/*
 * The registry as rows the loader can read without parsing JSON in C: the
 * §2.2, §4.4 and §6.3 attributes are flattened here.  It runs as the
 * extension's owner under the caller's search_path, so every operator is
 * written OPERATOR(pg_catalog.x): an unqualified "=" (also the one hidden in
 * IN) would run an operator the caller planted in public as the owner.
 */
static const char *const load_codes_sql =
"SELECT c.event_key, c.code, c.type, c.level, c.selectable_by, c.stops_timer,"
"       c.retired,"
"       CASE WHEN c.set_requires_action_by IS NULL THEN 0"
"            WHEN pg_catalog.jsonb_typeof(c.set_requires_action_by)"
"                 OPERATOR(pg_catalog.=) ANY (ARRAY['null', 'string']) THEN 1"
"            WHEN c.set_requires_action_by OPERATOR(pg_catalog.?) 'clear_if_owned_by' THEN 2"
"            ELSE 3 END,"
"       c.set_requires_action_by OPERATOR(pg_catalog.#>>) '{}',"
"       ARRAY(SELECT pg_catalog.jsonb_array_elements_text("
"                c.set_requires_action_by OPERATOR(pg_catalog.->) 'clear_if_owned_by')),"
"       c.set_requires_action_by OPERATOR(pg_catalog.->>) 'function',"
"       ARRAY(SELECT k FROM pg_catalog.jsonb_each(c.set_case_columns) AS s(k, v)),"
"       ARRAY(SELECT COALESCE(v OPERATOR(pg_catalog.#>>) '{}', 'null')"
"               FROM pg_catalog.jsonb_each(c.set_case_columns) AS s(k, v)),"
"       c.once_per OPERATOR(pg_catalog.->>) 'scope',"
"       ARRAY[c.code] OPERATOR(pg_catalog.||) ARRAY(SELECT pg_catalog.jsonb_array_elements_text("
"                c.once_per OPERATOR(pg_catalog.->) 'with'))"
"  FROM cla_eventlog.code c"
" ORDER BY c.event_key, c.sort_order, c.reg_order";

/* Turn one row of load_codes_sql into a cache entry */
static void
load_code_row(HeapTuple tup)
{
	CodeKey		key;
	CodeEntry  *entry;
	CelCode    *def;
	bool		found;
	char	   *event_key = spi_text(tup, 1);
	char	   *code = spi_text(tup, 2);
	char	   *type = spi_text(tup, 3);
	char	  **stamp_roles;
	char	  **stamp_modes;
	int			n_stamps;
	char	   *once;

	if (!make_code_key(&key, event_key, code))
		return;					/* registration refuses such names */
	entry = hash_search(codes_htab, &key, HASH_ENTER, &found);
	def = &entry->def;
	memset(def, 0, sizeof(*def));
	def->event_key = event_key;
	def->code = code;
	if (strcmp(type, "outcome") == 0)
		def->type = CEL_TYPE_OUTCOME, def->type_name = "outcome";
	else if (strcmp(type, "system") == 0)
		def->type = CEL_TYPE_SYSTEM, def->type_name = "system";
	else
		def->type = CEL_TYPE_EVENT, def->type_name = "event";
	def->level = pg_strtoint32(spi_text(tup, 4));
	def->n_selectable = text_array_to_cstrings(spi_array_copy(tup, 5),
											   &def->selectable_by);
	def->stops_timer = strcmp(spi_text(tup, 6), "t") == 0;
	def->retired = strcmp(spi_text(tup, 7), "t") == 0;
	def->rab_mode = (CelRabMode) pg_strtoint32(spi_text(tup, 8));
	def->rab_value = spi_text(tup, 9);
	def->rab_list = spi_array_copy(tup, 10);
	def->rab_function = spi_text(tup, 11);

	n_stamps = text_array_to_cstrings(spi_array_copy(tup, 12), &stamp_roles);
	(void) text_array_to_cstrings(spi_array_copy(tup, 13), &stamp_modes);
	for (int i = 0; i < n_stamps; i++)
	{
		for (int r = 0; r < CEL_N_STAMPS; r++)
		{
			if (strcmp(stamp_roles[i], stamp_role_names[r]) != 0)
				continue;
			if (strcmp(stamp_modes[i], "now") == 0)
				def->stamps[r] = CEL_STAMP_NOW;
			else if (strcmp(stamp_modes[i], "now_if_null") == 0)
				def->stamps[r] = CEL_STAMP_NOW_IF_NULL;
			else
				def->stamps[r] = CEL_STAMP_NULL;
			def->has_stamps = true;
		}
	}

	once = spi_text(tup, 14);
	if (once == NULL)
		def->once_per = CEL_ONCE_NONE;
	else if (strcmp(once, "case") == 0)
		def->once_per = CEL_ONCE_CASE;
	else
		def->once_per = CEL_ONCE_CASE_TIMER;
	def->once_codes = spi_array_copy(tup, 15);

	/* index live codes by code string, and count them per event */
	if (!def->retired)
	{
		NameKey		ckey;
		ByCodeEntry *bc;
		EventEntry *ev;

		make_name_key(&ckey, code);
		bc = hash_search(bycode_htab, &ckey, HASH_ENTER, &found);
		if (!found)
		{
			bc->n = 0;
			bc->cap = 2;
			bc->cands = palloc(sizeof(CelCode *) * bc->cap);
		}
		else if (bc->n == bc->cap)
		{
			bc->cap *= 2;
			bc->cands = repalloc(bc->cands, sizeof(CelCode *) * bc->cap);
		}
		bc->cands[bc->n++] = def;

		make_name_key(&ckey, event_key);
		ev = hash_search(events_htab, &ckey, HASH_FIND, NULL);
		if (ev != NULL)
		{
			ev->ev.n_live++;
			ev->ev.single_live = def;
		}
	}
}

/* Load the whole registry into a fresh RegistryContext */
static void
registry_load(void)
{
	MemoryContext oldcxt;
	MemoryContext spicxt;
	Snapshot	snap;
	SPIPlanPtr	plan;
	CelUserContext saved;

	/*
	 * A replaced cache stays allocated until the end of the transaction, so
	 * that pointers handed out earlier in it stay valid.
	 */
	if (RegistryGraveyard == NULL)
		RegistryGraveyard = AllocSetContextCreate(CacheMemoryContext,
												  "cla_eventlog replaced registries",
												  ALLOCSET_SMALL_SIZES);
	if (RegistryContext != NULL)
		MemoryContextSetParent(RegistryContext, RegistryGraveyard);
	RegistryContext = AllocSetContextCreate(CacheMemoryContext,
											"cla_eventlog registry",
											ALLOCSET_DEFAULT_SIZES);
	codes_htab = bycode_htab = events_htab = roles_htab = NULL;

	/* mark valid first: an invalidation during the load makes it stale again */
	registry_valid = true;
	role_relid = cel_table_oid("role");
	event_relid = cel_table_oid("event");
	code_relid = cel_table_oid("code");

	oldcxt = MemoryContextSwitchTo(RegistryContext);
	codes_htab = make_htab("cla_eventlog codes", sizeof(CodeKey), sizeof(CodeEntry));
	bycode_htab = make_htab("cla_eventlog codes by name", sizeof(NameKey), sizeof(ByCodeEntry));
	events_htab = make_htab("cla_eventlog events", sizeof(NameKey), sizeof(EventEntry));
	roles_htab = make_htab("cla_eventlog roles", sizeof(NameKey), sizeof(RoleEntry));
	MemoryContextSwitchTo(oldcxt);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "cla_eventlog: SPI_connect failed");
	spicxt = CurrentMemoryContext;
	snap = RegisterSnapshot(GetLatestSnapshot());
	cel_become_owner(&saved);

	PG_TRY();
	{
		/* roles */
		plan = SPI_prepare("SELECT name FROM cla_eventlog.role", 0, NULL);
		if (plan == NULL ||
			SPI_execute_snapshot(plan, NULL, NULL, snap, InvalidSnapshot,
								 true, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "cla_eventlog: could not read the role table");
		MemoryContextSwitchTo(RegistryContext);
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			NameKey		key;

			if (make_name_key(&key, spi_text(SPI_tuptable->vals[i], 1)))
				(void) hash_search(roles_htab, &key, HASH_ENTER, NULL);
		}
		MemoryContextSwitchTo(spicxt);

		/* events */
		plan = SPI_prepare("SELECT key, code_resolver FROM cla_eventlog.event", 0, NULL);
		if (plan == NULL ||
			SPI_execute_snapshot(plan, NULL, NULL, snap, InvalidSnapshot,
								 true, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "cla_eventlog: could not read the event table");
		MemoryContextSwitchTo(RegistryContext);
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			NameKey		key;
			EventEntry *ev;
			char	   *name = spi_text(SPI_tuptable->vals[i], 1);

			if (!make_name_key(&key, name))
				continue;
			ev = hash_search(events_htab, &key, HASH_ENTER, NULL);
			ev->ev.event_key = name;
			ev->ev.code_resolver = spi_text(SPI_tuptable->vals[i], 2);
			ev->ev.n_live = 0;
			ev->ev.single_live = NULL;
		}
		MemoryContextSwitchTo(spicxt);

		/* codes */
		plan = SPI_prepare(load_codes_sql, 0, NULL);
		if (plan == NULL ||
			SPI_execute_snapshot(plan, NULL, NULL, snap, InvalidSnapshot,
								 true, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "cla_eventlog: could not read the code table");
		MemoryContextSwitchTo(RegistryContext);
		for (uint64 i = 0; i < SPI_processed; i++)
			load_code_row(SPI_tuptable->vals[i]);
		MemoryContextSwitchTo(spicxt);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcxt);
		cel_restore_user(&saved);
		registry_valid = false;
		PG_RE_THROW();
	}
	PG_END_TRY();

	cel_restore_user(&saved);
	UnregisterSnapshot(snap);
	SPI_finish();
}

/* Make sure the cache is current */
static inline void
registry_ensure(void)
{
	if (!registry_valid)
		registry_load();
}

/*
 * The definition of (event_key, code), live or retired, or NULL when it is
 * not registered.
 */
CelCode *
cel_registry_lookup(const char *event_key, const char *code)
{
	CodeKey		key;
	CodeEntry  *entry;

	registry_ensure();
	if (!make_code_key(&key, event_key, code))
		return NULL;
	entry = hash_search(codes_htab, &key, HASH_FIND, NULL);
	return entry ? &entry->def : NULL;
}

/*
 * The live codes whose code string is "code", under any event key: returns
 * how many, and sets *candidates to them (in display order of event key).
 */
int
cel_registry_candidates(const char *code, CelCode ***candidates)
{
	NameKey		key;
	ByCodeEntry *entry;

	registry_ensure();
	*candidates = NULL;
	if (!make_name_key(&key, code))
		return 0;
	entry = hash_search(bycode_htab, &key, HASH_FIND, NULL);
	if (entry == NULL)
		return 0;
	*candidates = entry->cands;
	return entry->n;
}

/* The registered event "event_key", or NULL */
CelEvent *
cel_registry_event(const char *event_key)
{
	NameKey		key;
	EventEntry *entry;

	registry_ensure();
	if (!make_name_key(&key, event_key))
		return NULL;
	entry = hash_search(events_htab, &key, HASH_FIND, NULL);
	return entry ? &entry->ev : NULL;
}

/* Is "role" a registered role? */
bool
cel_registry_role_exists(const char *role)
{
	NameKey		key;

	registry_ensure();
	if (!make_name_key(&key, role))
		return false;
	return hash_search(roles_htab, &key, HASH_FIND, NULL) != NULL;
}

/*
 * The live codes of an event as a comma-separated list, for error details
 * (palloc'd in the caller's context).  Scans the cache: error paths only.
 */
char *
cel_registry_live_codes(const char *event_key)
{
	StringInfoData buf;
	HASH_SEQ_STATUS status;
	CodeEntry  *entry;
	const char **names;
	int			n = 0;

	registry_ensure();
	names = palloc(sizeof(char *) * (hash_get_num_entries(codes_htab) + 1));
	hash_seq_init(&status, codes_htab);
	while ((entry = hash_seq_search(&status)) != NULL)
	{
		if (!entry->def.retired && strcmp(entry->def.event_key, event_key) == 0)
			names[n++] = entry->def.code;
	}
	qsort(names, n, sizeof(char *), pg_qsort_strcmp);
	initStringInfo(&buf);
	for (int i = 0; i < n; i++)
		appendStringInfo(&buf, "%s\"%s\"", i ? ", " : "", names[i]);
	pfree(names);
	return buf.data;
}
