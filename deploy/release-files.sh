#!/usr/bin/env bash
# Prints, one per line and relative to the checkout SOURCE_DIR, the files and folders a QSen
# release is made of: package manifests, committed bin entries, compiled sources (not the
# tests), the production dependencies (npm ls --omit=dev), deploy/, systemd/, docs/ and the
# README. Used by deploy/install.sh (install from a checkout) and deploy/build-release.sh
# (the offline release bundle), so both ship the same files.
#
#   deploy/release-files.sh SOURCE_DIR
set -euo pipefail

SOURCE_DIR=$(cd "${1:?usage: release-files.sh SOURCE_DIR}" && pwd -P)
cd "$SOURCE_DIR"
for path in package.json package-lock.json README.md deploy systemd docs packages/*/package.json packages/*/bin packages/*/dist/src; do
  if [[ -e $path ]]; then printf '%s\n' "$path"; fi
done
# npm ls exits non-zero for harmless findings (an extraneous package), so its status is not the
# test: its listing is. An empty listing is retried (it was seen once, with many npm processes
# running at once on a loaded machine), and then npm's own message goes to stderr so the caller
# (install.sh: "could not list the production dependencies") shows why.
npm_errors=$(mktemp)
trap 'rm -f "$npm_errors"' EXIT
for attempt in 1 2 3; do
  listing=$(npm ls --omit=dev --all --parseable 2>"$npm_errors" || true)
  if [[ $listing == *"$SOURCE_DIR/node_modules/"* ]]; then break; fi
  if ((attempt == 3)); then
    printf 'release-files: npm ls --omit=dev listed no production dependency in %s:\n' "$SOURCE_DIR" >&2
    tail -n 20 "$npm_errors" >&2
  else
    sleep "$attempt"
  fi
done
printf '%s\n' "$listing" |
  sed -n "s#^$SOURCE_DIR/\(node_modules/\(@[^/]*/[^/]*\|[^@/][^/]*\)\)\(/.*\)\{0,1\}\$#\1#p" |
  LC_ALL=C sort -u
