#!/usr/bin/env bash
# QSen uninstaller: removes what deploy/install.sh added (see docs/deployment.md).
#
#   deploy/uninstall.sh [--root DIR] [--purge]
#
# Always removed: the services (stopped and disabled), the units, the polkit rule, qsen-admin, the
# firewall table and its include line, the sshd drop-in (SSH goes back to sshd_config's
# port), QSen's /etc/hosts block, node_exporter's loopback setting (Debian's file is put
# back) and the releases under /opt/qsen.
# Kept unless --purge: /etc/qsen (configuration, PKI, the agent's encrypted key),
# /var/log/qsen (logs and audit log), /var/lib/qsen (order journal, kill switch), the user
# qsen, and the Debian packages install.sh installed (polkitd, nftables,
# prometheus-node-exporter, when they were absent before).
# With --root DIR it works on a staging folder made by install.sh --root DIR and touches
# nothing outside it.
set -euo pipefail

readonly QSEN_USER=qsen
readonly KAN_INDEXES=(0 1 2)
ROOT=""
PURGE=no

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//'
}

log() { printf 'qsen-uninstall: %s\n' "$*"; }
die() { printf 'qsen-uninstall: error: %s\n' "$*" >&2; exit 1; }
staged() { [[ -n $ROOT ]]; }
target() { printf '%s%s' "$ROOT" "$1"; }

# Removes a target file or link when present.
remove_path() {
  local path
  path=$(target "$1")
  if [[ -e $path || -L $path ]]; then
    rm -rf "$path"
    log "removed $1"
  fi
}

# Removes the lines from the BEGIN qsen marker to the END qsen marker in a target file.
remove_block() {
  local path
  path=$(target "$1")
  if [[ -f $path ]] && grep -q '^# BEGIN qsen:' "$path"; then
    sed -i '/^# BEGIN qsen:/,/^# END qsen$/d' "$path"
    log "removed QSen's block from $1"
  fi
}

parse_args() {
  while (($# > 0)); do
    case $1 in
      --root) ROOT=$(realpath -m "${2:?--root needs a folder}"); shift ;;
      --purge) PURGE=yes ;;
      -h | --help) usage; exit 0 ;;
      *) usage >&2; die "unknown option: $1" ;;
    esac
    shift
  done
  [[ $ROOT != / ]] || ROOT=""
  if ! staged && ((EUID != 0)); then die "run as root, or work on a staging folder with --root DIR"; fi
  if staged && [[ ! -d $ROOT ]]; then die "no such staging folder: $ROOT"; fi
}

remove_services() {
  local units=(qsen.service) index
  for index in "${KAN_INDEXES[@]}"; do units+=("kan@$index.service"); done
  if ! staged; then
    # The kans first, so that none of them starts qsen again.
    systemctl disable --now --quiet "${units[@]:1}" 2>/dev/null || true
    systemctl stop --quiet qsen.service 2>/dev/null || true
  fi
  for index in "${KAN_INDEXES[@]}"; do
    remove_path "/etc/systemd/system/multi-user.target.wants/kan@$index.service"
  done
  remove_path /etc/systemd/system/qsen.service
  remove_path /etc/systemd/system/kan@.service
  remove_path /etc/polkit-1/rules.d/50-qsen.rules
  remove_path /usr/local/sbin/qsen-admin
  if ! staged; then systemctl daemon-reload; fi
}

remove_firewall() {
  local conf
  conf=$(target /etc/nftables.conf)
  if [[ -f $conf ]] && grep -qxF 'include "/etc/nftables.d/qsen.nft" # qsen' "$conf"; then
    sed -i '\|^include "/etc/nftables.d/qsen.nft" # qsen$|d' "$conf"
    log "removed the include line from /etc/nftables.conf"
  fi
  remove_path /etc/nftables.d/qsen.nft
  if ! staged && nft list table inet qsen >/dev/null 2>&1; then
    nft delete table inet qsen
    log "firewall: table inet qsen deleted"
  fi
}

remove_sshd_dropin() {
  [[ -e $(target /etc/ssh/sshd_config.d/50-qsen.conf) ]] || return 0
  remove_path /etc/ssh/sshd_config.d/50-qsen.conf
  if ! staged && command -v sshd >/dev/null; then
    sshd -t || die "sshd -t fails without the drop-in; sshd was not reloaded, fix /etc/ssh/sshd_config"
    systemctl reload ssh.service
    log "sshd reloaded on the port of /etc/ssh/sshd_config (sessions already open stay open)"
  fi
}

restore_node_exporter() {
  local defaults=/etc/default/prometheus-node-exporter
  if [[ -f $(target $defaults).qsen-orig ]]; then
    mv -f "$(target $defaults).qsen-orig" "$(target $defaults)"
    log "put Debian's $defaults back"
  else
    remove_path $defaults
  fi
  if ! staged && systemctl is-active --quiet prometheus-node-exporter.service; then
    systemctl restart prometheus-node-exporter.service
  fi
}

# With --purge: removes the Debian packages install.sh installed (recorded in install.state).
remove_packages() {
  local packages
  packages=$(sed -n 's/^PACKAGES_INSTALLED_BY_QSEN=//p' "$(target /etc/qsen/install.state)" 2>/dev/null | tail -n 1)
  [[ -n $packages ]] || return 0
  if staged; then
    log "staging: packages installed by install.sh left alone: $packages"
    return
  fi
  # shellcheck disable=SC2086 # one word per package
  apt-get remove --yes $packages
  log "removed the packages install.sh had installed: $packages"
}

remove_user() {
  if staged; then
    local file
    for file in /etc/passwd /etc/group; do
      if [[ -f $(target $file) ]] && grep -q "^$QSEN_USER:" "$(target $file)"; then
        sed -i "/^$QSEN_USER:/d" "$(target $file)"
        log "removed $QSEN_USER from $file"
      fi
    done
  elif getent passwd "$QSEN_USER" >/dev/null; then
    userdel "$QSEN_USER"
    log "removed user $QSEN_USER"
  fi
}

main() {
  parse_args "$@"
  remove_services
  remove_firewall
  remove_sshd_dropin
  remove_block /etc/hosts
  restore_node_exporter
  remove_path /opt/qsen
  if [[ $PURGE == yes ]]; then
    remove_packages
    remove_path /etc/qsen
    remove_path /var/log/qsen
    remove_path /var/lib/qsen
    remove_path /run/qsen
    remove_user
  else
    log "kept /etc/qsen, /var/log/qsen, /var/lib/qsen and the user $QSEN_USER (--purge removes them)"
  fi
}

main "$@"
