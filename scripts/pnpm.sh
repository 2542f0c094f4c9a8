#!/usr/bin/env bash
# Runs the pnpm version pinned in package.json "packageManager", installing it
# into .cache/pnpm with npm when missing, on a node that `engines` allows: the
# machine's when it is 22 or newer, else the pinned current LTS that
# scripts/node.sh fetches into .cache/node. Corepack is not used: the corepack
# bundled with Node 20 rejects current pnpm releases (stale signing keys).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
node_bin=$("$root/scripts/node.sh" default)
if [ "$(command -v node || true)" != "$node_bin" ]; then
  export PATH="$(dirname "$node_bin"):$PATH"
fi
# turbo keys test results by it (turbo.json): a result from one Node version is never replayed for another.
XDSKIT_TEST_NODE=$("$node_bin" --version)
export XDSKIT_TEST_NODE
want=$(node -p "require('$root/package.json').packageManager.split('@')[1]")
if command -v pnpm >/dev/null 2>&1 && [ "$(pnpm --version 2>/dev/null)" = "$want" ]; then
  exec pnpm "$@"
fi
prefix="$root/.cache/pnpm/$want"
bin="$prefix/node_modules/.bin/pnpm"
if [ ! -x "$bin" ]; then
  echo "installing pnpm@$want into $prefix" >&2
  npm install --silent --no-audit --no-fund --prefix "$prefix" "pnpm@$want" >&2
fi
# Nested scripts ("pnpm --filter …" inside package.json) find the same pnpm.
export PATH="$prefix/node_modules/.bin:$PATH"
exec "$bin" "$@"
