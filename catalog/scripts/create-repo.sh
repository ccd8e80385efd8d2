#!/bin/sh
# create-repo: the "create-repo" action (catalog/create-repo.yaml).
#
# Creates a bare Git repository <repos dir>/<name>.git whose default branch holds one commit:
# README.md, CODEOWNERS, a template skeleton and, with --ci true, a CI pipeline.
#
# Where:    $RUNWAY_REPOS_DIR if set, else $RUNWAY_STATE_DIR/repositories.
# Outputs:  clone_url, default_branch, commit (JSON in $RUNWAY_OUTPUTS; stdout if unset).
# Exit:     0 done, 64 bad arguments, 65 repository already exists, 1 anything else.
#           A retry of the same request (same RUNWAY_REQUEST_ID) finds its repository and
#           reports it again instead of failing.
#
# The repository is built in a temporary directory and renamed into place in one step, so a
# failed or interrupted run leaves nothing behind and two runs for one name cannot both win.
set -eu

prog='create-repo'
umask 022
nl='
'

usage() {
    cat <<'EOF'
usage: create-repo.sh --name NAME --description TEXT --team TEAM
                      [--template service|library|static-site] [--visibility internal|private]
                      [--default-branch BRANCH] [--ci true|false]

Creates the bare repository ${RUNWAY_REPOS_DIR:-$RUNWAY_STATE_DIR/repositories}/NAME.git with an
initial commit. Outputs (clone_url, default_branch, commit) are written as JSON to
$RUNWAY_OUTPUTS, or to stdout when it is not set.

Exit status: 0 created, 64 invalid arguments, 65 repository already exists, 1 other failure.
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
staging=''
cleanup() {
    if [ -n "$staging" ]; then rm -rf -- "$staging"; fi
    if [ -n "$work" ]; then rm -rf -- "$work"; fi
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# step DESCRIPTION COMMAND...: run COMMAND quietly; on failure, stop with its first error line.
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
        printf '%s: RUNWAY_OUTPUTS is not set; outputs follow on stdout\n' "$prog" >&2
        printf '{"outputs": [\n'
        cat -- "$work/outputs"
        printf '\n]}\n'
    fi
}

# ---------------------------------------------------------------- arguments
name=''
description=''
team=''
template=''
visibility=''
default_branch=''
ci=''

while [ "$#" -gt 0 ]; do
    case "$1" in
        -h | --help)
            usage
            exit 0
            ;;
        --name=* | --description=* | --team=* | --template=* | --visibility=* | --default-branch=* | --ci=*)
            opt=${1%%=*}
            val=${1#*=}
            shift
            ;;
        --name | --description | --team | --template | --visibility | --default-branch | --ci)
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
        --name) name=$val ;;
        --description) description=$val ;;
        --team) team=$val ;;
        --template) template=$val ;;
        --visibility) visibility=$val ;;
        --default-branch) default_branch=$val ;;
        --ci) ci=$val ;;
    esac
done

# Empty means "not given": use the form's defaults.
template=${template:-service}
visibility=${visibility:-internal}
default_branch=${default_branch:-main}
ci=${ci:-true}

# Runway validated the form already; check again so the script is safe to run by hand.
[ -n "$name" ] || die "--name is required"
case "$name" in
    *[!a-z0-9-]*) die "repository name may use only a-z, 0-9 and '-': $name" ;;
    [a-z]??*) ;;
    *) die "repository name must start with a lowercase letter and have 3 to 40 characters: $name" ;;
esac
[ "${#name}" -le 40 ] || die "repository name must have 3 to 40 characters: $name"

[ -n "$description" ] || die "--description is required"
case "$description" in
    *"$nl"* | *"$(printf '\r')"*) die "--description must be a single line" ;;
esac

[ -n "$team" ] || die "--team is required"
case "$team" in
    *[!a-z0-9-]* | -* | *- | *--*) die "team must be a slug (lowercase letters, digits, single hyphens): $team" ;;
esac
[ "${#team}" -le 64 ] || die "team name is longer than 64 characters: $team"

case "$template" in
    service | library | static-site) ;;
    *) die "unknown template: $template (service, library or static-site)" ;;
esac
case "$visibility" in
    internal | private) ;;
    *) die "unknown visibility: $visibility (internal or private)" ;;
esac
case "$ci" in
    true | false) ;;
    *) die "--ci expects true or false, got: $ci" ;;
esac

case "$default_branch" in
    *[!a-z0-9._/-]*) die "default branch may use only a-z, 0-9, '.', '_', '/' and '-': $default_branch" ;;
    [a-z]*) ;;
    *) die "default branch must start with a lowercase letter: $default_branch" ;;
esac
[ "${#default_branch}" -le 50 ] || die "default branch is longer than 50 characters: $default_branch"

command -v git >/dev/null 2>&1 || fail "git is not installed"

# Git must not read the caller's configuration or an enclosing repository.
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES \
    GIT_NAMESPACE GIT_COMMON_DIR GIT_CEILING_DIRECTORIES GIT_TEMPLATE_DIR GIT_EXEC_PATH
