#!/usr/bin/env bash
# Starts or stops Podman's API service (Debian's podman 4.3, its Docker-compatible API and its
# own) on a socket of its own, as root, with storage of its own (the vfs driver, through
# CONTAINERS_STORAGE_CONF), cgroupfs and a file for events (no systemd here); containers run
# with --network none. Never touches a system service or the machine's own storage.
#   scripts/podman.sh start DIR   → prints unix://DIR/podman.sock; writes DIR/pid
#   scripts/podman.sh stop DIR
set -euo pipefail
# shellcheck source=scripts/lib/engine.sh
source "$(dirname "$0")/lib/engine.sh"
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
  engine_ready podman "$dir/podman.sock" "$dir/podman.log"
  ;;
stop) stop_pidfile "$dir/pid" ;;
*)
  echo "usage: podman.sh start|stop DIR" >&2
  exit 2
  ;;
esac
