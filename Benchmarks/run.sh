#!/usr/bin/env bash
# Every benchmark, one after the other, each printing its figures and ratios: pulling (against
# skopeo, and peak memory with a 1 GB layer), pushing to an empty registry (against skopeo),
# loading into an empty dockerd (against docker pull and docker load), reporting sizes, and how
# every command grows from 25 to 2,500 declared images (against skopeo). The corpus
# (Benchmarks/corpus.sh) is built on the first run and kept in $SWIFT_IMAGES_BENCH_CACHE. Needs root. BENCHMARKS.md holds the latest results.
# Usage: Benchmarks/run.sh [RUNS]   (RUNS per figure, default 5)
set -euo pipefail
cd "$(dirname "$0")"
for benchmark in pull push load report scale; do
  echo "== Benchmarks/$benchmark.sh"
  ./"$benchmark".sh "$@"
  echo
done
