#!/usr/bin/env bash
# lead_management: one entry point for set-up, run and test.
#
#   scripts/lm.sh setup   install what is missing (PostgreSQL, Odoo 18.0, Python requirements, Chromium)
#   scripts/lm.sh run     setup, then a database with demo data and the addon, served on :8069
#   scripts/lm.sh test    setup, then a fresh test database and the whole suite
#   scripts/lm.sh update  update the addon in the run database (LM_DB)
#   scripts/lm.sh test-at 'YYYY-MM-DD hh:mm:ss' [pytest arguments]
#                         the test command with the clocks of Odoo, Chromium and PostgreSQL moved to
#                         that UTC time (libfaketime, a throwaway PostgreSQL server)
#
# Environment: ODOO_SRC (local tree, archive or URL of the Odoo 18.0 source), LM_DB, LM_TEST_DB,
# LM_HTTP_PORT, PYTHON; PGHOST/PGPORT (or LM_DB_HOST/LM_DB_PORT) go into odoo.conf when set;
# test-at: LM_TEST_TZ (the test users' time zone), LM_CLOCK_PGPORT. LM_TEST_KEEP_GOING=1 (test, test-at):
# a failed step does not stop the run, which fails at the end.
# Everything is idempotent: a second run only does what is missing.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=${PYTHON:-python3}
ODOO_SRC=${ODOO_SRC:-https://nightly.odoo.com/18.0/nightly/src/odoo_18.0.latest.tar.gz}
ODOO_HOME=${ODOO_HOME:-${XDG_DATA_HOME:-$HOME/.local/share}/lead_management/odoo-18.0}
STATE=$ROOT/.state
LM_DB=${LM_DB:-lead_management}
LM_TEST_DB=${LM_TEST_DB:-lead_management_test}
LM_HTTP_PORT=${LM_HTTP_PORT:-8069}
PG_VERSION=${PG_VERSION:-15}
# The Odoo configuration and data dir that every command uses (test-at has its own).
CONF=$STATE/odoo.conf
DATA_DIR=$STATE/data

say() { printf '\033[1m[lead_management]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[lead_management] %s\033[0m\n' "$*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"
    elif command -v sudo >/dev/null; then sudo "$@"
    else die "'$*' needs root: run it as root or install sudo."
    fi
}

as_postgres() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}

apt_install() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    say "installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# --- PostgreSQL -----------------------------------------------------------------------------
setup_postgres() {
    apt_install "postgresql-$PG_VERSION" postgresql-contrib libpq-dev
    if ! pg_lsclusters -h 2>/dev/null | grep -q .; then
        as_root pg_createcluster "$PG_VERSION" main >/dev/null
    fi
    local version cluster
    read -r version cluster _ < <(pg_lsclusters -h | head -1)
    if ! pg_lsclusters -h | head -1 | grep -q online; then
        say "starting PostgreSQL $version/$cluster"
        as_root pg_ctlcluster "$version" "$cluster" start
    fi
    local me; me=$(id -un)
    if ! as_postgres psql -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$me'" | grep -q 1; then
        say "creating PostgreSQL role '$me'"
        as_postgres createuser --superuser "$me"
    fi
}

# --- Odoo 18.0 ------------------------------------------------------------------------------
odoo_importable() { "$PYTHON" -c "import odoo" >/dev/null 2>&1; }

