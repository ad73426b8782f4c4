#!/usr/bin/env bash
# How each command's cost grows with the number of declared images: COUNTS (default 25 250 2500)
# tiny images (Benchmarks/scale-images.py: one shared base layer and one of their own, each in a
# repository of its own) on a registry on loopback, release build, median of RUNS alternating
# runs (default 5). Side by side with skopeo where it has an equivalent:
#   pull (cold, empty cache)   vs  skopeo copy of each image into one OCI layout, in a loop,
#                                  and skopeo sync of the same list (a YAML source) into a directory
#   pull --locked (warm)       vs  the same skopeo copy loop again, into the same layout
# and, on their own: lock (resolving every tag), ls, report (the first, which measures the
# layers, and a warm one), prune --dry-run, verify, cache-key, push --to another registry (the
# first, and again with everything there), and load into an empty dockerd 20.10 and again with
# everything present, up to LOAD_MAX images (default 250; the daemon's own work is minutes at 2,500).
# The registry's storage is kept in $SWIFT_IMAGES_BENCH_CACHE (default ~/.cache/swift-images-bench),
# so the images are pushed once. Needs root (dockerd).
# Usage: Benchmarks/scale.sh [RUNS] [COUNT…]
runs=${1:-5}
shift || true
counts=("${@:-25 250 2500}")
# shellcheck disable=SC2206
counts=(${counts[*]})
# shellcheck source=Benchmarks/common.sh
source "$(dirname "$0")/common.sh"
bench_cache=${SWIFT_IMAGES_BENCH_CACHE:-$HOME/.cache/swift-images-bench}
mkdir -p "$bench_cache/scale-registry" "$work/registry"
ln -s "$bench_cache/scale-registry" "$work/registry/storage"
registry=$("$root/scripts/registry.sh" start "$work/registry")
target=$("$root/scripts/registry.sh" start "$work/target")
load_max=${LOAD_MAX:-250}
export DOCKER_HOST
DOCKER_HOST=$("$root/scripts/dockerd.sh" start "$work/docker")
trap 'stop_services; "$root/scripts/registry.sh" stop "$work/target"; rm -rf "$work"' EXIT

ms() { echo "$1 * 1000 / 1" | bc; }
# Runs a command RUNS times and prints the median in milliseconds.
time_median() {
  local values=()
  for _ in $(seq "$runs"); do values+=("$(seconds "$@")"); done
  ms "$(median "${values[@]}")"
}

skopeo_copy_all() {
  local ref
  while read -r ref; do
    skopeo copy --quiet --src-tls-verify=false "docker://$ref" "oci:$work/layout:${ref##*/}" || return 1
  done <"$project/refs"
}
skopeo_sync() { rm -rf "$work/sync" && skopeo sync --src yaml --dest dir "$project/sync.yaml" "$work/sync" >/dev/null 2>&1; }
empty_daemon() { docker image prune --all --force >/dev/null; }

declare -A result
for count in "${counts[@]}"; do
  project="$work/project-$count"
  mkdir -p "$project"
  python3 "$root/Benchmarks/scale-images.py" "$registry" "$count" >"$project/refs"
  mapfile -t declared <"$project/refs"
  declare_images "$project/images.json" "${declared[@]}"
  {
    printf '%s:\n  tls-verify: false\n  images:\n' "$registry"
    sed -E 's|^[^/]+/(.*):1$|    \1: ["1"]|' "$project/refs"
  } >"$project/sync.yaml"
  cd "$project"
  export SWIFT_IMAGES_CACHE="$project/cache"

  # lock: every tag resolved, from no lock at all.
  lock_runs=()
  for _ in $(seq "$runs"); do
    rm -f images.lock.json
    lock_runs+=("$(seconds "$images" lock --quiet)")
  done
  result[$count,lock]=$(ms "$(median "${lock_runs[@]}")")

  # Cold pulls, alternating with skopeo's two ways.
  cold=() copy_cold=() sync_cold=()
  for _ in $(seq "$runs"); do
    rm -rf "$SWIFT_IMAGES_CACHE"
    cold+=("$(seconds "$images" pull --locked --quiet)")
    rm -rf "$work/layout"
    copy_cold+=("$(seconds skopeo_copy_all)")
    sync_cold+=("$(seconds skopeo_sync)")
  done
  result[$count,cold]=$(ms "$(median "${cold[@]}")")
  result[$count,copy_cold]=$(ms "$(median "${copy_cold[@]}")")
  result[$count,sync_cold]=$(ms "$(median "${sync_cold[@]}")")

  warm=() copy_warm=()
  for _ in $(seq "$runs"); do
    warm+=("$(seconds "$images" pull --locked --quiet)")
    copy_warm+=("$(seconds skopeo_copy_all)")
  done
  result[$count,warm]=$(ms "$(median "${warm[@]}")")
  result[$count,copy_warm]=$(ms "$(median "${copy_warm[@]}")")

  result[$count,ls]=$(time_median "$images" ls)
  result[$count,report_first]=$(ms "$(seconds "$images" report)")
  result[$count,report]=$(time_median "$images" report)
  result[$count,prune]=$(time_median "$images" prune --dry-run)
  result[$count,verify]=$(time_median "$images" verify)
  result[$count,cache_key]=$(time_median "$images" cache-key)
  result[$count,push_first]=$(ms "$(seconds "$images" push --to "$target/scale-$count" --quiet)")
  result[$count,push]=$(time_median "$images" push --to "$target/scale-$count" --quiet)
  if [ "$count" -le "$load_max" ]; then
    empty_daemon
    result[$count,load_first]=$(ms "$(seconds "$images" load --quiet)")
    result[$count,load]=$(time_median "$images" load --quiet)
  fi
  cd "$work"
done

row() {
  local label=$1 key=$2
  local line="| $label |"
  for count in "${counts[@]}"; do line+=" ${result[$count,$key]:-–} |"; done
  echo "$line"
}
header="| ms (median of $runs) |"
rule="|---|"
for count in "${counts[@]}"; do header+=" $count images |"; rule+="---|"; done
cat <<REPORT
$header
$rule
$(row "images lock (no lock yet)" lock)
$(row "images pull, empty cache" cold)
$(row "skopeo copy of each image, empty layout" copy_cold)
$(row "skopeo sync, empty directory" sync_cold)
$(row "images pull --locked, everything cached" warm)
$(row "skopeo copy of each image again" copy_warm)
$(row "images ls" ls)
$(row "images report, first (measures layers)" report_first)
$(row "images report, warm" report)
$(row "images prune --dry-run" prune)
$(row "images verify" verify)
$(row "images cache-key" cache_key)
$(row "images push --to, empty registry" push_first)
$(row "images push --to, everything there" push)
$(row "images load, empty dockerd" load_first)
$(row "images load, everything present" load)

REPORT
for count in "${counts[@]}"; do
  echo "$count images: pull / skopeo copy loop = $(ratio "${result[$count,cold]}" "${result[$count,copy_cold]}"), pull / skopeo sync = $(ratio "${result[$count,cold]}" "${result[$count,sync_cold]}"), warm pull / skopeo copy again = $(ratio "${result[$count,warm]}" "${result[$count,copy_warm]}")"
done
if [ ${#counts[@]} -ge 2 ]; then
  small=${counts[-2]} large=${counts[-1]}
  line="Growth from $small to $large images (×$((large / small)) the images):"
  for key in lock cold warm ls report prune verify push; do line+=" $key ×$(ratio "${result[$large,$key]}" "${result[$small,$key]}")"; done
  echo "$line"
fi
echo "Machine: $(machine)"
