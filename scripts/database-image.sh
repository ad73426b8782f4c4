#!/usr/bin/env bash
# Builds a small Redis image the way the official one is laid out for what a test needs
# (`redis-server` on PATH, as `CMD`), from Debian's packages and the libraries the server links,
# and pushes it with skopeo to REGISTRY/NAME (further arguments go to skopeo copy):
#   database-image.sh 127.0.0.1:5000 hub/library/redis:7-alpine
# It stands in for `redis:7-alpine` from Docker Hub, which this machine cannot reach.
set -euo pipefail
registry=${1:?usage: database-image.sh REGISTRY NAME:TAG [SKOPEO-COPY-OPTIONS…]}
name=${2:?usage: database-image.sh REGISTRY NAME:TAG [SKOPEO-COPY-OPTIONS…]}
shift 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Redis 7 from Debian: the server is redis-check-rdb under another name (it looks at argv[0]).
(cd "$work" && apt-get download -q=2 redis-tools libjemalloc2 liblzf1 2>/dev/null)
for package in "$work"/*.deb; do dpkg-deb -x "$package" "$work/packages"; done
server="$work/packages/usr/bin/redis-check-rdb"

layout="$work/layout"
umoci init --layout "$layout"
umoci new --image "$layout:redis"
umoci unpack --image "$layout:redis" "$work/bundle"
rootfs="$work/bundle/rootfs"
mkdir -p "$rootfs/usr/local/bin" "$rootfs/data" "$rootfs/tmp"
cp "$server" "$rootfs/usr/local/bin/redis-server"
# Every library it links, where the dynamic loader looks for it.
LD_LIBRARY_PATH="$work/packages/usr/lib/x86_64-linux-gnu" ldd "$server" | awk '/=>/ { print $3 } !/=>/ && /^\t\// { print $1 }' |
  while read -r library; do
    target="$rootfs/$(dirname "${library#"$work/packages"}")"
    mkdir -p "$target"
    cp -L "$library" "$target/"
  done
umoci repack --image "$layout:redis" "$work/bundle"
umoci config --image "$layout:redis" --os linux --architecture amd64 --config.workingdir /data \
  --config.cmd redis-server --config.exposedports 6379/tcp \
  --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
skopeo copy --quiet --dest-tls-verify=false "$@" "oci:$layout:redis" "docker://$registry/$name"
