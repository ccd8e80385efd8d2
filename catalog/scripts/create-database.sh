#!/bin/sh
# create-database: the "service-database" action (catalog/service-database.yaml).
#
# PostgreSQL, when RUNWAY_DEMO_POSTGRES_URL is set (an admin URL such as
# postgres://postgres@127.0.0.1:5432/postgres) and the engine is postgres: creates the login
# role <service>_<environment> (hyphens become underscores) with a generated password and a
# database of the same name owned by it. Otherwise, SQLite: creates
# $RUNWAY_STATE_DIR/databases/<service>-<environment>.db (with sqlite3, else python3).
#
# Outputs:  engine, database, host, username, password (secret), connection_url (secret),
#           backups; for SQLite: engine, database, host, backups.
#           JSON in $RUNWAY_OUTPUTS; stdout if unset.
# Exit:     0 created, 64 bad arguments, 65 database (or role) already exists, 1 anything else.
#           A retry of the same request (same RUNWAY_REQUEST_ID) finds its database and reports
#           it again (PostgreSQL: with a new password) instead of failing.
#
# The password never appears in argv (SQL goes to psql on stdin), stdout or stderr. An admin
# password in RUNWAY_DEMO_POSTGRES_URL is moved to a private password file, not passed in argv.
set -eu

prog='create-database'
umask 077

usage() {
    cat <<'EOF'
usage: create-database.sh --service NAME --team TEAM --engine postgres|sqlite
                          [--size small|medium|large]
                          --environment development|staging|production
                          [--backups true|false] [--retention-days 7|14|21|28|35]

With RUNWAY_DEMO_POSTGRES_URL set and --engine postgres: a role and database
<service>_<environment> on that server (psql needed). Otherwise an SQLite file in
$RUNWAY_STATE_DIR/databases/. Outputs are written as JSON to $RUNWAY_OUTPUTS, or to stdout
when it is not set.

Exit status: 0 created, 64 invalid arguments, 65 already exists, 1 other failure.
EOF
}

# One line on stderr, whatever the message holds.
say_err() {
    printf '%s: %s\n' "$prog" "$(printf '%s' "$1" | tr '\n\r\t' '   ' | cut -c 1-400)" >&2
}
die() { say_err "$1"; exit 64; }         # invalid arguments
fail() { say_err "$1"; exit "${2:-1}"; } # the work failed

# ---------------------------------------------------------------- temporary files, cleanup
work=''
tmpdb=''
cleanup() {
    if [ -n "$tmpdb" ]; then rm -f -- "$tmpdb" "$tmpdb-journal"; fi
    if [ -n "$work" ]; then rm -rf -- "$work"; fi
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- JSON outputs
# json_str: print stdin as a JSON string literal. The input must end with one extra '.'
# (a sentinel, so a trailing newline survives); it is dropped.
json_str() {
    LC_ALL=C awk '
        function esc(s,    out, i, n, c) {
            out = ""
            n = length(s)
            for (i = 1; i <= n; i++) {
                c = substr(s, i, 1)
                if (c == "\\") out = out "\\\\"
                else if (c == "\"") out = out "\\\""
                else if (c in ctl) out = out ctl[c]
                else out = out c
            }
            return out
        }
        BEGIN {
            for (i = 1; i < 32; i++) ctl[sprintf("%c", i)] = sprintf("\\u%04x", i)
            ctl["\t"] = "\\t"; ctl["\r"] = "\\r"; ctl["\b"] = "\\b"; ctl["\f"] = "\\f"
            printf "\""
        }
        NR > 1 { printf "%s\\n", esc(prev) }
        { prev = $0 }
        END { printf "%s\"", esc(substr(prev, 1, length(prev) - 1)) }
    '
}
# printf is a shell builtin: a value piped this way never appears in a process's argv.
json_of() { printf '%s.' "$1" | json_str; }

# output NAME LABEL KIND VALUE: add one output.
output() {
    if [ -s "$work/outputs" ]; then printf ',\n' >>"$work/outputs"; fi
    {
        printf '    {"name": %s, "label": %s, "kind": %s, "value": ' \
            "$(json_of "$1")" "$(json_of "$2")" "$(json_of "$3")"
        json_of "$4"
        printf '}'
    } >>"$work/outputs"
}

write_outputs() {
    if [ -n "${RUNWAY_OUTPUTS:-}" ]; then
        { printf '{"outputs": [\n'; cat -- "$work/outputs"; printf '\n]}\n'; } 2>/dev/null >"$RUNWAY_OUTPUTS" ||
            fail "cannot write the outputs to $RUNWAY_OUTPUTS"
    else
        printf '%s: RUNWAY_OUTPUTS is not set; outputs (including any password) follow on stdout\n' \
            "$prog" >&2
        printf '{"outputs": [\n'
        cat -- "$work/outputs"
        printf '\n]}\n'
    fi
}

# ---------------------------------------------------------------- arguments
service=''
team=''
engine=''
size=''
environment=''
backups=''
retention_days=''

while [ "$#" -gt 0 ]; do
    case "$1" in
        -h | --help)
            usage
            exit 0
            ;;
        --service=* | --team=* | --engine=* | --size=* | --environment=* | --backups=* | --retention-days=*)
            opt=${1%%=*}
            val=${1#*=}
            shift
            ;;
        --service | --team | --engine | --size | --environment | --backups | --retention-days)
            [ "$#" -ge 2 ] || die "missing value for $1"
            opt=$1
            val=$2
            shift 2
            ;;
        *)
            die "unknown argument: $1 (see --help)"
            ;;
    esac
    case "$opt" in
        --service) service=$val ;;
        --team) team=$val ;;
        --engine) engine=$val ;;
        --size) size=$val ;;
        --environment) environment=$val ;;
        --backups) backups=$val ;;
        --retention-days) retention_days=$val ;;
    esac
