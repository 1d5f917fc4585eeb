/*-------------------------------------------------------------------------
 *
 * cla_eventlog.h
 *	  The one internal header of cla_eventlog: shared types, the column
 *	  numbers of our tables, and prototypes grouped by the file that
 *	  defines them.
 *
 * Exported symbols carry the prefix cel_ (all loaded libraries share one
 * symbol namespace).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CLA_EVENTLOG_H
#define CLA_EVENTLOG_H

#include "postgres.h"

#include "access/sdir.h"
#include "storage/lockdefs.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "utils/snapshot.h"
#include "utils/timestamp.h"

#define CEL_SCHEMA			"cla_eventlog"
#define CEL_VERSION			"1.1"

/* Log levels (README "Concepts") */
#define CEL_LEVEL_MINOR		11
#define CEL_LEVEL_MODERATE	21
#define CEL_LEVEL_HIGH		29

/*
 * SQLSTATE of a duplicate log row refused under cla_eventlog.duplicates =
 * 'error': class 23 (integrity constraint violation), so a client sees an
 * integrity error (Django: IntegrityError), with a code of its own.
 */
#define ERRCODE_CEL_DUPLICATE	MAKE_SQLSTATE('2','3','E','L','1')

/*
 * SQLSTATE of a timer request that the user's timers do not allow (no
 * running timer to stop, one already running for create_timer(), a timer
 * without a log): class 23 too, because it conflicts with stored state.
 * 23EL3, a case's state that a code resolver refuses, is raised by the
 * reference resolvers only (README "Errors a client sees").
 */
#define ERRCODE_CEL_TIMER_STATE	MAKE_SQLSTATE('2','3','E','L','2')

/* Longest event key or code register_event() accepts (bytes) */
#define CEL_MAX_NAME		63

/* Column numbers of cla_eventlog.log (sql/parts/10_tables.sql) */
#define Natts_cel_log					16
#define Anum_cel_log_id					1
#define Anum_cel_log_case_id			2
#define Anum_cel_log_timer_id			3
#define Anum_cel_log_event_key			4
#define Anum_cel_log_code				5
#define Anum_cel_log_type				6
#define Anum_cel_log_level				7
#define Anum_cel_log_created_by			8
#define Anum_cel_log_created_by_role	9
#define Anum_cel_log_notes				10
#define Anum_cel_log_patch				11
#define Anum_cel_log_context			12
#define Anum_cel_log_content_type		13
#define Anum_cel_log_object_id			14
#define Anum_cel_log_created			15
#define Anum_cel_log_modified			16

/* Column numbers of cla_eventlog.timer (sql/parts/10_tables.sql) */
#define Anum_cel_timer_id				1
#define Anum_cel_timer_created_by		2
#define Anum_cel_timer_created			3
#define Anum_cel_timer_stopped			4
#define Anum_cel_timer_linked_case		5
#define Anum_cel_timer_cancelled		6

/* Log types */
typedef enum CelLogType
{
	CEL_TYPE_OUTCOME,
	CEL_TYPE_SYSTEM,
	CEL_TYPE_EVENT
} CelLogType;

/* What a code does to the case's requires-action-by (README "Side effects (trigger log_apply)") */
typedef enum CelRabMode
{
	CEL_RAB_KEEP = 0,			/* attribute absent */
	CEL_RAB_SET = 1,			/* null or a string: rab_value (NULL = NULL) */
	CEL_RAB_CLEAR_IF = 2,		/* NULL if the current value is in rab_list */
	CEL_RAB_FUNCTION = 3		/* rab_function(case_id, current) decides */
} CelRabMode;

/*
 * Case-column roles (README "Case binding"): what a column of the bound case
 * table means to the extension.  binding.c maps each to the column bound to
 * it (cel_case_has_role()) and holds their names (cel_case_role_names), the
 * keys of bind_case_table()'s column map.  The stamp roles, which
 * set_case_columns may stamp (README "Side effects (trigger log_apply)"),
 * come last and in a row: stamp s is role ROLE_FIRST_STAMP + s.
 */
typedef enum CelCaseRole
{
	ROLE_ID,
	ROLE_OUTCOME_CODE,
	ROLE_OUTCOME_CODE_ID,
	ROLE_LEVEL,
	ROLE_REQUIRES_ACTION_BY,
	ROLE_BILLABLE_TIME,
	ROLE_MODIFIED,
	ROLE_SOURCE,
	ROLE_CREATED,
	ROLE_PROVIDER_VIEWED,
	ROLE_PROVIDER_ACCEPTED,
	ROLE_PROVIDER_CLOSED,
	ROLE_PROVIDER_ASSIGNED_AT,
	N_ROLES
} CelCaseRole;

