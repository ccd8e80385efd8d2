#!/bin/sh
# Placeholder for the "tls-certificate" action (catalog/tls-certificate.yaml).
#
# Runway passes every input as its own argv element; --dns-names holds one name per line and
# --csr holds a PEM block (empty unless --own-csr is true). This placeholder checks its
# arguments, prints what the real script will do and exits 0; the real implementation
# (openssl against the internal CA) comes in a later issue.
set -eu

prog='issue-cert'

die() {
    printf '%s: %s\n' "$prog" "$1" >&2
    exit 64
}

usage() {
    printf 'usage: %s --common-name NAME [--dns-names LINES] --days N\n' "$0"
    printf '       --key-type ecdsa-p256|rsa-2048|rsa-4096 --team TEAM\n'
    printf '       [--own-csr true|false] [--csr PEM]\n'
}

common_name=''
dns_names=''
days=''
key_type=''
team=''
own_csr='false'
csr=''

while [ "$#" -gt 0 ]; do
    case "$1" in
        -h | --help)
            usage
            exit 0
            ;;
        --common-name | --dns-names | --days | --key-type | --team | --own-csr | --csr)
            [ "$#" -ge 2 ] || die "missing value for $1"
            case "$1" in
                --common-name) common_name="$2" ;;
                --dns-names) dns_names="$2" ;;
                --days) days="$2" ;;
                --key-type) key_type="$2" ;;
                --team) team="$2" ;;
                --own-csr) own_csr="$2" ;;
                --csr) csr="$2" ;;
            esac
            shift 2
            ;;
        *)
            die "unknown argument: $1"
            ;;
    esac
done

[ -n "$common_name" ] || die "--common-name is required"
[ -n "$team" ] || die "--team is required"
case "$common_name" in
    *.example.internal) ;;
    *) die "common name must end in .example.internal: $common_name" ;;
esac
case "$common_name" in
    *[!a-z0-9.-]*) die "common name may use only a-z, 0-9, '.' and '-': $common_name" ;;
esac
case "$days" in
    '' | *[!0-9]*) die "--days expects a whole number, got: $days" ;;
esac
if [ "$days" -lt 1 ] || [ "$days" -gt 397 ]; then
    die "--days must be from 1 to 397, got: $days"
fi
case "$key_type" in
    ecdsa-p256 | rsa-2048 | rsa-4096) ;;
    *) die "unknown key type: $key_type" ;;
esac
case "$own_csr" in
    true | false) ;;
    *) die "--own-csr expects true or false, got: $own_csr" ;;
esac

printf '[placeholder] would issue a certificate from the internal CA\n'
printf '  common name:  %s\n' "$common_name"
# One subject alternative name per non-empty line; the common name is always included.
printf '  SAN:          %s\n' "$common_name"
printf '%s\n' "$dns_names" | while IFS= read -r san || [ -n "$san" ]; do
    # Trim surrounding blanks without invoking a shell on the value.
    san=$(printf '%s' "$san" | tr -d ' \t\r')
    [ -n "$san" ] || continue
    case "$san" in
        *[!a-z0-9.-]*) die "DNS name may use only a-z, 0-9, '.' and '-': $san" ;;
    esac
    printf '  SAN:          %s\n' "$san"
done
printf '  validity:     %s days\n' "$days"
printf '  expiry notes: team %s, 30 and 7 days before the end date\n' "$team"
if [ "$own_csr" = 'true' ]; then
    [ -n "$csr" ] || die "--own-csr is true but --csr is empty"
    case "$csr" in
        *'-----BEGIN CERTIFICATE REQUEST-----'*) ;;
        *) die "--csr does not look like a PEM certificate request" ;;
    esac
    printf '  key:          requester-supplied CSR (%s bytes), signed as is\n' "$(printf '%s' "$csr" | wc -c | tr -d ' ')"
else
    printf '  key:          new %s key pair, stored at tls/%s in the secrets manager\n' "$key_type" "$common_name"
fi
exit 0