done

# Empty means "not given": use the form's defaults.
size=${size:-small}
backups=${backups:-true}

[ -n "$service" ] || die "--service is required"
case "$service" in
    *[!a-z0-9-]*) die "service name may use only a-z, 0-9 and '-': $service" ;;
    [a-z]?*) ;;
    *) die "service name must start with a lowercase letter and have 2 to 40 characters: $service" ;;
esac
[ "${#service}" -le 40 ] || die "service name must have 2 to 40 characters: $service"

[ -n "$team" ] || die "--team is required"
case "$team" in
    *[!a-z0-9-]* | -* | *- | *--*) die "team must be a slug (lowercase letters, digits, single hyphens): $team" ;;
esac
[ "${#team}" -le 64 ] || die "team name is longer than 64 characters: $team"

case "$engine" in
    postgres | sqlite) ;;
    '') die "--engine is required (postgres or sqlite)" ;;
    *) die "unknown engine: $engine (postgres or sqlite)" ;;
esac
case "$size" in
    small) connections=50 storage='20 GiB' ;;
    medium) connections=200 storage='100 GiB' ;;
    large) connections=500 storage='500 GiB' ;;
    *) die "unknown size: $size (small, medium or large)" ;;
esac
case "$environment" in
    development | staging | production) ;;
    '') die "--environment is required (development, staging or production)" ;;
    *) die "unknown environment: $environment (development, staging or production)" ;;
esac
case "$backups" in
    true | false) ;;
    *) die "--backups expects true or false, got: $backups" ;;
esac
if [ "$backups" = 'true' ]; then
    retention_days=${retention_days:-14}
    case "$retention_days" in
        7 | 14 | 21 | 28 | 35) ;;
        *) die "--retention-days must be 7, 14, 21, 28 or 35, got: $retention_days" ;;
    esac
    backups_summary="Nightly, kept $retention_days days (policy recorded with the database; this demo installation runs no backup job)"
else
    backups_summary='None (switched off in the request)'
fi

# The request id is recorded with the database so that a retry can find it. Only a plain id
# is embedded in SQL.
request_id=''
case "${RUNWAY_REQUEST_ID:-}" in
    '' | *[!A-Za-z0-9._:-]*) ;;
    *) request_id=$RUNWAY_REQUEST_ID ;;
esac
created_at=$(date -u '+%Y-%m-%dT%H:%M:%SZ')

work=$(mktemp -d) || fail "cannot create a temporary directory"
chmod 700 "$work"
: >"$work/outputs"
# Check before doing anything that the outputs can be delivered.
if [ -n "${RUNWAY_OUTPUTS:-}" ]; then
    : >>"$RUNWAY_OUTPUTS" 2>/dev/null || fail "cannot write the outputs file $RUNWAY_OUTPUTS"
fi

