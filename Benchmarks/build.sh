#!/usr/bin/env bash
# What building the tool costs, clean, and where the time goes. For each git revision given
# (default: HEAD), in a fresh clone:
#   release   swift build -c release --product images
#   plugin    the first `swift package images` in a package that depends on the clone (a copy of
#             Examples/ServiceWithDatabase): SwiftPM builds the plugin and the tool, in debug
# Dependencies are resolved before timing (they come from the local mirror in seconds). While a
# build runs, its compiler processes are sampled once a second; the report adds up the samples
# per Swift module and per C package (a process-second each; two cores give up to two a second).
# Usage: Benchmarks/build.sh [REV…]        e.g. Benchmarks/build.sh 23bacd5 HEAD
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
revisions=("${@:-HEAD}")
work=$(mktemp -d)
sampler=
trap '[ -z "$sampler" ] || kill "$sampler" 2>/dev/null; rm -rf "$work"' EXIT

# sample FILE: appends "MODULE" for each compiler process, every second, until killed.
sample() {
  while true; do
    ps -eo args= | awk '
      /swift-frontend/ { for (i = 1; i < NF; i++) if ($i == "-module-name") { print "swift " $(i + 1); break }; next }
      /clang/ && / -c / {
        for (i = 1; i <= NF; i++) if ($i ~ /\.(c|cc|cpp|S)$/) {
          n = split($i, part, "/"); package = "this package"
          for (j = 1; j < n; j++) if (part[j] == "checkouts") package = part[j + 1]
          print "C " package; break
        }
      }' >>"$1"
    sleep 1
  done
}

# timed NAME DIRECTORY COMMAND…: runs it, prints its seconds and the ten costliest modules.
timed() {
  local name=$1 directory=$2
  shift 2
  local samples="$work/$name.samples"
  : >"$samples"
  sample "$samples" &
  sampler=$!
  local start end
  start=$(date +%s.%N)
  (cd "$directory" && "$@" >"$work/$name.log" 2>&1) || { kill "$sampler"; tail -20 "$work/$name.log" >&2; exit 1; }
  end=$(date +%s.%N)
  kill "$sampler"
  sampler=
  printf '%s: %.0f s\n' "$name" "$(echo "$end - $start" | bc)"
  sort "$samples" | uniq -c | sort -rn | awk -v total="$(wc -l <"$samples")" '
    NR <= 10 { printf "  %5d  %3.0f%%  %s %s\n", $1, 100 * $1 / total, $2, $3 }
    END { printf "  %5d process-seconds in all\n", total }'
}

for revision in "${revisions[@]}"; do
  commit=$(git rev-parse --short=12 "$revision")
  echo "== $revision ($commit)"
  clone="$work/clone-$commit"
  git clone --quiet "$root" "$clone"
  git -C "$clone" checkout --quiet "$commit"
  (cd "$clone" && swift package resolve >/dev/null 2>&1)
  timed "release-$commit" "$clone" swift build -c release --product images

  consumer="$work/consumer-$commit"
  mkdir -p "$consumer"
  cp -r "$clone/Examples/ServiceWithDatabase/." "$consumer/"
  sed -i "s#path: \"../..\"#path: \"$clone\"#" "$consumer/Package.swift"
  (cd "$consumer" && swift package resolve >/dev/null 2>&1)
  timed "plugin-$commit" "$consumer" swift package --allow-network-connections all --allow-writing-to-package-directory images --version
done
