#!/usr/bin/env bash
# Installs Debian's chromium (for the admin page's browser tests) when it is not there yet.
# Needs root or sudo, and Debian's package archive. Prints the binary's path.
set -euo pipefail
bin=${CHROMIUM_BIN:-/usr/bin/chromium}
if [ -x "$bin" ] && "$bin" --version >/dev/null 2>&1; then
  echo "$bin"
  exit 0
fi
if [ -n "${CHROMIUM_BIN:-}" ]; then
  echo "install-chromium: CHROMIUM_BIN=$CHROMIUM_BIN does not run" >&2
  exit 1
fi
as_root=()
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "install-chromium: apt-get needs root (or sudo) to install chromium" >&2; exit 1; }
  as_root=(sudo -n)
fi
command -v apt-get >/dev/null || { echo "install-chromium: no apt-get: install Chromium yourself and set CHROMIUM_BIN" >&2; exit 1; }
echo "install-chromium: installing Debian's chromium with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq >&2
"${as_root[@]}" apt-get install -y -qq --no-install-recommends chromium >&2
"$bin" --version >&2
echo "$bin"