fetch_odoo_source() {
    # Prints the path of an Odoo source tree built from ODOO_SRC.
    if [ -d "$ODOO_SRC" ]; then
        [ -f "$ODOO_SRC/odoo-bin" ] || die "ODOO_SRC=$ODOO_SRC is a folder but holds no odoo-bin: point it at an Odoo 18.0 source tree."
        (cd "$ODOO_SRC" && pwd); return
    fi
    if [ -f "$ODOO_HOME/odoo-bin" ]; then echo "$ODOO_HOME"; return; fi
    local archive=$ODOO_SRC
    if [[ "$ODOO_SRC" =~ ^https?:// ]]; then
        archive=$(mktemp --suffix=.tar.gz)
        say "downloading Odoo 18.0 from $ODOO_SRC"
        if ! curl -fsSL --connect-timeout 20 -o "$archive" "$ODOO_SRC"; then
            rm -f "$archive"
            die "Odoo 18.0 could not be downloaded from $ODOO_SRC. Set ODOO_SRC to a local Odoo 18.0 source tree, a .tar.gz/.zip of it, or a URL that this machine can reach, and run again."
        fi
    fi
    [ -f "$archive" ] || die "ODOO_SRC=$ODOO_SRC is neither a folder, an archive nor a URL: set it to an Odoo 18.0 source tree, archive or URL."
    local tmp; tmp=$(mktemp -d)
    case "$archive" in
        *.zip) "$PYTHON" -m zipfile -e "$archive" "$tmp" ;;
        *) tar -xf "$archive" -C "$tmp" ;;
    esac
    local bin; bin=$(find "$tmp" -maxdepth 3 -name odoo-bin -type f | head -1)
    [ -n "$bin" ] || die "$ODOO_SRC holds no odoo-bin: it is not an Odoo source archive."
    mkdir -p "$(dirname "$ODOO_HOME")"
    rm -rf "$ODOO_HOME"
    mv "$(dirname "$bin")" "$ODOO_HOME"
    rm -rf "$tmp"
    echo "$ODOO_HOME"
}

# Odoo is installed editable in setuptools' "compat" mode (a path in a .pth file, as OCA's CI images install it):
# the default "strict" mode maps the odoo package through an import hook, and an OCA wheel (odoo-addon-*, which puts
# its addon in site-packages/odoo/addons) then turns odoo into a namespace package that hides the source tree.
odoo_strict_editable() {
    "$PYTHON" -c "import glob, site, sys; sys.exit(not any(glob.glob(p + '/__editable___odoo_*finder.py') for p in site.getsitepackages()))" 2>/dev/null
}

install_odoo_editable() {
    local src=$1 constraints; constraints=$(mktemp)
    # cbor2's pinned version builds with pkg_resources, gone from setuptools 70.
    echo "setuptools<70" > "$constraints"
    PIP_CONSTRAINT=$constraints "$PYTHON" -m pip install -qq -r "$src/requirements.txt"
    PIP_CONSTRAINT=$constraints "$PYTHON" -m pip install -qq --no-deps -e "$src" --config-settings editable_mode=compat
    rm -f "$constraints"
}

setup_odoo() {
    apt_install build-essential python3-dev libpq-dev libldap2-dev libsasl2-dev libxml2-dev \
        libxslt1-dev libjpeg-dev zlib1g-dev curl
    if odoo_importable; then
        if odoo_strict_editable; then
            local installed; installed=$("$PYTHON" -c "import odoo, os; print(os.path.dirname(os.path.dirname(odoo.__file__)))")
            say "reinstalling Odoo from $installed editable in compat mode (OCA's addons from PyPI need it)"
            install_odoo_editable "$installed"
        fi
        return
    fi
    local src; src=$(fetch_odoo_source)
    say "installing Odoo 18.0 from $src into $("$PYTHON" -c 'import sys; print(sys.prefix)')"
    install_odoo_editable "$src"
    odoo_importable || die "Odoo was installed from $src but 'import odoo' still fails."
}

setup_python() {
    local stamp=$STATE/requirements.sha
    local sum; sum=$(cat "$ROOT/requirements.txt" | sha1sum | cut -c1-40)
    if [ "$(cat "$stamp" 2>/dev/null)" != "$sum" ]; then
        say "installing the project's Python requirements"
        "$PYTHON" -m pip install -qq -r "$ROOT/requirements.txt"
        echo "$sum" > "$stamp"
    fi
}

setup_browser() {
    command -v chromium >/dev/null || apt_install chromium fonts-liberation
    # Right-to-left languages (Arabic): Odoo flips its style sheets with rtlcss, from npm.
    if ! command -v rtlcss >/dev/null; then
        command -v npm >/dev/null || apt_install npm
        say "installing rtlcss (npm), for right-to-left languages"
        as_root npm install -g --silent rtlcss >/dev/null
    fi
}

