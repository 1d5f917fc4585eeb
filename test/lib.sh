# Shared shell helpers for the test, demo and bench commands.
#
# cel_install_packages   apt-get what a fresh Debian 12 machine lacks
# cel_build_install      make && make install (warnings are errors)
# cel_start_cluster PORT a throwaway cluster owned by the postgres OS user,
#                        socket in a private directory ($CEL_SOCKDIR)
# cel_stop_cluster       stop it and remove its directory

CEL_PGVER=${CEL_PGVER:-15}
# The PostgreSQL installation to build against and test with.  Another one
# (a private copy of the tree, say) can be named with CEL_PGBIN.
CEL_PGBIN=${CEL_PGBIN:-/usr/lib/postgresql/$CEL_PGVER/bin}
# One test, demo or bench run at a time per installation (it is shared).
CEL_TEST_LOCK=${CEL_TEST_LOCK:-/tmp/cla_eventlog_test.lock}

# Each need is detected by the file that is really used: postgresql-client-15
# alone ships pg_config, pgxs.mk, pg_regress and pg_isolation_regress, but
# not the server headers.  A package install may also upgrade postgresql-15
# to a newer minor release, so every command starts its cluster after this.
cel_install_packages() {
    local need=() pgxs_dir=$CEL_PGBIN/../lib/pgxs
    command -v make >/dev/null 2>&1 || need+=(make)
    command -v gcc >/dev/null 2>&1 || need+=(gcc)
    [ -f /usr/include/stdio.h ] || need+=(libc6-dev)
    [ -x "$CEL_PGBIN/postgres" ] || need+=(postgresql-$CEL_PGVER)
    [ -x "$CEL_PGBIN/pgbench" ] || need+=(postgresql-$CEL_PGVER)
    if [ ! -x "$CEL_PGBIN/pg_config" ] || [ ! -f "$pgxs_dir/src/makefiles/pgxs.mk" ] ||
       [ ! -x "$pgxs_dir/src/test/regress/pg_regress" ] ||
       [ ! -x "$pgxs_dir/src/test/isolation/pg_isolation_regress" ]; then
        need+=(postgresql-client-$CEL_PGVER)
    fi
    if [ ! -x "$CEL_PGBIN/pg_config" ] ||
       [ ! -f "$("$CEL_PGBIN/pg_config" --includedir-server)/postgres.h" ]; then
        need+=(postgresql-server-dev-$CEL_PGVER)
    fi
    [ -f "$CEL_PGBIN/../lib/amcheck.so" ] || need+=(postgresql-contrib)
    command -v python3 >/dev/null 2>&1 || need+=(python3)
    command -v valgrind >/dev/null 2>&1 || need+=(valgrind)
    # the Django test (test/t/django.sh) uses Debian's python3 and packages
    /usr/bin/python3 -c 'import django' >/dev/null 2>&1 || need+=(python3-django)
    /usr/bin/python3 -c 'import psycopg2' >/dev/null 2>&1 || need+=(python3-psycopg2)
    if [ ${#need[@]} -gt 0 ]; then
        echo "installing: ${need[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >/dev/null
        apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null || return 1
    fi
    export PATH=$CEL_PGBIN:$PATH
    export PG_CONFIG=$CEL_PGBIN/pg_config
}

cel_build_install() {
    make -s >/dev/null && make -s install >/dev/null
}

cel_start_cluster() {
    local port=$1
    CEL_CLUSTER=$(mktemp -d /tmp/cla_eventlog_cluster.XXXXXX)
    CEL_SOCKDIR=$CEL_CLUSTER/sock
    mkdir -p "$CEL_SOCKDIR"
    chown -R postgres: "$CEL_CLUSTER"
    export CEL_CLUSTER CEL_SOCKDIR
    local bin=$CEL_PGBIN
    su postgres -s /bin/sh -c "$bin/initdb -D '$CEL_CLUSTER/data' -A trust -U postgres --no-sync" >"$CEL_CLUSTER/initdb.log" 2>&1 || { cat "$CEL_CLUSTER/initdb.log"; return 1; }
    cat >> "$CEL_CLUSTER/data/postgresql.conf" <<CONF
listen_addresses = ''
port = $port
unix_socket_directories = '$CEL_SOCKDIR'
fsync = off
max_connections = 50
max_prepared_transactions = 10
shared_preload_libraries = ''
log_min_messages = warning
CONF
    # 9>&-: the server must not inherit the test lock's descriptor
    su postgres -s /bin/sh -c "$bin/pg_ctl -D '$CEL_CLUSTER/data' -l '$CEL_CLUSTER/server.log' -w start" 9>&- >/dev/null || { cat "$CEL_CLUSTER/server.log"; return 1; }
    export PGHOST=$CEL_SOCKDIR PGPORT=$port PGUSER=postgres
}

cel_stop_cluster() {
    [ -n "${CEL_CLUSTER:-}" ] || return 0
    su postgres -s /bin/sh -c "$CEL_PGBIN/pg_ctl -D '$CEL_CLUSTER/data' -m fast -w stop" >/dev/null 2>&1
    if grep -qE 'PANIC|server process .* was terminated by signal' "$CEL_CLUSTER/server.log"; then
        echo "server log shows a crash:"; grep -E 'PANIC|terminated by signal' "$CEL_CLUSTER/server.log" | head
    fi
    rm -rf "$CEL_CLUSTER"
    CEL_CLUSTER=
}
