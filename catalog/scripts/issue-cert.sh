#!/bin/sh
# issue-cert: the "tls-certificate" action (catalog/tls-certificate.yaml), with openssl 3.
#
# Signs a TLS server certificate with a demo CA kept in $RUNWAY_STATE_DIR/ca/ (created on first
# use: "Runway Demo CA", EC P-256, 10 years). The leaf gets the common name plus every extra DNS
# name as subjectAltName, serverAuth, and either a new key (--key-type) or the key of the
# requester's CSR (--own-csr true --csr PEM; the CSR's own extensions are not copied).
#
# Outputs:  certificate, chain (leaf + CA), expires, and private_key (secret; not with a CSR).
#           JSON in $RUNWAY_OUTPUTS; stdout if unset.
# Policy:   every name must be under the team's domain (TEAM.example.internal and its subdomains,
#           or NAME.TEAM.svc.cluster.local) unless --outside-team true, which the catalogue grants
#           only after the security team's approval.
# Exit:     0 issued, 64 invalid arguments or CSR, 1 anything else.
# Keys are written only to files under a private temporary directory and to $RUNWAY_OUTPUTS,
# never to stdout or stderr.
set -eu

prog='issue-cert'
umask 077
nl='
'

usage() {
    cat <<'EOF'
usage: issue-cert.sh --common-name NAME [--dns-names LINES] [--days N]
                     [--key-type ecdsa-p256|rsa-2048|rsa-4096] --team TEAM
                     [--outside-team true|false] [--own-csr true|false] [--csr PEM]

Issues a certificate from the demo CA in $RUNWAY_STATE_DIR/ca/ (created on first use).
NAME and each extra DNS name (one per line) must be under .example.internal or
.svc.cluster.local, and under the team's domain (TEAM.example.internal, or
TEAM.svc.cluster.local) unless --outside-team is true. Outputs (certificate, chain, expires, private_key) are written as JSON to
$RUNWAY_OUTPUTS, or to stdout when it is not set.

Exit status: 0 issued, 64 invalid arguments or CSR, 1 other failure.
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
ca_new=''
cleanup() {
    if [ -n "$ca_new" ]; then rm -rf -- "$ca_new"; fi
    if [ -n "$work" ]; then rm -rf -- "$work"; fi
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# step DESCRIPTION COMMAND...: run COMMAND quietly; on failure, stop with its first error line.
# (Every openssl command here writes keys with -out, so the log never holds key material.)
step() {
    step_what=$1
    shift
    if ! "$@" >"$work/step.log" 2>&1; then
        step_why=$(grep -v '^[[:space:]]*$' "$work/step.log" | head -n 1 || true)
        fail "$step_what failed${step_why:+: $step_why}"
    fi
}

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
json_of() { printf '%s.' "$1" | json_str; }
json_of_file() { { cat -- "$1"; printf '.'; } | json_str; }

# output NAME LABEL KIND VALUE / output_file NAME LABEL KIND FILE: add one output.
output_head() {
    if [ -s "$work/outputs" ]; then printf ',\n' >>"$work/outputs"; fi
    printf '    {"name": %s, "label": %s, "kind": %s, "value": ' \
        "$(json_of "$1")" "$(json_of "$2")" "$(json_of "$3")" >>"$work/outputs"
}
output() {
    output_head "$1" "$2" "$3"
    { json_of "$4"; printf '}'; } >>"$work/outputs"
}
output_file() {
    output_head "$1" "$2" "$3"
    { json_of_file "$4"; printf '}'; } >>"$work/outputs"
}

write_outputs() {
    if [ -n "${RUNWAY_OUTPUTS:-}" ]; then
        { printf '{"outputs": [\n'; cat -- "$work/outputs"; printf '\n]}\n'; } 2>/dev/null >"$RUNWAY_OUTPUTS" ||
            fail "cannot write the outputs to $RUNWAY_OUTPUTS"
    else
        printf '%s: RUNWAY_OUTPUTS is not set; outputs (including any private key) follow on stdout\n' \
            "$prog" >&2
        printf '{"outputs": [\n'
        cat -- "$work/outputs"
        printf '\n]}\n'
    fi
}

# ---------------------------------------------------------------- arguments
common_name=''
dns_names=''
days=''
key_type=''
team=''
outside_team=''
own_csr=''
csr=''

while [ "$#" -gt 0 ]; do
    case "$1" in
        -h | --help)
            usage
            exit 0
            ;;
        --common-name=* | --dns-names=* | --days=* | --key-type=* | --team=* | --outside-team=* | --own-csr=* | --csr=*)
            opt=${1%%=*}
            val=${1#*=}
            shift
            ;;
        --common-name | --dns-names | --days | --key-type | --team | --outside-team | --own-csr | --csr)
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
        --common-name) common_name=$val ;;
        --dns-names) dns_names=$val ;;
        --days) days=$val ;;
        --key-type) key_type=$val ;;
        --team) team=$val ;;
        --outside-team) outside_team=$val ;;
        --own-csr) own_csr=$val ;;
        --csr) csr=$val ;;
    esac
