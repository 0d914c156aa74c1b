#!/usr/bin/env bash
# Builds QSen's offline release bundle on a workstation (see docs/deployment.md):
#
#   npm run release [-- options]      (= deploy/build-release.sh [options])
#
#   --out DIR        where the bundle goes (default: release/ in the checkout)
#   --version V      the release's version (default: packages/qsen/package.json's)
#   --node FILE      the Node.js 20 binary to ship (default: the node running this build,
#                    the one the tests ran with)
#   --no-build       use the checkout's existing build (packages/*/dist)
#   --stage-only     leave the unpacked bundle folder in DIR, make no tarball
#
# Produces DIR/qsen-VERSION-linux-x64.tar.gz and DIR/qsen-VERSION-linux-x64.tar.gz.sha256. The
# tarball holds one folder, qsen-VERSION-linux-x64/, with:
#   - the compiled code and the production dependencies only (deploy/release-files.sh);
#   - node/bin/node, the Node.js runtime, its SHA-256 recorded in RELEASE and checked here
#     and again by install.sh;
#   - deploy/ (install.sh, uninstall.sh, ...), systemd/, docs/;
#   - sbom.cdx.json, a CycloneDX SBOM of the production dependencies (npm sbom);
#   - RELEASE (name, version, commit, digest, node version and SHA-256) and SHA256SUMS (every
#     file of the bundle), which install.sh verifies before it installs anything.
# Nothing in it is fetched from the network: the dependencies come from the checkout's
# node_modules (npm ci), the runtime from this machine.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
SOURCE_DIR=$(dirname "$SCRIPT_DIR")
readonly SCRIPT_DIR SOURCE_DIR

OUT_DIR=$SOURCE_DIR/release
VERSION=""
NODE_FILE=""
BUILD=yes
STAGE_ONLY=no

log() { printf 'qsen-release: %s\n' "$*" >&2; }
die() { printf 'qsen-release: error: %s\n' "$*" >&2; exit 1; }

parse_args() {
  while (($# > 0)); do
    case $1 in
      --out) OUT_DIR=$(realpath -m "${2:?--out needs a folder}"); shift ;;
      --version) VERSION=${2:?--version needs a version}; shift ;;
      --node) NODE_FILE=$(realpath "${2:?--node needs a file}"); shift ;;
      --no-build) BUILD=no ;;
      --stage-only) STAGE_ONLY=yes ;;
      -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//'; exit 0 ;;
      *) die "unknown option: $1" ;;
    esac
    shift
  done
  [[ -z $VERSION || $VERSION =~ ^[0-9]+\.[0-9]+\.[0-9]+([+-][A-Za-z0-9.]+)?$ ]] || die "--version must look like 1.2.3 or 1.2.3-rc.1: $VERSION"
}

# Checks the runtime to ship: an x86-64 Linux Node.js 20.
check_node() {
  [[ -n $NODE_FILE ]] || NODE_FILE=$(node -p 'process.execPath')
  [[ -x $NODE_FILE ]] || die "no executable Node.js at $NODE_FILE"
  local facts
  facts=$("$NODE_FILE" -p '[process.versions.node, process.platform, process.arch].join(" ")')
  read -r NODE_VERSION platform arch <<<"$facts"
  [[ $platform == linux && $arch == x64 ]] || die "$NODE_FILE is Node.js for $platform-$arch, the bundle is linux-x64"
  [[ ${NODE_VERSION%%.*} == 20 ]] || die "$NODE_FILE is Node.js $NODE_VERSION; the release ships Node.js 20 (pass --node FILE)"
}

build_checkout() {
  if [[ $BUILD == yes ]]; then
    log "build: npm ci when node_modules does not match the lockfile, then npm run build"
    (
      cd "$SOURCE_DIR"
      npm ls --silent >/dev/null 2>&1 || npm ci --ignore-scripts --no-audit --no-fund >&2
      npm run build --silent >&2
    )
  fi
  local pkg
  for pkg in pki core setup qsen console kan ctl; do
    [[ -d $SOURCE_DIR/packages/$pkg/dist/src ]] || die "packages/$pkg/dist/src is missing: build the checkout (npm ci && npm run build)"
  done
}

