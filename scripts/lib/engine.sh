# Sourced by the scripts that start an engine (dockerd.sh, docker26.sh, podman.sh).

# Waits up to 30 s for the engine's API to answer `GET /_ping` on SOCKET, then prints its
# address; else shows the end of LOG and fails. engine_ready NAME SOCKET LOG
engine_ready() {
  local name=$1 socket=$2 log=$3
  for _ in $(seq 1 150); do
    if [ -S "$socket" ] && curl -fs --unix-socket "$socket" http://engine/_ping >/dev/null 2>&1; then
      echo "unix://$socket"
      return 0
    fi
    sleep 0.2
  done
  echo "$name did not start; the end of its log:" >&2
  tail -n 20 "$log" >&2
  return 1
}

# Stops the process whose pid PIDFILE holds, waits up to 10 s for it to end, removes PIDFILE.
stop_pidfile() {
  [ -f "$1" ] || return 0
  local pid
  pid=$(cat "$1")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f "$1"
}
