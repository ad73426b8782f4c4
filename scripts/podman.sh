#!/usr/bin/env bash
# Starts or stops Podman's API service (Debian's podman 4.3, its Docker-compatible API and its
# own) on a socket of its own, as root, with storage of its own (the vfs driver, through
# CONTAINERS_STORAGE_CONF), cgroupfs and a file for events (no systemd here); containers run
# with --network none. Never touches a system service or the machine's own storage.
#   scripts/podman.sh start DIR   → prints unix://DIR/podman.sock; writes DIR/pid
#   scripts/podman.sh stop DIR
set -euo pipefail
command=${1:?usage: podman.sh start|stop DIR}
dir=${2:?usage: podman.sh start|stop DIR}

case "$command" in
start)
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  cat >"$dir/storage.conf" <<CONF
[storage]
driver = "vfs"
runroot = "$dir/run"
graphroot = "$dir/root"
CONF
  CONTAINERS_STORAGE_CONF="$dir/storage.conf" podman --root "$dir/root" --runroot "$dir/run" \
    --cgroup-manager=cgroupfs --events-backend=file --tmpdir "$dir/tmp" \
    system service --time=0 "unix://$dir/podman.sock" >"$dir/podman.log" 2>&1 &
  echo $! >"$dir/pid"
  for _ in $(seq 1 100); do
    if [ -S "$dir/podman.sock" ] && curl -fs --unix-socket "$dir/podman.sock" http://podman/_ping >/dev/null 2>&1; then
      echo "unix://$dir/podman.sock"
      exit 0
    fi
    sleep 0.1
  done
  echo "podman did not start; the end of its log:" >&2
  tail -n 20 "$dir/podman.log" >&2
  exit 1
  ;;
stop)
  if [ -f "$dir/pid" ]; then
    pid=$(cat "$dir/pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$dir/pid"
  fi
  ;;
*)
  echo "usage: podman.sh start|stop DIR" >&2
  exit 2
  ;;
esac