done

# Empty means "not given": use the form's defaults.
days=${days:-90}
key_type=${key_type:-ecdsa-p256}
own_csr=${own_csr:-false}
outside_team=${outside_team:-false}

# Host names this CA signs: the form's pattern for the common name, and Kubernetes service
# names (the form suggests them as extra names).
name_re='([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+example\.internal'
extra_re='([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+svc\.cluster\.local'

# valid_name NAME [extra]: NAME is one line and matches the pattern(s).
valid_name() {
    case "$1" in
        '' | *"$nl"*) return 1 ;;
    esac
    [ "${#1}" -le 253 ] || return 1
    if printf '%s\n' "$1" | LC_ALL=C grep -Eqx -e "$name_re"; then return 0; fi
    [ "${2:-}" = 'extra' ] && printf '%s\n' "$1" | LC_ALL=C grep -Eqx -e "$extra_re"
}

[ -n "$common_name" ] || die "--common-name is required"
valid_name "$common_name" ||
    die "common name must be a host name under .example.internal (lowercase, no wildcards): $common_name"

[ -n "$team" ] || die "--team is required"
case "$team" in
    *[!a-z0-9-]* | -* | *- | *--*) die "team must be a slug (lowercase letters, digits, single hyphens): $team" ;;
esac

case "$days" in
    *[!0-9]*) die "--days expects a whole number, got: $days" ;;
esac
days=$(printf '%s' "$days" | sed 's/^0*//')
if [ -z "$days" ] || [ "${#days}" -gt 3 ] || [ "$days" -lt 1 ] || [ "$days" -gt 397 ]; then
    die "--days must be from 1 to 397"
fi

case "$key_type" in
    ecdsa-p256 | rsa-2048 | rsa-4096) ;;
    *) die "unknown key type: $key_type (ecdsa-p256, rsa-2048 or rsa-4096)" ;;
esac
case "$outside_team" in
    true | false) ;;
    *) die "--outside-team expects true or false, got: $outside_team" ;;
esac
case "$own_csr" in
    true | false) ;;
    *) die "--own-csr expects true or false, got: $own_csr" ;;
esac
if [ "$own_csr" = 'true' ]; then
    [ -n "$csr" ] || die "--own-csr is true but --csr is empty"
    case "$csr" in
        *'-----BEGIN CERTIFICATE REQUEST-----'*'-----END CERTIFICATE REQUEST-----'*) ;;
        *'-----BEGIN NEW CERTIFICATE REQUEST-----'*'-----END NEW CERTIFICATE REQUEST-----'*) ;;
        *) die "--csr is not a PEM certificate request (-----BEGIN CERTIFICATE REQUEST----- ... END)" ;;
    esac
fi

[ -n "${RUNWAY_STATE_DIR:-}" ] || fail "RUNWAY_STATE_DIR is not set: nowhere to keep the CA"
command -v openssl >/dev/null 2>&1 || fail "openssl is not installed"

work=$(mktemp -d) || fail "cannot create a temporary directory"
chmod 700 "$work"
: >"$work/outputs"
# Check before doing anything that the outputs can be delivered.
if [ -n "${RUNWAY_OUTPUTS:-}" ]; then
    : >>"$RUNWAY_OUTPUTS" 2>/dev/null || fail "cannot write the outputs file $RUNWAY_OUTPUTS"
fi

# ---------------------------------------------------------------- subject alternative names
# The common name first, then each extra name: one per line (commas and blanks also separate),
# blank lines ignored, duplicates dropped.
printf '%s\n' "$common_name" >"$work/names.all"
# shellcheck disable=SC2018,SC2019,SC2020
printf '%s\n' "$dns_names" | LC_ALL=C tr 'A-Z' 'a-z' | tr ', \t\r' '\n\n\n\n' | grep -v '^$' >>"$work/names.all" || true
awk '!seen[$0]++' "$work/names.all" >"$work/names"
count=0
while IFS= read -r san; do
    valid_name "$san" extra ||
        die "extra DNS name must be a host name under .example.internal or .svc.cluster.local (no wildcards): $san"
    if [ "$outside_team" = 'false' ]; then
        case "$san" in
            "$team.example.internal" | *".$team.example.internal" | *".$team.svc.cluster.local") ;;
            *) die "$san is outside the $team team's domain ($team.example.internal, $team.svc.cluster.local); ask again with \"Names outside my team's domain\" ticked, for the security team to approve" ;;
        esac
    fi
    count=$((count + 1))
