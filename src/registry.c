/*-------------------------------------------------------------------------
 *
 * registry.c
 *	  The event registry as seen from C: a backend-local cache of every
 *	  registered code, event and role, the lookups the log triggers and
 *	  log_event() make for each row, and the errors and details that name
 *	  registry entries (an unregistered event, an event's live codes).
 *	  What a code's row does to its case (cel_is_high_outcome,
 *	  cel_row_has_case_effects) is inline in cla_eventlog.h.
 *
 * Design rules:
 *	- The cache is loaded on first use in a backend, with one SPI query per
 *	  table (cel_read_as_owner), all under one latest snapshot (so a
 *	  transaction sees its own registrations, and a long REPEATABLE READ
 *	  transaction never caches a registry older than the committed one).
 *	- It is marked stale by a relcache invalidation of any registry table.
 *	  register_event() and raw DML on those tables both fire the statement
 *	  trigger _registry_changed(), which queues that invalidation; it takes
 *	  effect locally at the next command and in other backends when the
 *	  writing transaction commits (and is undone locally if it aborts).
 *	  Rows applied by logical replication fire no statement trigger; they
 *	  fire the row trigger registry_replicated (ENABLE REPLICA), which calls
 *	  the same function, so a subscriber's backends see a replicated
 *	  registration when the apply worker commits (README "A logical copy").
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
#include "common/hashfn.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

PG_FUNCTION_INFO_V1(cel_registry_changed);

/*
 * Hash keys point to strings: the cache's own copies in stored entries, the
 * caller's strings in lookups (custom hash and match functions below).
 */
typedef struct CodeKey
{
	const char *event_key;
	const char *code;
} CodeKey;

typedef struct NameKey
{
	const char *name;
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
	CelCode   **cands;			/* &one while n == 1 */
	CelCode    *one;
} ByCodeEntry;

typedef struct EventEntry
{
	NameKey		key;
	CelEvent	ev;
} EventEntry;

typedef struct RoleEntry
{
	NameKey		key;
	const char *member_of;		/* the role it also acts as, or NULL */
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
 * case_binding (and row trigger on role, event and code, for replicated
 * rows): queue a relcache invalidation of the changed table, which every
 * backend's callback turns into "cache stale".  Repeated invalidations of
 * one table within a command are queued once.
 */
Datum
cel_registry_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		cel_trigger_misused("_registry_changed", "called as a trigger");
	CacheInvalidateRelcacheByRelid(RelationGetRelid(trigdata->tg_relation));
	return PointerGetDatum(NULL);
}

static uint32
name_key_hash(const void *key, Size keysize)
{
	return string_hash(((const NameKey *) key)->name, NAMEDATALEN * 64);
}

static int
name_key_match(const void *key1, const void *key2, Size keysize)
{
	return strcmp(((const NameKey *) key1)->name, ((const NameKey *) key2)->name);
}

static uint32
code_key_hash(const void *key, Size keysize)
{
	const CodeKey *k = (const CodeKey *) key;

	return hash_combine(string_hash(k->event_key, NAMEDATALEN * 64),
						string_hash(k->code, NAMEDATALEN * 64));
}

static int
code_key_match(const void *key1, const void *key2, Size keysize)
{
	const CodeKey *k1 = (const CodeKey *) key1;
	const CodeKey *k2 = (const CodeKey *) key2;
	int			c = strcmp(k1->code, k2->code);

	return c != 0 ? c : strcmp(k1->event_key, k2->event_key);
}

static HTAB *
make_htab(const char *name, Size keysize, Size entrysize,
		  HashValueFunc hash, HashCompareFunc match)
{
	HASHCTL		ctl;

	ctl.keysize = keysize;
	ctl.entrysize = entrysize;
	ctl.hash = hash;
	ctl.match = match;
	ctl.hcxt = RegistryContext;
	return hash_create(name, 256, &ctl,
					   HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);
}

/* Column i (1-based) of the current SPI row as a C string, or NULL */
static char *
spi_text(HeapTuple tup, int i)
{
	return SPI_getvalue(tup, SPI_tuptable->tupdesc, i);
}

/* Column i as a Datum (by reference: points into the SPI result) */
static Datum
spi_datum(HeapTuple tup, int i, bool *isnull)
{
	return SPI_getbinval(tup, SPI_tuptable->tupdesc, i, isnull);
}

/* Deconstruct a text[] into C strings, in the current memory context */
static int
text_array_to_cstrings(Datum arr, bool isnull, char ***out)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	*out = NULL;
	if (isnull)
		return 0;
	deconstruct_array(DatumGetArrayTypeP(arr), TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, &n);
	if (n == 0)
		return 0;
	*out = palloc(sizeof(char *) * n);
	for (int i = 0; i < n; i++)
		(*out)[i] = nulls[i] ? pstrdup("") : TextDatumGetCString(elems[i]);
	return n;
}