# Copies the release files into STAGE and writes the root manifest's version.
stage_files() {
  local stage=$1
  local -a roots
  mapfile -t roots < <("$SCRIPT_DIR/release-files.sh" "$SOURCE_DIR")
  # Not `printf | grep -q` under pipefail (grep -q exits at its first match and a printf still
  # writing dies of SIGPIPE, failing the pipeline: deploy/install.sh says more).
  local root has_dependencies=no
  for root in "${roots[@]}"; do
    if [[ $root == node_modules/node-forge ]]; then has_dependencies=yes; fi
  done
  [[ $has_dependencies == yes ]] ||
    die "could not list the production dependencies (npm ls --omit=dev failed in $SOURCE_DIR)"
  (cd "$SOURCE_DIR" && find "${roots[@]}" \( -type f -o -type l \) -print0 | tar --null --files-from=- -cf -) |
    tar -xf - -C "$stage"
  # The bundle's manifests: every one gets the release's version (qsen's status and kan's
  # version and status report it; npm sbom needs the root's), the packages' dependencies on
  # each other name it too (so that npm sees no invalid dependency), and none lists
  # development dependencies, which the bundle does not have.
  local manifests=("$stage/package.json" "$stage"/packages/*/package.json)
  "$NODE_FILE" -e '
    const fs = require("node:fs");
    const [version, root, ...others] = process.argv.slice(1);
    for (const file of [root, ...others]) {
      const manifest = JSON.parse(fs.readFileSync(file, "utf8"));
      if (file === root) manifest.name = "qsen";
      manifest.version = version;
      for (const name of Object.keys(manifest.dependencies ?? {})) {
        if (name.startsWith("@qsen/")) manifest.dependencies[name] = version;
      }
      delete manifest.devDependencies;
      fs.writeFileSync(file, JSON.stringify(manifest, null, 2) + "\n");
    }' "$VERSION" "${manifests[@]}"
}

# Copies the runtime into STAGE/node/bin/node and checks the copy against the original.
stage_node() {
  local stage=$1 copied
  mkdir -p "$stage/node/bin"
  cp "$NODE_FILE" "$stage/node/bin/node"
  chmod 0755 "$stage/node/bin/node"
  NODE_SHA256=$(sha256sum "$NODE_FILE" | cut -d' ' -f1)
  copied=$(sha256sum "$stage/node/bin/node" | cut -d' ' -f1)
  [[ $copied == "$NODE_SHA256" ]] || die "the copied runtime differs from $NODE_FILE"
  [[ $("$stage/node/bin/node" -p 'process.versions.node') == "$NODE_VERSION" ]] || die "the copied runtime does not run"
  log "runtime: Node.js $NODE_VERSION from $NODE_FILE, sha256 $NODE_SHA256"
}

write_sbom() {
  local stage=$1
  (cd "$stage" && PATH="$stage/node/bin:$PATH" npm sbom --sbom-format cyclonedx --sbom-type application --omit=dev) >"$stage/sbom.cdx.json" ||
    die "npm sbom failed"
  "$NODE_FILE" -e 'const s = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
    if (s.bomFormat !== "CycloneDX" || !Array.isArray(s.components) || s.components.length === 0) process.exit(1);' "$stage/sbom.cdx.json" ||
    die "npm sbom wrote no CycloneDX components"
}

# RELEASE: what install.sh and an operator read about the bundle. SHA256SUMS: every file.
write_release_facts() {
  local stage=$1 name=$2 commit=$3 digest
  digest=$(cd "$stage" && find . -type f ! -name RELEASE ! -name SHA256SUMS -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12)
  printf 'name=%s\nversion=%s\ncommit=%s\ndigest=%s\nnode_version=%s\nnode_sha256=%s\nbuilt=%s\n' \
    "$name" "$VERSION" "$commit" "$digest" "$NODE_VERSION" "$NODE_SHA256" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$stage/RELEASE"
  (cd "$stage" && find . -type f ! -name SHA256SUMS -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sed 's#  \./#  #') >"$stage/SHA256SUMS"
}

main() {
  parse_args "$@"
  check_node
  [[ -n $VERSION ]] || VERSION=$("$NODE_FILE" -p 'require(process.argv[1]).version' "$SOURCE_DIR/packages/qsen/package.json")
  build_checkout
  local commit name bundle stage
  commit=$(git -C "$SOURCE_DIR" rev-parse --short=12 HEAD 2>/dev/null || echo none)
  name="$VERSION-$commit"
  if [[ $commit != none && -n $(git -C "$SOURCE_DIR" status --porcelain -- packages deploy systemd package.json package-lock.json 2>/dev/null) ]]; then
    name="$name-dirty"
  fi
  bundle="qsen-$VERSION-linux-x64"
  mkdir -p "$OUT_DIR"
  stage="$OUT_DIR/$bundle"
  rm -rf "$stage" "$OUT_DIR/$bundle.tar.gz" "$OUT_DIR/$bundle.tar.gz.sha256"
  mkdir -p "$stage"
  stage_node "$stage"
  stage_files "$stage"
  write_sbom "$stage"
  write_release_facts "$stage" "$name" "$commit"
  chmod -R u=rwX,go=rX "$stage"
  if [[ $STAGE_ONLY == yes ]]; then
    log "staged $stage (no tarball: --stage-only)"
    printf '%s\n' "$stage"
    return
  fi
  tar --sort=name --owner=0 --group=0 --numeric-owner -C "$OUT_DIR" -cf - "$bundle" | gzip -n -6 >"$OUT_DIR/$bundle.tar.gz.partial"
  mv "$OUT_DIR/$bundle.tar.gz.partial" "$OUT_DIR/$bundle.tar.gz"
  (cd "$OUT_DIR" && sha256sum "$bundle.tar.gz" >"$bundle.tar.gz.sha256")
  rm -rf "$stage"
  log "release $name: $OUT_DIR/$bundle.tar.gz ($(du -h "$OUT_DIR/$bundle.tar.gz" | cut -f1)), $(cut -d' ' -f1 "$OUT_DIR/$bundle.tar.gz.sha256")"
  printf '%s\n' "$OUT_DIR/$bundle.tar.gz"
}

main "$@"
