#!/usr/bin/env bash
# Starts (or stops) every service the integration tests use, all on loopback, free ports:
#   plain     a registry without auth, seeded with the fixtures
#   basic     a registry with htpasswd (Basic) auth, seeded with the fixtures
#   token     a registry with token (Bearer) auth and its token service, seeded with the fixtures
#   redirect  a Basic-auth front for the plain registry that redirects blobs to another origin
#   slow      a front for the plain registry that sends blob bodies at 4 MB/s
#   docker    a private dockerd on its own socket, and over TCP with TLS on loopback
#   docker26  Docker 26 with the containerd image store, and its containerd (scripts/docker26.sh)
#   podman    Podman's API service on its own socket and storage (scripts/podman.sh)
#
#   scripts/services.sh start DIR   → writes DIR/env (export lines for the tests)
#   scripts/services.sh stop DIR    → stops everything started in DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
command=${1:?usage: services.sh start|stop DIR}
dir=${2:?usage: services.sh start|stop DIR}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for() {
  for _ in $(seq 1 100); do
    if curl -s -o /dev/null "$1"; then return 0; fi
    sleep 0.1
  done
  echo "service at $1 did not start" >&2
  return 1
}

case "$command" in
stop)
  for registry in plain basic token; do "$here/registry.sh" stop "$dir/$registry"; done
  "$here/dockerd.sh" stop "$dir/docker"
  "$here/dockerd.sh" stop "$dir/docker-isolated"
  "$here/docker26.sh" stop "$dir/docker26"
  "$here/podman.sh" stop "$dir/podman"
  for pidfile in "$dir"/*.pid; do
    [ -f "$pidfile" ] && { kill "$(cat "$pidfile")" 2>/dev/null || true; rm -f "$pidfile"; }
  done
  exit 0
  ;;
start) ;;
*) echo "usage: services.sh start|stop DIR" >&2; exit 2 ;;
esac

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
user=tester
password=$(head -c 12 /dev/urandom | base64 | tr -dc 'a-zA-Z0-9')

plain=$("$here/registry.sh" start "$dir/plain")
"$here/fixtures.sh" "$plain" >/dev/null

htpasswd -Bbc "$dir/htpasswd" "$user" "$password" 2>/dev/null
cat >"$dir/basic.yml" <<YAML
auth:
  htpasswd:
    realm: basic-realm
    path: $dir/htpasswd
YAML
basic=$("$here/registry.sh" start "$dir/basic" "$dir/basic.yml")
"$here/fixtures.sh" "$basic" --dest-creds "$user:$password" >/dev/null

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/token.key" -out "$dir/token.crt" -days 2 \
  -subj "/CN=swift-images-test-token" >/dev/null 2>&1
token_port=$(free_port)
python3 "$here/testservices/token_server.py" "$token_port" "$dir/token.key" "$dir/token.crt" test-registry "$user:$password" \
  >"$dir/token-server.log" 2>&1 &
echo $! >"$dir/token-server.pid"
wait_for "http://127.0.0.1:$token_port/stats"
cat >"$dir/token.yml" <<YAML
auth:
  token:
    realm: http://127.0.0.1:$token_port/token
    service: test-registry
    issuer: swift-images-test-issuer
    rootcertbundle: $dir/token.crt
YAML
token=$("$here/registry.sh" start "$dir/token" "$dir/token.yml")
"$here/fixtures.sh" "$token" --dest-creds "$user:$password" >/dev/null

front_port=$(free_port)
storage_port=$(free_port)
python3 "$here/testservices/proxy.py" redirect "$front_port" "$storage_port" "$plain" "$user:$password" \
  >"$dir/redirect-proxy.log" 2>&1 &
echo $! >"$dir/redirect-proxy.pid"
wait_for "http://127.0.0.1:$storage_port/stats"

slow_port=$(free_port)
python3 "$here/testservices/proxy.py" throttle "$slow_port" "$plain" 4000000 >"$dir/throttle-proxy.log" 2>&1 &
echo $! >"$dir/throttle-proxy.pid"
wait_for "http://127.0.0.1:$slow_port/v2/"

docker_host=$("$here/dockerd.sh" start "$dir/docker" tls)
isolated_docker_host=$("$here/dockerd.sh" start "$dir/docker-isolated" isolated)
docker26_host=$("$here/docker26.sh" start "$dir/docker26")
podman_host=$("$here/podman.sh" start "$dir/podman")

cat >"$dir/env" <<ENV
export IMAGES_TEST_SCRIPTS='$here'
export IMAGES_TEST_REGISTRY='$plain'
export IMAGES_TEST_REGISTRY_STORAGE='$dir/plain/storage'
export IMAGES_TEST_BASIC_REGISTRY='$basic'
export IMAGES_TEST_TOKEN_REGISTRY='$token'
export IMAGES_TEST_TOKEN_STATS='http://127.0.0.1:$token_port/stats'
export IMAGES_TEST_REDIRECT_REGISTRY='127.0.0.1:$front_port'
export IMAGES_TEST_REDIRECT_STATS='http://127.0.0.1:$storage_port/stats'
export IMAGES_TEST_SLOW_REGISTRY='127.0.0.1:$slow_port'
export IMAGES_TEST_DOCKER_HOST='$docker_host'
export IMAGES_TEST_DOCKER_TLS_HOST='$(cat "$dir/docker/tls-host")'
export IMAGES_TEST_DOCKER_CERT_PATH='$dir/docker/client'
export IMAGES_TEST_ISOLATED_DOCKER_HOST='$isolated_docker_host'
export IMAGES_TEST_DOCKER26_HOST='$docker26_host'
export IMAGES_TEST_PODMAN_HOST='$podman_host'
export IMAGES_TEST_USER='$user'
export IMAGES_TEST_PASSWORD='$password'
ENV
echo "services ready: plain $plain, basic $basic, token $token, redirect 127.0.0.1:$front_port, dockerd $docker_host, isolated dockerd $isolated_docker_host, docker 26 $docker26_host, podman $podman_host"
