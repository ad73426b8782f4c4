#!/usr/bin/env bash
# Starts or stops a private Docker daemon (Debian's docker.io, dockerd 20.10) on its own socket,
# as root, with the options that work on these machines (vfs storage, no iptables, no bridge:
# containers run with --network none). Never touches a system daemon.
#   scripts/dockerd.sh start DIR [isolated]   → prints unix://DIR/docker.sock; writes DIR/pid
#   scripts/dockerd.sh stop DIR
# `isolated` starts it in a network namespace of its own: its socket is on this machine, but our
# 127.0.0.1 is not its 127.0.0.1, like Docker Desktop's daemon inside a VM.
set -euo pipefail
command=${1:?usage: dockerd.sh start|stop DIR [isolated]}
dir=${2:?usage: dockerd.sh start|stop DIR [isolated]}
namespace=()
[ "${3:-}" = isolated ] && namespace=(unshare --net)

case "$command" in
start)
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  "${namespace[@]}" dockerd --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$dir/pid" -H "unix://$dir/docker.sock" \
    --storage-driver=vfs --iptables=false --ip6tables=false --bridge=none >"$dir/dockerd.log" 2>&1 &
  for _ in $(seq 1 150); do
    if [ -S "$dir/docker.sock" ] && curl -fs --unix-socket "$dir/docker.sock" http://docker/_ping >/dev/null 2>&1; then
      echo "unix://$dir/docker.sock"
      exit 0
    fi
    sleep 0.2
  done
  echo "dockerd did not start; the end of its log:" >&2
  tail -n 20 "$dir/dockerd.log" >&2
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
  echo "usage: dockerd.sh start|stop DIR [isolated]" >&2
  exit 2
  ;;
esac