#define ROLE_FIRST_STAMP	ROLE_PROVIDER_VIEWED
#define CEL_N_STAMPS		(N_ROLES - ROLE_FIRST_STAMP)

/* What a code does to a stamp role's column */
typedef enum CelStampMode
{
	CEL_STAMP_KEEP = 0,
	CEL_STAMP_NOW = 1,
	CEL_STAMP_NULL = 2,
	CEL_STAMP_NOW_IF_NULL = 3
} CelStampMode;

typedef enum CelOncePer
{
	CEL_ONCE_NONE,
	CEL_ONCE_CASE,
	CEL_ONCE_CASE_TIMER
} CelOncePer;

/*
 * One registered code, as cached in backend memory (registry.c).  A
 * pointer to it stays valid until the end of the current transaction.
 */
typedef struct CelCode
{
	char	   *event_key;
	char	   *code;
	CelLogType	type;
	const char *type_name;
	int			level;
	int			n_selectable;
	char	  **selectable_by;
	bool		stops_timer;
	bool		retired;
	CelRabMode	rab_mode;
	char	   *rab_value;		/* CEL_RAB_SET: NULL means set to NULL */
	Datum		rab_list;		/* CEL_RAB_CLEAR_IF: text[] */
	char	   *rab_function;	/* CEL_RAB_FUNCTION */
	CelStampMode stamps[CEL_N_STAMPS];
	bool		has_stamps;
	CelOncePer	once_per;
	Datum		once_codes;		/* CEL_ONCE_CASE_TIMER: text[] incl. own code */
} CelCode;

/* One registered event, as cached */
typedef struct CelEvent
{
	char	   *event_key;
	char	   *code_resolver;	/* NULL when none */
	int			n_live;			/* live codes */
	CelCode    *single_live;	/* the live code when n_live == 1 */
} CelEvent;

/* cla_eventlog.c */
extern void _PG_init(void);

/* guc.c: the settings C reads */
extern char *cel_acting_role;
extern bool cel_require_acting_role;
extern bool cel_debounce_outcomes;
extern bool cel_duplicates_error;
extern char *cel_day_time_zone;
extern bool cel_allow_log_maintenance;
extern int	cel_created_window_past;	/* minutes */
extern int	cel_created_window_future;	/* seconds */
extern bool cel_allow_explicit_ids;
extern void cel_guc_init(void);

/* spi.c: SPI wrappers */
extern void cel_spi_connect(void);
extern SPIPlanPtr cel_prepare(const char *sql, int nargs, Oid *argtypes);
extern int	cel_exec(SPIPlanPtr plan, Datum *values, const char *nulls,
					 bool read_only, long tcount, int expected);

/* args.c: checks of the values a caller gives */
extern void cel_require_arg(const char *name, bool isnull);
extern Datum cel_arg(FunctionCallInfo fcinfo, int argno, const char *name);
extern void cel_trigger_misused(const char *function, const char *how) pg_attribute_noreturn();
extern const char *cel_shown(const char *value, int max);
extern void cel_require_name_length(const char *what, const char *value,
									Relation rel, int attnum);

/* functions.c: the functions the registry names */
extern Oid	cel_resolve_function(const char *name, int nargs, Oid *argtypes,
								 const char *what, bool missing_ok);
extern char *cel_call_text_function(Oid fn, int64 case_id, Datum arg, bool arg_null);

/* rels.c: the extension's own relations and their owner (cached) */
typedef struct CelRels
{
	bool		valid;
	Oid			log;
	Oid			timer;
	Oid			timer_running_idx;
	Oid			log_high_outcome_idx;
	Oid			log_case_idx;
	Oid			log_timer_idx;
	Oid			timer_pkey;
	Oid			timer_billable_idx;
	Oid			owner;
} CelRels;

extern void cel_rels_init(void);
extern Oid	cel_table_oid(const char *relname);
extern const CelRels *cel_rels(void);
extern void cel_require_log_table(Relation rel, const char *function);

/* owner.c: switching to the extension's owner or a table's owner */
typedef struct CelUserContext
{
	Oid			userid;
	int			sec_context;
	int			guc_nestlevel;	/* > 0: undo settings made since */
} CelUserContext;

extern Oid	cel_owner(void);
extern void cel_become_owner(CelUserContext *saved);
extern void cel_become_table_owner(Oid owner, CelUserContext *saved);
extern void cel_restore_user(const CelUserContext *saved);
extern int	cel_exec_as_owner(SPIPlanPtr plan, Datum *values, const char *nulls,
							  bool read_only, long tcount, int expected);
