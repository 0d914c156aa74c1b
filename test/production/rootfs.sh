#!/usr/bin/env bash
# Makes the Debian 12 root file system the production tier boots (test/production), cached.
#
#   test/production/rootfs.sh CACHE_DIR
#
# Prints the path of a tarball of the root file system (a plain tar, made by debootstrap
# --variant=minbase with the packages below). The tarball is cached in CACHE_DIR under a
# name keyed by the suite, the variant and the package list, so a second run on the same
# machine skips debootstrap; a fresh machine builds it (50-90 s). The Debian mirror is read
# from the host's apt sources at run time (/etc/apt/sources.list.d/*.sources, else
# /etc/apt/sources.list); none is named here.
set -euo pipefail

readonly SUITE=bookworm
readonly VARIANT=minbase
# What a real agent's server has before QSen is installed: systemd as PID 1 with D-Bus and
# polkit (libpam-systemd, else polkitd stays unconfigured), nftables, sshd, node_exporter,
# and the tools install.sh calls (openssl, iproute2 for ss, procps). No Node.js: the release
# bundle brings its own.
readonly PACKAGES=systemd,systemd-sysv,dbus,libpam-systemd,polkitd,pkexec,nftables,iproute2,procps,ca-certificates,openssh-server,prometheus-node-exporter,openssl
# Raise when the steps below change in a way the key would not see.
readonly RECIPE=1
work=""

die() { printf 'rootfs: error: %s\n' "$*" >&2; exit 1; }

# Prints the first mirror URI of the host's apt sources that serves the suite.
host_mirror() {
  local file uri=""
  for file in /etc/apt/sources.list.d/*.sources; do
    [[ -f $file ]] || continue
    # deb822: a stanza with "Suites: ... bookworm ..." and "URIs: ...".
    uri=$(awk -v suite="$SUITE" '
      /^[[:space:]]*$/ { if (found && uris != "") { print uris; exit } found = 0; uris = ""; next }
      tolower($1) == "uris:" { uris = $2 }
      tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == suite) found = 1 }
      END { if (found && uris != "") print uris }' "$file" | head -n 1)
    [[ -z $uri ]] || break
  done
  if [[ -z $uri && -f /etc/apt/sources.list ]]; then
    uri=$(awk -v suite="$SUITE" '$1 == "deb" { u = $2; s = $3; if ($2 ~ /^\[/) { u = $3; s = $4 } if (s == suite) { print u; exit } }' /etc/apt/sources.list)
  fi
  [[ -n $uri ]] || die "no apt source for $SUITE in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list"
  printf '%s\n' "$uri"
}

main() {
  local cache=${1:?usage: rootfs.sh CACHE_DIR}
  command -v debootstrap >/dev/null || die "debootstrap is missing (apt-get install debootstrap)"
  local key tarball
  key=$(printf '%s\n' "$SUITE" "$VARIANT" "$PACKAGES" "$RECIPE" | sha256sum | cut -c1-16)
  tarball="$cache/rootfs-$SUITE-$key.tar"
  if [[ -f $tarball ]]; then
    printf '%s\n' "$tarball"
    return
  fi
  mkdir -p "$cache"
  local mirror
  work=$(mktemp -d "$cache/build.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  mirror=$(host_mirror)
  printf 'rootfs: debootstrap --variant=%s %s (no cached %s)\n' "$VARIANT" "$SUITE" "$(basename "$tarball")" >&2
  debootstrap --variant="$VARIANT" --include="$PACKAGES" "$SUITE" "$work/root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -n 30 "$work/debootstrap.log" >&2; die "debootstrap failed (log above)"; }
  # No package cache, no machine id (systemd makes one at first boot), a host name of its own.
  rm -rf "$work/root/var/cache/apt/archives/"*.deb "$work/root/var/lib/apt/lists/"*
  : >"$work/root/etc/machine-id"
  printf 'qsen-prod\n' >"$work/root/etc/hostname"
  tar --numeric-owner --xattrs -C "$work/root" -cf "$work/rootfs.tar" .
  mv "$work/rootfs.tar" "$tarball"
  printf '%s\n' "$tarball"
}

main "$@"
