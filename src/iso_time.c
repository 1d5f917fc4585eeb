/*-------------------------------------------------------------------------
 *
 * iso_time.c
 *	  _iso_time(text): a time written in a log's context (requires_action_at,
 *	  sla_120, ...) as timestamptz, NULL when it is not one (README
 *	  "Management information", "How the context's times are read").
 *
 * Design rules:
 *	- Only ISO 8601 is read: YYYY-MM-DD, "T" or a space, HH:MM, optional
 *	  :SS and fraction, optional Z or +HH, +HHMM, +HH:MM.  A time without
 *	  an offset is UTC.  So the result depends neither on DateStyle nor on
 *	  TimeZone, and the function is IMMUTABLE (it is indexed:
 *	  log_callback_requires_action_at).
 *	- Nothing here raises an error for the text it is given, and nothing
 *	  opens a subtransaction (README "Reports on a standby"): a recovery
 *	  conflict that arrives inside one ends the whole connection, and the
 *	  MI reports and the CB1 index call this for every CB1 row.  Text of
 *	  the right shape is decoded by PostgreSQL's own date/time parser
 *	  (ParseDateTime, DecodeDateTime, tm2timestamp), which reports an
 *	  impossible date (month 13, 30 February, +99:00) as a return code;
 *	  the value is the one timestamptz_in gives for the same text.
 *
 *-------------------------------------------------------------------------
 */
#include "cla_eventlog.h"

#include <ctype.h>

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(cel_iso_time);

/* Skip exactly n ASCII digits at *p; false if they are not there */
static bool
skip_digits(const char **p, int n)
{
	for (int i = 0; i < n; i++)
	{
		if (!isdigit((unsigned char) (*p)[i]))
			return false;
	}
	*p += n;
	return true;
}

/*
 * Is s of the shape
 * ^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}(:?\d{2})?)?$
 * (ASCII digits)?  *has_zone says whether it ends with an offset or Z.
 */
static bool
iso_shape(const char *s, bool *has_zone)
{
	const char *p = s;

	*has_zone = false;
	if (!skip_digits(&p, 4) || *p++ != '-' || !skip_digits(&p, 2) ||
		*p++ != '-' || !skip_digits(&p, 2) || (*p != 'T' && *p != ' '))
		return false;
	p++;
	if (!skip_digits(&p, 2) || *p++ != ':' || !skip_digits(&p, 2))
		return false;
	if (*p == ':')
	{
		p++;
		if (!skip_digits(&p, 2))
			return false;
		if (*p == '.')
		{
			p++;
			if (!isdigit((unsigned char) *p))
				return false;
			while (isdigit((unsigned char) *p))
				p++;
		}
	}
	if (*p == 'Z' || *p == 'z')
	{
		*has_zone = true;
		p++;
	}
	else if (*p == '+' || *p == '-')
	{
		*has_zone = true;
		p++;
		if (!skip_digits(&p, 2))
			return false;
		if (*p == ':')
		{
			p++;
			if (!skip_digits(&p, 2))
				return false;
		}
		else if (isdigit((unsigned char) *p) && !skip_digits(&p, 2))
			return false;
	}
	return *p == '\0';
}

/*
 * _iso_time(value text) RETURNS timestamptz, IMMUTABLE STRICT: the ISO 8601
 * time in value (no offset = UTC), NULL when value is not one.
 */
Datum
cel_iso_time(PG_FUNCTION_ARGS)
{
	char	   *value = text_to_cstring(PG_GETARG_TEXT_PP(0));
	bool		has_zone;
	char	   *str;
	char		workbuf[MAXDATELEN + MAXDATEFIELDS];
	char	   *field[MAXDATEFIELDS];
	int			ftype[MAXDATEFIELDS];
	int			nf;
	int			dtype;
	struct pg_tm tt,
			   *tm = &tt;
	fsec_t		fsec;
	int			tz;
	TimestampTz result;

	if (!iso_shape(value, &has_zone))
		PG_RETURN_NULL();
	str = has_zone ? value : psprintf("%s+00", value);
	/* each step returns a DTERR_ code instead of raising, as in timestamptz_in */
	if (ParseDateTime(str, workbuf, sizeof(workbuf), field, ftype,
					  MAXDATEFIELDS, &nf) != 0 ||
		DecodeDateTime(field, ftype, nf, &dtype, tm, &fsec, &tz) != 0 ||
		dtype != DTK_DATE ||
		tm2timestamp(tm, fsec, &tz, &result) != 0)
		PG_RETURN_NULL();
	PG_RETURN_TIMESTAMPTZ(result);
}
