#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for voltdesk's integration tests.
#
#   eval "$(scripts/pg-test-cluster.sh start)"   # exports VOLTDESK_TEST_PG and VOLTDESK_PG_DIR
#   cargo test --workspace
#   scripts/pg-test-cluster.sh stop              # stops it and deletes its directory
#
# `start` prints only `export ...` lines on stdout; everything else goes to stderr.
# The cluster lives in a fresh directory under /tmp, listens on 127.0.0.1 only (first free
# port from 55432, or --port N / VOLTDESK_PG_PORT), trusts every local connection and has
# one superuser `voltdesk` (tests create a database or schema per test, so it needs
# CREATEDB) and one database `voltdesk_test`.
#
# PostgreSQL refuses to run as root. Run as root (as CI does), the script creates the system
# user `voltdesk-ci` if missing and runs initdb/pg_ctl as that user through runuser.
#
# The cluster is tuned for tests, not for keeping data: fsync, synchronous_commit and
# full_page_writes are off (a crash of PostgreSQL itself may lose data; a crash of the
# voltdesk server under test does not). Pass --durable to keep PostgreSQL's defaults.
#
# Subcommands:
#   start [--port N] [--durable]   start a cluster, print the export lines
#   stop [DIR]                     stop the cluster in DIR, $VOLTDESK_PG_DIR, or the last started
#   status [DIR]                   print whether it runs (exit 0) or not (exit 1)
#   env [DIR]                      print the export lines of a running cluster again
set -euo pipefail

readonly DB_USER=voltdesk
readonly DB_NAME=voltdesk_test
readonly OS_USER="${VOLTDESK_PG_OS_USER:-voltdesk-ci}"
readonly BASE_DIR="${VOLTDESK_PG_BASE:-/tmp}"
readonly LAST_FILE="$BASE_DIR/voltdesk-pg-test.last"

log() { printf 'pg-test-cluster: %s\n' "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}

# Finds the PostgreSQL 15 server binaries: PATH first, then Debian's versioned directory.
find_bindir() {
    local d
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        d="$(dirname "$(readlink -f "$(command -v initdb)")")"
        if [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ]; then
            echo "$d"
            return
        fi
    fi
    for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ]; then
            echo "$d"
            return
        fi
    done
    die "initdb/pg_ctl not found (install Debian's postgresql-15)"
}

# Runs a command as the cluster's owner: ourselves, or OS_USER when we are root.
as_owner() {
    if [ "$(id -u)" -ne 0 ]; then
        "$@"
    elif command -v runuser >/dev/null 2>&1; then
        runuser -u "$OS_USER" -- "$@"
    else
        su -s /bin/sh "$OS_USER" -c "$(printf '%q ' "$@")"
    fi
}

ensure_os_user() {
    [ "$(id -u)" -eq 0 ] || return 0
    if ! id -u "$OS_USER" >/dev/null 2>&1; then
        log "creating system user $OS_USER"
        useradd --system --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin "$OS_USER" >&2
    fi
}

# True if something accepts connections on 127.0.0.1:$1 or a listener is bound to the port.
port_in_use() {
    local port="$1"
    if command -v ss >/dev/null 2>&1; then
        ss -Hltn "sport = :$port" 2>/dev/null | grep -q . && return 0
    fi
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    return 1
}

print_env() {
    local dir="$1" port
    port="$(cat "$dir/port")"
    printf 'export VOLTDESK_TEST_PG=%s\n' "postgres://$DB_USER@127.0.0.1:$port/$DB_NAME"
    printf 'export VOLTDESK_PG_DIR=%s\n' "$dir"
}

resolve_dir() {
    local dir="${1:-${VOLTDESK_PG_DIR:-}}"
    if [ -z "$dir" ] && [ -f "$LAST_FILE" ]; then
        dir="$(cat "$LAST_FILE")"
    fi
    echo "$dir"
}