# ================================================================ PostgreSQL
create_postgres() {
    command -v psql >/dev/null 2>&1 ||
        fail "RUNWAY_DEMO_POSTGRES_URL is set but psql is not installed (apt-get install postgresql-client)"
    command -v openssl >/dev/null 2>&1 || fail "openssl is not installed (needed to generate the password)"

    # PostgreSQL identifiers cannot contain '-'; both are at most 40+1+11 characters.
    ident=$(printf '%s_%s' "$service" "$environment" | tr '-' '_')
    comment="Runway: service=$service environment=$environment team=$team size=$size"
    if [ "$backups" = 'true' ]; then
        comment="$comment backups=nightly/${retention_days}d"
    else
        comment="$comment backups=none"
    fi
    if [ -n "$request_id" ]; then comment="$comment request=$request_id"; fi

    # The admin URL: a password in it goes to a private pgpass file, not to psql's argv.
    admin_url=$RUNWAY_DEMO_POSTGRES_URL
    case "$admin_url" in
        postgres://* | postgresql://*) ;;
        *) fail "RUNWAY_DEMO_POSTGRES_URL must be a postgres:// URL" ;;
    esac
    scheme=${admin_url%%://*}
    rest=${admin_url#*://}
    authority=${rest%%[/?]*}
    path_query=${rest#"$authority"}
    case "$authority" in
        *@*) userinfo=${authority%@*} hostport=${authority##*@} ;;
        *) userinfo='' hostport=$authority ;;
    esac
    case "$userinfo" in
        *:*)
            admin_user=${userinfo%%:*}
            # pgpass line "*:*:*:*:password", the password percent-decoded and ':' '\' escaped.
            printf '%s' "${userinfo#*:}" | LC_ALL=C awk '
                BEGIN { for (i = 1; i < 256; i++) hex[sprintf("%02x", i)] = sprintf("%c", i) }
                {
                    s = $0; out = ""
                    for (i = 1; i <= length(s); i++) {
                        c = substr(s, i, 1)
                        if (c == "%" && (tolower(substr(s, i + 1, 2)) in hex)) {
                            c = hex[tolower(substr(s, i + 1, 2))]
                            i += 2
                        }
                        if (c == "\\" || c == ":") out = out "\\"
                        out = out c
                    }
                    printf "*:*:*:*:%s\n", out
                }' >"$work/pgpass"
            chmod 600 "$work/pgpass"
            PGPASSFILE="$work/pgpass"
            export PGPASSFILE
            admin_url="$scheme://${admin_user:+$admin_user@}$hostport$path_query"
            ;;
    esac
    PGCONNECT_TIMEOUT=${PGCONNECT_TIMEOUT:-10}
    PGAPPNAME='runway-create-database'
    export PGCONNECT_TIMEOUT PGAPPNAME

    # psql_run ERRFILE: run the SQL on stdin; tuples only, unaligned; stops at the first error.
    psql_run() {
        psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$admin_url" 2>"$1"
    }
    # psql_reason ERRFILE: the first error line, without psql's prefix or anything quoting SQL.
    psql_reason() {
        reason=$(grep -E 'ERROR:|FATAL:|error:' "$1" | head -n 1 |
            sed -e 's/^psql:[^ ]*: //' -e 's/^psql: error: //' -e 's/^ERROR: *//' -e 's/^FATAL: *//' || true)
        [ -n "$reason" ] || reason=$(grep -v '^[[:space:]]*$' "$1" | grep -v '^LINE ' | head -n 1 || true)
        case "$reason" in
            *"${password:-/nothing/}"*) reason='(message withheld: it quoted the password)' ;;
        esac
        printf '%s' "${reason:-unknown error}"
    }

    # --- what is there already
    psql_run "$work/err" >"$work/pre" <<EOF ||
