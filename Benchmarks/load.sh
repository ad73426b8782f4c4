#!/usr/bin/env bash
# Loading cached images into an empty Docker daemon, side by side on this machine:
#   images load        from our cache (the daemon pulls from the cache served on loopback)
#   images load --via archive   from our cache, as tars streamed to POST /images/load
#   docker pull        of the same images from a local registry, one after the other and all at once
#   docker load -i     of a `docker save` tar (what CI cache actions built on save/load restore)
# Median of RUNS (default 5) alternating runs, release build, private registry and dockerd on
# loopback. Also compares what would be cached: our cache directory vs the `docker save` tar.
# Needs root (dockerd). Usage: Benchmarks/load.sh [RUNS]
runs=${1:-5}
# shellcheck source=Benchmarks/common.sh
source "$(dirname "$0")/common.sh"
export DOCKER_HOST
DOCKER_HOST=$(scripts/dockerd.sh start "$work/docker")

enter_corpus_project
"$images" pull --quiet
docker save -o "$work/save.tar" "${refs[@]}" 2>/dev/null || {
  for ref in "${refs[@]}"; do docker pull --quiet "$ref" >/dev/null; done
  docker save -o "$work/save.tar" "${refs[@]}"
}

empty_daemon() {
  docker image prune --all --force >/dev/null
  [ -z "$(docker image ls --quiet)" ] || { echo "the daemon is not empty" >&2; exit 1; }
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
Machine: $(machine)
REPORT