cmd_start() {
    local port="${VOLTDESK_PG_PORT:-55432}" durable=0
    while [ $# -gt 0 ]; do
        case "$1" in
        --port)
            port="${2:?--port needs a number}"
            shift 2
            ;;
        --durable)
            durable=1
            shift
            ;;
        *) die "unknown option for start: $1" ;;
        esac
    done

    local bindir
    bindir="$(find_bindir)"
    ensure_os_user

    local dir
    dir="$(mktemp -d "$BASE_DIR/voltdesk-pg.XXXXXX")"
    chmod 0755 "$dir"
    mkdir "$dir/data"
    if [ "$(id -u)" -eq 0 ]; then
        chown -R "$OS_USER:" "$dir"
    fi
    # Run from a directory the owner can read, so postgres never trips over root's cwd.
    cd "$dir"

    log "initdb in $dir/data ($("$bindir/postgres" --version))"
    if ! as_owner "$bindir/initdb" --pgdata="$dir/data" --username="$DB_USER" \
        --auth=trust --encoding=UTF8 --locale=C.UTF-8 --no-instructions >"$dir/initdb.log" 2>&1; then
        cat "$dir/initdb.log" >&2
        die "initdb failed"
    fi

    local settings=(
        "listen_addresses = '127.0.0.1'"
        "unix_socket_directories = '$dir'"
        "max_connections = 300"
        "shared_buffers = 128MB"
        "log_min_messages = warning"
        "timezone = 'UTC'"
    )
    if [ "$durable" -eq 0 ]; then
        settings+=("fsync = off" "synchronous_commit = off" "full_page_writes = off")
    fi
    printf '%s\n' "${settings[@]}" | as_owner tee -a "$dir/data/postgresql.conf" >/dev/null

    # Another cluster (or anything else) may hold the port, or take it between our check and
    # the server's bind: try the next ports.
    local tries=0 started=0
    while [ $tries -lt 50 ]; do
        if ! port_in_use "$port"; then
            if as_owner "$bindir/pg_ctl" --pgdata="$dir/data" --log="$dir/server.log" \
                --options="-p $port" --wait --timeout=60 start >&2; then
                started=1
                break
            fi
            log "start on port $port failed, trying the next one"
            tail -n 5 "$dir/server.log" >&2 || true
        fi
        port=$((port + 1))
        tries=$((tries + 1))
    done
    if [ $started -eq 0 ]; then
        die "could not start PostgreSQL (see $dir/server.log)"
    fi
    echo "$port" >"$dir/port"
    echo "$dir" >"$LAST_FILE"

    if ! as_owner "$bindir/psql" -X -q -h 127.0.0.1 -p "$port" -U "$DB_USER" -d postgres \
        -v ON_ERROR_STOP=1 -c "CREATE DATABASE $DB_NAME" >&2; then
        as_owner "$bindir/pg_ctl" --pgdata="$dir/data" --mode=immediate stop >&2 || true
        die "could not create database $DB_NAME"
    fi
    log "PostgreSQL listening on 127.0.0.1:$port, database $DB_NAME, superuser $DB_USER"
    print_env "$dir"
}

cmd_stop() {
    local bindir dir
    dir="$(resolve_dir "${1:-}")"
    [ -n "$dir" ] || die "no cluster to stop (no DIR, no VOLTDESK_PG_DIR, no $LAST_FILE)"
    case "$dir" in
    "$BASE_DIR"/voltdesk-pg.*) ;;
    *) die "refusing to stop/delete $dir: not a directory this script made" ;;
    esac
    if [ ! -d "$dir" ]; then
        log "$dir is gone already"
        rm -f "$LAST_FILE"
        return 0
    fi
    bindir="$(find_bindir)"
    if [ -f "$dir/data/postmaster.pid" ]; then
        cd "$dir"
        as_owner "$bindir/pg_ctl" --pgdata="$dir/data" --mode=fast --wait --timeout=60 stop >&2 ||
            as_owner "$bindir/pg_ctl" --pgdata="$dir/data" --mode=immediate stop >&2 || true
        cd /
    fi
    rm -rf "$dir"
    if [ -f "$LAST_FILE" ] && [ "$(cat "$LAST_FILE")" = "$dir" ]; then
        rm -f "$LAST_FILE"
    fi
    log "stopped and removed $dir"
}

cmd_status() {
    local bindir dir
    dir="$(resolve_dir "${1:-}")"
    if [ -z "$dir" ] || [ ! -d "$dir/data" ]; then
        log "no cluster"
        return 1
    fi
    bindir="$(find_bindir)"
    cd "$dir"
    as_owner "$bindir/pg_ctl" --pgdata="$dir/data" status >&2
}

cmd_env() {
    local dir
    dir="$(resolve_dir "${1:-}")"
    [ -n "$dir" ] && [ -f "$dir/port" ] || die "no running cluster"
    print_env "$dir"
}

main() {
    local cmd="${1:-}"
    [ $# -gt 0 ] && shift
    case "$cmd" in
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    status) cmd_status "$@" ;;
    env) cmd_env "$@" ;;
    *)
        sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
        exit 2
        ;;
    esac
}

main "$@"
