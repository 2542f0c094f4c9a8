#!/usr/bin/env bash
# The whole test suite, as run by CI in a fresh clone: gets pnpm (project-local),
# installs, then builds, type-checks, lints and tests every package through turbo,
# checks every publishable package's API against its committed report (etc/*.api.md) and that every
# exported symbol and member has a doc comment and every {@link} resolves (docs:check), proves the proto sync is reproducible and the generated API matches UPSTREAM,
# runs every README example, installs every publishable package from its
# packed tarball in a scratch project outside the repository and runs its README
# example there (publint and attw run as the turbo pack:lint task), runs the
# getting-started guide's program from the tarballs against a real Envoy
# (guide:check), and lints the GitHub workflows with actionlint.
#
# Node versions (pinned in scripts/node.sh, fetched from the npm registry into
# .cache/node): all of the above runs on the machine's node when it is 22 or
# newer, else on the pinned current LTS (26). Then the unit, integration and
# reliability suites (but the soak) run again on each pinned line of 26 and 24
# whose major the first run did not cover, and, unless the first run was on 22, a smoke run on
# the pinned 22: a forced build of @xdskit/server and what it imports, the unit
# tests of the caches, server-core and server, and the packed install of
# @xdskit/server. Ends with "tests: N passed, N failed (...)", per Node version.
set -uo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
pnpm() { ./scripts/pnpm.sh "$@"; }
started=$(date +%s)
status=0
step() {
  local t0=$(date +%s)
  echo "::: $*"
  "$@" || { status=1; echo "::: FAILED: $*"; }
  echo "::: $(( $(date +%s) - t0 ))s: $*"
}
major() { "$1" -p 'process.versions.node.split(".")[0]'; }

# Runs a command with the node at $1 first on PATH (scripts/pnpm.sh then runs on it, and sets
# XDSKIT_TEST_NODE, by which turbo keys test results).
with_node() {
  local bin=$1
  shift
  (
    export PATH="$(dirname "$bin"):$PATH"
    "$@"
  )
}

first=$(scripts/node.sh default) || exit 1
first_major=$(major "$first")
if [ "$first" = "$(command -v node || true)" ]; then
  echo "::: first run on the machine's node $("$first" --version)"
else
  echo "::: the machine's node ($(node --version 2>/dev/null || echo none)) is older than 22: first run on the pinned current LTS $("$first" --version)"
fi
# Every pinned build a later run needs, fetched now: a registry problem shows before the long part.
later=()
for line in 26 24; do
  [ "$(scripts/node.sh version "$line" | cut -d. -f1)" = "$first_major" ] && continue
  bin=$(scripts/node.sh path "$line") || exit 1
  later+=("$bin")
done
smoke=""
if [ "$first_major" != 22 ]; then
  smoke=$(scripts/node.sh path 22) || exit 1
fi

rm -rf .test-results packages/*/.test-results apps/*/.test-results tools/*/.test-results bench/.test-results
with_node "$first" pnpm install --frozen-lockfile || exit 1
step with_node "$first" pnpm exec turbo run build typecheck lint test pack:lint --concurrency=2 --continue --output-logs=errors-only
step with_node "$first" pnpm api:check
step with_node "$first" pnpm docs:check
step with_node "$first" pnpm --filter @xdskit/proto-sync run test:sync
step with_node "$first" pnpm proto:check
# README examples that need an etcd (store-etcd's) find a throwaway one at ETCD_ENDPOINTS.
step with_node "$first" node tools/etcd/dist/cli.js with-etcd -- ./scripts/pnpm.sh readme:examples
step with_node "$first" node tools/etcd/dist/cli.js with-etcd -- ./scripts/pnpm.sh pack:check
step with_node "$first" pnpm guide:check
step ./scripts/actionlint.sh
with_node "$first" node scripts/test-summary.mjs collect "node $("$first" --version)" "everything"

# The 60-s soak (fixed duration, its churn is not Node-specific) and the config corpus (32 static
# Envoy configs converted and compared with Envoy's own config_dump: about Envoy's loader, not Node;
# 6 minutes) run in the first run only.
for bin in ${later[@]+"${later[@]}"}; do
  step with_node "$bin" pnpm exec turbo run test --filter='!@xdskit/bench' --filter='!@xdskit/config-corpus' --concurrency=2 --continue --output-logs=errors-only -- --exclude '**/soak.test.ts'
  with_node "$bin" node scripts/test-summary.mjs collect "node $("$bin" --version)" "unit, integration and reliability suites but the soak and the config corpus"
done

if [ -n "$smoke" ]; then
  step with_node "$smoke" pnpm exec turbo run build --filter=@xdskit/server... --force --output-logs=errors-only
  step with_node "$smoke" pnpm exec turbo run test --concurrency=2 --continue --output-logs=errors-only \
    --filter=@xdskit/cache-core --filter=@xdskit/cache-snapshot --filter=@xdskit/cache-linear --filter=@xdskit/server-core --filter=@xdskit/server
  step with_node "$smoke" pnpm pack:check --only server
  with_node "$smoke" node scripts/test-summary.mjs collect "node $("$smoke" --version) smoke" "build of @xdskit/server..., unit tests of the caches, server-core and server, packed install of @xdskit/server"
fi

with_node "$first" node scripts/test-summary.mjs || status=1
echo "total $(( $(date +%s) - started ))s"
exit $status