\\echo host :HOST
\\echo port :PORT
SELECT 'db ' || count(*) FROM pg_database WHERE datname = '$ident';
SELECT 'role ' || count(*) FROM pg_roles WHERE rolname = '$ident';
SELECT 'comment ' || coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database WHERE datname = '$ident';
SELECT 'can ' || (rolsuper OR (rolcreatedb AND rolcreaterole))::text FROM pg_roles WHERE rolname = current_user;
EOF
        fail "cannot query the PostgreSQL server: $(psql_reason "$work/err")"
    db_host=$(sed -n 's/^host //p' "$work/pre" | head -n 1)
    db_port=$(sed -n 's/^port //p' "$work/pre" | head -n 1)
    db_exists=$(sed -n 's/^db //p' "$work/pre")
    role_exists=$(sed -n 's/^role //p' "$work/pre")
    db_comment=$(sed -n 's/^comment //p' "$work/pre")
    can_create=$(sed -n 's/^can //p' "$work/pre")
    db_port=${db_port:-5432}
    case "$db_host" in
        /*)
            host_label="$db_host (Unix socket), port $db_port"
            url_host=''
            url_query="?host=$(printf '%s' "$db_host" | sed 's|/|%2F|g')&port=$db_port"
            ;;
        *:*)
            host_label="[$db_host]:$db_port"
            url_host=$host_label
            url_query=''
            ;;
        *)
            host_label="$db_host:$db_port"
            url_host=$host_label
            url_query=''
            ;;
    esac

    # A new password: 32 random bytes, base64url, 43 characters.
    password=$(openssl rand -base64 32 | tr '+/' '-_' | tr -d '=\n') ||
        fail "cannot generate a password"
    [ "${#password}" -ge 24 ] || fail "cannot generate a password"

    retry=false
    if [ "$db_exists" != '0' ]; then
        if [ -n "$request_id" ] && [ "$db_comment" = "$comment" ] && [ "$role_exists" != '0' ]; then
            retry=true
        else
            fail "database $ident already exists on $host_label" 65
        fi
    elif [ "$role_exists" != '0' ]; then
        fail "role $ident already exists on $host_label, without a database (another request may be creating it, or an earlier one failed: ask the data team)" 65
    fi
    [ "$can_create" = 'true' ] || [ "$retry" = 'true' ] ||
        fail "the account in RUNWAY_DEMO_POSTGRES_URL may not create roles and databases (it needs CREATEROLE and CREATEDB, or superuser)"

    if [ "$retry" = 'true' ]; then
        # Same request again: the first attempt's password was never delivered, so set a new one.
        psql_run "$work/err" >/dev/null <<EOF ||
SET password_encryption = 'scram-sha-256';
ALTER ROLE "$ident" WITH PASSWORD '$password';
EOF
            fail "cannot set a new password for role $ident: $(psql_reason "$work/err")"
        printf 'Database %s was already created by this request (%s); its password was reset\n' \
            "$ident" "$request_id"
    else
        # Role, then database (CREATE DATABASE cannot run in a transaction); undo on failure.
        psql_run "$work/err" >/dev/null <<EOF ||
SET password_encryption = 'scram-sha-256';
CREATE ROLE "$ident" WITH LOGIN PASSWORD '$password' CONNECTION LIMIT $connections;
EOF
            {
                if grep -q 'already exists' "$work/err"; then
                    fail "role $ident already exists on $host_label" 65
                fi
                fail "cannot create role $ident: $(psql_reason "$work/err")"
            }
        if ! psql_run "$work/err" >/dev/null <<EOF; then
CREATE DATABASE "$ident" OWNER "$ident";
EOF
            reason=$(psql_reason "$work/err")
            printf 'DROP ROLE IF EXISTS "%s";\n' "$ident" | psql_run "$work/err2" >/dev/null || true
            case "$reason" in
                *'already exists'*) fail "database $ident already exists on $host_label" 65 ;;
            esac
            fail "cannot create database $ident: $reason"
        fi
        if ! psql_run "$work/err" >/dev/null <<EOF; then
REVOKE ALL ON DATABASE "$ident" FROM PUBLIC;
GRANT ALL ON DATABASE "$ident" TO "$ident";
COMMENT ON DATABASE "$ident" IS '$comment';
EOF
            reason=$(psql_reason "$work/err")
            printf 'DROP DATABASE IF EXISTS "%s";\nDROP ROLE IF EXISTS "%s";\n' "$ident" "$ident" |
                psql_run "$work/err2" >/dev/null || true
            fail "cannot set up database $ident: $reason"
        fi
        printf 'Created PostgreSQL database %s on %s, owned by the login role %s\n' \
            "$ident" "$host_label" "$ident"
    fi
    printf '  team:        %s\n' "$team"
    printf '  size:        %s (at most %s connections)\n' "$size" "$connections"
    printf '  backups:     %s\n' "$backups_summary"

    output engine 'Engine' text 'PostgreSQL'
    output database 'Database' text "$ident"
    output host 'Host' text "$host_label"
    output username 'Username' text "$ident"
    output password 'Password' secret "$password"
    output connection_url 'Connection URL' secret \
        "postgresql://$ident:$password@$url_host/$ident$url_query"
    output backups 'Backups' text "$backups_summary"
    write_outputs
}

# ================================================================ SQLite
create_sqlite() {
    [ -n "${RUNWAY_STATE_DIR:-}" ] || fail "RUNWAY_STATE_DIR is not set: nowhere to create the database"
    if command -v sqlite3 >/dev/null 2>&1; then
        tool=sqlite3
    elif command -v python3 >/dev/null 2>&1 && python3 -c 'import sqlite3' >/dev/null 2>&1; then
        tool=python3
    else
        fail "neither sqlite3 nor python3 (with its sqlite3 module) is installed"
    fi

    dir="$RUNWAY_STATE_DIR/databases"
    mkdir -p -- "$dir" 2>/dev/null || fail "cannot create the directory $dir"
    dir=$(cd -- "$dir" && pwd -P) || fail "cannot enter the directory $dir"
    file="$dir/$service-$environment.db"
    host_label="$(uname -n) (local file)"

    # meta_value KEY: a value from the runway_meta table of an existing database file.
    meta_value() {
        if [ "$tool" = sqlite3 ]; then
            printf "SELECT value FROM runway_meta WHERE key = '%s';\n" "$1" |
                sqlite3 -batch -readonly "$file" 2>/dev/null
        else
            python3 -c 'import sqlite3, sys
c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
for (v,) in c.execute("SELECT value FROM runway_meta WHERE key = ?", (sys.argv[2],)):
    print(v)' "$file" "$1" 2>/dev/null
        fi
    }
    report() {
        output engine 'Engine' text "$engine_label"
        output database 'Database file' text "$file"
        output host 'Host' text "$host_label"
        output backups 'Backups' text "$backups_summary"
        write_outputs
    }

    if [ "$engine" = 'postgres' ]; then
        printf '%s: PostgreSQL is not configured on this Runway installation (RUNWAY_DEMO_POSTGRES_URL is not set), so it fell back to an SQLite database\n' "$prog"
        engine_label='SQLite (PostgreSQL is not configured on this Runway installation)'
    else
        engine_label='SQLite'
    fi

    if [ -e "$file" ]; then
        if [ -n "$request_id" ] && [ "$(meta_value request || true)" = "$request_id" ]; then
            printf 'Database %s was already created by this request (%s); nothing to do\n' "$file" "$request_id"
            report
            exit 0
        fi
        fail "database $service-$environment already exists ($file)" 65
    fi

    # Built under a temporary name, then hard-linked into place: link(2) never replaces a file,
    # so of two runs only one can create it, and a failed run leaves no half-made database.
    tmpdb=$(mktemp "$dir/.creating-$service-$environment.XXXXXX") ||
        fail "cannot create a file in $dir"
    if [ "$tool" = sqlite3 ]; then
        sqlite3 -batch -bail "$tmpdb" >"$work/err" 2>&1 <<EOF || fail "cannot create the SQLite database: $(head -n 1 "$work/err")"
PRAGMA user_version = 1;
CREATE TABLE runway_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO runway_meta (key, value) VALUES
    ('service', '$service'),
    ('environment', '$environment'),
    ('team', '$team'),
    ('size', '$size ($storage)'),
    ('backups', '$(if [ "$backups" = true ]; then printf 'nightly, %s days' "$retention_days"; else printf none; fi)'),
    ('created_at', '$created_at'),
    ('request', '$request_id');
EOF
    else
        python3 -c 'import sqlite3, sys
path, *values = sys.argv[1:]
keys = ["service", "environment", "team", "size", "backups", "created_at", "request"]
c = sqlite3.connect(path)
c.execute("PRAGMA user_version = 1")
c.execute("CREATE TABLE runway_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
c.executemany("INSERT INTO runway_meta (key, value) VALUES (?, ?)", zip(keys, values))
c.commit()
c.close()' "$tmpdb" "$service" "$environment" "$team" "$size ($storage)" \
            "$(if [ "$backups" = true ]; then printf 'nightly, %s days' "$retention_days"; else printf none; fi)" \
            "$created_at" "$request_id" >"$work/err" 2>&1 ||
            fail "cannot create the SQLite database: $(tail -n 1 "$work/err")"
    fi
    if ! ln -- "$tmpdb" "$file" 2>"$work/err"; then
        if [ -e "$file" ]; then
            fail "database $service-$environment already exists ($file)" 65
        fi
        fail "cannot move the database into place: $(head -n 1 "$work/err")"
    fi
    rm -f -- "$tmpdb"
    tmpdb=''

    printf 'Created SQLite database %s (with %s)\n' "$file" "$tool"
    printf '  team:        %s\n' "$team"
    printf '  size:        %s (%s storage; not enforced for a file)\n' "$size" "$storage"
    printf '  backups:     %s\n' "$backups_summary"
    report
}

if [ "$engine" = 'postgres' ] && [ -n "${RUNWAY_DEMO_POSTGRES_URL:-}" ]; then
    create_postgres
else
    create_sqlite
fi
