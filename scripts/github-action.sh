#!/usr/bin/env bash
# The steps of action.yml (this repository's GitHub Action), one subcommand each:
#   tool    where the images binary for this toolchain, system and action version lives, and its cache key
#   build   builds it there unless a restored cache brought it, and puts it on PATH
#   key     the image cache's directory (exported as SWIFT_IMAGES_CACHE) and key (images cache-key)
#   report  images report, into the job summary and/or checked against the budgets
# It reads the runner's variables (GITHUB_ACTION_PATH, GITHUB_OUTPUT, GITHUB_ENV, GITHUB_PATH,
# RUNNER_TOOL_CACHE) and the step's IMAGES_* settings; scripts/testservices/ci_runner.py
# runs action.yml here the way a runner does.
set -euo pipefail

sha256() { if command -v sha256sum >/dev/null; then sha256sum; else shasum -a 256; fi | cut -c1-64; }

output() { echo "$1=$2" >>"$GITHUB_OUTPUT"; }

case "${1:-}" in
tool)
  command -v swift >/dev/null || { echo "::error::swift-images: no swift on PATH; install a Swift toolchain before this action" >&2; exit 1; }
  # The binary depends on the toolchain, the system (its C library) and the action's sources.
  system="$(uname -s)-$(uname -m)"
  [ -r /etc/os-release ] && system="$system-$(. /etc/os-release && echo "${ID:-}${VERSION_ID:-}")"
  sources="$(cd "$GITHUB_ACTION_PATH" && find Package.swift Sources Plugins -type f -print0 | LC_ALL=C sort -z | xargs -0 cat | sha256)"
  hash="$(printf '%s\n%s\n%s\n' "$(swift --version 2>&1)" "$system" "$sources" | sha256 | cut -c1-16)"
  directory="${RUNNER_TOOL_CACHE:-$HOME/.cache}/swift-images-tool/$hash"
  output key "swift-images-tool-$system-$hash"
  output directory "$directory"
  output binary "$directory/images"
  ;;
build)
  binary="$IMAGES_DIRECTORY/images"
  if [ -x "$binary" ] && version="$("$binary" --version 2>/dev/null)"; then
    echo "images $version, from the cache"
  else
    echo "building images (release) for this toolchain; later runs restore it from the cache"
    scratch="$IMAGES_DIRECTORY/build"
    # No debug information: the binary is run, not debugged, and the build takes a minute less.
    build=(swift build -c release -debug-info-format none --package-path "$GITHUB_ACTION_PATH" --scratch-path "$scratch")
    "${build[@]}" --product images
    install -m 755 "$("${build[@]}" --show-bin-path)/images" "$binary"
    rm -rf "$scratch"
    echo "images $("$binary" --version)"
  fi
  echo "$IMAGES_DIRECTORY" >>"$GITHUB_PATH"
  ;;
key)
  cache="${IMAGES_CACHE:-${SWIFT_IMAGES_CACHE:-$HOME/.cache/swift-images}}"
  case "$cache" in /*) ;; *) cache="$PWD/$cache" ;; esac
  # Every later step of the job, the action's and the workflow's, uses the same cache.
  export SWIFT_IMAGES_CACHE="$cache"
  echo "SWIFT_IMAGES_CACHE=$cache" >>"$GITHUB_ENV"
  key="$(images cache-key --manifest "$IMAGES_MANIFEST")"
  output key "$key"
  output cache "$cache"
  echo "image cache $cache, key $key"
  ;;
report)
  arguments=(report --manifest "$IMAGES_MANIFEST")
  [ "$IMAGES_CHECK" = true ] && arguments+=(--check)
  [ "$IMAGES_SUMMARY" = true ] && arguments+=(--summary)
  images "${arguments[@]}"
  ;;
*)
  echo "usage: $0 tool|build|key|report" >&2
  exit 2
  ;;
esac
