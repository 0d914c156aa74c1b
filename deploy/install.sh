#!/usr/bin/env bash
# QSen installer for a Debian server (see docs/deployment.md).
#
# Run as root from an unpacked release bundle (made by `npm run release`, no network and no
# Node.js needed on the server) or from a built checkout of the repository:
#   qsen-VERSION-linux-x64/deploy/install.sh [options]
#   deploy/install.sh [options]
# or, to render everything into a staging folder without touching the system:
#   deploy/install.sh --root DIR [options]
#
# Steps, in order (each one is skipped when its result is already in place, so a second run
# changes nothing; existing keys and /etc/qsen/conf.toml are never replaced):
#   1. check the platform (Linux, root, Debian tools) and the software: a bundle's files against
#      its SHA256SUMS and its Node.js against RELEASE, or a checkout's Node >= 20 and npm;
#   2. install the bundle (or build the checkout) as /opt/qsen/releases/<name>, pointing
#      /opt/qsen/current at it (the previous release stays for rollback);
#   3. create the system user qsen and the folders /etc/qsen, /var/log/qsen, /var/lib/qsen;
#      bind node_exporter to 127.0.0.1:9100 (/etc/default/prometheus-node-exporter), then
#      install polkitd, nftables and prometheus-node-exporter when absent;
#   4. make the cluster PKI, the client identities and a SENEBI test identity when absent;
#      install the agent's BYMA identity given on the command line (/etc/qsen/byma);
#   5. write /etc/qsen/conf.toml with qsen-config render (first run only) and check it;
#   6. install the systemd units and the polkit rule, enable kan@0..2;
#   7. move sshd to port 52022 (validated with sshd -t) and install the nftables firewall,
#      applied only when no SSH session would be cut;
#   8. start the kans (they start qsen inside the trading window) and print a summary.
#
# Upgrade: run the new bundle's install.sh; the previous release stays in /opt/qsen/releases.
# Rollback: /opt/qsen/current/deploy/install.sh --rollback [--release NAME] runs the installer
# of the previous release (or of NAME) from its folder, which switches /opt/qsen/current back.
# Either way the kans are restarted one at a time, each serving again before the next, then
# qsen; /etc/qsen (configuration, PKI), /var/lib/qsen (journal, kill switch) and the logs are
# never touched by the switch.
#
# With --root DIR nothing outside DIR is touched: no package is installed, no service is
# started, no firewall is applied, and the user qsen is only added to DIR/etc/passwd.
set -euo pipefail
shopt -s lastpipe  # the last command of a pipeline runs in this shell (install_text counts changes)

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
SOURCE_DIR=$(dirname "$SCRIPT_DIR")
readonly SCRIPT_DIR SOURCE_DIR
readonly QSEN_USER=qsen
readonly SSH_PORT=52022
readonly KAN_INDEXES=(0 1 2)

# Options and their defaults.
ROOT=""
BUILD=yes
RELEASE_NAME=""
ID_MIN=9999000000000000000
ID_MAX=9999999999999999999
TRADING_START=10:30
TRADING_STOP=17:30
TIMEZONE=America/Argentina/Buenos_Aires
SENEBI_URL=https://senebi.example:443
SENEBI_CA=""
SENEBI_ADDRESSES=()
API_NETWORKS=()    # sources allowed on 8443-8446 (--platform-network, --operator-network)
ADMIN_NETWORKS=()  # sources allowed on 52022 (--admin-network)
ANY_SOURCE=no
SSH_RATE=10        # new SSH connections a minute per source
HOST_NAMES=()
CONF_OPTIONS=()  # the options given that only shape a new conf.toml
BYMA_CERT=""
BYMA_KEY=""
BYMA_KEY_PASSPHRASE_FILE="-"
ROLLBACK=no
CLUSTER_MODE=""    # six-port or four-port (--four-port, --six-port; default: as installed before)
readonly GATEWAY_INDEX=0  # the kan that answers for the cluster in a new [cluster] section
READY_TIMEOUT_S=90 # a restarted node must answer its loopback ping within this

# Filled while running.
BUNDLE=no      # yes when SOURCE_DIR is a release bundle (RELEASE, SHA256SUMS, node/bin/node)
NODE_BIN=""    # the node this script runs the release's tools with
UNIT_NODE=""   # the node the units and qsen-admin run
RELEASE_DIR=""
INCOMING=""
RELEASE_CHANGED=no
UNITS_CHANGED=no
CONFIG_CHANGED=no
NODE_EXPORTER_CHANGED=no
CHANGES=0
WARNINGS=()

usage() {
  cat <<'EOF'
Usage: deploy/install.sh [options]

  --root DIR                      install into DIR instead of / (staging: nothing is started,
                                  no firewall applied, no package installed, no user created
                                  outside DIR)
  --no-build                      use the checkout's existing build (packages/*/dist)
  --release NAME                  name of the release folder (default: <version>-<commit>);
                                  with --rollback: the release to go back to
  --rollback                      switch back to the release installed before this one (or
                                  --release NAME) by running its own installer; nothing
                                  else changes
  --four-port                     four-port mode: only 52022, 8443 and kan 0's 8444 are open;
                                  kan 1 and kan 2 listen on loopback only and kan 0 answers
                                  for the whole cluster (docs/deployment.md)
  --six-port                      back to the default: 52022 and 8443-8446 open
  --id-min ID, --id-max ID        the platform's order id range
                                  (default 9999000000000000000 .. 9999999999999999999)
  --trading-hours HH:MM-HH:MM     qsen's daily window (default 10:30-17:30)
  --timezone ZONE                 the window's time zone (default America/Argentina/Buenos_Aires)
  --host NAME                     a name or address of this server for its TLS certificate
                                  (repeatable; default: the FQDN and addresses of this host)
  --senebi-url URL                SENEBI's base URL (default https://senebi.example:443,
                                  a placeholder)
  --senebi-ca FILE                CA certificate that signs SENEBI's server certificate
                                  (with --byma-cert and --byma-key)
  --senebi-address IP             an address of SENEBI the firewall lets qsen reach on 443
                                  (repeatable; default: as installed before, else resolved)
  --platform-network CIDR         a network of the trading platform allowed to connect to
                                  8443-8446 (repeatable, IPv4 or IPv6; with
                                  --operator-network: only these may; default: as installed
                                  before, else every source, with a warning)
  --operator-network CIDR         a network of the operators allowed on 8443-8446 (same)
  --admin-network CIDR            a network allowed to connect to SSH on 52022 (repeatable;
                                  default: as installed before, else every source, warned)
  --any-source                    forget the networks installed before: every source may
                                  connect again (unless new ones are given)
  --ssh-rate N                    new SSH connections a minute one source may open (default 10)
  --byma-cert FILE                the agent's certificate registered at BYMA
  --byma-key FILE                 its private key (stored encrypted with a new passphrase)
  --byma-key-passphrase-file FILE passphrase of --byma-key when that file is encrypted
  -h, --help                      this text

Without --byma-cert/--byma-key/--senebi-ca a generated test identity (/etc/qsen/senebi)
stands in for the BYMA certificate; the summary and qsen's cert/info mark it as such.
The BYMA identity goes to /etc/qsen/byma and is never replaced by a later run.
EOF
}

log() { printf 'qsen-install: %s\n' "$*"; }
warn() { WARNINGS+=("$*"); printf 'qsen-install: WARNING: %s\n' "$*" >&2; }
die() { printf 'qsen-install: error: %s\n' "$*" >&2; exit 1; }
staged() { [[ -n $ROOT ]]; }
# The path of an absolute target path inside the install root.
target() { printf '%s%s' "$ROOT" "$1"; }
changed() { CHANGES=$((CHANGES + 1)); log "$*"; }