/*
 * The registry as rows the loader can read without parsing JSON in C: the
 * set_requires_action_by, set_case_columns and once_per attributes
 * (README "Registry") are flattened here.  It runs as the
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

/*
 * Turn one row of load_codes_sql into a cache entry.  Runs in the SPI
 * context (temporaries die with it); what the entry keeps is copied into
 * RegistryContext, and only when the code uses it, so that 10,000 codes
 * stay a few megabytes.
 */
static void
load_code_row(HeapTuple tup)
{
	CodeKey		key;
	CodeEntry  *entry;
	CelCode    *def;
	NameKey		ekey;
	EventEntry *ev;
	bool		found;
	bool		isnull;
	char	   *type = spi_text(tup, 3);
	char	  **stamp_roles;
	char	  **stamp_modes;
	int			n_stamps;
	char	   *once;
	MemoryContext tmpcxt = CurrentMemoryContext;

	/* the event key string is shared with the event's entry */
	ekey.name = spi_text(tup, 1);
	ev = hash_search(events_htab, &ekey, HASH_FIND, NULL);
	if (ev == NULL)
		return;					/* a code row without its event */

	MemoryContextSwitchTo(RegistryContext);
	key.event_key = ev->ev.event_key;
	key.code = spi_text(tup, 2);
	entry = hash_search(codes_htab, &key, HASH_ENTER, &found);
	def = &entry->def;
	memset(def, 0, sizeof(*def));
	def->event_key = (char *) key.event_key;
	def->code = (char *) key.code;
	if (strcmp(type, "outcome") == 0)
		def->type = CEL_TYPE_OUTCOME, def->type_name = "outcome";
	else if (strcmp(type, "system") == 0)
		def->type = CEL_TYPE_SYSTEM, def->type_name = "system";
	else
		def->type = CEL_TYPE_EVENT, def->type_name = "event";
	def->level = DatumGetInt32(spi_datum(tup, 4, &isnull));
	def->n_selectable = text_array_to_cstrings(spi_datum(tup, 5, &isnull), isnull,
											   &def->selectable_by);
	def->stops_timer = DatumGetBool(spi_datum(tup, 6, &isnull));
	def->retired = DatumGetBool(spi_datum(tup, 7, &isnull));
	def->rab_mode = (CelRabMode) DatumGetInt32(spi_datum(tup, 8, &isnull));
	if (def->rab_mode == CEL_RAB_SET)
		def->rab_value = spi_text(tup, 9);
	else if (def->rab_mode == CEL_RAB_CLEAR_IF)
		def->rab_list = datumCopy(spi_datum(tup, 10, &isnull), false, -1);
	else if (def->rab_mode == CEL_RAB_FUNCTION)
		def->rab_function = spi_text(tup, 11);

	MemoryContextSwitchTo(tmpcxt);
	n_stamps = text_array_to_cstrings(spi_datum(tup, 12, &isnull), isnull, &stamp_roles);
	(void) text_array_to_cstrings(spi_datum(tup, 13, &isnull), isnull, &stamp_modes);
	for (int i = 0; i < n_stamps; i++)
	{
		for (int r = 0; r < CEL_N_STAMPS; r++)
		{
			if (strcmp(stamp_roles[i], cel_case_role_names[ROLE_FIRST_STAMP + r]) != 0)
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
	{
		def->once_per = CEL_ONCE_CASE_TIMER;
		MemoryContextSwitchTo(RegistryContext);
		def->once_codes = datumCopy(spi_datum(tup, 15, &isnull), false, -1);
		MemoryContextSwitchTo(tmpcxt);
	}

	/* index live codes by code string, and count them per event */
	if (!def->retired)
	{
		NameKey		ckey;
		ByCodeEntry *bc;

		ckey.name = def->code;
		MemoryContextSwitchTo(RegistryContext);
		bc = hash_search(bycode_htab, &ckey, HASH_ENTER, &found);
		if (!found)
		{
			bc->n = 1;
			bc->one = def;
			bc->cands = &bc->one;
		}
		else
		{
			if (bc->n == 1)
			{
				bc->cap = 4;
				bc->cands = palloc(sizeof(CelCode *) * bc->cap);
				bc->cands[0] = bc->one;
			}
			else if (bc->n == bc->cap)
			{
				bc->cap *= 2;
				bc->cands = repalloc(bc->cands, sizeof(CelCode *) * bc->cap);
			}
			bc->cands[bc->n++] = def;
		}
		MemoryContextSwitchTo(tmpcxt);
		ev->ev.n_live++;
		ev->ev.single_live = def;
	}
}

/* Load the whole registry into a fresh RegistryContext */
static void
registry_load(void)
{
	MemoryContext oldcxt;
	MemoryContext spicxt;
	Snapshot	snap;

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
	codes_htab = make_htab("cla_eventlog codes", sizeof(CodeKey), sizeof(CodeEntry),
						   code_key_hash, code_key_match);
	bycode_htab = make_htab("cla_eventlog codes by name", sizeof(NameKey),
							sizeof(ByCodeEntry), name_key_hash, name_key_match);
	events_htab = make_htab("cla_eventlog events", sizeof(NameKey), sizeof(EventEntry),
							name_key_hash, name_key_match);
	roles_htab = make_htab("cla_eventlog roles", sizeof(NameKey), sizeof(RoleEntry),
						   name_key_hash, name_key_match);
	MemoryContextSwitchTo(oldcxt);

	cel_spi_connect();
	spicxt = CurrentMemoryContext;
	/* the three tables as of one moment */
	snap = RegisterSnapshot(GetLatestSnapshot());

	PG_TRY();
	{
		uint64		n;

		/*
		 * member_of through to_jsonb(): a database still at 1.0 has no such
		 * column, and this library serves it too (its roles are members of
		 * nothing)
		 */
		n = cel_read_as_owner("SELECT r.name, pg_catalog.to_jsonb(r) OPERATOR(pg_catalog.->>) 'member_of'"
							  " FROM cla_eventlog.role r", snap, "the role table");
		MemoryContextSwitchTo(RegistryContext);
		for (uint64 i = 0; i < n; i++)
		{
			NameKey		key;
			RoleEntry  *entry;

			key.name = spi_text(SPI_tuptable->vals[i], 1);
			entry = hash_search(roles_htab, &key, HASH_ENTER, NULL);
			entry->member_of = spi_text(SPI_tuptable->vals[i], 2);
		}
		MemoryContextSwitchTo(spicxt);

		n = cel_read_as_owner("SELECT key, code_resolver FROM cla_eventlog.event", snap,
							  "the event table");
		MemoryContextSwitchTo(RegistryContext);
		for (uint64 i = 0; i < n; i++)
		{
			NameKey		key;
			EventEntry *ev;
			char	   *name = spi_text(SPI_tuptable->vals[i], 1);

			key.name = name;
			ev = hash_search(events_htab, &key, HASH_ENTER, NULL);
			ev->ev.event_key = name;
			ev->ev.code_resolver = spi_text(SPI_tuptable->vals[i], 2);
			ev->ev.n_live = 0;
			ev->ev.single_live = NULL;
		}
		MemoryContextSwitchTo(spicxt);

		n = cel_read_as_owner(load_codes_sql, snap, "the code table");
		for (uint64 i = 0; i < n; i++)
			load_code_row(SPI_tuptable->vals[i]);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcxt);
		registry_valid = false;
		PG_RE_THROW();
	}
	PG_END_TRY();

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
	key.event_key = event_key;
	key.code = code;
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
	key.name = code;
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
	key.name = event_key;
	entry = hash_search(events_htab, &key, HASH_FIND, NULL);
	return entry ? &entry->ev : NULL;
}

/* errdetail() listing the live codes of an event (error paths only) */
int
cel_errdetail_live_codes(const char *event_key)
{
	return errdetail("Live codes of event \"%s\": %s.", event_key,
					 cel_registry_live_codes(event_key));
}

/*
 * The registered event "event_key"; error (42704) if there is none, naming
 * the log's event_key column when log_rel is given.
 */
CelEvent *
cel_require_event(const char *event_key, Relation log_rel)
{
	CelEvent   *ev = cel_registry_event(event_key);

	if (ev == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("event \"%s\" is not registered", event_key),
				 errhint("Register it with cla_eventlog.register_event() or cla_eventlog.autodiscover()."),
				 log_rel ? errtablecol(log_rel, Anum_cel_log_event_key) : 0));
	return ev;
}

