#!/bin/sh
# Creates (or recreates) a bare git repository of the sample app at DEST:
#
#   v1.0.0                code/ as it is
#   v1.1.0                + versions/v1.1.0.patch: a new page heading (and colour)
#   v1.2.0-bad-migration  + versions/v1.2.0-bad-migration.patch: a migration that fails
#
# Branch `main` points at v1.1.0; v1.2.0-bad-migration is only a tag (it sits
# on top of v1.1.0). Author and commit dates are fixed, so the same sources
# always give the same commits and tags: running it again changes no sha.
#
#   examples/sample-app/make-repo.sh /tmp/sample.git
set -eu

if [ "$#" -ne 1 ] || [ -z "$1" ]; then
    echo "usage: $0 DEST" >&2
    exit 2
fi
dest=$1
here=$(cd "$(dirname "$0")" && pwd)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

# Nobody's git config leaks in (signing, hooks, templates, default branch).
export GIT_CONFIG_NOSYSTEM=1 HOME="$work" XDG_CONFIG_HOME="$work"

git_() { git -C "$work/repo" -c user.name="berth sample" -c user.email=sample@berth.invalid "$@"; }

# commit_and_tag DATE TAG MESSAGE: commits everything and tags it (annotated).
commit_and_tag() {
    GIT_AUTHOR_DATE=$1 GIT_COMMITTER_DATE=$1 git_ add --all
    GIT_AUTHOR_DATE=$1 GIT_COMMITTER_DATE=$1 git_ commit --quiet --message "$3"
    GIT_AUTHOR_DATE=$1 GIT_COMMITTER_DATE=$1 git_ tag --annotate --message "sample $2" "$2"
}

mkdir "$work/repo"
git_ init --quiet --initial-branch=main
cp -R "$here/code/." "$work/repo/"

commit_and_tag "2026-01-05T10:00:00Z" v1.0.0 "Sample app v1.0.0: tick counter, visits, health and version endpoints"

git_ apply "$here/versions/v1.1.0.patch"
commit_and_tag "2026-02-02T10:00:00Z" v1.1.0 "Sample app v1.1.0: a new heading"

# The bad release is a tag off main: deployable by tag, never by branch.
git_ checkout --quiet --detach
git_ apply "$here/versions/v1.2.0-bad-migration.patch"
commit_and_tag "2026-03-02T10:00:00Z" v1.2.0-bad-migration "Sample app v1.2.0: a migration that fails on purpose"
git_ checkout --quiet main

rm -rf "$dest"
git clone --quiet --bare "$work/repo" "$dest"
echo "sample repository at $dest: $(git -C "$dest" tag | tr '\n' ' ')(main = $(git -C "$dest" describe --tags main))"