GIT_CONFIG_NOSYSTEM=1
GIT_CONFIG_GLOBAL=/dev/null
GIT_TERMINAL_PROMPT=0
GIT_AUTHOR_NAME='Runway'
GIT_AUTHOR_EMAIL='runway@localhost'
GIT_COMMITTER_NAME='Runway'
GIT_COMMITTER_EMAIL='runway@localhost'
export GIT_CONFIG_NOSYSTEM GIT_CONFIG_GLOBAL GIT_TERMINAL_PROMPT \
    GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL

git check-ref-format "refs/heads/$default_branch" ||
    die "default branch is not a valid Git branch name: $default_branch"

# ---------------------------------------------------------------- where
if [ -n "${RUNWAY_REPOS_DIR:-}" ]; then
    repos_dir=$RUNWAY_REPOS_DIR
elif [ -n "${RUNWAY_STATE_DIR:-}" ]; then
    repos_dir=$RUNWAY_STATE_DIR/repositories
else
    fail "neither RUNWAY_REPOS_DIR nor RUNWAY_STATE_DIR is set: nowhere to create the repository"
fi
mkdir -p -- "$repos_dir" 2>/dev/null || fail "cannot create the repositories directory $repos_dir"
repos_dir=$(cd -- "$repos_dir" && pwd -P) || fail "cannot enter the repositories directory"
[ -w "$repos_dir" ] || fail "the repositories directory $repos_dir is not writable"

work=$(mktemp -d) || fail "cannot create a temporary directory"
: >"$work/outputs"
# Check before doing anything that the outputs can be delivered.
if [ -n "${RUNWAY_OUTPUTS:-}" ]; then
    : >>"$RUNWAY_OUTPUTS" 2>/dev/null || fail "cannot write the outputs file $RUNWAY_OUTPUTS"
fi
HOME=$work
export HOME

target="$repos_dir/$name.git"
clone_url="file://$target"

# A retry of a request whose repository was already created: report it again.
created_by_this_request() {
    [ -n "${RUNWAY_REQUEST_ID:-}" ] && [ -d "$target" ] || return 1
    [ "$(git --git-dir="$target" config runway.request 2>/dev/null)" = "$RUNWAY_REQUEST_ID" ]
}
report_existing() {
    branch=$(git --git-dir="$target" symbolic-ref --short HEAD) || fail "cannot read $target"
    first=$(git --git-dir="$target" rev-list --max-parents=0 HEAD | tail -n 1) || fail "cannot read $target"
    output clone_url 'Clone URL' text "$clone_url"
    output default_branch 'Default branch' text "$branch"
    output commit 'Initial commit' text "$first"
    write_outputs
    printf 'Repository %s was already created by this request (%s); nothing to do\n' "$name" "$RUNWAY_REQUEST_ID"
    printf '  clone with:     git clone %s\n' "$clone_url"
    exit 0
}

if [ -e "$target" ] || [ -L "$target" ]; then
    if created_by_this_request; then report_existing; fi
    fail "repository $name already exists ($target)" 65
fi

# ---------------------------------------------------------------- the initial tree
tree="$work/tree"
step 'git init' git init -q -b "$default_branch" -- "$tree"

html_escape() {
    printf '%s' "$1" | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' \
        -e 's/"/\&quot;/g' -e "s/'/\\&#39;/g"
}

# Backquotes below are Markdown, not command substitution.
# shellcheck disable=SC2016
case "$template" in
    service) template_note='an HTTP service: `Dockerfile` and `src/`' ;;
    library) template_note='a library: `package.json` and `src/`' ;;
    static-site) template_note='a static site: `index.html`' ;;
esac

# shellcheck disable=SC2016
{
    printf '# %s\n\n' "$name"
    printf '%s\n\n' "$description"
    printf '| | |\n|---|---|\n'
    printf '| Owning team | @%s |\n' "$team"
    printf '| Template | %s |\n' "$template"
    printf '| Visibility | %s |\n' "$visibility"
    printf '| Default branch | `%s` |\n' "$default_branch"
    if [ "$ci" = 'true' ]; then
        printf '| CI | `.ci/pipeline.yml` |\n'
    else
        printf '| CI | none |\n'
    fi
    printf '\nStarted from the %s template, %s.\n' "$template" "$template_note"
    printf '\nCreated by Runway%s.\n' "${RUNWAY_REQUEST_ID:+ (request $RUNWAY_REQUEST_ID)}"
} >"$tree/README.md"

printf '# Every file is owned by the team that requested the repository.\n* @%s\n' "$team" >"$tree/CODEOWNERS"

case "$template" in
    service)
        mkdir -- "$tree/src"
        cat >"$tree/Dockerfile" <<EOF
FROM debian:bookworm-slim
LABEL org.opencontainers.image.title="$name"
WORKDIR /app
COPY src/ /app/
USER nobody
EXPOSE 8080
CMD ["/app/server.sh"]
EOF
        printf '.git\n.ci\n' >"$tree/.dockerignore"
        cat >"$tree/src/server.sh" <<EOF