done <"$work/names"
[ "$count" -le 100 ] || die "too many DNS names ($count); at most 100"

# ---------------------------------------------------------------- the demo CA
state=$RUNWAY_STATE_DIR
ca_dir="$state/ca"

ca_complete() { [ -s "$ca_dir/ca.crt" ] && [ -s "$ca_dir/ca.key" ]; }

if ! ca_complete; then
    if [ -e "$ca_dir" ]; then
        fail "the CA directory $ca_dir exists but has no ca.crt and ca.key; move it away to start a new CA"
    fi
    mkdir -p -- "$state" 2>/dev/null || fail "cannot create the state directory $state"
    # Built aside and renamed into place in one step: of two first runs, one CA wins and the
    # other run uses it.
    ca_new=$(mktemp -d "$state/.ca-new.XXXXXX") || fail "cannot create a directory in $state"
    chmod 700 "$ca_new"
    cat >"$ca_new/ca.cnf" <<'EOF'
[ req ]
distinguished_name = dn
prompt = no
x509_extensions = v3_ca
[ dn ]
O = Runway
CN = Runway Demo CA
[ v3_ca ]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF
    step 'creating the CA key' openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
        -out "$ca_new/ca.key"
    step 'creating the CA certificate' openssl req -new -x509 -config "$ca_new/ca.cnf" \
        -key "$ca_new/ca.key" -sha256 -days 3650 -set_serial "0x$(openssl rand -hex 16)" \
        -out "$ca_new/ca.crt"
    chmod 600 "$ca_new/ca.key"
    chmod 644 "$ca_new/ca.crt"
    if mv -T -- "$ca_new" "$ca_dir" 2>/dev/null; then
        ca_new=''
        printf 'Created the demo CA in %s\n' "$ca_dir"
    elif ! ca_complete; then
        fail "cannot move the new CA into $ca_dir"
    fi
fi
ca_crt="$ca_dir/ca.crt"
ca_key="$ca_dir/ca.key"
[ -r "$ca_key" ] || fail "cannot read the CA key $ca_key"

# ---------------------------------------------------------------- the request
if [ "$own_csr" = 'true' ]; then
    printf '%s\n' "$csr" >"$work/req.pem"
    openssl req -in "$work/req.pem" -noout -verify >"$work/step.log" 2>&1 ||
        die "the CSR is not a valid certificate request, or its signature does not verify"

    # Its subject must name the common name (and only that); other attributes are dropped.
    openssl req -in "$work/req.pem" -noout -subject -nameopt sep_multiline,sname,utf8,esc_ctrl \
        >"$work/subject" 2>"$work/step.log" || die "cannot read the CSR subject"
    csr_cn=$(sed -n 's/^[[:space:]]*CN=//p' "$work/subject")
    [ -n "$csr_cn" ] || die "the CSR subject has no common name (CN); it must be $common_name"
    [ "$csr_cn" = "$common_name" ] ||
        die "the CSR common name is $(printf '%s' "$csr_cn" | head -n 1), not $common_name"

    # Names it asks for must all be in this request.
    openssl req -in "$work/req.pem" -noout -text >"$work/req.txt" 2>"$work/step.log" ||
        die "cannot read the CSR"
    awk '/X509v3 Subject Alternative Name/ { getline; print; exit }' "$work/req.txt" |
        tr ',' '\n' | sed 's/^[[:space:]]*//; s/[[:space:]]*$//' | grep -v '^$' >"$work/csr.sans" || true
    while IFS= read -r entry; do
        case "$entry" in
            DNS:*)
                grep -Fqx -e "${entry#DNS:}" "$work/names" ||
                    die "the CSR asks for the name ${entry#DNS:}, which is not in this request; add it to the extra DNS names"
                ;;
            *) die "the CSR asks for a subject alternative name that is not a DNS name: $entry" ;;
        esac
    done <"$work/csr.sans"

    # The key must be strong enough.
    openssl req -in "$work/req.pem" -noout -pubkey >"$work/pub.pem" 2>"$work/step.log" ||
        die "cannot read the CSR public key"
    openssl pkey -pubin -in "$work/pub.pem" -noout -text >"$work/pub.txt" 2>"$work/step.log" ||
        die "cannot read the CSR public key"
    bits=$(sed -n 's/.*Public-Key: (\([0-9]*\) bit).*/\1/p' "$work/pub.txt" | head -n 1)
    if grep -q '^Modulus:' "$work/pub.txt"; then
        if [ -z "$bits" ] || [ "$bits" -lt 2048 ] || [ "$bits" -gt 8192 ]; then
            die "the CSR has an RSA key of ${bits:-unknown} bits; use 2048 to 8192"
        fi
        leaf_kind=rsa
        key_desc="RSA $bits (from the CSR)"
    elif grep -Eq 'NIST CURVE: P-(256|384)' "$work/pub.txt"; then
        leaf_kind=ec
        key_desc="ECDSA $(sed -n 's/.*NIST CURVE: //p' "$work/pub.txt" | head -n 1) (from the CSR)"
    else
        die "the CSR key type is not supported; use ECDSA P-256/P-384 or RSA 2048+"
    fi
