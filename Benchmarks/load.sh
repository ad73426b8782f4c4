#!/usr/bin/env bash
# Loading cached images into an empty Docker daemon, side by side on this machine:
#   images load        from our cache (the daemon pulls from the cache served on loopback)
#   images load --via archive   from our cache, as tars streamed to POST /images/load
#   docker pull        of the same images from a local registry, one after the other and all at once
#   docker load -i     of a `docker save` tar (what CI cache actions built on save/load restore)
# Median of RUNS (default 5) alternating runs, release build, private registry and dockerd on
# loopback. Also compares what would be cached: our cache directory vs the `docker save` tar.
# Needs root (dockerd). Usage: Benchmarks/load.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
runs=${1:-5}
scripts/install-deps.sh
swift build -c release --product images >/dev/null
images="$(swift build -c release --show-bin-path)/images"
work=$(mktemp -d)
cleanup() {
  "$root/scripts/dockerd.sh" stop "$work/docker" || true
  "$root/scripts/registry.sh" stop "$work/registry" || true
  rm -rf "$work"
}
trap cleanup EXIT
registry=$(scripts/registry.sh start "$work/registry")
export DOCKER_HOST
DOCKER_HOST=$(scripts/dockerd.sh start "$work/docker")

# The corpus: the test fixtures, plus three images of real files sharing a base layer.
scripts/fixtures.sh "$registry" >/dev/null
layout="$work/corpus"
umoci init --layout "$layout" >/dev/null
layer() { # IMAGE SOURCE-DIRECTORIES…
  local image=$1
  shift
  rm -rf "$work/bundle"
  umoci unpack --image "$layout:$image" "$work/bundle" >/dev/null
  for source in "$@"; do
    mkdir -p "$work/bundle/rootfs$(dirname "$source")"
    cp -a "$source" "$work/bundle/rootfs$source"
  done
  umoci repack --image "$layout:$image" "$work/bundle" >/dev/null
}
umoci new --image "$layout:base" >/dev/null
layer base /usr/lib/python3 /usr/share/perl
umoci config --image "$layout:base" --os linux --architecture amd64 >/dev/null
for image in tools docs; do umoci tag --image "$layout:base" "$image" >/dev/null; done
layer tools /usr/lib/gcc
layer docs /usr/share/doc /usr/share/man
for image in base tools docs; do
  skopeo copy --quiet --dest-tls-verify=false "oci:$layout:$image" "docker://$registry/bench/$image:1"
done
refs=("$registry/test/base:1" "$registry/test/app:1" "$registry/test/multi:1"
  "$registry/bench/base:1" "$registry/bench/tools:1" "$registry/bench/docs:1")

project="$work/project"
mkdir -p "$project"
printf '{"version": 1, "images": [%s]}\n' "$(printf '"%s",' "${refs[@]}" | sed 's/,$//')" >"$project/images.json"
cd "$project"
export SWIFT_IMAGES_CACHE="$work/cache"
"$images" pull --quiet
docker save -o "$work/save.tar" "${refs[@]}" 2>/dev/null || {
  for ref in "${refs[@]}"; do docker pull --quiet "$ref" >/dev/null; done
  docker save -o "$work/save.tar" "${refs[@]}"
}

empty_daemon() {
  docker image prune --all --force >/dev/null
  [ -z "$(docker image ls --quiet)" ] || { echo "the daemon is not empty" >&2; exit 1; }
}
seconds() {
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null 2>"$work/stderr" || { echo "failed: $*" >&2; cat "$work/stderr" >&2; exit 1; }
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}
pull_all() { for ref in "${refs[@]}"; do docker pull --quiet "$ref" || return 1; done; }
pull_all_at_once() {
  local pids=() failed=0
  for ref in "${refs[@]}"; do docker pull --quiet "$ref" & pids+=($!); done
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  return $failed
}
ours=() ours_archive=() theirs_pull=() theirs_pull_at_once=() theirs_load=()
for _ in $(seq "$runs"); do
  empty_daemon; ours+=("$(seconds "$images" load --quiet)")
  empty_daemon; ours_archive+=("$(seconds "$images" load --quiet --via archive)")
  empty_daemon; theirs_pull+=("$(seconds pull_all)")
  empty_daemon; theirs_pull_at_once+=("$(seconds pull_all_at_once)")
  empty_daemon; theirs_load+=("$(seconds docker load -i "$work/save.tar")")
done
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { echo "scale=2; $1 / $2" | bc; }
m_ours=$(median "${ours[@]}")
m_archive=$(median "${ours_archive[@]}")
m_pull=$(median "${theirs_pull[@]}")
m_pull_at_once=$(median "${theirs_pull_at_once[@]}")
m_load=$(median "${theirs_load[@]}")
cache_bytes=$(du -sb "$work/cache" | cut -f1)
tar_bytes=$(stat -c %s "$work/save.tar")

cat <<REPORT
Loading ${#refs[@]} images into an empty dockerd $(docker version --format '{{.Server.Version}}') (median of $runs):
  images load (from the cache)      ${m_ours} s   (the daemon pulls from the cache on loopback, the default)
  images load --via archive         ${m_archive} s   images load / archive = $(ratio "$m_ours" "$m_archive")
  docker pull (local registry)      ${m_pull} s   images load / docker pull = $(ratio "$m_ours" "$m_pull")
  docker pull, all at once          ${m_pull_at_once} s   images load / docker pull all at once = $(ratio "$m_ours" "$m_pull_at_once")
  docker load -i (docker save tar)  ${m_load} s   images load / docker load = $(ratio "$m_ours" "$m_load")
Every run (s): images load ${ours[*]} | archive ${ours_archive[*]} | docker pull ${theirs_pull[*]} | all at once ${theirs_pull_at_once[*]} | docker load ${theirs_load[*]}
What CI would cache:
  our cache directory               $((cache_bytes / 1000000)) MB
  docker save tar                   $((tar_bytes / 1000000)) MB   cache / tar = $(ratio "$cache_bytes" "$tar_bytes")
Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr)
REPORT
