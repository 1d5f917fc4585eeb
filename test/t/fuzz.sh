#!/usr/bin/env bash
# fuzz: a bounded random test of the public functions and of plain INSERTs
# into the log (bad input never crashes the backend, an
# application role cannot rewrite history, the data stay consistent).
#
# In its own database (extension + reference application, 50 cases, the
# README's three roles under fuzz_* names) it runs FUZZ_STATEMENTS (default
# 3000) random statements in FUZZ_SESSIONS (default 4) concurrent sessions:
# log_event and INSERTs with registered and garbage codes, random NULLs,
# JSON of every shape (arrays, scalars, 10 MB, nested too deep, malformed),
# random cases, users and acting roles; timer calls; registrations, valid,
# mutated and garbage; binding; MI, status, verify and repair; settings;
# SET ROLE to the three roles; explicit transactions with savepoints and
# rollbacks; UPDATE/DELETE/TRUNCATE of the log, each of which must be
# refused when it would change or remove a row; an administrator's mistakes (a STRICT built-in as a registry
# function, malformed registry rows written by raw DML, the log's trigger
# functions attached to a table of one's own); and the internal helpers
# PUBLIC may execute, called with garbage.  Every statement runs in its own
# transaction unless it is part of an explicit block; errors are expected
# and counted.
#
# Then it checks: the server answers; no backend crashed (the postmaster's
# start time, and the checkpointer, which a crash-restart replaces -- the
# start time alone does not change on a crash-restart); no session lost its
# connection; no statement hit the 20 s statement timeout (a hang); no
# append-only violation; no user has two running timers; verify() returns
# nothing; status_json() is ok.  Prints "fuzz: N statements, E errors,
# C crashes" and exits non-zero on any failure.  FUZZ_SEED reproduces a run
# (with the same FUZZ_SESSIONS); FUZZ_KEEP=1 keeps the generated SQL and the
# sessions' outputs, which a failure always keeps.  Needs python3 (stdlib).
#
# Run by test/run.sh with PGHOST, PGPORT, PGUSER and CEL_TOP set; it builds,
# installs and starts nothing.
set -uo pipefail