else
    case "$key_type" in
        ecdsa-p256)
            leaf_kind=ec
            step 'creating the private key' openssl genpkey -algorithm EC \
                -pkeyopt ec_paramgen_curve:P-256 -out "$work/key.pem"
            ;;
        rsa-2048 | rsa-4096)
            leaf_kind=rsa
            step 'creating the private key' openssl genpkey -algorithm RSA \
                -pkeyopt "rsa_keygen_bits:${key_type#rsa-}" -out "$work/key.pem"
            ;;
    esac
    key_desc="new $key_type key"
    printf '[ req ]\ndistinguished_name = dn\nprompt = no\n[ dn ]\nCN = %s\n' "$common_name" >"$work/req.cnf"
    step 'creating the request' openssl req -new -config "$work/req.cnf" -key "$work/key.pem" \
        -sha256 -out "$work/req.pem"
fi

# ---------------------------------------------------------------- signing
if [ "$leaf_kind" = 'rsa' ]; then
    key_usage='critical, digitalSignature, keyEncipherment'
else
    key_usage='critical, digitalSignature'
fi
{
    printf '[ leaf ]\n'
    printf 'basicConstraints = critical, CA:FALSE\n'
    printf 'keyUsage = %s\n' "$key_usage"
    printf 'extendedKeyUsage = serverAuth\n'
    printf 'subjectKeyIdentifier = hash\n'
    printf 'authorityKeyIdentifier = keyid\n'
    printf 'subjectAltName = @alt_names\n'
    printf '[ alt_names ]\n'
    awk '{ printf "DNS.%d = %s\n", NR, $0 }' "$work/names"
} >"$work/leaf.cnf"

serial=$(openssl rand -hex 16) || fail "cannot generate a serial number"
step 'signing the certificate' openssl x509 -req -in "$work/req.pem" \
    -CA "$ca_crt" -CAkey "$ca_key" -set_serial "0x$serial" -days "$days" -sha256 \
    -subj "/CN=$common_name" -extfile "$work/leaf.cnf" -extensions leaf -out "$work/cert.pem"
step 'checking the certificate' openssl verify -purpose sslserver -CAfile "$ca_crt" "$work/cert.pem"
openssl x509 -in "$ca_crt" -out "$work/ca.pem" 2>/dev/null || fail "cannot read the CA certificate"
cat -- "$work/cert.pem" "$work/ca.pem" >"$work/chain.pem"

end=$(openssl x509 -in "$work/cert.pem" -noout -enddate 2>/dev/null | sed 's/^notAfter=//')
expires=$(LC_ALL=C date -u -d "$end" '+%Y-%m-%dT%H:%M:%SZ' 2>/dev/null || printf '%s' "$end")

# A copy of every certificate issued (no keys), for audit and revocation.
if mkdir -p -- "$state/issued" 2>/dev/null; then
    cp -- "$work/cert.pem" "$state/issued/$serial.pem" 2>/dev/null || true
fi

output_file certificate 'Certificate (PEM)' text "$work/cert.pem"
output_file chain 'Full chain: certificate + CA (PEM)' text "$work/chain.pem"
output expires 'Expires' text "$expires"
if [ "$own_csr" = 'false' ]; then
    output_file private_key 'Private key (PEM)' secret "$work/key.pem"
fi
write_outputs

printf 'Issued a certificate for %s from the Runway Demo CA\n' "$common_name"
printf '  names:    %s\n' "$(paste -s -d ' ' "$work/names")"
printf '  key:      %s\n' "$key_desc"
printf '  serial:   %s\n' "$serial"
printf '  expires:  %s (%s days)\n' "$expires" "$days"
printf '  team:     %s (to notify before expiry)\n' "$team"