extern uint64 cel_read_as_owner(const char *sql, Snapshot snapshot, const char *what);

/* probe.c: index probes; a CelProbe names a table, a one-column key index
 * and the equality procedure of that column against the value's type */
typedef struct CelProbe
{
	Oid			heap;
	Oid			index;
	RegProcedure eq_proc;
	Oid			subtype;		/* type of the probe value */
	Oid			collation;
} CelProbe;

typedef bool (*CelProbeMatch) (TupleTableSlot *slot, void *arg);

extern bool cel_probe_match(const CelProbe *spec, Datum value, ScanDirection dir,
							Snapshot snapshot, CelProbeMatch match, void *arg,
							HeapTuple *tuple, AttrNumber attnum, Datum *result);
extern bool cel_probe(const CelProbe *spec, Datum value, ScanDirection dir,
					  Snapshot snapshot, HeapTuple *tuple, AttrNumber attnum,
					  Datum *result);
extern bool cel_probe_lock(const CelProbe *spec, Datum value);
extern CelProbe cel_int8_probe(Oid heap, Oid index);
extern bool cel_lock_relation(Oid relid, LOCKMODE mode);

/* log_insert.c (also the SQL-callable _log_id()) */
extern void cel_log_insert_init(void);
extern bool cel_log_insert(Datum *values, bool *nulls, int64 *id);
extern int64 cel_log_id_issue(void);
extern bool cel_log_id_claim(int64 id);
extern bool cel_log_ids_issued(Relation rel);

/* registry.c */
extern void cel_registry_init(void);
extern CelCode *cel_registry_lookup(const char *event_key, const char *code);
extern int	cel_registry_candidates(const char *code, CelCode ***candidates);
extern CelEvent *cel_registry_event(const char *event_key);
extern CelEvent *cel_require_event(const char *event_key, Relation log_rel);
extern bool cel_registry_role_exists(const char *role);
extern bool cel_registry_role_acts_as(const char *role, const char *as);
extern char *cel_registry_live_codes(const char *event_key);
extern int	cel_errdetail_live_codes(const char *event_key);
extern char *cel_quoted_list(const char *const *names, int n);

/* Is the code an outcome at HIGH or above (denormalised, debounced)? */
static inline bool
cel_is_high_outcome(const CelCode *def)
{
	return def->type == CEL_TYPE_OUTCOME && def->level >= CEL_LEVEL_HIGH;
}

/*
 * Does a row of this code (with timer_id, 0 for none) write to its case
 * (README "Side effects (trigger log_apply)")?
 */
static inline bool
cel_row_has_case_effects(const CelCode *def, int64 timer_id)
{
	return cel_is_high_outcome(def) || def->rab_mode != CEL_RAB_KEEP ||
		def->has_stamps || (def->stops_timer && timer_id != 0);
}

/* binding.c: the application's case table */
typedef struct CelCaseChange
{
	int64		case_id;
	int64		outcome_log_id;	/* 0: the row is not a HIGH outcome */
	const char *outcome_code;
	int			outcome_level;
	CelRabMode	rab_mode;		/* KEEP, SET or CLEAR_IF (functions are
								 * resolved by the caller) */
	const char *rab_value;
	Datum		rab_list;
	bool		set_billable;
	int64		billable;
	CelStampMode stamps[CEL_N_STAMPS];
} CelCaseChange;

extern const char *const cel_case_role_names[N_ROLES];
extern void cel_binding_init(void);
extern void cel_binding_require(void);
extern bool cel_case_exists(int64 case_id, bool lock);
extern void cel_require_case(int64 case_id, bool lock, Relation log_rel);
extern void cel_case_missing(int64 case_id, Relation log_rel) pg_attribute_noreturn();
extern bool cel_case_has_role(CelCaseRole role);
extern char *cel_case_current_rab(int64 case_id, bool *isnull);
extern bool cel_case_apply(const CelCaseChange *change);
extern void cel_case_change_init(CelCaseChange *change, int64 case_id);

/* append_only.c (its guard and ways past it are SQL-callable only) */
extern bool cel_loading_dump(void);

/* log_trigger.c, log_apply.c, log_event.c: SQL-callable only */

/* timers.c */
extern int64 cel_timer_running(int64 user_id);
extern void cel_timer_check(int64 timer_id, int64 user_id);
extern bool cel_timer_finish(int64 timer_id, int64 case_id, bool cancelled,
							 int64 *billable);

#endif							/* CLA_EVENTLOG_H */
