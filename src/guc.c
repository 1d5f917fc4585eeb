/*-------------------------------------------------------------------------
 *
 * guc.c
 *	  The settings of cla_eventlog (README "Settings"), all under the reserved prefix
 *	  "cla_eventlog.".  The superuser-only ones are PGC_SUSET: they decide
 *	  what other users' rows may be or what they read (the created window
 *	  guards every MI reader from a writer's absurd time).  The time zone
 *	  settings are checked when set, so a typo fails at SET time rather than
 *	  in the middle of a log insert or an MI query.
 *
 *-------------------------------------------------------------------------
 */
#include "cla_eventlog.h"

#include <limits.h>

#include "pgtime.h"
#include "utils/guc.h"

/* Defaults of the created window: 30 years (10958 days) back, 5 min ahead */
#define CREATED_WINDOW_PAST_DEFAULT		(10958 * 24 * 60)
#define CREATED_WINDOW_FUTURE_DEFAULT	(5 * 60)

static char *apps = NULL;		/* read by SQL: autodiscover() */
char	   *cel_acting_role = NULL;
bool		cel_require_acting_role = false;
bool		cel_debounce_outcomes = true;
static double min_free_disk_percent = 2.0;	/* read by SQL: _check_disk_space */
bool		cel_duplicates_error = false;
static int	duplicates_mode = 0;	/* see duplicates_options */
char	   *cel_day_time_zone = NULL;
static char *report_time_zone = NULL;	/* read by SQL: the MI views */
static int	stale_timer_after = 12 * 60 * 60;	/* read by SQL: status */
static int	max_standby_lag = 5 * 60;	/* read by SQL: status check standby */
bool		cel_allow_log_maintenance = false;
int			cel_created_window_past = CREATED_WINDOW_PAST_DEFAULT;
int			cel_created_window_future = CREATED_WINDOW_FUTURE_DEFAULT;
bool		cel_allow_explicit_ids = false;

/* Values of cla_eventlog.duplicates */
static const struct config_enum_entry duplicates_options[] = {
	{"skip", 0, false},
	{"error", 1, false},
	{NULL, 0, false}
};

/* GUC assign hook of cla_eventlog.duplicates */
static void
assign_duplicates(int newval, void *extra)
{
	cel_duplicates_error = (newval == 1);
}

/* GUC check hook: the value must name a time zone PostgreSQL knows */
static bool
check_time_zone_name(char **newval, void **extra, GucSource source)
{
	if (*newval == NULL || **newval == '\0' || pg_tzset(*newval) == NULL)
	{
		GUC_check_errmsg("time zone \"%s\" is not recognized",
						 *newval ? *newval : "");
		GUC_check_errhint("Use a name from pg_timezone_names, for example \"Europe/London\" or \"UTC\".");
		return false;
	}
	return true;
}

/* Define every setting; called once from _PG_init */
void
cel_guc_init(void)
{
	DefineCustomStringVariable("cla_eventlog.apps",
							   "Application schemas autodiscover() visits, in order (comma-separated).",
							   NULL, &apps, "",
							   PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("cla_eventlog.acting_role",
							   "Acting role for log rows that do not give created_by_role.",
							   NULL, &cel_acting_role, "",
							   PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("cla_eventlog.require_acting_role",
							 "Refuse log rows that have no acting role.",
							 NULL, &cel_require_acting_role, false,
							 PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomRealVariable("cla_eventlog.min_free_disk_percent",
							 "Status check disk_space fails when the data directory or pg_wal has this share of its disk free, or less.",
							 NULL, &min_free_disk_percent, 2.0, 0.0, 100.0,
							 PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("cla_eventlog.debounce_outcomes",
							 "Skip a HIGH outcome that repeats the case's latest one on the same day with the same notes.",
							 NULL, &cel_debounce_outcomes, true,
							 PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomEnumVariable("cla_eventlog.duplicates",
							 "What a log row that once_per or the debounce finds a duplicate does: skip (not stored, no error) or error.",
							 "error raises SQLSTATE 23EL1, an integrity error, for clients that cannot handle a skipped row (an ORM's INSERT ... RETURNING).",
							 &duplicates_mode, 0, duplicates_options,
							 PGC_USERSET, 0, NULL, assign_duplicates, NULL);
	DefineCustomStringVariable("cla_eventlog.day_time_zone",
							   "Time zone of the calendar day used by the outcome debounce.",
							   NULL, &cel_day_time_zone, "UTC",
							   PGC_USERSET, 0, check_time_zone_name, NULL, NULL);
	DefineCustomStringVariable("cla_eventlog.report_time_zone",
							   "Time zone of day boundaries and local times in MI views.",
							   NULL, &report_time_zone, "Europe/London",
							   PGC_USERSET, 0, check_time_zone_name, NULL, NULL);
	DefineCustomIntVariable("cla_eventlog.stale_timer_after",
							"A timer running longer than this is reported by the stale_timers status check.",
							NULL, &stale_timer_after, 12 * 60 * 60, 1, INT_MAX,
							PGC_USERSET, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("cla_eventlog.max_standby_lag",
							"On a standby or a logical subscriber, status check standby fails when the copy is further behind than this.",
							NULL, &max_standby_lag, 5 * 60, 1, INT_MAX,
							PGC_SUSET, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomBoolVariable("cla_eventlog.allow_log_maintenance",
							 "Allow UPDATE, DELETE and TRUNCATE on the log (audited clean-up only).",
							 NULL, &cel_allow_log_maintenance, false,
							 PGC_SUSET, 0, NULL, NULL, NULL);

	/*
	 * The window of a new log row's created (log_trigger.c).  The past bound
	 * is in minutes so that it can reach far back for imports; at INT_MAX
	 * minutes (about 4,083 years) now() minus it is still a timestamp.  The
	 * future bound covers clock skew between application servers; nothing
	 * logged can have happened more than a day from now.
	 */
	DefineCustomIntVariable("cla_eventlog.created_window_past",
							"How long before the transaction's start a new log row's created may lie.",
							"Older rows are refused; widen it to import history.",
							&cel_created_window_past, CREATED_WINDOW_PAST_DEFAULT,
							0, INT_MAX,
							PGC_SUSET, GUC_UNIT_MIN, NULL, NULL, NULL);
	DefineCustomIntVariable("cla_eventlog.created_window_future",
							"How long after the current time a new log row's created may lie.",
							"Later rows are refused; this allows for clock skew between servers.",
							&cel_created_window_future, CREATED_WINDOW_FUTURE_DEFAULT,
							0, SECS_PER_DAY,
							PGC_SUSET, GUC_UNIT_S, NULL, NULL, NULL);

	/*
	 * Explicit log ids (log_trigger.c): superuser only, since the id orders
	 * the log (a case shows its highest-id outcome); a history import sets
	 * it for its own transaction.
	 */
	DefineCustomBoolVariable("cla_eventlog.allow_explicit_ids",
							 "Accept log rows whose id was not issued by the column default (history imports only).",
							 NULL, &cel_allow_explicit_ids, false,
							 PGC_SUSET, 0, NULL, NULL, NULL);

	MarkGUCPrefixReserved("cla_eventlog");
}
