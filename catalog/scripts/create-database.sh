#!/bin/sh
# Placeholder for the "service-database" action (catalog/service-database.yaml).
#
# Runway passes every input as its own argv element ("--service" "invoice-renderer" ...).
# This placeholder checks its arguments, prints what the real script will do and exits 0;
# the real implementation comes in a later issue.
set -eu

prog='create-database'

die() {
    printf '%s: %s\n' "$prog" "$1" >&2
    exit 64
}

usage() {
    printf 'usage: %s --service NAME --team TEAM --engine postgres|sqlite\n' "$0"
    printf '       --size small|medium|large --environment development|staging|production\n'
    printf '       --backups true|false [--retention-days N]\n'
}

service=''
team=''
engine=''
size=''
environment=''
backups='true'
retention_days=''

while [ "$#" -gt 0 ]; do
    case "$1" in
        -h | --help)
            usage
            exit 0
            ;;
        --service | --team | --engine | --size | --environment | --backups | --retention-days)
            [ "$#" -ge 2 ] || die "missing value for $1"
            case "$1" in
                --service) service="$2" ;;
                --team) team="$2" ;;
                --engine) engine="$2" ;;
                --size) size="$2" ;;
                --environment) environment="$2" ;;
                --backups) backups="$2" ;;
                --retention-days) retention_days="$2" ;;
            esac
            shift 2
            ;;
        *)
            die "unknown argument: $1"
            ;;
    esac
done

[ -n "$service" ] || die "--service is required"
[ -n "$team" ] || die "--team is required"
case "$service" in
    [a-z]*) ;;
    *) die "service name must start with a lowercase letter: $service" ;;
esac
case "$service" in
    *[!a-z0-9-]*) die "service name may use only a-z, 0-9 and '-': $service" ;;
esac
case "$engine" in
    postgres | sqlite) ;;
    *) die "unknown engine: $engine" ;;
esac
case "$size" in
    small) storage='20 GiB' ;;
    medium) storage='100 GiB' ;;
    large) storage='500 GiB' ;;
    *) die "unknown size: $size" ;;
esac
case "$environment" in
    development | staging | production) ;;
    *) die "unknown environment: $environment" ;;
esac
case "$backups" in
    true | false) ;;
    *) die "--backups expects true or false, got: $backups" ;;
esac
if [ "$backups" = 'true' ]; then
    retention_days="${retention_days:-14}"
    case "$retention_days" in
        *[!0-9]* | '') die "--retention-days expects a whole number, got: $retention_days" ;;
    esac
fi

# PostgreSQL identifiers cannot contain '-'.
db_name=$(printf '%s' "$service" | tr '-' '_')

printf '[placeholder] would provision a %s database for %s in %s\n' "$engine" "$service" "$environment"
printf '  owning team: %s\n' "$team"
if [ "$engine" = 'postgres' ]; then
    printf '  database:    %s on the %s PostgreSQL 16 cluster (size %s)\n' "$db_name" "$environment" "$size"
    printf '  roles:       %s_owner (migrations), %s_app (application)\n' "$db_name" "$db_name"
else
    printf '  volume:      %s persistent volume mounted at /var/lib/%s/\n' "$storage" "$service"
fi
printf '  credentials: db/%s/%s in the secrets manager\n' "$environment" "$service"
if [ "$backups" = 'true' ]; then
    printf '  backups:     nightly, kept %s days\n' "$retention_days"
else
    printf '  backups:     none\n'
fi
exit 0