N=${FUZZ_STATEMENTS:-3000}
SESSIONS=${FUZZ_SESSIONS:-4}
SEED=${FUZZ_SEED:-$(( (RANDOM << 15) | RANDOM ))}
top=${CEL_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
db=cel_fuzz
bindir=$(pg_config --bindir)
command -v python3 >/dev/null || { echo "FAILED: the fuzzer needs python3"; exit 1; }
work=$(mktemp -d /tmp/cel_fuzz.XXXXXX)

psql_() { "$bindir/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }
drop_all() {
    "$bindir/dropdb" --if-exists "$db" 2>/dev/null
    for r in fuzz_writer fuzz_reader fuzz_admin; do
        psql_ -d postgres -c "DROP ROLE IF EXISTS $r" >/dev/null 2>&1
    done
}
failed=0
fail() { echo "FAILED: $*"; failed=1; }
finish() {
    drop_all
    if [ "$failed" -eq 0 ] && [ -z "${FUZZ_KEEP:-}" ]; then rm -rf "$work"; else echo "generated SQL and outputs kept in $work"; fi
}
trap finish EXIT

echo "== fuzz: $N statements in $SESSIONS sessions, seed $SEED"
drop_all
"$bindir/createdb" "$db" || exit 1
psql_ -d "$db" -c "SET client_min_messages = warning" -c "CREATE EXTENSION cla_eventlog" || exit 1
psql_ -d "$db" -f "$top/test/fixtures/cla_reference.sql" >/dev/null || exit 1
sed 's/eventlog_\(writer\|reader\|admin\)/fuzz_\1/g' "$top/test/privileges_recipe.psql" | psql_ -d "$db" >/dev/null || exit 1
psql_ -d "$db" >/dev/null <<'SQL' || exit 1
SET client_min_messages = warning;
SELECT cla_reference.register_events();
SELECT cla_reference.bind();
INSERT INTO cla_reference.legalaid_case (id, source)
SELECT i, (ARRAY['WEB', 'PHONE', 'SMS', 'VOICEMAIL'])[1 + i % 4] FROM generate_series(1, 50) i;
-- A small application of the fuzzer's own: a resolver that returns
-- params->>'code', a set_requires_action_by function, register_events().
CREATE SCHEMA fuzz_app;
CREATE FUNCTION fuzz_app.pick(case_id bigint, params jsonb) RETURNS text
    LANGUAGE sql SET search_path = pg_catalog, pg_temp
    AS $$ SELECT params OPERATOR(pg_catalog.->>) 'code' $$;
CREATE FUNCTION fuzz_app.rab(case_id bigint, current text) RETURNS text
    LANGUAGE sql SET search_path = pg_catalog, pg_temp
    AS $$ SELECT CASE WHEN case_id OPERATOR(pg_catalog.%) 2 OPERATOR(pg_catalog.=) 0 THEN 'operator' END $$;
CREATE FUNCTION fuzz_app.register_events() RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM cla_eventlog.register_event('fuzz_app_event', '{
        "FA1": {"type": "outcome", "level": 29, "selectable_by": ["operator"], "description": "Fuzz app 1",
                "stops_timer": true, "set_requires_action_by": {"function": "fuzz_app.rab"}},
        "FA2": {"type": "event", "level": 11, "selectable_by": [], "description": "Fuzz app 2",
                "stops_timer": false, "once_per": {"scope": "case"}}}', 'fuzz_app.pick');
END
$$;
GRANT USAGE ON SCHEMA fuzz_app TO fuzz_writer, fuzz_admin;
GRANT EXECUTE ON FUNCTION fuzz_app.register_events() TO fuzz_admin;
SELECT fuzz_app.register_events();
SQL
psql_ -d "$db" -At -c "SELECT event_key || '|' || code FROM cla_eventlog.codes WHERE NOT retired ORDER BY 1" > "$work/codes" || exit 1

before=$(psql_ -d "$db" -At -c "SELECT pg_postmaster_start_time() || ' ' || (SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer')")

python3 - "$N" "$SESSIONS" "$SEED" "$work" <<'PY' || exit 1
import json, random, sys

n, sessions, seed, work = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rnd = random.Random(seed)
codes = [tuple(l.split('|', 1)) for l in open(work + '/codes').read().splitlines() if l]
events = sorted({e for e, _ in codes})
ROLES = ['operator', 'specialist']
GARBAGE = ['', 'x; DROP TABLE y', 'a"b', "a'b", 'dotted.name', 'ünïcödé', '\\', ' ', 'NULL', 'null',
           '%s%n%x', '\t\n', 'CB1', 'case', 'pg_catalog.now', 'fuzz_app.pick(bigint,jsonb)']
WORDS = ['alpha', 'beta', 'gamma', 'delta', 'case', 'timer', 'outcome', 'CB1', 'SPOP', 'operator']
TIMES = ['2024-03-01T10:00:00Z', '2024-03-01 10:30', '2024-03-01T10:30:00+01:00', '2024-02-30T10:00:00Z',
         'tomorrow', '2024-03-01', '', '03/01/2024', '2099-12-31T23:59:59.999999Z']

def lit(s):
    return "'" + s.replace("'", "''") + "'"

def chance(p):
    return rnd.random() < p

def text_value():
    r = rnd.random()
    if r < 0.05: return 'NULL'
    if r < 0.08: return "repeat('x', 500)"
    if r < 0.09: return "repeat('x', 10485760)"
    if r < 0.30: return lit(rnd.choice(GARBAGE))
    return lit(rnd.choice(WORDS) + str(rnd.randint(0, 9)))

def bigint_value(kind):
    r = rnd.random()
    if r < 0.04: return 'NULL'
    if r < 0.08: return rnd.choice(['-9223372036854775808', '9223372036854775807', '0', '-1'])
    if kind == 'case': return str(rnd.randint(1, 55))       # 51..55 do not exist
    if kind == 'user': return str(rnd.randint(1, 12))
    return str(rnd.randint(-5, 100))

def json_data(depth=0):
    r = rnd.random()
    if depth > 3 or r < 0.35:
        return rnd.choice([None, True, False, rnd.randint(-10**6, 10**6), rnd.random() * 100,
                           rnd.choice(WORDS), '', rnd.choice(TIMES), 1e308, -0.0])
    if r < 0.6:
        return [json_data(depth + 1) for _ in range(rnd.randint(0, 4))]
    keys = WORDS + ['requires_action_at', 'sla_120', 'sla_480', 'sla_72h', 'provider', 'code',
                    'priority_callback', 'cancel', 'complete', '']
    return {rnd.choice(keys): json_data(depth + 1) for _ in range(rnd.randint(0, 4))}

def cb1_context():
    return {k: rnd.choice(TIMES) for k in ['requires_action_at', 'sla_120', 'sla_480', 'sla_72h']
            if chance(0.85)} | ({'provider': rnd.choice(WORDS)} if chance(0.5) else {})

def json_value(obj=True):
    r = rnd.random()
    if r < 0.08: return 'NULL'
    if r < 0.09: return "jsonb_build_object('blob', repeat('j', 10485760))"
    if r < 0.10: return "(repeat('[', 100000) || repeat(']', 100000))::jsonb"
    if r < 0.11: return lit('{"a": ') + '::jsonb'
    if r < 0.13: return "(repeat('{\"a\": ', 500) || '1' || repeat('}', 500))::jsonb"
    v = json_data()
    if obj and chance(0.7) and not isinstance(v, dict):
        v = {'value': v}
    return lit(json.dumps(v)) + '::jsonb'

def ts_value():
    r = rnd.random()
    if r < 0.05: return 'NULL'
    if r < 0.10: return rnd.choice(["'infinity'", "'-infinity'", "'epoch'"])
    return lit('%04d-%02d-%02d %02d:%02d:%02d+00' % (rnd.randint(2020, 2026), rnd.randint(1, 12),
               rnd.randint(1, 28), rnd.randint(0, 23), rnd.randint(0, 59), rnd.randint(0, 59))) + '::timestamptz'

def role_value():
    r = rnd.random()
    if r < 0.3: return 'NULL'
    if r < 0.8: return lit(rnd.choice(ROLES))
    return text_value()

def code_pair():
    if chance(0.85):
        return rnd.choice(codes)
    return (rnd.choice(events + GARBAGE), rnd.choice([c for _, c in codes] + GARBAGE))

def log_event():
    ek, code = code_pair()
    args = [lit(ek) if chance(0.95) else text_value(), bigint_value('case'), bigint_value('user')]
    named = []
    r = rnd.random()
    if r < 0.6: named.append(('code', lit(code)))
    elif r < 0.7: named.append(('code', text_value()))
    if ek in ('call_me_back', 'fuzz_app_event') and chance(0.6):
        named.append(('params', lit(json.dumps({'code': code} if ek == 'fuzz_app_event'
                                               else {'priority_callback': chance(0.2)})) + '::jsonb'))
    elif chance(0.2): named.append(('params', json_value()))
    if chance(0.4): named.append(('acting_role', role_value()))
    if chance(0.3): named.append(('notes', text_value()))
    if code == 'CB1' and chance(0.8): named.append(('context', lit(json.dumps(cb1_context())) + '::jsonb'))
    elif chance(0.3): named.append(('context', json_value()))
    if chance(0.15): named.append(('patch', json_value(False)))
    if chance(0.1):
        named.append(('content_type', text_value()))
        if chance(0.8): named.append(('object_id', bigint_value('any')))
    rnd.shuffle(named)
    return 'SELECT cla_eventlog.log_event(%s);' % ', '.join(args + ['%s => %s' % kv for kv in named])

def insert_log():
    ek, code = code_pair()
    cols = {'case_id': bigint_value('case'), 'code': lit(code) if chance(0.95) else text_value(),
            'created_by': bigint_value('user')}
    if chance(0.8): cols['event_key'] = lit(ek) if chance(0.95) else text_value()
    if chance(0.4): cols['created_by_role'] = role_value()
    if chance(0.2): cols['notes'] = text_value()
    if code == 'CB1' and chance(0.8): cols['context'] = lit(json.dumps(cb1_context())) + '::jsonb'
    elif chance(0.2): cols['context'] = json_value()
    if chance(0.1): cols['patch'] = json_value(False)
    if chance(0.1): cols['type'] = lit(rnd.choice(['outcome', 'system', 'event'])) if chance(0.7) else text_value()
    if chance(0.1): cols['level'] = rnd.choice(['11', '21', '29', '0', '-2147483648', 'NULL'])
    if chance(0.1): cols['timer_id'] = bigint_value('any')
    if chance(0.15): cols['created'] = ts_value()
    if chance(0.05):
        cols['content_type'] = text_value()
        cols['object_id'] = bigint_value('any')
    if chance(0.05):   # many rows in one statement
        return ('INSERT INTO cla_eventlog.log (case_id, event_key, code, created_by, created_by_role) '
                'SELECT g %% 50 + 1, %s, %s, g %% 12 + 1, %s FROM generate_series(1, %d) g;'
                % (lit(ek), lit(code), role_value(), rnd.randint(2, 40)))
    return 'INSERT INTO cla_eventlog.log (%s) VALUES (%s);' % (', '.join(cols), ', '.join(cols.values()))

def timer_call():
    fn = rnd.choice(['start_timer', 'start_timer', 'create_timer', 'current_timer', 'stop_timer',
                     'stop_timer', 'cancel_timer'])
    arg = bigint_value('user') if chance(0.95) else text_value()
    return 'SELECT * FROM cla_eventlog.%s(%s);' % (fn, arg)

def definition():
    d = {'type': rnd.choice(['outcome', 'system', 'event']), 'level': rnd.choice([29, 21, 11, 'HIGH', 'minor']),
         'selectable_by': rnd.sample(ROLES, rnd.randint(0, 2)), 'description': 'fuzz ' + rnd.choice(WORDS),
         'stops_timer': chance(0.4)}
    if chance(0.3): d['order'] = rnd.randint(-5, 50)
    if chance(0.3): d['set_requires_action_by'] = rnd.choice([None, 'operator', {'clear_if_owned_by': ['operator']},
                                                              {'function': 'fuzz_app.rab'}])
    if chance(0.2): d['set_case_columns'] = {rnd.choice(['provider_viewed', 'provider_closed', 'provider_accepted']):
                                             rnd.choice(['now', 'now_if_null', None])}
    if chance(0.15): d['once_per'] = rnd.choice([{'scope': 'case'}, {'scope': 'case_timer', 'with': ['CASE_CREATED']}])
    if chance(0.3):   # corrupt it
        r = rnd.random()
        if r < 0.3: d.pop(rnd.choice(list(d)))
        elif r < 0.6: d[rnd.choice(list(d))] = json_data()
        else: d[rnd.choice(WORDS)] = json_data()
    return d

def registry_call():
    r = rnd.random()
    if r < 0.35:
        ek = 'fuzz_ev_%d' % rnd.randint(0, 5) if chance(0.85) else rnd.choice(GARBAGE + events)
        defs = {('F%d' % i if chance(0.95) else rnd.choice(GARBAGE)): definition() for i in range(rnd.randint(1, 4))}
        doc = lit(json.dumps(defs)) + '::jsonb' if chance(0.9) else json_value()
        resolver = rnd.choice(['NULL', 'NULL', lit('fuzz_app.pick'), lit('fuzz_app.pick(bigint, jsonb)'), text_value()])
        return 'SELECT cla_eventlog.register_event(%s, %s, %s);' % (lit(ek), doc, resolver)
    if r < 0.45: return 'SELECT cla_reference.register_events();'
    if r < 0.55: return 'SELECT cla_eventlog.unregister_event(%s);' % lit('fuzz_ev_%d' % rnd.randint(0, 5) if chance(0.8) else rnd.choice(GARBAGE))
    if r < 0.62: return 'SELECT cla_eventlog.add_role(%s);' % (lit('fuzz_role_%d' % rnd.randint(0, 3)) if chance(0.7) else text_value())
    if r < 0.72: return 'SELECT * FROM cla_eventlog.event_codes(%s);' % (lit(rnd.choice(events)) if chance(0.7) else text_value())
    if r < 0.80: return 'SELECT * FROM cla_eventlog.selectable_codes(%s);' % role_value()
    apps = rnd.choice(["ARRAY['cla_reference']", "ARRAY['fuzz_app', 'cla_reference']", "ARRAY['pg_catalog']",
                       'NULL', "ARRAY[NULL]::text[]", "ARRAY[%s]" % text_value()])
    return "SELECT * FROM cla_eventlog.autodiscover(%s, %s);" % (apps, rnd.choice(["'raise'", "'report'", text_value()]))

def bind_call():
    # only the default binding or invalid ones: switching a role off would
    # leave cases legitimately out of date for verify()
    table = lit('cla_reference.legalaid_case') if chance(0.7) else rnd.choice(
        [lit('cla_eventlog.codes'), lit('pg_catalog.pg_class'), lit('fuzz_app.nope'), text_value()]) + '::regclass'
    cols = rnd.choice(["'{}'", "'{\"billable_time\": \"billable_time\", \"source\": \"source\"}'",
                       "'{\"outcome_code\": \"nope\"}'", "'{\"nope\": \"id\"}'", "'[]'", json_value()])
    return 'SELECT cla_eventlog.bind_case_table(%s, %s);' % (table, cols)

def mi_call():
    r = rnd.random()
    view = rnd.choice(['mi_outcomes', 'mi_case_outcomes', 'mi_timers'])
    if r < 0.3: return 'SELECT count(*) FROM cla_eventlog.%s WHERE created >= %s AND created < %s;' % (
        view if view != 'mi_case_outcomes' else 'mi_outcomes', ts_value(), ts_value())
    if r < 0.45: return 'SELECT count(*), sum(cases) FROM cla_eventlog.mi_daily_codes WHERE day = %s::date;' % lit(
        '2026-%02d-%02d' % (rnd.randint(1, 12), rnd.randint(1, 28)))
    if r < 0.55: return 'SELECT count(*) FROM cla_eventlog.%s;' % rnd.choice(
        ['mi_outcomes', 'mi_case_outcomes', 'mi_daily_codes', 'mi_timers', 'mi_billable_daily'])
    if r < 0.75: return 'SELECT count(*) FROM cla_eventlog.mi_first_actions(%s, %s);' % (ts_value(), ts_value())
    codes_arg = rnd.choice(['DEFAULT', 'NULL', "'{}'", "ARRAY['TERM', 'CB2', NULL]",
                            "ARRAY(SELECT g::text FROM generate_series(1, 1000) g)"])
    args = [ts_value(), ts_value()] + ([ts_value()] if chance(0.7) else [])
    if codes_arg != 'DEFAULT': args += ['now()'] * (3 - len(args)) + [codes_arg]
    return 'SELECT count(*) FROM cla_eventlog.mi_callback_sla(%s);' % ', '.join(args)

def admin_call():
    r = rnd.random()
    if r < 0.3: return 'SELECT count(*) FROM cla_eventlog.status();'
    if r < 0.5: return "SELECT cla_eventlog.status_json() -> 'ok';"
    if r < 0.7: return 'SELECT count(*) FROM cla_eventlog.verify();'
    arr = rnd.choice(['NULL', "'{}'", "'{NULL}'", 'ARRAY[%s, %s]' % (bigint_value('case'), bigint_value('case')),
                      'ARRAY(SELECT g FROM generate_series(-5, 60) g)'])
    return 'SELECT cla_eventlog.repair_cases(%s);' % arr

def setting_call():
    name, values = rnd.choice([
        ('acting_role', ["'operator'", "'specialist'", "'nobody'", "''", text_value()]),
        ('debounce_outcomes', ['on', 'off', "'maybe'"]),
        ('require_acting_role', ['on', 'off']),
        ('day_time_zone', ["'UTC'", "'Europe/London'", "'Pacific/Kiritimati'", "'Mars/Olympus'", "''"]),
        ('report_time_zone', ["'Europe/London'", "'America/St_Johns'", "'x; DROP TABLE y'"]),
        ('stale_timer_after', ["'1s'", "'12h'", "'-1'", "'2147483647'", "'soon'"]),
        ('apps', ["'cla_reference'", "'fuzz_app, cla_reference'", "' , '", text_value()])])
    if chance(0.5): return 'RESET cla_eventlog.%s;' % name
    return 'SET cla_eventlog.%s = %s;' % (name, rnd.choice(values))

def violation():
    stmt = rnd.choice(["UPDATE cla_eventlog.log SET notes = 'rewritten' WHERE id % 3 = 0",
                       'DELETE FROM cla_eventlog.log WHERE id % 5 = 0',
                       'TRUNCATE cla_eventlog.log',
                       "UPDATE cla_eventlog.log SET code = 'CB1' WHERE false"])
    # rows are guarded: a statement that changes no row may pass, and so
    # may the TRUNCATE of a log that was empty (it loses nothing)
    before = 'n := (SELECT count(*) FROM cla_eventlog.log)' if stmt.startswith('TRUNCATE') else 'NULL'
    check = ("IF n > 0 THEN RAISE EXCEPTION 'FUZZ-VIOLATION: TRUNCATE succeeded on %% rows', n; END IF"
             if stmt.startswith('TRUNCATE') else
             "GET DIAGNOSTICS n = ROW_COUNT; IF n > 0 THEN RAISE EXCEPTION 'FUZZ-VIOLATION: %s changed %% rows', n; END IF"
             % stmt.split()[0])
    return ('DO $$ DECLARE n bigint; BEGIN %s; %s; %s; '
            'EXCEPTION WHEN insufficient_privilege THEN NULL; END $$;' % (before, stmt, check))

def mischief():
    """What an administrator or the extension's owner could do wrong."""
    r = rnd.random()
    ek = 'fuzz_ev_%d' % rnd.randint(0, 5)
    if r < 0.3:   # a STRICT built-in as set_requires_action_by function
        return ('SELECT cla_eventlog.register_event(%s, \'{"S": {"type": "event", "level": 11, "selectable_by": [], '
                '"description": "strict", "stops_timer": false, "set_requires_action_by": '
                '{"function": "pg_catalog.to_char(bigint,text)"}}}\');' % lit(ek))
    if r < 0.7:   # raw DML behind register_event()'s back
        v = rnd.choice(['{"x": 1}', '[1]', '5', '"operator"', 'null', '{"function": "fuzz_app.rab"}',
                        '{"function": "nope.nope"}', '{"function": "pg_catalog.to_char(bigint,text)"}',
                        '{"clear_if_owned_by": ["operator", null]}', '{"function": ""}'])
        return 'UPDATE cla_eventlog.code SET set_requires_action_by = %s WHERE event_key = %s;' % (lit(v), lit(ek))
    # the log's trigger functions on a table of one's own
    when, fn = rnd.choice([('BEFORE', '_log_validate'), ('AFTER', '_log_apply')])
    cols = ', '.join('c%d %s' % (k, rnd.choice(['int', 'bigint', 'text', 'jsonb', 'timestamptz'])) for k in range(16))
    return ('DO $$ BEGIN DROP TABLE IF EXISTS pg_temp.fake_log; CREATE TEMP TABLE fake_log (%s); '
            'CREATE TRIGGER t %s INSERT ON pg_temp.fake_log FOR EACH ROW EXECUTE FUNCTION cla_eventlog.%s(); '
            'INSERT INTO pg_temp.fake_log (c0, c1) VALUES (NULL, NULL); END $$;' % (cols, when, fn))

INTERNALS = [('_check_function', 'text text'), ('_case_table_check', 'text text[]'), ('_iso_time', 'text'),
             ('_reg_quote', 'text'), ('_reg_json', 'jsonb'), ('_reg_check_name', 'text text'),
             ('_reg_expect', 'text text jsonb text[] text text'),
             ('_reg_check_strings', 'text text jsonb boolean boolean text'),
             ('_reg_check_function', 'text text text text'), ('_reg_check_code', 'text text jsonb text[] text[]'),
             ('_mi_seconds', 'timestamptz timestamptz'), ('_case_expected', 'bigint[]'),
             ('_case_batches', 'bigint[] integer'), ('_case_mismatches', 'bigint[]'), ('_bound_case_table', ''),
             ('_status_sample', ''), ('_check_sampled_cases', 'text'), ('_check_case_binding', ''),
             ('_case_roles', ''), ('_require_binding', ''), ('_level_name', 'integer'),
             ('_require_case_role', 'text text'), ('sla_time', 'timestamptz integer'), ('opening_hours_on', 'date'),
             ('_iso_local', 'timestamptz'), ('cb1_context', 'timestamptz timestamptz text'),
             ('_disk_space', ''), ('_check_disk_space', ''),
             ('library_version', '')]
def internal_call():
    """The internal helpers PUBLIC may execute, with garbage."""
    name, types = rnd.choice(INTERNALS)
    def arg(t):
        if t == 'text': return rnd.choice([text_value(), lit(rnd.choice(['code_resolver', 'set_requires_action_by',
                                           'cla_reference.legalaid_case', 'fuzz_app.pick', 'billable_time']))])
        if t == 'text[]': return rnd.choice(['NULL', "'{}'", "ARRAY['id', 'source']", "ARRAY[NULL, 'nope']",
                                             "'{{a,b},{c,d}}'", 'ARRAY[%s]' % text_value()])
        if t == 'jsonb': return json_value(False)
        if t == 'boolean': return rnd.choice(['true', 'false', 'NULL'])
        if t == 'timestamptz': return ts_value()
        if t == 'bigint[]': return rnd.choice(['NULL', "'{}'", "'{NULL}'", 'ARRAY[%s]' % bigint_value('case')])
        return rnd.choice(['0', '-1', '1', '10000', 'NULL'])
    return 'SELECT cla_eventlog.%s(%s);' % (name, ', '.join(arg(t) for t in types.split()))

KINDS = [(log_event, 30), (insert_log, 20), (timer_call, 18), (registry_call, 9), (bind_call, 1),
         (mi_call, 9), (admin_call, 4), (setting_call, 3), (violation, 2), (mischief, 1.5), (internal_call, 2)]
def statement():
    x = rnd.uniform(0, sum(w for _, w in KINDS))
    for f, w in KINDS:
        x -= w
        if x <= 0:
            return f()
    return log_event()

files = [open('%s/session_%d.sql' % (work, s), 'w') for s in range(sessions)]
for f in files:
    f.write("\\set VERBOSITY terse\nSET statement_timeout = '20s';\nSET lock_timeout = '5s';\n")
i = 0
while i < n:
    f = files[rnd.randrange(sessions)]
    r = rnd.random()
    if r < 0.03:     # a few statements as one of the README's roles
        k = min(n - i, rnd.randint(1, 8))
        f.write('SET ROLE %s;\n' % rnd.choice(['fuzz_writer', 'fuzz_writer', 'fuzz_reader', 'fuzz_admin']))
        for _ in range(k):
            f.write(statement() + '\n')
        f.write('RESET ROLE;\n')
        i += k
    elif r < 0.08:   # an explicit transaction: each statement behind a
                     # savepoint, rolled back to when it failed (psql's
                     # :ERROR) and sometimes when it did not
        k = min(n - i, rnd.randint(2, 5))
        f.write(rnd.choice(['BEGIN;', 'BEGIN ISOLATION LEVEL REPEATABLE READ;']) + '\n')
        for j in range(k):
            f.write('SAVEPOINT s%d;\n%s\n' % (j, statement()))
            f.write('\\if :ERROR\nROLLBACK TO s%d;\n\\endif\n' % j if chance(0.8)
                    else 'ROLLBACK TO s%d;\n' % j)
        f.write(rnd.choice(['COMMIT;', 'COMMIT;', 'ROLLBACK;']) + '\n')
        i += k
    else:
        f.write(statement() + '\n')
        i += 1
for f in files:
    f.write('RESET ROLE;\n')
    f.close()
PY

# Run the sessions concurrently; -a echoes each statement, so the one that
# broke a session is the last one in its output.
started=$(date +%s)
pids=()
for s in $(seq 0 $((SESSIONS - 1))); do
    "$bindir/psql" -X -a -d "$db" -v ON_ERROR_STOP=0 -f "$work/session_$s.sql" \
        > "$work/session_$s.out" 2> "$work/session_$s.err" &
    pids+=($!)
done
for s in "${!pids[@]}"; do
    wait "${pids[$s]}"; rc=$?
    if [ "$rc" -ne 0 ]; then
        fail "session $s: psql exited with $rc; its last statements:"
        tail -c 2000 "$work/session_$s.out" | tail -5 | cut -c1-300
    fi
done
elapsed=$(( $(date +%s) - started ))

errors=$(cat "$work"/session_*.err | grep -c 'ERROR:' || true)
# A crash ends every session; the crashed backend's own session lost its
# connection without being told that another process crashed.
crashes=0
for s in $(seq 0 $((SESSIONS - 1))); do
    grep -q 'server closed the connection' "$work/session_$s.err" || continue
    crashes=1
    grep -q 'because of crash of another server process' "$work/session_$s.err" && continue
    line=$(sed -n 's/^psql:[^:]*:\([0-9]*\): server closed the connection.*/\1/p' "$work/session_$s.err" | head -1)
    fail "session $s lost its connection while running (line $line; the crashed statement is one of these):"
    sed -n "${line}p" "$work/session_$s.sql" | cut -c1-500
done
for i in $(seq 1 30); do "$bindir/pg_isready" -q -d "$db" && break; sleep 1; done
if ! after=$(psql_ -d "$db" -At -c "SELECT pg_postmaster_start_time() || ' ' || (SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer')"); then
    fail "the server does not answer"; crashes=1
elif [ "$after" != "$before" ]; then
    fail "the server restarted (postmaster start and checkpointer before: $before, after: $after)"; crashes=1
fi
[ "$crashes" -eq 0 ] || [ "$failed" -ne 0 ] || fail "sessions lost their connections"
hung=$(cat "$work"/session_*.err | grep -c 'statement timeout' || true)
[ "$hung" -eq 0 ] || { fail "$hung statements ran past the 20 s statement timeout:"; grep -h -B1 'statement timeout' "$work"/session_*.err | head -6 | cut -c1-300; }
violations=$(cat "$work"/session_*.err | grep -c 'FUZZ-VIOLATION' || true)
[ "$violations" -eq 0 ] || { fail "the log was rewritten:"; grep -h 'FUZZ-VIOLATION' "$work"/session_*.err | head -3; }

if [ "$crashes" -eq 0 ]; then
    two=$(psql_ -d "$db" -At -c "SELECT string_agg(created_by::text, ', ') FROM (SELECT created_by FROM cla_eventlog.timer
                                    WHERE stopped IS NULL GROUP BY 1 HAVING count(*) > 1) s")
    [ -z "$two" ] || fail "users with two running timers: $two"
    bad=$(psql_ -d "$db" -At -c "SELECT count(*) FROM cla_eventlog.verify()")
    [ "$bad" = 0 ] || { fail "verify() reports $bad problems:"; psql_ -d "$db" -At -c "SELECT * FROM cla_eventlog.verify() LIMIT 5"; }
    ok=$(psql_ -d "$db" -At -c "SELECT cla_eventlog.status_json() -> 'ok'")
    [ "$ok" = true ] || { fail "status is not ok:"; psql_ -d "$db" -At -c "SELECT * FROM cla_eventlog.status() WHERE NOT ok"; }
    psql_ -d "$db" -At -F ' ' -c "SELECT 'state:', (SELECT count(*) FROM cla_eventlog.log) || ' logs,',
        (SELECT count(*) FROM cla_eventlog.timer) || ' timers,', (SELECT count(*) FROM cla_eventlog.code) || ' codes'"
fi
echo "most frequent errors:"
cat "$work"/session_*.err | sed -n 's/.*ERROR:  *//p' | cut -c1-60 | sed 's/[0-9][0-9]*/N/g' | sort | uniq -c | sort -rn | head -8

echo "fuzz: $N statements, $errors errors, $crashes crashes (${elapsed}s, seed $SEED)"
exit "$failed"
