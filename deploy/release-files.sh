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
{ npm ls --omit=dev --all --parseable 2>/dev/null || true; } |
  sed -n "s#^$SOURCE_DIR/\(node_modules/\(@[^/]*/[^/]*\|[^@/][^/]*\)\)\(/.*\)\{0,1\}\$#\1#p" |
  LC_ALL=C sort -u
