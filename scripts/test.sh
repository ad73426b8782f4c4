#!/usr/bin/env bash
# Runs every test: installs what the tests need, starts the registries (plain, Basic, token,
# redirecting, throttled) on loopback, a private dockerd 20.10 (also over TLS), Docker 26 with the
# containerd image store and Podman 4.3, seeds them with fixtures, builds, runs `swift test`, and stops the
# services whatever happens; then runs the command-line tests once more against a release build.
# Extra arguments go to the first `swift test` (e.g. --filter PullTests) and skip the release run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
services=$(mktemp -d)
trap 'scripts/services.sh stop "$services"; rm -rf "$services"' EXIT
scripts/services.sh start "$services"
# shellcheck disable=SC1091
source "$services/env"
# Every integration suite runs: none may skip for want of a service.
export IMAGES_TEST_SERVICES_REQUIRED=1
swift build --build-tests
# The libraries' documentation builds without a warning (links resolve, parameters are documented).
scripts/docs.sh
IMAGES_TEST_BINARY="$(swift build --show-bin-path)/images" swift test --skip-build "$@"

# Users run release builds, and the optimizer has miscompiled code here that debug builds ran
# correctly (see Sources/ImagesKit/Result+Async.swift): run the command-line tests again with
# the release binary.
if [ $# -eq 0 ]; then
  swift build -c release --product images
  IMAGES_TEST_BINARY="$(swift build -c release --show-bin-path)/images" \
    swift test --skip-build --filter 'CommandLineTests|CacheTests|FailureTests|FaultTests|VerifyTests|MirrorTests|PushTests|EngineTests|EngineEndpointTests|ContainerdStoreTests|PodmanTests|ReportTests|PruneTests|AuthTests|HostileTests'
fi
