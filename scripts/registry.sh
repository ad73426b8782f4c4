#!/usr/bin/env bash
# Starts or stops a throw-away registry (Debian's docker-registry, distribution 2.8) on a free
# loopback port.
#   scripts/registry.sh start DIR [EXTRA.yml]
#       serves from DIR/storage; prints the address, writes DIR/address and DIR/pid;
#       EXTRA.yml (an `auth:` section, say) is appended to the generated config
#   scripts/registry.sh stop DIR    → stops the registry started in DIR
set -euo pipefail
command=${1:?usage: registry.sh start|stop DIR}
dir=${2:?usage: registry.sh start|stop DIR}

case "$command" in
start)
  mkdir -p "$dir/storage"
  dir=$(cd "$dir" && pwd)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  cat >"$dir/config.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
YAML
  if [ -n "${3:-}" ]; then cat "$3" >>"$dir/config.yml"; fi
  docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
  echo $! >"$dir/pid"
  for _ in $(seq 1 100); do
    # Any HTTP answer (200, or 401 with auth configured) means it is serving.
    if [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/")" != 000 ]; then
      echo "127.0.0.1:$port" >"$dir/address"
      echo "127.0.0.1:$port"
      exit 0
    fi
    sleep 0.1
  done
  echo "the registry did not start; the end of its log:" >&2
  tail -n 20 "$dir/registry.log" >&2
  kill "$(cat "$dir/pid")" 2>/dev/null || true
  exit 1
  ;;
stop)
  if [ -f "$dir/pid" ]; then
    kill "$(cat "$dir/pid")" 2>/dev/null || true
    rm -f "$dir/pid"
  fi
  ;;
*)
  echo "usage: registry.sh start|stop DIR" >&2
  exit 2
  ;;
esac
