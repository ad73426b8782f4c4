#!/usr/bin/env bash
# Runs every test: installs what the tests need, starts the registries (plain, Basic, token,
# redirecting) on loopback, seeds them with fixtures, builds, runs `swift test`, and stops the
# services whatever happens. Extra arguments go to `swift test` (e.g. --filter PullTests).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
services=$(mktemp -d)
trap 'scripts/services.sh stop "$services"; rm -rf "$services"' EXIT
scripts/services.sh start "$services"
# shellcheck disable=SC1091
source "$services/env"
swift build --build-tests
IMAGES_TEST_BINARY="$(swift build --show-bin-path)/images"
export IMAGES_TEST_BINARY
swift test --skip-build "$@"