#!/bin/sh
# Placeholder for the $name service: replace src/ with the real code.
echo "$name: placeholder service, nothing to serve yet" >&2
exec sleep infinity
EOF
        chmod 755 "$tree/src/server.sh"
        ;;
    library)
        mkdir -- "$tree/src"
        {
            printf '{\n'
            printf '  "name": "%s",\n' "$name"
            printf '  "version": "0.1.0",\n'
            printf '  "description": %s,\n' "$(json_of "$description")"
            printf '  "private": true,\n'
            printf '  "main": "src/index.js",\n'
            printf '  "scripts": {\n    "test": "echo \\"no tests yet\\""\n  },\n'
            printf '  "license": "UNLICENSED"\n'
            printf '}\n'
        } >"$tree/package.json"
        printf '// Placeholder for the %s library: replace with the real code.\nmodule.exports = {};\n' \
            "$name" >"$tree/src/index.js"
        ;;
    static-site)
        {
            printf '<!doctype html>\n<html lang="en">\n<head>\n'
            printf '  <meta charset="utf-8">\n'
            printf '  <meta name="viewport" content="width=device-width, initial-scale=1">\n'
            printf '  <title>%s</title>\n' "$name"
            printf '  <meta name="description" content="%s">\n' "$(html_escape "$description")"
            printf '</head>\n<body>\n'
            printf '  <h1>%s</h1>\n' "$name"
            printf '  <p>%s</p>\n' "$(html_escape "$description")"
            printf '</body>\n</html>\n'
        } >"$tree/index.html"
        ;;
esac

if [ "$ci" = 'true' ]; then
    mkdir -- "$tree/.ci"
    case "$template" in
        service) ci_steps='      - run: docker build --tag "'"$name"':ci" .' ;;
        library) ci_steps='      - run: npm ci
      - run: npm test' ;;
        static-site) ci_steps='      - run: test -f index.html
      - publish: { path: ".", when: "push" }' ;;
    esac
    cat >"$tree/.ci/pipeline.yml" <<EOF
# CI pipeline for $name on the shared runners: every pull request and every push to
# $default_branch is built and tested.
on:
  pull_request:
    branches: ["$default_branch"]
  push:
    branches: ["$default_branch"]
jobs:
  build:
    runs-on: shared
    steps:
      - checkout
$ci_steps
EOF
    printf '{\n  "extends": ["config:recommended"]\n}\n' >"$tree/renovate.json"
fi

step 'git add' git -C "$tree" add -A
{
    printf 'Initial commit from the %s template\n\n' "$template"
    printf 'Created by Runway for team %s.\n' "$team"
    if [ -n "${RUNWAY_REQUEST_ID:-}" ]; then printf '\nRunway-Request: %s\n' "$RUNWAY_REQUEST_ID"; fi
} >"$work/message"
step 'git commit' git -C "$tree" -c commit.gpgsign=false commit -q --no-verify -F "$work/message"
commit=$(git -C "$tree" rev-parse --verify HEAD) || fail "cannot read the new commit"

# ---------------------------------------------------------------- the bare repository
# Built next to its final place (same file system), then renamed in one step.
staging=$(mktemp -d "$repos_dir/.creating-$name.XXXXXX") ||
    fail "cannot create a temporary directory in $repos_dir"
bare="$staging/repo.git"
step 'git init --bare' git init -q --bare -b "$default_branch" -- "$bare"
step 'git push' git -C "$tree" push -q -- "$bare" "HEAD:refs/heads/$default_branch"
# The nearest local equivalent of branch protection: no force pushes, no branch deletion.
step 'git config' git --git-dir="$bare" config receive.denyNonFastForwards true
step 'git config' git --git-dir="$bare" config receive.denyDeletes true
step 'git config' git --git-dir="$bare" config runway.team "$team"
step 'git config' git --git-dir="$bare" config runway.visibility "$visibility"
if [ -n "${RUNWAY_REQUEST_ID:-}" ]; then
    step 'git config' git --git-dir="$bare" config runway.request "$RUNWAY_REQUEST_ID"
fi
printf '%s\n' "$description" >"$bare/description"
step 'git fsck' git --git-dir="$bare" fsck --no-progress

# rename(2) will not replace a non-empty directory: if another run got there first, this fails.
if ! mv -T -- "$bare" "$target" 2>"$work/step.log"; then
    if [ -e "$target" ]; then
        if created_by_this_request; then report_existing; fi
        fail "repository $name already exists ($target)" 65
    fi
    fail "cannot move the repository into place: $(head -n 1 "$work/step.log")"
fi

output clone_url 'Clone URL' text "$clone_url"
output default_branch 'Default branch' text "$default_branch"
output commit 'Initial commit' text "$commit"
write_outputs

printf 'Created repository %s (%s template, %s) for team %s\n' "$name" "$template" "$visibility" "$team"
printf '  path:           %s\n' "$target"
printf '  default branch: %s at %s\n' "$default_branch" "$commit"
printf '  clone with:     git clone %s\n' "$clone_url"