parse_args() {
  while (($# > 0)); do
    case $1 in
      --root) ROOT=$(realpath -m "${2:?--root needs a folder}"); shift ;;
      --no-build) BUILD=no ;;
      --release) RELEASE_NAME=${2:?--release needs a name}; shift ;;
      --rollback) ROLLBACK=yes ;;
      --four-port) CLUSTER_MODE=four-port ;;
      --six-port) CLUSTER_MODE=six-port ;;
      --id-min) ID_MIN=${2:?--id-min needs an id}; CONF_OPTIONS+=("$1"); shift ;;
      --id-max) ID_MAX=${2:?--id-max needs an id}; CONF_OPTIONS+=("$1"); shift ;;
      --trading-hours)
        local hours=${2:?--trading-hours needs HH:MM-HH:MM}
        TRADING_START=${hours%-*}
        TRADING_STOP=${hours#*-}
        CONF_OPTIONS+=("$1")
        shift ;;
      --timezone) TIMEZONE=${2:?--timezone needs a zone}; CONF_OPTIONS+=("$1"); shift ;;
      --host) HOST_NAMES+=("${2:?--host needs a name}"); shift ;;
      --senebi-url) SENEBI_URL=${2:?--senebi-url needs a URL}; CONF_OPTIONS+=("$1"); shift ;;
      --senebi-ca) SENEBI_CA=$(realpath "${2:?--senebi-ca needs a file}"); shift ;;
      --senebi-address) SENEBI_ADDRESSES+=("${2:?--senebi-address needs an IP address}"); shift ;;
      --platform-network | --operator-network) API_NETWORKS+=("${2:?$1 needs a network (CIDR)}"); shift ;;
      --admin-network) ADMIN_NETWORKS+=("${2:?--admin-network needs a network (CIDR)}"); shift ;;
      --any-source) ANY_SOURCE=yes ;;
      --ssh-rate) SSH_RATE=${2:?--ssh-rate needs a number}; shift ;;
      --byma-cert) BYMA_CERT=$(realpath "${2:?--byma-cert needs a file}"); shift ;;
      --byma-key) BYMA_KEY=$(realpath "${2:?--byma-key needs a file}"); shift ;;
      --byma-key-passphrase-file) BYMA_KEY_PASSPHRASE_FILE=$(realpath "${2:?--byma-key-passphrase-file needs a file}"); shift ;;
      -h | --help) usage; exit 0 ;;
      *) usage >&2; die "unknown option: $1" ;;
    esac
    shift
  done
  [[ $ROOT != / ]] || ROOT=""
  if [[ -f $SOURCE_DIR/RELEASE && -f $SOURCE_DIR/SHA256SUMS ]]; then BUNDLE=yes; fi
  # Values that end up in conf.toml are checked here, so no option can inject TOML.
  [[ $ID_MIN =~ ^[0-9]{1,20}$ ]] || die "--id-min must be a decimal unsigned 64-bit id: $ID_MIN"
  [[ $ID_MAX =~ ^[0-9]{1,20}$ ]] || die "--id-max must be a decimal unsigned 64-bit id: $ID_MAX"
  [[ $TRADING_START =~ ^([01][0-9]|2[0-3]):[0-5][0-9]$ ]] || die "--trading-hours start must be HH:MM: $TRADING_START"
  [[ $TRADING_STOP =~ ^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$ ]] || die "--trading-hours stop must be HH:MM or 24:00: $TRADING_STOP"
  [[ -z $RELEASE_NAME || $RELEASE_NAME =~ ^[A-Za-z0-9][A-Za-z0-9._+-]*$ ]] || die "--release must be a plain folder name: $RELEASE_NAME"
  [[ $TIMEZONE =~ ^[A-Za-z0-9_+/-]+$ ]] || die "--timezone is not a time zone name: $TIMEZONE"
  [[ $SENEBI_URL =~ ^https://[A-Za-z0-9.-]+(:[0-9]+)?(/[A-Za-z0-9._~/-]*)?$ ]] || die "--senebi-url must be an https:// URL: $SENEBI_URL"
  local name address
  for name in "${HOST_NAMES[@]}"; do
    [[ $name =~ ^[A-Za-z0-9.:-]+$ ]] || die "--host is not a host name or address: $name"
  done
  for address in "${SENEBI_ADDRESSES[@]}"; do
    [[ $address =~ ^[0-9A-Fa-f.:]+$ ]] || die "--senebi-address is not an IP address: $address"
  done
  for address in "${API_NETWORKS[@]}" "${ADMIN_NETWORKS[@]}"; do
    is_network "$address" || die "not an IPv4 or IPv6 network (ADDRESS or ADDRESS/PREFIX): $address"
  done
  [[ $SSH_RATE =~ ^[1-9][0-9]{0,3}$ ]] || die "--ssh-rate must be a number of connections a minute (1-9999): $SSH_RATE"
  if [[ -n $BYMA_CERT || -n $BYMA_KEY || -n $SENEBI_CA ]]; then
    [[ -f $BYMA_CERT && -f $BYMA_KEY && -f $SENEBI_CA ]] ||
      die "--byma-cert, --byma-key and --senebi-ca go together and must be readable files"
  fi
}

# True when the argument is an IPv4 or IPv6 address, optionally with a prefix length.
is_network() {
  local address=${1%/*} prefix="" max octet
  if [[ $1 == */* ]]; then prefix=${1#*/}; fi
  if [[ $address =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]]; then
    for octet in ${address//./ }; do ((10#$octet <= 255)) || return 1; done
    max=32
  elif [[ $address == *:* && $address =~ ^[0-9A-Fa-f:.]+$ ]]; then
    max=128
  else
    return 1
  fi
  [[ -z $prefix ]] || { [[ $prefix =~ ^[0-9]{1,3}$ ]] && ((10#$prefix <= max)); }
}

# 1. Platform ------------------------------------------------------------------------------

check_platform() {
  local missing=()
  [[ $(uname -s) == Linux ]] || die "QSen installs on Linux only (this is $(uname -s))"
  if ! staged && ((EUID != 0)); then
    die "run as root (sudo deploy/install.sh ...), or stage with --root DIR"
  fi
  local tool
  for tool in openssl sha256sum; do
    command -v "$tool" >/dev/null || missing+=("$tool")
  done
  if [[ $BUNDLE == yes ]]; then
    verify_bundle
  else
    find_system_node
    command -v npm >/dev/null || missing+=(npm)
  fi
  if ! staged; then
    for tool in systemctl apt-get dpkg-query useradd ss; do
      command -v "$tool" >/dev/null || missing+=("$tool")
    done
  fi
  ((${#missing[@]} == 0)) || die "missing tools: ${missing[*]} (Debian: apt-get install openssl iproute2 passwd; npm comes with Node.js)"
  log "platform: Linux, node $("$NODE_BIN" --version) at $NODE_BIN${ROOT:+, staging into $ROOT}"
}

# Checks a release bundle before anything is installed: every file against SHA256SUMS (a
# truncated copy or a changed file stops here), its Node.js against RELEASE's node_sha256.
verify_bundle() {
  local expected actual
  (cd "$SOURCE_DIR" && sha256sum --check --quiet --strict SHA256SUMS) ||
    die "the release bundle in $SOURCE_DIR does not match its SHA256SUMS: copy it again and check its .sha256"
  expected=$(sed -n 's/^node_sha256=//p' "$SOURCE_DIR/RELEASE")
  actual=$(sha256sum "$SOURCE_DIR/node/bin/node" | cut -d' ' -f1)
  [[ -n $expected && $actual == "$expected" ]] || die "node/bin/node is not the runtime RELEASE names (sha256 $actual)"
  NODE_BIN=$SOURCE_DIR/node/bin/node
  UNIT_NODE=/opt/qsen/current/node/bin/node
  "$NODE_BIN" --version >/dev/null || die "the bundle's node/bin/node does not run on this server"
  log "bundle: $(sed -n 's/^name=//p' "$SOURCE_DIR/RELEASE"), every file matches SHA256SUMS, Node.js $("$NODE_BIN" --version) (sha256 ${actual:0:16}...)"
}

# Finds the system's Node.js >= 20 for an install from a checkout.
find_system_node() {
  NODE_BIN=$(command -v node || true)
  [[ -n $NODE_BIN ]] || die "Node.js >= 20 is required and 'node' is not on PATH (install from a release bundle instead: docs/deployment.md)"
  local major
  major=$("$NODE_BIN" -p 'process.versions.node.split(".")[0]')
  ((major >= 20)) || die "Node.js >= 20 is required, $NODE_BIN is $("$NODE_BIN" --version)"
  case $NODE_BIN in
    /home/* | /root/* | /tmp/*)
      local problem="node must be installed system-wide: the units cannot see $NODE_BIN (ProtectHome, PrivateTmp)"
      if staged; then warn "$problem"; else die "$problem"; fi ;;
  esac
  UNIT_NODE=$NODE_BIN
}

# Files and ownership --------------------------------------------------------------------

# Prints the numeric or named user:group for chown. In a staging root the ids come from
# DIR/etc/passwd and DIR/etc/group (the qsen entry lives only there).
owner_of() {
  local user=$1 group=$2
  if ! staged; then
    printf '%s:%s' "$user" "$group"
    return
  fi
  local uid=0 gid=0
  if [[ $user != root ]]; then uid=$(awk -F: -v u="$user" '$1 == u { print $3 }' "$(target /etc/passwd)"); fi
  if [[ $group != root ]]; then gid=$(awk -F: -v g="$group" '$1 == g { print $3 }' "$(target /etc/group)"); fi
  printf '%s:%s' "$uid" "$gid"
}

# Sets mode and owner of a path, quietly (ownership only when running as root).
apply_access() {
  local path=$1 mode=$2 user=$3 group=$4
  chmod "$mode" "$path"
  if ((EUID == 0)); then chown -h "$(owner_of "$user" "$group")" "$path"; fi
}

# Gives a path its mode and owner when it has others, and reports the change.
set_access() {
  local path=$1 mode=$2 user=$3 group=$4 owner format='%U:%G'
  if ((8#$(stat -c '%a' "$path") != 8#$mode)); then
    chmod "$mode" "$path"
    changed "mode $mode on ${path#"$ROOT"}"
  fi
  ((EUID == 0)) || return 0
  owner=$(owner_of "$user" "$group")
  if staged; then format='%u:%g'; fi
  if [[ $(stat -c "$format" "$path") != "$owner" ]]; then
    chown -h "$owner" "$path"
    changed "owner $user:$group on ${path#"$ROOT"}"
  fi
}

# Creates a folder (with parents) and sets its mode and owner.
ensure_dir() {
  local dir=$1 mode=$2 user=$3 group=$4 path
  path=$(target "$dir")
  if [[ -d $path ]]; then
    set_access "$path" "$mode" "$user" "$group"
  else
    mkdir -p "$path"
    apply_access "$path" "$mode" "$user" "$group"
    changed "created $dir ($mode $user:$group)"
  fi
}

# Installs SOURCE as the target file DEST unless it already has this content; the new file
# gets its mode and owner before it replaces the old one.
install_file() {
  local source=$1 dest=$2 mode=$3 user=$4 group=$5 path
  path=$(target "$dest")
  if [[ ! -f $path ]] || ! cmp -s "$source" "$path"; then
    mkdir -p "$(dirname "$path")"
    cp "$source" "$path.qsen-new"
    apply_access "$path.qsen-new" "$mode" "$user" "$group"
    mv -f "$path.qsen-new" "$path"
    changed "wrote $dest"
  fi
  set_access "$path" "$mode" "$user" "$group"
}

# Installs the text on stdin as DEST (see install_file).
install_text() {
  local scratch
  scratch=$(mktemp)
  cat >"$scratch"
  install_file "$scratch" "$@"
  rm -f "$scratch"
}

# Makes LINK point at TARGET_PATH (atomically), unless it already does.
ensure_link() {
  local target_path=$1 link=$2 path
  path=$(target "$link")
  if [[ $(readlink "$path" 2>/dev/null || true) != "$target_path" ]]; then
    mkdir -p "$(dirname "$path")"
    ln -sfn "$target_path" "$path.qsen-new"
    mv -fT "$path.qsen-new" "$path"
    changed "linked $link -> $target_path"
  fi
}

# 2. Build and release -------------------------------------------------------------------

build_software() {
  if [[ $BUNDLE == yes ]]; then
    log "build: none, installing the release bundle $SOURCE_DIR"
    return
  fi
  if [[ $BUILD == no ]]; then
    log "build: skipped (--no-build), using the checkout's packages/*/dist"
  else
    log "build: npm ci (when the installed modules do not match the lockfile) and npm run build"
    (
      cd "$SOURCE_DIR"
      npm ls --silent >/dev/null 2>&1 || npm ci --ignore-scripts --no-audit --no-fund
      npm run build --silent
    )
  fi
  local pkg
  for pkg in pki core setup qsen console kan; do
    [[ -d $SOURCE_DIR/packages/$pkg/dist/src ]] || die "packages/$pkg/dist/src is missing: build the checkout (npm ci && npm run build)"
  done
}

# Prints, one per line and relative to SOURCE_DIR, the files and folders of the release: all of
# a bundle, or what deploy/release-files.sh lists in a checkout.
list_release_roots() {
  if [[ $BUNDLE == yes ]]; then
    (cd "$SOURCE_DIR" && find . -mindepth 1 -maxdepth 1 -printf '%P\n' | LC_ALL=C sort)
  else
    "$SCRIPT_DIR/release-files.sh" "$SOURCE_DIR"
  fi
}

# A short digest of the release's files and links (names, contents, link targets).
digest_release() {
  local -a roots=("$@")
  (
    cd "$SOURCE_DIR"
    {
      find "${roots[@]}" -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum
      find "${roots[@]}" -type l -printf '%p -> %l\n' | LC_ALL=C sort
    } | sha256sum | cut -c1-12
  )
}

# Installs the build as /opt/qsen/releases/<version>-<commit>[-dirty-<digest>] and points
# /opt/qsen/current at it. A release folder, once there, is never changed.
install_release() {
  local -a roots
  local releases digest version commit name
  mapfile -t roots < <(list_release_roots)
  # Not `printf | grep -q` under pipefail: grep -q exits at its first match, and a printf still
  # writing then dies of SIGPIPE, which fails the pipeline (1 run in about 300 on an idle machine).
  local root has_dependencies=no
  for root in "${roots[@]}"; do
    if [[ $root == node_modules || $root == node_modules/node-forge ]]; then has_dependencies=yes; fi
  done
  [[ $has_dependencies == yes ]] ||
    die "could not list the production dependencies (npm ls --omit=dev failed in $SOURCE_DIR)"
  if [[ $BUNDLE == yes ]]; then
    digest=$(sed -n 's/^digest=//p' "$SOURCE_DIR/RELEASE")
    name=$(sed -n 's/^name=//p' "$SOURCE_DIR/RELEASE")
    [[ $name =~ ^[A-Za-z0-9][A-Za-z0-9._+-]*$ && -n $digest ]] || die "RELEASE in $SOURCE_DIR names no release"
  else
    digest=$(digest_release "${roots[@]}")
  fi
  version=$("$NODE_BIN" -p 'require(process.argv[1]).version' "$SOURCE_DIR/packages/qsen/package.json")
  if [[ $BUNDLE == yes ]]; then
    commit=$(sed -n 's/^commit=//p' "$SOURCE_DIR/RELEASE")
  elif commit=$(git -C "$SOURCE_DIR" rev-parse --short=12 HEAD 2>/dev/null); then
    name="$version-$commit"
    if [[ -n $(git -C "$SOURCE_DIR" status --porcelain -- packages package.json package-lock.json 2>/dev/null) ]]; then
      name="$name-dirty-$digest"
    fi
  else
    commit=none
    name="$version-$digest"
  fi
  name=${RELEASE_NAME:-$name}
  RELEASE_DIR="/opt/qsen/releases/$name"
  releases=$(target /opt/qsen/releases)
  if [[ -d $releases/$name ]]; then
    [[ $(sed -n 's/^digest=//p' "$releases/$name/RELEASE" 2>/dev/null) == "$digest" ]] ||
      die "release $name already exists with other content: remove $RELEASE_DIR or pass --release NAME"
    log "release: $name already installed"
  else
    INCOMING=$(mktemp -d)
    trap 'rm -rf "$INCOMING"' EXIT
    (cd "$SOURCE_DIR" && find "${roots[@]}" \( -type f -o -type l \) -print0 | tar --null --files-from=- -cf -) |
      tar -xf - -C "$INCOMING"
    [[ $BUNDLE == yes ]] || printf 'name=%s\nversion=%s\ncommit=%s\ndigest=%s\n' "$name" "$version" "$commit" "$digest" >"$INCOMING/RELEASE"
    chmod -R u=rwX,go=rX "$INCOMING"
    if ((EUID == 0)); then chown -R "$(owner_of root root)" "$INCOMING"; fi
    mkdir -p "$releases"
    mv "$INCOMING" "$releases/$name"
    trap - EXIT
    changed "installed release $name"
  fi
  set_access "$(target /opt/qsen)" 0755 root root
  set_access "$releases" 0755 root root
  local previous
  previous=$(readlink "$(target /opt/qsen/current)" 2>/dev/null || true)
  if [[ $previous != "releases/$name" ]]; then
    precheck_config "$releases/$name"
    ensure_link "releases/$name" /opt/qsen/current
    RELEASE_CHANGED=yes
    if [[ -n $previous ]]; then
      record_state PREVIOUS_RELEASE "${previous#releases/}"
      log "release: previous release kept for rollback: /opt/qsen/$previous (install.sh --rollback)"
    fi
  fi
}

# Before /opt/qsen/current is switched: an existing conf.toml must pass the check of the
# release switched to (a release that does not know a key written there would not start).
precheck_config() {
  local release=$1 conf
  conf=$(target /etc/qsen/conf.toml)
  [[ -f $conf ]] || return 0
  "$NODE_BIN" "$(config_cli "$release")" check "$conf" >/dev/null ||
    die "/etc/qsen/conf.toml does not pass the check of release $(basename "$release"): /opt/qsen/current was not switched"
}

# --rollback: runs the installer of the previous release (PREVIOUS_RELEASE in install.state,
# or --release NAME) from its folder under /opt/qsen/releases, which verifies it again and
# switches /opt/qsen/current back with the same controlled restart. Only a release installed
# from a bundle carries what its installer checks (SHA256SUMS).
rollback() {
  local name=${RELEASE_NAME:-$(read_state PREVIOUS_RELEASE)} current dir
  [[ -n $name ]] || die "no previous release is recorded in /etc/qsen/install.state: name one with --rollback --release NAME (ls /opt/qsen/releases)"
  current=$(readlink "$(target /opt/qsen/current)" 2>/dev/null || true)
  [[ $current != "releases/$name" ]] || die "release $name is already the current one"
  dir=/opt/qsen/releases/$name
  [[ -x $(target "$dir")/deploy/install.sh ]] || die "release $name is not installed ($dir/deploy/install.sh is missing)"
  [[ -f $(target "$dir")/SHA256SUMS ]] ||
    die "release $name was installed from a checkout, not from a bundle: switch to it as docs/deployment.md, Rollback, describes"
  log "rollback: from ${current#releases/} to $name, with $dir/deploy/install.sh"
  local -a args=()
  [[ -z $ROOT ]] || args+=(--root "$ROOT")
  exec "$(target "$dir")/deploy/install.sh" "${args[@]}" --release "$name"
}

# 3. User and folders --------------------------------------------------------------------

ensure_user() {
  if staged; then
    local passwd group uid
    passwd=$(target /etc/passwd)
    group=$(target /etc/group)
    mkdir -p "$(dirname "$passwd")"
    [[ -e $passwd ]] || : >"$passwd"
    [[ -e $group ]] || : >"$group"
    if ! grep -q "^$QSEN_USER:" "$passwd"; then
      uid=999
      # grep -c reads all of cut's output (grep -q could stop early and SIGPIPE cut, failing the
    # pipeline under pipefail and ending the loop on a uid that is taken).
    while [[ $(cut -d: -f3 "$passwd" "$group" | grep -cx "$uid") != 0 ]]; do uid=$((uid - 1)); done
      printf '%s:x:%s:%s:QSen services:/nonexistent:/usr/sbin/nologin\n' "$QSEN_USER" "$uid" "$uid" >>"$passwd"
      printf '%s:x:%s:\n' "$QSEN_USER" "$uid" >>"$group"
      changed "added user $QSEN_USER ($uid) to $passwd (staging only)"
    fi
  elif ! getent passwd "$QSEN_USER" >/dev/null; then
    useradd --system --user-group --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin --comment "QSen services" "$QSEN_USER"
    changed "created system user $QSEN_USER (no shell, no home)"
  fi
}

ensure_folders() {
  ensure_dir /etc/qsen 0750 root "$QSEN_USER"
  ensure_dir /var/log/qsen 0750 "$QSEN_USER" "$QSEN_USER"
  ensure_dir /var/lib/qsen 0750 "$QSEN_USER" "$QSEN_USER"
}

# 3b. node_exporter and Debian packages -----------------------------------------------------

# Installs the Debian packages QSen relies on when absent: polkitd (the kans' systemctl
# rights), nftables (the firewall) and prometheus-node-exporter. The ones installed here are
# recorded, so that uninstall.sh --purge removes only those.
install_packages() {
  if staged; then
    log "packages: staging, nothing installed (polkitd nftables prometheus-node-exporter)"
    return
  fi
  local package missing=() recorded
  for package in polkitd nftables prometheus-node-exporter; do
    [[ $(dpkg-query --show --showformat='${Status}' "$package" 2>/dev/null) == *'install ok installed'* ]] || missing+=("$package")
  done
  ((${#missing[@]} > 0)) || return 0
  log "packages: apt-get install ${missing[*]}"
  # confold: keep the node_exporter defaults file written just before.
  DEBIAN_FRONTEND=noninteractive apt-get install --yes --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}"
  recorded=$(read_state PACKAGES_INSTALLED_BY_QSEN)
  record_state PACKAGES_INSTALLED_BY_QSEN "$(printf '%s\n' "$recorded" "${missing[@]}" | xargs -n 1 | sort -u | xargs)"
  changed "installed ${missing[*]}"
}

# Binds node_exporter to 127.0.0.1:9100 through Debian's defaults file (ARGS). Written before
# the package is installed, so that node_exporter never listens on another address.
install_node_exporter_defaults() {
  local defaults=/etc/default/prometheus-node-exporter before
  if [[ -f $(target $defaults) && ! -f $(target $defaults).qsen-orig ]] &&
    ! cmp -s "$(target $defaults)" "$SCRIPT_DIR/node-exporter/prometheus-node-exporter"; then
    cp -p "$(target $defaults)" "$(target $defaults).qsen-orig"
    changed "kept Debian's $defaults as $defaults.qsen-orig"
  fi
  before=$CHANGES
  install_file "$SCRIPT_DIR/node-exporter/prometheus-node-exporter" $defaults 0644 root root
  ((CHANGES == before)) || NODE_EXPORTER_CHANGED=yes
}

# Install state (/etc/qsen/install.state): what a later run or uninstall.sh must know.
read_state() {
  local file
  file=$(target /etc/qsen/install.state)
  [[ -f $file ]] || return 0
  sed -n "s/^$1=//p" "$file" | tail -n 1
}

record_state() {
  local key=$1 value=$2 file
  file=$(target /etc/qsen/install.state)
  [[ $(read_state "$key") != "$value" ]] || return 0
  { grep -v "^$key=" "$file" 2>/dev/null || true; printf '%s=%s\n' "$key" "$value"; } |
    install_text /etc/qsen/install.state 0640 root "$QSEN_USER"
}

# 4. PKI and the SENEBI identity ---------------------------------------------------------

default_host_names() {
  if ((${#HOST_NAMES[@]} > 0)); then return; fi
  local name
  name=$(hostname --fqdn 2>/dev/null || hostname)
  [[ -z $name || $name == localhost ]] || HOST_NAMES+=("$name")
  for name in $(hostname --all-ip-addresses 2>/dev/null || true); do
    HOST_NAMES+=("$name")
  done
}

# Sets the modes and owners under /etc/qsen/pki, /etc/qsen/senebi (the generated test
# identity) and /etc/qsen/byma (the agent's BYMA identity): qsen reads the server key, the
# certificates and the encrypted SENEBI key with its passphrase; the CA keys and the client
# keys stay root's.
secure_pki_files() {
  local file dir
  ensure_dir /etc/qsen 0750 root "$QSEN_USER"
  ensure_dir /etc/qsen/pki 0750 root "$QSEN_USER"
  for file in "$(target /etc/qsen/pki)"/*; do
    [[ -f $file ]] || continue
    case $(basename "$file") in
      *.crt | crl.pem) set_access "$file" 0644 root root ;;
      server.key | gateway.key) set_access "$file" 0640 root "$QSEN_USER" ;;
      *) set_access "$file" 0600 root root ;;
    esac
  done
  for dir in /etc/qsen/pki/clients /etc/qsen/pki/archive; do
    [[ -d $(target $dir) ]] || continue
    ensure_dir $dir 0700 root root
    for file in "$(target $dir)"/*; do
      [[ -f $file ]] || continue
      case $(basename "$file") in
        *.crt) set_access "$file" 0644 root root ;;
        *) set_access "$file" 0600 root root ;;
      esac
    done
  done
  for dir in /etc/qsen/senebi /etc/qsen/byma; do
    [[ -d $(target $dir) ]] || continue
    ensure_dir $dir 0750 root "$QSEN_USER"
    for file in "$(target $dir)"/*; do
      [[ -f $file ]] || continue
      case $(basename "$file") in
        *.crt) set_access "$file" 0644 root root ;;
        agent.key.enc | passphrase) set_access "$file" 0600 "$QSEN_USER" "$QSEN_USER" ;;
        *) set_access "$file" 0600 root root ;;
      esac
    done
  done
}

# Makes whatever is missing of the cluster PKI (CA, CRL, server and client identities) and
# of the SENEBI test identity in /etc/qsen/senebi; never replaces a file (qsen-pki init).
generate_pki() {
  local args=() name
  default_host_names
  for name in "${HOST_NAMES[@]}"; do args+=(--host "$name"); done
  log "pki: qsen-pki init --home /etc/qsen ${args[*]} (existing keys are kept)"
  (umask 077 && "$NODE_BIN" "$(target "$RELEASE_DIR")/packages/pki/dist/src/cli.js" init --home "$(target /etc/qsen)" "${args[@]}") |
    sed 's/^/qsen-pki: /'
  secure_pki_files
}

# True when the agent's BYMA identity is installed (/etc/qsen/byma).
has_byma_identity() { [[ -f $(target /etc/qsen/byma/agent.crt) ]]; }

# Installs the agent's BYMA certificate, its key (encrypted with a new passphrase) and the
# SENEBI CA into /etc/qsen/byma. An installed BYMA identity is never replaced. When
# conf.toml still points at the test identity, its [senebi] paths are moved to byma/.
install_byma_identity() {
  [[ -n $BYMA_CERT ]] || return 0
  local byma scratch conf
  byma=$(target /etc/qsen/byma)
  if has_byma_identity; then
    cmp -s "$BYMA_CERT" "$byma/agent.crt" ||
      die "another BYMA certificate is installed in /etc/qsen/byma; move that folder away first (docs/deployment.md, certificate renewal)"
    log "senebi: the BYMA certificate is already installed"
    return
  fi
  ensure_dir /etc/qsen/byma 0750 root "$QSEN_USER"
  scratch=$(mktemp -d)
  chmod 0700 "$scratch"
  "$NODE_BIN" "$SCRIPT_DIR/senebi/encrypt-agent-key.mjs" "$(target "$RELEASE_DIR")" \
    "$BYMA_CERT" "$BYMA_KEY" "$BYMA_KEY_PASSPHRASE_FILE" "$scratch" || { rm -rf "$scratch"; die "the BYMA key was not installed"; }
  install_file "$SENEBI_CA" /etc/qsen/byma/ca.crt 0644 root root
  install_file "$scratch/agent.key.enc" /etc/qsen/byma/agent.key.enc 0600 "$QSEN_USER" "$QSEN_USER"
  install_file "$scratch/passphrase" /etc/qsen/byma/passphrase 0600 "$QSEN_USER" "$QSEN_USER"
  rm -rf "$scratch"
  # The certificate last: it is what marks the identity as installed.
  install_file "$BYMA_CERT" /etc/qsen/byma/agent.crt 0644 root root
  changed "installed the agent's BYMA identity in /etc/qsen/byma (key encrypted with a new passphrase)"
  conf=$(target /etc/qsen/conf.toml)
  if [[ -f $conf ]] && grep -q '^test_identity = true$' "$conf"; then
    sed -i -e '/^\[senebi\]$/,/^\[/ s#^\(ca\|cert\|key\|passphrase_file\) = "senebi/#\1 = "byma/#' \
      -e 's/^test_identity = true$/test_identity = false/' "$conf"
    changed "conf.toml: [senebi] now uses the BYMA identity (byma/...), test_identity = false"
  fi
}

# 5. Configuration -----------------------------------------------------------------------

# The qsen-config command (render, check) of the release in folder $1.
config_cli() { printf '%s/packages/setup/dist/src/config/cli.js' "$1"; }

write_config() {
  local conf cli test_identity=false senebi_dir hosts="" name
  conf=$(target /etc/qsen/conf.toml)
  cli=$(config_cli "$(target "$RELEASE_DIR")")
  if [[ -f $conf ]]; then
    log "config: /etc/qsen/conf.toml exists, kept as it is"
    ((${#CONF_OPTIONS[@]} == 0)) ||
      warn "/etc/qsen/conf.toml exists, so ${CONF_OPTIONS[*]} changed nothing: edit the file (docs/deployment.md)"
  else
    senebi_dir=byma
    has_byma_identity || { senebi_dir=senebi; test_identity=true; }
    for name in "${HOST_NAMES[@]}"; do hosts+="${hosts:+, }\"$name\""; done
    # Rendered next to its final place (relative paths resolve the same), checked, then moved.
    "$NODE_BIN" "$cli" render --mode systemd --id-min "$ID_MIN" --id-max "$ID_MAX" \
      --timezone "$TIMEZONE" --start "$TRADING_START" --stop "$TRADING_STOP" \
      --senebi-url "$SENEBI_URL" --senebi-dir "$senebi_dir" --test-identity "$test_identity" |
      sed "s|^host_names = \[\]\$|host_names = [$hosts]|" >"$conf.qsen-new"
    "$NODE_BIN" "$cli" check "$conf.qsen-new" >/dev/null || die "the rendered conf.toml ($conf.qsen-new) does not pass the check above"
    apply_access "$conf.qsen-new" 0640 root "$QSEN_USER"
    mv "$conf.qsen-new" "$conf"
    changed "wrote /etc/qsen/conf.toml"
  fi
  set_access "$conf" 0640 root "$QSEN_USER"
  log "config: qsen-config check /etc/qsen/conf.toml"
  "$NODE_BIN" "$cli" check "$conf" >/dev/null ||
    die "/etc/qsen/conf.toml does not pass the check above; fix it and run the installer again"
}

# Four-port mode ([cluster] in conf.toml, CLUSTER_MODE in install.state): --four-port or
# --six-port, else what was installed before, else six-port. In four-port mode kan 0 answers for
# the cluster and reaches the other nodes over loopback with its own client identity
# (pki/gateway.crt and .key: issued once as the auditor client kan-gateway, read-only).
configure_cluster_mode() {
  [[ -n $CLUSTER_MODE ]] || CLUSTER_MODE=$(read_state CLUSTER_MODE)
  [[ -n $CLUSTER_MODE ]] || CLUSTER_MODE=six-port
  record_state CLUSTER_MODE "$CLUSTER_MODE"
  [[ $CLUSTER_MODE == six-port ]] || install_gateway_identity
  set_conf_cluster_mode "$CLUSTER_MODE"
  if [[ $CLUSTER_MODE == four-port ]]; then
    log "cluster: four-port mode, kan $(gateway_index) answers for the cluster on port $((8444 + $(gateway_index))); the other kans on loopback only"
  else
    log "cluster: six-port mode (every kan answers on its own port)"
  fi
}

# The gateway's client identity: issued once (qsen-pki issue-client, role auditor), copied next
# to the server key where user qsen may read it (again after a qsen-pki renew kan-gateway).
install_gateway_identity() {
  local pki
  pki=$(target /etc/qsen/pki)
  if [[ ! -f $pki/clients/kan-gateway.crt ]]; then
    (umask 077 && "$NODE_BIN" "$(target "$RELEASE_DIR")/packages/pki/dist/src/cli.js" issue-client --role auditor --name kan-gateway --home "$(target /etc/qsen)") |
      sed 's/^/qsen-pki: /'
  fi
  install_file "$pki/clients/kan-gateway.key" /etc/qsen/pki/gateway.key 0640 root "$QSEN_USER"
  install_file "$pki/clients/kan-gateway.crt" /etc/qsen/pki/gateway.crt 0644 root root
}

# A [cluster] key of conf.toml as written (quotes removed), empty when absent.
conf_cluster_value() {
  awk -v key="$1" '/^\[/ { section = $0 } section == "[cluster]" && $1 == key { print $3 }' "$(target /etc/qsen/conf.toml)" | tr -d '"'
}

# The gateway kan's index in four-port mode: conf.toml's [cluster] gateway (kan 0 by default).
gateway_index() {
  local index
  index=$(conf_cluster_value gateway)
  [[ $index =~ ^[0-2]$ ]] || index=$GATEWAY_INDEX
  printf '%s' "$index"
}

# Writes [cluster] mode = MODE into conf.toml (adding the section when an older conf.toml has
# none), checks the result and takes it back when the check fails.
set_conf_cluster_mode() {
  local mode=$1 conf current scratch
  conf=$(target /etc/qsen/conf.toml)
  current=$(conf_cluster_value mode)
  [[ $current != "$mode" ]] || return 0
  [[ -n $current || $mode != six-port ]] || return 0  # no section: six-port is the default
  scratch=$(mktemp)
  if [[ -n $current ]]; then
    sed '/^\[cluster\]$/,/^\[/ s|^mode = .*|mode = "'"$mode"'"|' "$conf" >"$scratch"
  elif grep -qx '\[cluster\]' "$conf"; then
    sed '/^\[cluster\]$/a mode = "'"$mode"'"' "$conf" >"$scratch"
  else
    { cat "$conf"; printf '\n[cluster]\n# "four-port": kan %s answers for the cluster (deploy/install.sh --four-port).\nmode = "%s"\ngateway = %s\n' "$GATEWAY_INDEX" "$mode" "$GATEWAY_INDEX"; } >"$scratch"
  fi
  cp "$scratch" "$conf.qsen-new" && rm -f "$scratch"
  "$NODE_BIN" "$(config_cli "$(target "$RELEASE_DIR")")" check "$conf.qsen-new" >/dev/null ||
    { rm -f "$conf.qsen-new"; die "conf.toml with [cluster] mode = \"$mode\" does not pass the check above; nothing was changed"; }
  apply_access "$conf.qsen-new" 0640 root "$QSEN_USER"
  mv -f "$conf.qsen-new" "$conf"
  CONFIG_CHANGED=yes
  changed "conf.toml: [cluster] mode = \"$mode\""
}

# The SENEBI host name written in conf.toml.
senebi_host() {
  awk '/^\[/ { section = $0 } section == "[senebi]" && $1 == "url" { print $3 }' "$(target /etc/qsen/conf.toml)" |
    tr -d '"' | sed -e 's#^https://##' -e 's#[:/].*$##'
}

# The SENEBI port written in conf.toml (443 when the URL names none).
senebi_port() {
  awk '/^\[/ { section = $0 } section == "[senebi]" && $1 == "url" { print $3 }' "$(target /etc/qsen/conf.toml)" |
    tr -d '"' | sed -n -e 's#^https://[^/:]*:\([0-9]*\).*#\1#p' -e 't' -e 's#.*#443#p'
}

# 6. Units and polkit --------------------------------------------------------------------

install_units() {
  local unit before after
  before=$({ cat "$(target /etc/systemd/system)"/{qsen.service,kan@.service} 2>/dev/null || true; } | sha256sum)
  for unit in qsen.service kan@.service; do
    sed "s#^ExecStart=/usr/bin/node #ExecStart=$UNIT_NODE #" "$SOURCE_DIR/systemd/$unit" |
      install_text "/etc/systemd/system/$unit" 0644 root root
  done
  after=$(cat "$(target /etc/systemd/system)"/{qsen.service,kan@.service} | sha256sum)
  [[ $before == "$after" ]] || UNITS_CHANGED=yes
  install_file "$SOURCE_DIR/systemd/50-qsen.rules" /etc/polkit-1/rules.d/50-qsen.rules 0644 root root
  sed "s#@NODE@#$UNIT_NODE#" "$SCRIPT_DIR/qsen-admin" | install_text /usr/local/sbin/qsen-admin 0755 root root
  local index
  if staged; then
    # What `systemctl enable kan@N.service` creates.
    for index in "${KAN_INDEXES[@]}"; do
      ensure_link /etc/systemd/system/kan@.service "/etc/systemd/system/multi-user.target.wants/kan@$index.service"
    done
  else
    systemctl daemon-reload
    for index in "${KAN_INDEXES[@]}"; do
      if ! systemctl is-enabled --quiet "kan@$index.service"; then
        systemctl enable --quiet "kan@$index.service"
        changed "enabled kan@$index.service"
      fi
    done
  fi
}

# 7. SSH and firewall --------------------------------------------------------------------

install_sshd_dropin() {
  local dropin=/etc/ssh/sshd_config.d/50-qsen.conf path previous=""
  path=$(target $dropin)
  if staged || ! command -v sshd >/dev/null; then
    staged || warn "sshd is not installed: the drop-in is written but not checked"
    install_file "$SCRIPT_DIR/ssh/50-qsen.conf" $dropin 0644 root root
    return
  fi
  cmp -s "$SCRIPT_DIR/ssh/50-qsen.conf" "$path" && return
  if [[ -f $path ]]; then previous=$(mktemp) && cp -p "$path" "$previous"; fi
  install_file "$SCRIPT_DIR/ssh/50-qsen.conf" $dropin 0644 root root
  if ! sshd -t; then
    if [[ -n $previous ]]; then mv -f "$previous" "$path"; else rm -f "$path"; fi
    die "sshd -t refused the configuration with $dropin; it was taken back, sshd was not reloaded"
  fi
  rm -f "$previous"
  local ports
  ports=$({ sshd -T 2>/dev/null || true; } | awk '$1 == "port" { print $2 }' | sort -u | tr '\n' ' ')
  [[ $ports == "$SSH_PORT " ]] || warn "sshd listens on ports: $ports(a Port line in /etc/ssh/sshd_config adds to $SSH_PORT)"
  systemctl reload ssh.service
  changed "sshd reloaded: port $SSH_PORT (sessions already open stay open)"
}

# Resolves the SENEBI addresses the firewall allows: options, else the previous install's,
# else DNS (outbound DNS is blocked once the firewall is on, so they are pinned in /etc/hosts).
resolve_senebi_addresses() {
  local host recorded
  host=$(senebi_host)
  if ((${#SENEBI_ADDRESSES[@]} == 0)); then
    recorded=$(read_state SENEBI_ADDRESSES)
    if [[ -n $recorded ]]; then
      read -r -a SENEBI_ADDRESSES <<<"$recorded"
    elif [[ $host =~ ^[0-9.]+$|: ]]; then
      SENEBI_ADDRESSES=("$host")
    elif ! staged; then
      mapfile -t SENEBI_ADDRESSES < <(getent ahostsv4 "$host" 2>/dev/null | awk '{ print $1 }' | sort -u)
    fi
  fi
  if [[ $(senebi_port) != 443 ]]; then
    warn "SENEBI's URL uses port $(senebi_port); the firewall lets qsen out to port 443 only"
  fi
  if ((${#SENEBI_ADDRESSES[@]} == 0)); then
    warn "no address for SENEBI ($host): the firewall blocks outbound HTTPS until you run the installer with --senebi-address IP"
    return
  fi
  record_state SENEBI_ADDRESSES "${SENEBI_ADDRESSES[*]}"
  local hosts_file block address
  hosts_file=$(target /etc/hosts)
  [[ ! $host =~ ^[0-9.]+$|: ]] || return 0
  block="# BEGIN qsen: SENEBI's addresses (outbound DNS is blocked by the firewall)"
  for address in "${SENEBI_ADDRESSES[@]}"; do block+=$'\n'"$address $host"; done
  block+=$'\n'"# END qsen"
  if [[ $(sed -n '/^# BEGIN qsen:/,/^# END qsen$/p' "$hosts_file" 2>/dev/null) != "$block" ]]; then
    { [[ ! -f $hosts_file ]] || sed '/^# BEGIN qsen:/,/^# END qsen$/d' "$hosts_file"; printf '%s\n' "$block"; } |
      install_text /etc/hosts 0644 root root
  fi
}

# Settles the source allow-lists: the options given, else the previous install's (an
# allow-list is never dropped silently), none after --any-source. Warns when a list is open.
resolve_source_networks() {
  local recorded
  if ((${#API_NETWORKS[@]} == 0)) && [[ $ANY_SOURCE == no ]]; then
    recorded=$(read_state API_NETWORKS)
    [[ -z $recorded ]] || read -r -a API_NETWORKS <<<"$recorded"
  fi
  if ((${#ADMIN_NETWORKS[@]} == 0)) && [[ $ANY_SOURCE == no ]]; then
    recorded=$(read_state ADMIN_NETWORKS)
    [[ -z $recorded ]] || read -r -a ADMIN_NETWORKS <<<"$recorded"
  fi
  record_state API_NETWORKS "${API_NETWORKS[*]}"
  record_state ADMIN_NETWORKS "${ADMIN_NETWORKS[*]}"
  local ports=8443-8446
  [[ $CLUSTER_MODE != four-port ]] || ports="8443 and $((8444 + $(gateway_index))) (four-port mode)"
  if ((${#API_NETWORKS[@]} == 0)); then
    warn "$ports accept connections from every source address: restrict them with --platform-network CIDR and --operator-network CIDR"
  else
    log "firewall: $ports only from ${API_NETWORKS[*]}"
  fi
  if ((${#ADMIN_NETWORKS[@]} == 0)); then
    warn "SSH (52022) accepts connections from every source address: restrict it with --admin-network CIDR"
  else
    log "firewall: SSH (52022) only from ${ADMIN_NETWORKS[*]}"
  fi
}

# Prints the sed expression that fills the set placeholder NAME with the addresses given, or
# deletes the placeholder line when there are none.
set_elements_sed() {
  local name=$1
  shift
  if (($# == 0)); then
    printf '/@%s@/d' "$name"
  else
    printf 's|@%s@|elements = { %s }|' "$name" "$(join_by ', ' "$@")"
  fi
}

# Splits addresses or networks into IPv4 (FAMILY_V4) and IPv6 (FAMILY_V6).
split_families() {
  FAMILY_V4=()
  FAMILY_V6=()
  local address
  for address in "$@"; do
    if [[ $address == *:* ]]; then FAMILY_V6+=("$address"); else FAMILY_V4+=("$address"); fi
  done
}

# Renders deploy/nftables/qsen.nft with SENEBI's addresses (a set without addresses stays
# empty) and the source allow-lists (without networks their rules are left out: open).
render_ruleset() {
  local -a allow_sed=()
  split_families "${API_NETWORKS[@]}"
  allow_sed+=(-e "$(set_elements_sed ALLOW_API_IPV4_ELEMENTS "${FAMILY_V4[@]}")" -e "$(set_elements_sed ALLOW_API_IPV6_ELEMENTS "${FAMILY_V6[@]}")")
  ((${#API_NETWORKS[@]} > 0)) || allow_sed+=(-e '/comment "allow-list: api"$/d')
  split_families "${ADMIN_NETWORKS[@]}"
  allow_sed+=(-e "$(set_elements_sed ALLOW_ADMIN_IPV4_ELEMENTS "${FAMILY_V4[@]}")" -e "$(set_elements_sed ALLOW_ADMIN_IPV6_ELEMENTS "${FAMILY_V6[@]}")")
  ((${#ADMIN_NETWORKS[@]} > 0)) || allow_sed+=(-e '/comment "allow-list: admin"$/d')
  allow_sed+=(-e "s|@SSH_RATE@|$SSH_RATE|g" -e "s|@SSH_BURST@|$((SSH_RATE * 2))|g")
  # Four-port mode opens qsen's and the gateway kan's port only.
  if [[ $CLUSTER_MODE == four-port ]]; then
    local gateway
    gateway=$(gateway_index)
    allow_sed+=(-e "s|@API_PORTS@|8443, $((8444 + gateway))|g" -e "s|@API_PORT_NAMES@|qsen, kan $gateway (four-port mode)|g")
  else
    allow_sed+=(-e 's|@API_PORTS@|8443, 8444, 8445, 8446|g' -e 's|@API_PORT_NAMES@|qsen, kan 0, kan 1, kan 2|g')
  fi
  render_senebi_sets | sed "${allow_sed[@]}"
}

# deploy/nftables/qsen.nft with SENEBI's addresses filled in.
render_senebi_sets() {
  split_families "${SENEBI_ADDRESSES[@]}"
  sed -e "$(set_elements_sed SENEBI_IPV4_ELEMENTS "${FAMILY_V4[@]}")" -e "$(set_elements_sed SENEBI_IPV6_ELEMENTS "${FAMILY_V6[@]}")" \
    "$SCRIPT_DIR/nftables/qsen.nft"
}

# Prints the arguments after the first, separated by the first.
join_by() {
  local separator=$1 first=$2
  shift 2
  printf '%s' "$first" "${@/#/$separator}"
}

# Prints the local ports of the SSH sessions now open (from $SSH_CONNECTION and from ss).
open_ssh_session_ports() {
  if [[ -n ${SSH_CONNECTION:-} ]]; then printf '%s\n' "${SSH_CONNECTION##* }"; fi
  { ss -Htnp state established 2>/dev/null || true; } | awk '/"sshd"/ { n = split($3, a, ":"); print a[n] }'
}

install_firewall() {
  local ruleset=/etc/nftables.d/qsen.nft include_line='include "/etc/nftables.d/qsen.nft" # qsen'
  render_ruleset | install_text $ruleset 0644 root root
  local conf
  conf=$(target /etc/nftables.conf)
  if ! grep -qxF "$include_line" "$conf" 2>/dev/null; then
    { [[ ! -f $conf ]] || cat "$conf"; printf '%s\n' "$include_line"; } | install_text /etc/nftables.conf 0755 root root
  fi
  if staged; then
    log "firewall: rendered $ruleset (staging: not applied)"
    return
  fi
  nft --check --file $ruleset || die "nft refused $ruleset; the firewall was not changed"
  systemctl enable --quiet nftables.service
  local port blocked=()
  for port in $(open_ssh_session_ports | sort -u); do
    [[ $port == "$SSH_PORT" ]] || blocked+=("$port")
  done
  if ((${#blocked[@]} > 0)); then
    warn "firewall NOT applied: SSH sessions are open on port ${blocked[*]}, which it closes. Reconnect with 'ssh -p $SSH_PORT' and run the installer again (it will apply it then; it loads at boot anyway)"
    return
  fi
  if command -v sshd >/dev/null && [[ -z $(ss -Htln "sport = :$SSH_PORT") ]]; then
    warn "firewall NOT applied: sshd is not listening on $SSH_PORT yet"
    return
  fi
  nft --file $ruleset
  log "firewall: applied $ruleset"
}

# 8. Services and summary ----------------------------------------------------------------

start_services() {
  if staged; then
    log "services: staging, nothing started"
    return
  fi
  if [[ $NODE_EXPORTER_CHANGED == yes ]]; then
    systemctl enable --quiet prometheus-node-exporter.service
    systemctl restart prometheus-node-exporter.service
    changed "restarted prometheus-node-exporter on 127.0.0.1:9100"
  fi
  # The controlled restart: one kan at a time, each answering its loopback ping before the
  # next one goes (two kans always watch), then qsen, which answers again before this ends.
  # Kans that were not running are started together and waited for at the end.
  local index started=()
  for index in "${KAN_INDEXES[@]}"; do
    if [[ $RELEASE_CHANGED == yes || $UNITS_CHANGED == yes || $CONFIG_CHANGED == yes ]] && systemctl is-active --quiet "kan@$index.service"; then
      systemctl restart "kan@$index.service"
      wait_ready "$index"
      changed "restarted kan@$index.service (serving again)"
    elif ! systemctl is-active --quiet "kan@$index.service"; then
      systemctl start "kan@$index.service"
      started+=("$index")
    fi
  done
  for index in "${started[@]}"; do
    wait_ready "$index"
    changed "started kan@$index.service (serving)"
  done
  if [[ $RELEASE_CHANGED == yes || $UNITS_CHANGED == yes ]] && systemctl is-active --quiet qsen.service; then
    systemctl restart qsen.service
    wait_ready qsen
    changed "restarted qsen.service (serving again)"
  fi
}

# Waits until a node (qsen, or kan 0/1/2) answers its loopback ping (deploy/wait-ready.mjs).
wait_ready() {
  "$NODE_BIN" "$SCRIPT_DIR/wait-ready.mjs" "$(target "$RELEASE_DIR")" /etc/qsen/conf.toml "$1" "$READY_TIMEOUT_S" ||
    die "$(if [[ $1 == qsen ]]; then echo qsen; else echo "kan $1"; fi) did not answer within $READY_TIMEOUT_S s after its restart: see journalctl -u qsen -u 'kan@*' (install.sh --rollback goes back)"
}

# Prints one certificate's line for the summary.
describe_certificate() {
  local label=$1 file=$2 fingerprint subject until
  [[ -f $file ]] || return 0
  fingerprint=$(openssl x509 -in "$file" -noout -fingerprint -sha256 | cut -d= -f2)
  subject=$(openssl x509 -in "$file" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')
  until=$(openssl x509 -in "$file" -noout -enddate | cut -d= -f2)
  printf '  %-22s %s\n  %-22s subject %s, valid until %s\n' "$label" "$fingerprint" "" "$subject" "$until"
}

print_summary() {
  local etc role conf_test
  etc=$(target /etc/qsen)
  conf_test=$(grep -c '^test_identity = true$' "$etc/conf.toml" || true)
  printf '\nQSen installed%s: release %s, %s mode (%d change(s) in this run)\n\n' "${ROOT:+ into $ROOT}" "$RELEASE_DIR" "$CLUSTER_MODE" "$CHANGES"
  printf 'Certificates (SHA-256 fingerprints):\n'
  describe_certificate "cluster CA" "$etc/pki/ca.crt"
  describe_certificate "server (8443-8446)" "$etc/pki/server.crt"
  for role in platform operator auditor; do
    describe_certificate "client $role" "$etc/pki/clients/$role.crt"
  done
  if has_byma_identity; then
    describe_certificate "SENEBI agent (BYMA)" "$etc/byma/agent.crt"
    describe_certificate "SENEBI CA" "$etc/byma/ca.crt"
  fi
  if ((conf_test > 0)); then
    describe_certificate "SENEBI TEST IDENTITY" "$etc/senebi/agent.crt"
    printf '\n  THE SENEBI IDENTITY IN USE IS A GENERATED TEST IDENTITY, NOT REGISTERED AT BYMA:\n'
    printf '  run deploy/install.sh --byma-cert FILE --byma-key FILE --senebi-ca FILE to install the real one.\n'
  fi
  if [[ $(senebi_host) == senebi.example ]]; then
    printf '\n  THE SENEBI URL IS A PLACEHOLDER (https://senebi.example): set [senebi] url in /etc/qsen/conf.toml.\n'
  fi
  printf '\nNext steps:\n'
  printf '  1. Give each client its identity from /etc/qsen/pki/clients (platform.*, operator.*, auditor.*)\n'
  printf '     and the cluster CA (/etc/qsen/pki/ca.crt); let them compare the fingerprints above.\n'
  printf '  2. SSH listens on port %s: connect with ssh -p %s.\n' "$SSH_PORT" "$SSH_PORT"
  printf '  3. Check the services: systemctl status kan@0 kan@1 kan@2 qsen; logs in /var/log/qsen.\n'
  printf '  4. Kill switch from this server: qsen-admin halt --reason TEXT (resume, status; /usr/local/sbin/qsen-admin)\n'
  if staged; then
    printf '\nStaging only: nothing was started, no firewall applied, no package installed;\n'
    printf 'the user qsen exists only in %s/etc/passwd.\n' "$ROOT"
  fi
  if ((${#WARNINGS[@]} > 0)); then
    printf '\nWarnings:\n'
    printf '  - %s\n' "${WARNINGS[@]}"
  fi
}

main() {
  parse_args "$@"
  [[ $ROLLBACK == no ]] || rollback
  check_platform
  build_software
  install_release
  ensure_user
  ensure_folders
  install_node_exporter_defaults
  install_packages
  generate_pki
  install_byma_identity
  write_config
  configure_cluster_mode
  install_units
  install_sshd_dropin
  resolve_senebi_addresses
  resolve_source_networks
  install_firewall
  start_services
  print_summary
}

main "$@"
