#!/usr/bin/env bash
# Loading cached images into an empty Docker daemon, side by side on this machine:
#   images load        from our cache (the daemon pulls from the cache served on loopback)
#   images load --via archive   from our cache, as tars streamed to POST /images/load
#   docker pull        of the same images from a local registry, one after the other and all at once
#   docker load -i     of a `docker save` tar (what CI cache actions built on save/load restore)
# then the other engines: Docker 26 with the containerd image store (images load against docker
# pull one after the other) and Podman 4.3 (images load, by Podman's own pull of the cache and
# by tars, against podman pull one after the other).
# Median of RUNS (default 5) alternating runs, release build, private registry and engines on
# loopback. Also compares what would be cached: our cache directory vs the `docker save` tar.
# Needs root (dockerd). Usage: Benchmarks/load.sh [RUNS]
runs=${1:-5}
# shellcheck source=Benchmarks/common.sh
source "$(dirname "$0")/common.sh"
export DOCKER_HOST
DOCKER_HOST=$(scripts/dockerd.sh start "$work/docker")
docker26=$(scripts/docker26.sh start "$work/docker26")
podman_host=$(scripts/podman.sh start "$work/podman")
trap 'stop_services; "$root/scripts/docker26.sh" stop "$work/docker26"; "$root/scripts/podman.sh" stop "$work/podman"; rm -rf "$work"' EXIT
podman_cli() {
  CONTAINERS_STORAGE_CONF="$work/podman/storage.conf" podman --root "$work/podman/root" --runroot "$work/podman/run" \
    --cgroup-manager=cgroupfs --events-backend=file "$@"
}

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
# The other engines, each emptied before every run.
d26_ours=() d26_pull=() podman_ours=() podman_archive=() podman_pull=()
empty_docker26() { DOCKER_HOST=$docker26 docker image prune --all --force >/dev/null; }
empty_podman() { podman_cli rmi --all --force >/dev/null 2>&1 || true; }
podman_pull_all() { for ref in "${refs[@]}"; do podman_cli pull --quiet --tls-verify=false "$ref" >/dev/null || return 1; done; }
for _ in $(seq "$runs"); do
  empty_docker26; d26_ours+=("$(DOCKER_HOST=$docker26 seconds "$images" load --quiet)")
  empty_docker26; d26_pull+=("$(DOCKER_HOST=$docker26 seconds pull_all)")
  empty_podman; podman_ours+=("$(DOCKER_HOST=$podman_host seconds "$images" load --quiet)")
  empty_podman; podman_archive+=("$(DOCKER_HOST=$podman_host seconds "$images" load --quiet --via archive)")
  empty_podman; podman_pull+=("$(seconds podman_pull_all)")
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
Docker $(DOCKER_HOST=$docker26 docker version --format '{{.Server.Version}}') with the containerd image store (median of $runs):
  images load (from the cache)      $(median "${d26_ours[@]}") s
  docker pull (local registry)      $(median "${d26_pull[@]}") s   images load / docker pull = $(ratio "$(median "${d26_ours[@]}")" "$(median "${d26_pull[@]}")")
Podman $(podman_cli version --format '{{.Server.Version}}' 2>/dev/null || podman --version) (median of $runs):
  images load (Podman pulls the cache) $(median "${podman_ours[@]}") s
  images load --via archive         $(median "${podman_archive[@]}") s   images load / archive = $(ratio "$(median "${podman_ours[@]}")" "$(median "${podman_archive[@]}")")
  podman pull (local registry)      $(median "${podman_pull[@]}") s   images load / podman pull = $(ratio "$(median "${podman_ours[@]}")" "$(median "${podman_pull[@]}")")
Every run (s): docker 26 load ${d26_ours[*]} | docker 26 pull ${d26_pull[*]} | podman load ${podman_ours[*]} | archive ${podman_archive[*]} | podman pull ${podman_pull[*]}
What CI would cache:
  our cache directory               $((cache_bytes / 1000000)) MB
  docker save tar                   $((tar_bytes / 1000000)) MB   cache / tar = $(ratio "$cache_bytes" "$tar_bytes")
Machine: $(machine)
REPORT
