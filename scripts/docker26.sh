#!/usr/bin/env bash
# Docker 26 with the containerd image store (the store Docker 29 uses by default), from Debian
# 13's docker.io and containerd packages, fetched with a private apt configuration so that this
# machine's own sources stay as they are (runc is this machine's: Debian 13's needs a newer glibc),
# and run as root on sockets of their own, never a system daemon: containerd with its own config,
# root and socket; dockerd with `{"features": {"containerd-snapshotter": true}}`, the `native`
# snapshotter, no iptables, no bridge (containers run with --network none).
#   scripts/docker26.sh fetch DIR   → unpacks the packages into DIR/root (once)
#   scripts/docker26.sh start DIR   → prints unix://DIR/docker.sock; writes DIR/pid, DIR/containerd.pid
#   scripts/docker26.sh stop DIR
set -euo pipefail
# shellcheck source=scripts/lib/engine.sh
source "$(dirname "$0")/lib/engine.sh"
command=${1:?usage: docker26.sh fetch|start|stop DIR}
dir=${2:?usage: docker26.sh fetch|start|stop DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

fetch() {
  [ -x "$dir/root/usr/sbin/dockerd" ] && return 0
  local apt="$dir/apt"
  mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/debs"
  mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
  echo "deb ${mirror:-http://deb.debian.org/debian} trixie main" >"$apt/sources.list"
  local options=(-o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache" -o Debug::NoLocking=1)
  apt-get "${options[@]}" update -q >"$apt/update.log" 2>&1 || { cat "$apt/update.log" >&2; exit 1; }
  (cd "$apt/debs" && apt-get "${options[@]}" download docker.io containerd >"$apt/download.log" 2>&1) ||
    { cat "$apt/download.log" >&2; exit 1; }
  for package in "$apt"/debs/*.deb; do dpkg-deb -x "$package" "$dir/root"; done
}

case "$command" in
fetch) fetch ;;
start)
  fetch
  export PATH="$dir/root/usr/bin:$dir/root/usr/sbin:$PATH"
  mkdir -p "$dir/containerd"
  cat >"$dir/containerd/config.toml" <<TOML
version = 2
root = "$dir/containerd/root"
state = "$dir/containerd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$dir/containerd/containerd.sock"
[ttrpc]
  address = "$dir/containerd/containerd.sock.ttrpc"
[debug]
  address = "$dir/containerd/debug.sock"
TOML
  containerd --config "$dir/containerd/config.toml" >"$dir/containerd.log" 2>&1 &
  echo $! >"$dir/containerd.pid"
  for _ in $(seq 1 100); do [ -S "$dir/containerd/containerd.sock" ] && break; sleep 0.1; done
  echo '{"features": {"containerd-snapshotter": true}}' >"$dir/daemon.json"
  dockerd --config-file "$dir/daemon.json" --containerd "$dir/containerd/containerd.sock" \
    --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$dir/pid" -H "unix://$dir/docker.sock" \
    --storage-driver=native --iptables=false --ip6tables=false --bridge=none >"$dir/dockerd.log" 2>&1 &
  engine_ready "dockerd 26" "$dir/docker.sock" "$dir/dockerd.log"
  ;;
stop)
  stop_pidfile "$dir/pid"
  stop_pidfile "$dir/containerd.pid"
  ;;
*)
  echo "usage: docker26.sh fetch|start|stop DIR" >&2
  exit 2
  ;;
esac
