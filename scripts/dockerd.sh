#!/usr/bin/env bash
# Starts or stops a private Docker daemon (Debian's docker.io, dockerd 20.10) on its own socket,
# as root, with the options that work on these machines (vfs storage, no iptables, no bridge:
# containers run with --network none). Never touches a system daemon.
#   scripts/dockerd.sh start DIR [isolated|tls]   → prints unix://DIR/docker.sock; writes DIR/pid
#   scripts/dockerd.sh stop DIR
# `isolated` starts it in a network namespace of its own: its socket is on this machine, but our
# 127.0.0.1 is not its 127.0.0.1, like Docker Desktop's daemon inside a VM.
# `tls` also serves the API over TCP with TLS, as docker:dind does (--tlsverify: clients need a
# certificate from the same CA), at the address written to DIR/tls-host; DIR/client holds what
# DOCKER_CERT_PATH names (ca.pem, cert.pem, key.pem), made by openssl for this run.
set -euo pipefail
# shellcheck source=scripts/lib/engine.sh
source "$(dirname "$0")/lib/engine.sh"
command=${1:?usage: dockerd.sh start|stop DIR [isolated|tls]}
dir=${2:?usage: dockerd.sh start|stop DIR [isolated|tls]}
namespace=()
[ "${3:-}" = isolated ] && namespace=(unshare --net)

# A CA, a server certificate for 127.0.0.1 and localhost, and a client certificate, in DIR/certs
# and DIR/client.
make_certificates() {
  local certs=$1/certs client=$1/client
  mkdir -p "$certs" "$client"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$certs/ca-key.pem" -out "$certs/ca.pem" -days 2 \
    -subj "/CN=swift-images test CA" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -keyout "$certs/server-key.pem" -out "$certs/server.csr" -subj "/CN=localhost" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$certs/server.ext"
  openssl x509 -req -in "$certs/server.csr" -CA "$certs/ca.pem" -CAkey "$certs/ca-key.pem" -CAcreateserial \
    -out "$certs/server-cert.pem" -days 2 -extfile "$certs/server.ext" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -keyout "$client/key.pem" -out "$certs/client.csr" -subj "/CN=client" 2>/dev/null
  printf 'extendedKeyUsage=clientAuth\n' >"$certs/client.ext"
  openssl x509 -req -in "$certs/client.csr" -CA "$certs/ca.pem" -CAkey "$certs/ca-key.pem" -CAcreateserial \
    -out "$client/cert.pem" -days 2 -extfile "$certs/client.ext" 2>/dev/null
  cp "$certs/ca.pem" "$client/ca.pem"
}

case "$command" in
start)
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  listeners=(-H "unix://$dir/docker.sock")
  if [ "${3:-}" = tls ]; then
    make_certificates "$dir"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    listeners+=(-H "tcp://127.0.0.1:$port" --tlsverify --tlscacert "$dir/certs/ca.pem"
      --tlscert "$dir/certs/server-cert.pem" --tlskey "$dir/certs/server-key.pem")
    echo "tcp://127.0.0.1:$port" >"$dir/tls-host"
  fi
  "${namespace[@]}" dockerd --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$dir/pid" "${listeners[@]}" \
    --storage-driver=vfs --iptables=false --ip6tables=false --bridge=none >"$dir/dockerd.log" 2>&1 &
  engine_ready dockerd "$dir/docker.sock" "$dir/dockerd.log"
  ;;
stop) stop_pidfile "$dir/pid" ;;
*)
  echo "usage: dockerd.sh start|stop DIR [isolated]" >&2
  exit 2
  ;;
esac
