#!/usr/bin/env bash
# What `images report` costs on the benchmark corpus (Benchmarks/corpus.sh), release build:
#   cold   the first report, which decompresses every layer once (and records the sizes)
#   warm   the next ones, reading the recorded sizes (median of RUNS, default 5)
# next to a cold `images pull` of the same set from a registry on loopback, to weigh measuring
# layers during the pull against measuring them at the first report.
# Usage: Benchmarks/report.sh [RUNS]
runs=${1:-5}
# shellcheck source=Benchmarks/common.sh
source "$(dirname "$0")/common.sh"
enter_corpus_project

pulls=() colds=() warms=()
"$images" lock --quiet
for _ in $(seq "$runs"); do
  rm -rf "$SWIFT_IMAGES_CACHE"
  pulls+=("$(seconds "$images" pull --quiet)")
  colds+=("$(seconds "$images" report --format json)")
done
for _ in $(seq "$runs"); do warms+=("$(seconds "$images" report --format json)"); done
ms() { echo "$1 * 1000 / 1" | bc; }
cat <<REPORT
images report on ${#refs[@]} images, $(du -sb "$SWIFT_IMAGES_CACHE" | cut -f1 | awk '{ printf "%d MB", $1 / 1000000 }') cached (median of $runs):
  images pull, cold (loopback registry)       $(median "${pulls[@]}") s
  images report, cold (decompresses layers)   $(median "${colds[@]}") s   report / pull = $(ratio "$(median "${colds[@]}")" "$(median "${pulls[@]}")")
  images report, warm (sizes recorded)        $(ms "$(median "${warms[@]}")") ms
Every run (s): pull ${pulls[*]} | cold ${colds[*]} | warm ${warms[*]}
Machine: $(machine)
REPORT
