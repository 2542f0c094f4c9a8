#!/usr/bin/env bash
# Lints .github/workflows with actionlint, built from the Go module proxy at a
# pinned version into the project-local .cache/bin (no global install). Uses
# shellcheck for run: scripts when it is on PATH; does not require it.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
version=v1.7.12
bin="$root/.cache/bin"
exe="$bin/actionlint"
if [ ! -x "$exe" ] || [ "$("$exe" -version 2>/dev/null | head -1)" != "$version" ]; then
  echo "installing actionlint@$version into $bin" >&2
  mkdir -p "$bin"
  GOBIN="$bin" GOFLAGS=-mod=mod go install "github.com/rhysd/actionlint/cmd/actionlint@$version" >&2
fi
cd "$root"
exec "$exe" -no-color "$@"