write_config() {
    local src; src=$("$PYTHON" -c "import odoo, os; print(os.path.dirname(os.path.dirname(odoo.__file__)))")
    [ -f "$src/odoo-bin" ] || die "Odoo is importable from $src but that is not a source tree (no odoo-bin): reinstall it editable with ODOO_SRC, e.g. pip uninstall odoo, then run again."
    ODOO_BIN=$src/odoo-bin
    local addons=$src/addons
    # OCA addons installed from PyPI live in odoo/addons of site-packages.
    local extra; extra=$("$PYTHON" -c "import odoo.addons, os; print(','.join(p for p in odoo.addons.__path__ if os.path.isdir(p) and 'site-packages' in p))" 2>/dev/null || true)
    # The database server: libpq's default (the local cluster's socket) unless one is named.
    local db_host=${LM_DB_HOST:-${PGHOST:-False}} db_port=${LM_DB_PORT:-${PGPORT:-False}}
    cat > "$CONF" <<INI
[options]
addons_path = $ROOT,$addons${extra:+,$extra}
data_dir = $DATA_DIR
http_port = $LM_HTTP_PORT
db_host = $db_host
db_port = $db_port
admin_passwd = admin
list_db = True
log_level = info
INI
    export ODOO_RC=$CONF
}

setup() {
    mkdir -p "$STATE"
    setup_postgres
    setup_odoo
    setup_python
    setup_browser
    write_config
}

