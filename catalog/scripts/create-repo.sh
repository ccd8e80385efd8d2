#!/bin/sh
# Placeholder for the "create-repo" action (catalog/create-repo.yaml).
#
# Runway passes every input as its own argv element ("--name" "invoice-renderer" ...).
# This placeholder checks its arguments, prints what the real script will do and exits 0;
# the real implementation (GitHub API calls) comes in a later issue.
set -eu

prog='create-repo'

die() {
    printf '%s: %s\n' "$prog" "$1" >&2
    exit 64
}

usage() {
    printf 'usage: %s --name NAME --description TEXT --team TEAM --template TEMPLATE\n' "$0"
    printf '       --visibility internal|private --default-branch BRANCH --ci true|false\n'
}

name=''
description=''
team=''
template=''
visibility=''
default_branch='main'
ci='true'

while [ "$#" -gt 0 ]; do
    case "$1" in
        -h | --help)
            usage
            exit 0
            ;;
        --name | --description | --team | --template | --visibility | --default-branch | --ci)
            [ "$#" -ge 2 ] || die "missing value for $1"
            case "$1" in
                --name) name="$2" ;;
                --description) description="$2" ;;
                --team) team="$2" ;;
                --template) template="$2" ;;
                --visibility) visibility="$2" ;;
                --default-branch) default_branch="$2" ;;
                --ci) ci="$2" ;;
            esac
            shift 2
            ;;
        *)
            die "unknown argument: $1"
            ;;
    esac
done

# Runway validated the form already; check again so the script is safe to run by hand.
[ -n "$name" ] || die "--name is required"
[ -n "$team" ] || die "--team is required"
case "$name" in
    [a-z]*) ;;
    *) die "repository name must start with a lowercase letter: $name" ;;
esac
case "$name" in
    *[!a-z0-9-]*) die "repository name may use only a-z, 0-9 and '-': $name" ;;
esac
case "$template" in
    service | library | static-site) ;;
    *) die "unknown template: $template" ;;
esac
case "$visibility" in
    internal | private) ;;
    *) die "unknown visibility: $visibility" ;;
esac
case "$ci" in
    true | false) ;;
    *) die "--ci expects true or false, got: $ci" ;;
esac

printf '[placeholder] would create repository example/%s\n' "$name"
printf '  description:    %s\n' "$description"
printf '  owning team:    %s (added to CODEOWNERS with maintain rights)\n' "$team"
printf '  template:       %s\n' "$template"
printf '  visibility:     %s\n' "$visibility"
printf '  default branch: %s (protected: reviews and status checks required)\n' "$default_branch"
if [ "$ci" = 'true' ]; then
    printf '  CI pipeline:    yes, on the shared runners, with Renovate enabled\n'
else
    printf '  CI pipeline:    no\n'
fi
exit 0