/* Is "role" a registered role? */
bool
cel_registry_role_exists(const char *role)
{
	NameKey		key;

	registry_ensure();
	key.name = role;
	return hash_search(roles_htab, &key, HASH_FIND, NULL) != NULL;
}

/*
 * Does the registered role "role" act as "as": is it "as", or a member of
 * it, transitively (README "Registry")?  add_role() makes only chains
 * without cycles; the bound keeps a hand-edited role table from looping.
 * This is the trigger's answer, from the cache; the registry's readers
 * (event_codes(), selectable_codes()) ask _role_lineage(), which walks the
 * same member_of chain in the table.
 */
bool
cel_registry_role_acts_as(const char *role, const char *as)
{
	registry_ensure();
	for (int depth = 0; role != NULL && depth < 64; depth++)
	{
		NameKey		key;
		RoleEntry  *entry;

		if (strcmp(role, as) == 0)
			return true;
		key.name = role;
		entry = hash_search(roles_htab, &key, HASH_FIND, NULL);
		role = entry ? entry->member_of : NULL;
	}
	return false;
}

/*
 * The live codes of an event as a comma-separated list, for error details
 * (palloc'd in the caller's context).  Scans the cache: error paths only.
 */
char *
cel_registry_live_codes(const char *event_key)
{
	char	   *list;
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
	list = cel_quoted_list(names, n);
	pfree(names);
	return list;
}

/*
 * Registry names as a message shows a list of them: "a", "b", "c"
 * (palloc'd in the caller's context).
 */
char *
cel_quoted_list(const char *const *names, int n)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (int i = 0; i < n; i++)
		appendStringInfo(&buf, "%s\"%s\"", i ? ", " : "", names[i]);
	return buf.data;
}