odoo() { "$PYTHON" "$ODOO_BIN" -c "$CONF" "$@"; }
db_exists() { psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$1'" | grep -q 1; }
# The addon and its intake API (lead_management_api), as make run and make test install them.
MODULES=lead_management,lead_management_api
# make run: with the apps whose signals the bridges score (website visits, mailings, events), so that the demo's
# scores are made of their events; the bridges install with them.
RUN_MODULES="$MODULES,website_crm,mass_mailing_crm,event_crm"

addon_installed() {
    db_exists "$1" && psql -d "$1" -tAc \
        "SELECT 1 FROM ir_module_module WHERE name = 'lead_management_api' AND state = 'installed'" 2>/dev/null \
        | grep -q 1
}

# --- commands -------------------------------------------------------------------------------
cmd_run() {
    setup
    if ! addon_installed "$LM_DB"; then
        say "creating database '$LM_DB' with demo data, lead_management, its intake API and its bridges to the website, email marketing and events"
        odoo -d "$LM_DB" -i "$RUN_MODULES" --stop-after-init --log-level=warn
    fi
    say "Odoo is starting on http://localhost:$LM_HTTP_PORT — log in as admin / admin (Ctrl+C stops it)"
    odoo -d "$LM_DB" --db-filter="^$LM_DB\$" "$@"
}

cmd_update() {
    setup
    odoo -d "$LM_DB" -u "$MODULES" --stop-after-init "$@"
}

# Install MODULES on a fresh database DB with Odoo's runner and run the tests selected by TAGS; fail on
# any failure or error, and when no test ran.
odoo_suite() {
    local db=$1 modules=$2 tags=$3 label=$4 port=$5
    local log=$STATE/test-$db.log
    if db_exists "$db"; then dropdb "$db"; fi
    say "$label: installing $modules on '$db' and running $tags"
    odoo -d "$db" -i "$modules" --test-enable --test-tags "$tags" --stop-after-init --log-level=test \
        --http-port="$port" >"$log" 2>&1 || true
    grep -E " (FAIL|ERROR): |[0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests" "$log" >&2 || true
    if grep -qE " (ERROR|CRITICAL) " "$log"; then die "$label failed: see $log"; fi
    grep -qE " 0 failed, 0 error\(s\) of [1-9][0-9]* tests" "$log" || die "$label ran no test or did not finish: see $log"
    # A skipped test verified nothing (a tour skips itself without Chromium or websocket-client): a failure here.
    if grep -E "odoo\.tests\.result: skipped |: skipped .* : " "$log" >&2; then die "$label skipped tests: see $log"; fi
}

cmd_test() {
    setup
    run_tests "$@"
}

# Runs a step of the test command. A failure stops the run, or, with LM_TEST_KEEP_GOING=1, is noted and
# the run goes on to the next step (to list every failure in one run; the run still fails at the end).
STEPS_FAILED=()
step() {
    local label=$1; shift
    if [ "${LM_TEST_KEEP_GOING:-}" != 1 ]; then "$@"; return; fi
    local rc
    set +e; ( set -e; "$@" ); rc=$?; set -e
    if [ "$rc" != 0 ]; then say "$label failed (exit $rc); LM_TEST_KEEP_GOING=1: going on"; STEPS_FAILED+=("$label"); fi
    return 0
}

# The test command proper, on the database server and configuration set up by the caller.
run_tests() {
    local log=$STATE/test-install.log
    if db_exists "$LM_TEST_DB"; then dropdb "$LM_TEST_DB"; fi
    # 1. Install on a fresh database with demo data, running the at-install tests as Odoo's
    #    runbot does.
    say "installing $MODULES in a fresh '$LM_TEST_DB' with Odoo's at-install tests"
    if ! odoo -d "$LM_TEST_DB" -i "$MODULES" --test-enable \
            --test-tags "at_install/lead_management,at_install/lead_management_api" \
            --stop-after-init --log-level=test --http-port="$((LM_HTTP_PORT + 100))" 2>&1 | tee "$log" \
            | grep -E " (ERROR|CRITICAL) | FAIL: |lead_management: [0-9]+ tests"; then
        :
    fi
    if grep -qE " (ERROR|CRITICAL) " "$log"; then die "installing $MODULES with their at-install tests failed: see $log"; fi
    grep -qE "lead_management: [1-9][0-9]* tests" "$log" || die "Odoo ran no at-install test of lead_management: see $log"
    # 2. Every test after install, browser tours included, through pytest-odoo.
    say "running the whole suite with pytest-odoo"
    cd "$ROOT"
    step "pytest-odoo" "$PYTHON" -m pytest --odoo-database="$LM_TEST_DB" --odoo-config="$CONF" --odoo-http "$@"
    if [ $# -eq 0 ]; then
        # 3. Odoo's own crm suite with the addon installed: installing it must break nothing crm users do.
        step "crm's suite" odoo_suite "${LM_TEST_DB}_crm" "crm,lead_management" "/crm" \
            "crm's own suite with lead_management" "$((LM_HTTP_PORT + 101))"
        # 4. Leads arriving from website forms, events, lead mining and enrichment, with those modules installed.
        #    The bridges to those apps (lead_management_event, _mass_mailing, _website) install with them and
        #    run their own tests there.
        step "test_lead_management_full" odoo_suite "${LM_TEST_DB}_full" "test_lead_management_full" \
            "/test_lead_management_full,/lead_management_event,/lead_management_mass_mailing,/lead_management_website" \
            "lead_management beside crm's companion modules" "$((LM_HTTP_PORT + 102))"
        # 5. With OCA's queue_job (PyPI, requirements.txt): the bulk work as jobs (lead_management_queue, installed with
        #    it), and its tests (with the intake API, whose queued batches are jobs too).
        step "lead_management_queue" odoo_suite "${LM_TEST_DB}_queue" "lead_management_queue,lead_management_api" "/lead_management_queue" \
            "lead_management with OCA's queue_job" "$((LM_HTTP_PORT + 102))"
        # 6. The suites of a few of OCA's crm addons (wheels from PyPI), with and without lead_management
        #    installed first: they must fail no more with it (scripts/oca_suites.py; make oca runs them all).
        step "OCA crm addons" oca_suites "$LM_CI_OCA_ADDONS" "$((LM_HTTP_PORT + 103))"
    fi
    [ ${#STEPS_FAILED[@]} -eq 0 ] || die "failed: ${STEPS_FAILED[*]} (see above)"
}

# OCA's crm addons beside lead_management: the comparison of scripts/oca_suites.py on ADDONS (empty: all of
# its list). Skipped, and said so, when their wheels cannot be had (PyPI out of reach).
LM_CI_OCA_ADDONS=${LM_CI_OCA_ADDONS:-crm_lead_firstname,crm_security_group,crm_won_reason}
oca_suites() {
    local addons=$1 port=$2 rc=0
    say "OCA crm addons ${addons:-(all)}: their suites with and without lead_management"
    "$PYTHON" "$ROOT/scripts/oca_suites.py" --config "$CONF" ${addons:+--addons "$addons"} --port "$port" \
        --prefix "${LM_TEST_DB}_oca" --report "$STATE/oca-suites.json" || rc=$?
    if [ "$rc" = 2 ]; then say "OCA crm addons: their wheels cannot be had here: not compared"; return 0; fi
    return "$rc"
}

cmd_oca() {
    setup
    oca_suites "${1:-}" "$((LM_HTTP_PORT + 103))"
}

# --- the suite on another date (test-at) ----------------------------------------------------
# Every process of the stack under test (odoo-bin and pytest, the Chromium they spawn, a throwaway
# PostgreSQL server) runs with libfaketime preloaded and one offset, FAKETIME="+<seconds>", computed once:
# their clocks agree to the second and run. A "start at" date (FAKETIME="@...") would restart at that
# date in every new process (each odoo-bin, each Chromium), leaving PostgreSQL, started first, ahead.
LM_CLOCK_PGPORT=${LM_CLOCK_PGPORT:-5440}
CLOCK=$STATE/clock            # the throwaway server's data dir, log, Odoo config and Odoo data dir
CLOCK_SOCK=                   # its unix-socket dir, in /tmp (a socket path is limited to 107 bytes)
PG_BIN=/usr/lib/postgresql/$PG_VERSION/bin

faketime_lib() {
    local lib; lib=$(dpkg -L libfaketime 2>/dev/null | grep -m1 '/libfaketime\.so\.1$' || true)
    [ -f "${lib:-/nonexistent}" ] || die "libfaketime is installed but its libfaketime.so.1 was not found (dpkg -L libfaketime)."
    echo "$lib"
}

# Stops the throwaway server (also one left by a killed run) and removes its files; keeps its log.
clock_pg_stop() {
    if [ -f "$CLOCK/pgdata/postmaster.pid" ]; then
        as_postgres "$PG_BIN/pg_ctl" -D "$CLOCK/pgdata" -m fast -w -t 60 stop >/dev/null 2>&1 \
            || as_postgres "$PG_BIN/pg_ctl" -D "$CLOCK/pgdata" -m immediate -w -t 60 stop >/dev/null 2>&1 || true
    fi
    if [ -f "$CLOCK/postgres.log" ]; then cp "$CLOCK/postgres.log" "$STATE/test-at-postgres.log"; fi
    local sock=$CLOCK_SOCK
    if [ -z "$sock" ] && [ -f "$CLOCK/socket-dir" ]; then sock=$(cat "$CLOCK/socket-dir"); fi
    as_root rm -rf "$CLOCK"
    case "$sock" in /tmp/lm-pg-clock.*) as_root rm -rf "$sock" ;; esac
}

# libfaketime leaves a semaphore and a shared-memory file in /dev/shm for most processes it ran in
# (named by their pid; harmless, but thousands in a full run): remove this run's, once their process is gone.
FAKETIME_MARK=
faketime_shm_cleanup() {
    [ -n "$FAKETIME_MARK" ] && [ -f "$FAKETIME_MARK" ] || return 0
    local file pid
    while IFS= read -r file; do
        pid=${file##*_}
        if ! kill -0 "$pid" 2>/dev/null; then rm -f "$file"; fi
    done < <(find /dev/shm -maxdepth 1 -newer "$FAKETIME_MARK" \
        \( -name 'faketime_shm_*' -o -name 'sem.faketime_sem_*' \) 2>/dev/null)
    rm -f "$FAKETIME_MARK"
}

clock_pg_cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    unset LD_PRELOAD FAKETIME
    say "stopping the throwaway PostgreSQL and removing $CLOCK"
    clock_pg_stop
    faketime_shm_cleanup
    exit "$rc"
}

# A PostgreSQL server of its own (data dir under .state/, own port and socket dir, reachable on that
# socket only) whose clock is moved by FAKETIME: clock_pg_init makes it, clock_pg_start starts it and
# points everything at it (PGHOST/PGPORT).
clock_pg_init() {
    local port=$LM_CLOCK_PGPORT
    # As the local cluster was made, so that sorting and the server's time zone are make test's.
    local locale=C.UTF-8 timezone=UTC row
    row=$(psql -d postgres -tAXc "SELECT datcollate || ' ' || current_setting('TimeZone')
                                  FROM pg_database WHERE datname = 'template1'" 2>/dev/null || true)
    if [ -n "$row" ]; then read -r locale timezone <<<"$row"; fi
    clock_pg_stop
    as_root install -d -m 755 "$CLOCK"
    as_root install -d -o postgres -g postgres -m 700 "$CLOCK/pgdata"
    as_root install -o postgres -g postgres -m 644 /dev/null "$CLOCK/postgres.log"
    CLOCK_SOCK=$(mktemp -d /tmp/lm-pg-clock.XXXXXX)
    echo "$CLOCK_SOCK" > "$CLOCK/socket-dir"
    chmod 755 "$CLOCK_SOCK"
    as_root chown postgres:postgres "$CLOCK_SOCK"
    (cd / && as_postgres "$PG_BIN/initdb" -D "$CLOCK/pgdata" -U postgres --auth=trust -E UTF8 \
        --locale="$locale") >"$STATE/test-at-initdb.log" 2>&1 \
        || die "initdb of the throwaway PostgreSQL failed: see $STATE/test-at-initdb.log"
    # Trust, on a socket in a fresh directory only: root (or, not root, the local users) for this run.
    local perms=0777; if [ "$(id -u)" = 0 ]; then perms=0700; fi
    as_postgres tee -a "$CLOCK/pgdata/postgresql.conf" >/dev/null <<PGCONF

# lead_management test-at: a throwaway server on its own socket, its clock moved
port = $port
listen_addresses = ''
unix_socket_directories = '$CLOCK_SOCK'
unix_socket_permissions = $perms
timezone = '$timezone'
fsync = off
synchronous_commit = off
full_page_writes = off
PGCONF
}

clock_pg_start() {
    local lib=$1 faketime=$2 port=$LM_CLOCK_PGPORT
    say "starting a throwaway PostgreSQL $PG_VERSION (socket $CLOCK_SOCK, port $port) with FAKETIME=$faketime"
    # (fd 9, the work tree's test-at lock, is not left to the server: a server outliving a killed run
    # must not hold it.)
    (cd / && as_postgres env LD_PRELOAD="$lib" FAKETIME="$faketime" "$PG_BIN/pg_ctl" -D "$CLOCK/pgdata" \
        -l "$CLOCK/postgres.log" -w -t 120 start >/dev/null 9>&-) \
        || die "the throwaway PostgreSQL did not start: see $STATE/test-at-postgres.log"
    local me; me=$(id -un)
    if [ "$me" != postgres ]; then
        as_postgres "$PG_BIN/createuser" -h "$CLOCK_SOCK" -p "$port" --superuser "$me"
    fi
    # psql, dropdb, createdb, odoo-bin (db_host/db_port) and the tests' subprocesses follow these.
    export PGHOST=$CLOCK_SOCK PGPORT=$port
}

# What Chromium's JavaScript says new Date() is, from a headless run like the tours'.
chromium_date() {
    local bin; bin=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
    [ -n "$bin" ] || die "no Chromium found: run scripts/lm.sh setup."
    local profile dom; profile=$(mktemp -d)
    dom=$(timeout 120 "$bin" --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$profile" \
        --dump-dom 'data:text/html,<script>document.write(new Date().toISOString())</script>' 2>/dev/null || true)
    rm -rf "$profile"
    sed -n 's:.*<body>\([^<]*\)</body>.*:\1:p' <<<"$dom"
}

# Prints a clock and fails when it is not within 10 minutes of the target (libfaketime did not take).
check_clock() {
    local name=$1 value=$2 target=$3 seconds
    seconds=$(date -u -d "$value" +%s 2>/dev/null) || die "$name's clock could not be read (it said '$value')."
    say "  $(printf '%-28s' "$name") $value"
    [ $(( seconds > target ? seconds - target : target - seconds )) -le 600 ] \
        || die "$name's clock ($value) is not on the moved time: libfaketime did not take hold."
}

cmd_test_at() {
    local at=${1:-}
    [ -n "$at" ] || die "usage: $0 test-at 'YYYY-MM-DD hh:mm:ss' [pytest arguments] (a UTC time), e.g. make test-at AT=\"2026-12-31 23:30:00\" TZ_USER=Pacific/Tongatapu"
    shift
    local target; target=$(date -u -d "$at" +%s 2>/dev/null) || die "AT='$at' is not a date: give 'YYYY-MM-DD hh:mm:ss' (UTC)."
    setup
    if [ -n "${LM_TEST_TZ:-}" ]; then
        "$PYTHON" -c 'import sys, pytz; pytz.timezone(sys.argv[1])' "$LM_TEST_TZ" 2>/dev/null \
            || die "TZ_USER/LM_TEST_TZ='$LM_TEST_TZ' is not a time zone (e.g. Pacific/Tongatapu)."
        export LM_TEST_TZ
    fi
    apt_install faketime libfaketime
    local lib; lib=$(faketime_lib)
    # One test-at at a time in a work tree: they would share .state/clock.
    exec 9>"$STATE/test-at.lock"
    flock -n 9 || die "another test-at runs in this work tree ($ROOT): wait for it, or use another work tree."
    FAKETIME_MARK=$(mktemp)
    trap clock_pg_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    clock_pg_init
    # The offset from the real clock, computed once, just before the first process that uses it.
    local offset; offset=$(printf '%+d' "$(( target - $(date -u +%s) ))")
    say "real clock: $(date -u '+%F %T') UTC; moving the stack to $(date -u -d "@$target" '+%F %T') UTC (FAKETIME=$offset)"
    clock_pg_start "$lib" "$offset"
    CONF=$CLOCK/odoo.conf
    DATA_DIR=$CLOCK/data
    write_config
    # From here on every process started inherits the moved clock. FAKETIME_DONT_FAKE_MONOTONIC=1
    # would make Python's time.sleep fail (EINVAL).
    unset FAKETIME_DONT_FAKE_MONOTONIC
    export LD_PRELOAD=$lib${LD_PRELOAD:+:$LD_PRELOAD} FAKETIME=$offset
    say "the clocks of the stack under test:"
    check_clock "Python datetime.utcnow()" "$("$PYTHON" -W ignore -c \
        'import datetime; print(datetime.datetime.utcnow().isoformat(timespec="milliseconds") + "Z")')" "$target"
    check_clock "PostgreSQL SELECT now()" "$(psql -d postgres -tAXc \
        "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')")" "$target"
    check_clock "Chromium new Date()" "$(chromium_date)" "$target"
    if [ -n "${LM_TEST_TZ:-}" ]; then
        say "  test users' time zone        $LM_TEST_TZ (there: $(TZ=$LM_TEST_TZ date -d "@$target" '+%F %T %z'))"
    fi
    run_tests "$@"
}

cmd_bench() {
    setup
    cd "$ROOT"
    "$PYTHON" bench/run.py "$@"
}

cmd_lint() {
    mkdir -p "$STATE"
    setup_python
    cd "$ROOT"
    say "ruff"
    "$PYTHON" -m ruff check lead_management lead_management_api lead_management_event lead_management_mass_mailing \
        lead_management_website lead_management_queue test_lead_management_full tests bench scripts conftest.py
    say "pylint-odoo"
    "$PYTHON" -m pylint --rcfile=.pylintrc lead_management lead_management_api lead_management_event \
        lead_management_mass_mailing lead_management_website lead_management_queue test_lead_management_full
}

case "${1:-}" in
    setup) setup ;;
    lint) cmd_lint ;;
    run) shift; cmd_run "$@" ;;
    test) shift; cmd_test "$@" ;;
    test-at) shift; cmd_test_at "$@" ;;
    oca) shift; cmd_oca "$@" ;;
    bench) shift; cmd_bench "$@" ;;
    update) shift; cmd_update "$@" ;;
    *) echo "usage: $0 setup|run|test|test-at|oca|bench|lint|update [extra arguments]" >&2; exit 2 ;;
esac
