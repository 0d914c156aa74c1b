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
#
# A slow or stalling mirror: wget (debootstrap's downloader) gives up on a connection that
# stalls for 60 s and tries a file 5 times (its defaults, a 900 s read timeout and 20 tries,
# let one stalled download hold the tier for hours); the downloaded packages are kept in
# CACHE_DIR/debs, so a second attempt, here or in the next run, fetches only what is missing;
# debootstrap runs twice at most. A SIGTERM (the test's deadline) stops debootstrap and every
# wget it started, and says after how long and from which mirror.
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
readonly ATTEMPTS=2
work=""
started=$SECONDS
mirror=""
bootstrap_pid=""

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
      END { if (found && uris != "") print uris }' "$file" | sed -n 1p)  # sed reads to the end: no SIGPIPE under pipefail
    [[ -z $uri ]] || break
  done
  if [[ -z $uri && -f /etc/apt/sources.list ]]; then
    uri=$(awk -v suite="$SUITE" '$1 == "deb" { u = $2; s = $3; if ($2 ~ /^\[/) { u = $3; s = $4 } if (s == suite) { print u; exit } }' /etc/apt/sources.list)
  fi
  [[ -n $uri ]] || die "no apt source for $SUITE in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list"
  printf '%s\n' "$uri"
}

# On SIGTERM or SIGINT: stop debootstrap's whole session, say how far it got, exit (the EXIT trap removes the work folder).
stopped() {
  if [[ -n $bootstrap_pid ]]; then
    kill -TERM -- "-$bootstrap_pid" 2>/dev/null || true
    wait "$bootstrap_pid" 2>/dev/null || true
  fi
  [[ -z $work || ! -f $work/debootstrap.log ]] || tail -n 5 "$work/debootstrap.log" >&2
  die "stopped after $((SECONDS - started)) s of debootstrap from ${mirror:-no mirror yet}"
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
  mkdir -p "$cache/debs"
  cache=$(cd "$cache" && pwd) # debootstrap's --cache-dir must be absolute
  work=$(mktemp -d "$cache/build.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  trap stopped TERM INT
  mirror=$(host_mirror)
  # wget reads WGETRC: bounded waits instead of its 900 s read timeout and 20 tries.
  printf '%s\n' 'connect_timeout = 30' 'dns_timeout = 30' 'read_timeout = 60' 'tries = 5' 'waitretry = 5' >"$work/wgetrc"
  local attempt
  for ((attempt = 1; ; attempt++)); do
    printf 'rootfs: debootstrap --variant=%s %s from %s, attempt %d of %d (no cached %s)\n' "$VARIANT" "$SUITE" "$mirror" "$attempt" "$ATTEMPTS" "$(basename "$tarball")" >&2
    rm -rf "$work/root"
    # In a session of its own, so that stopped() reaches every wget and dpkg it starts.
    WGETRC="$work/wgetrc" setsid debootstrap --variant="$VARIANT" --include="$PACKAGES" --cache-dir="$cache/debs" \
      "$SUITE" "$work/root" "$mirror" >"$work/debootstrap.log" 2>&1 &
    bootstrap_pid=$!
    if wait "$bootstrap_pid"; then
      bootstrap_pid=""
      break
    fi
    bootstrap_pid=""
    tail -n 30 "$work/debootstrap.log" >&2
    ((attempt < ATTEMPTS)) || die "debootstrap failed $ATTEMPTS times from $mirror after $((SECONDS - started)) s (log above)"
  done
  # No package cache, no machine id (systemd makes one at first boot), a host name of its own.
  rm -rf "$work/root/var/cache/apt/archives/"*.deb "$work/root/var/lib/apt/lists/"*
  : >"$work/root/etc/machine-id"
  printf 'qsen-prod\n' >"$work/root/etc/hostname"
  tar --numeric-owner --xattrs -C "$work/root" -cf "$work/rootfs.tar" .
  mv "$work/rootfs.tar" "$tarball"
  printf '%s\n' "$tarball"
}

main "$@"
