#!/usr/bin/env bash
# The whole test suite, as run by CI in a fresh clone: gets pnpm (project-local),
# installs, then builds, type-checks, lints and tests every package through turbo,
# proves the proto sync is reproducible and the generated API matches UPSTREAM,
# runs every README example, installs every publishable package from its
# packed tarball in a scratch project outside the repository and runs its README
# example there (publint and attw run as the turbo pack:lint task), and lints the
# GitHub workflows with actionlint. Ends with one "tests: N passed, N failed" line.
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

rm -rf .test-results packages/*/.test-results apps/*/.test-results tools/*/.test-results bench/.test-results
pnpm install --frozen-lockfile || exit 1
step pnpm exec turbo run build typecheck lint test pack:lint --concurrency=2 --continue --output-logs=errors-only
step pnpm --filter @xdskit/proto-sync run test:sync
step pnpm proto:check
# README examples that need an etcd (store-etcd's) find a throwaway one at ETCD_ENDPOINTS.
step node tools/etcd/dist/cli.js with-etcd -- ./scripts/pnpm.sh readme:examples
step node tools/etcd/dist/cli.js with-etcd -- ./scripts/pnpm.sh pack:check
step ./scripts/actionlint.sh
node scripts/test-summary.mjs || status=1
echo "total $(( $(date +%s) - started ))s"
exit $status
