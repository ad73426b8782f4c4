#!/usr/bin/env bash
# Pushes a single-layer image of BYTES random bytes plus a static busybox (so that a container
# can run it: /bin/sh, /bin/sleep…), linux/amd64, OCI media types, to REGISTRY/REPOSITORY:TAG.
# Tests use it for content, and an image ID, that no other image shares.
#   scripts/random-image.sh REGISTRY REPOSITORY:TAG BYTES [SKOPEO-COPY-OPTIONS…]
set -euo pipefail
registry=${1:?usage: random-image.sh REGISTRY REPOSITORY:TAG BYTES}
target=${2:?usage: random-image.sh REGISTRY REPOSITORY:TAG BYTES}
bytes=${3:?usage: random-image.sh REGISTRY REPOSITORY:TAG BYTES}
shift 3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
umoci init --layout "$work/layout"
umoci new --image "$work/layout:image"
umoci unpack --image "$work/layout:image" "$work/bundle"
head -c "$bytes" /dev/urandom >"$work/bundle/rootfs/random.bin"
mkdir -p "$work/bundle/rootfs/bin"
cp /bin/busybox "$work/bundle/rootfs/bin/busybox"
for applet in sh echo cat sleep; do ln -s busybox "$work/bundle/rootfs/bin/$applet"; done
umoci repack --image "$work/layout:image" "$work/bundle"
umoci config --image "$work/layout:image" --os linux --architecture amd64
skopeo copy --quiet --dest-tls-verify=false "$@" "oci:$work/layout:image" "docker://$registry/$target"
