#!/usr/bin/env bash
# Pushes the benchmark corpus to the registry at $1 and prints its references, one per line (a
# multi-platform one followed by its platforms: `REF linux/amd64,linux/arm64/v8`). Five images on one base layer, a
# real Debian root filesystem (`debootstrap --variant=minbase bookworm`), about 350 MB
# compressed:
#   bench/base:1    the Debian base alone
#   bench/tools:1   + compiler binaries (swift-frontend, lldb-server from /opt/swift), ~110 MB gzip'd
#   bench/data:1    + 150 MB of already-compressed (random) data
#   bench/app:1     + three small config layers and the host's /usr/share/doc
#   bench/multi:1   an index: linux/amd64 and linux/arm64/v8, each the base + 20 MB of its own
# With `big` as $3, only bench/big:1: one layer of 1 GB (random bytes), for peak memory.
# The images are built once into $SWIFT_IMAGES_BENCH_CACHE (default ~/.cache/swift-images-bench)
# and only pushed on later runs. Needs root (debootstrap) and the Debian mirror apt uses.
# Usage: Benchmarks/corpus.sh REGISTRY WORKDIR [big]
set -euo pipefail
cd "$(dirname "$0")/.."
registry=${1:?usage: corpus.sh REGISTRY WORKDIR [big]}
work=${2:?usage: corpus.sh REGISTRY WORKDIR [big]}
which=${3:-corpus}
cache=${SWIFT_IMAGES_BENCH_CACHE:-$HOME/.cache/swift-images-bench}
layout="$cache/layout"
mkdir -p "$work" "$cache"

bundle="$work/bundle"
# Adds one layer to IMAGE made by running the rest of the arguments in its root filesystem.
layer() {
  local image=$1
  shift
  rm -rf "$bundle"
  umoci unpack --image "$layout:$image" "$bundle" >/dev/null
  (cd "$bundle/rootfs" && "$@")
  umoci repack --image "$layout:$image" "$bundle" >/dev/null
  rm -rf "$bundle"
}
random_file() { mkdir -p "$(dirname "$1")" && head -c "$2" /dev/urandom >"$1"; }
mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)

build_corpus() {
  [ -d "$cache/rootfs" ] || {
    debootstrap --variant=minbase bookworm "$cache/rootfs.partial" "${mirror:-http://deb.debian.org/debian}" >"$work/debootstrap.log"
    mv "$cache/rootfs.partial" "$cache/rootfs"
  }
  rm -rf "$layout"
  umoci init --layout "$layout" >/dev/null
  umoci new --image "$layout:base" >/dev/null
  umoci config --image "$layout:base" --os linux --architecture amd64 --config.cmd /bin/bash >/dev/null
  layer base cp -a "$cache/rootfs/." .
  for image in tools data app multi-amd64 multi-arm64; do umoci tag --image "$layout:base" "$image" >/dev/null; done
  layer tools sh -c 'mkdir -p opt/tools/bin && cp /opt/swift/usr/bin/swift-frontend /opt/swift/usr/bin/lldb-server opt/tools/bin/'
  layer data random_file srv/data/archive.bin 150M
  layer app sh -c 'mkdir -p etc/app && echo "{\"port\": 8080, \"workers\": 4}" >etc/app/config.json'
  layer app sh -c 'echo "LOG_LEVEL=info" >etc/app/environment'
  layer app sh -c 'mkdir -p usr/share && cp -a /usr/share/doc usr/share/doc-host'
  layer app sh -c 'echo "release 1" >etc/app/VERSION'
  layer multi-amd64 random_file opt/amd64.bin 20M
  layer multi-arm64 random_file opt/arm64.bin 20M
  umoci config --image "$layout:multi-arm64" --architecture arm64 >/dev/null
  python3 - "$layout" <<'PY'
import hashlib, json, os, sys
layout = sys.argv[1]
index_path = os.path.join(layout, "index.json")
index = json.load(open(index_path))
by_name = {m["annotations"]["org.opencontainers.image.ref.name"]: m for m in index["manifests"]}
entries = []
for name, platform in [("multi-amd64", {"architecture": "amd64", "os": "linux"}),
                       ("multi-arm64", {"architecture": "arm64", "os": "linux", "variant": "v8"})]:
    entry = dict(by_name[name]); entry.pop("annotations"); entry["platform"] = platform
    entries.append(entry)
data = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                   "manifests": entries}, separators=(",", ":")).encode()
digest = hashlib.sha256(data).hexdigest()
open(os.path.join(layout, "blobs", "sha256", digest), "wb").write(data)
index["manifests"].append({"mediaType": "application/vnd.oci.image.index.v1+json", "digest": "sha256:" + digest,
                           "size": len(data), "annotations": {"org.opencontainers.image.ref.name": "multi"}})
json.dump(index, open(index_path, "w"))
PY
  umoci gc --layout "$layout" >/dev/null 2>&1 || true
  touch "$cache/corpus.done"
}

build_big() {
  umoci init --layout "$cache/big" >/dev/null 2>&1 || true
  umoci new --image "$cache/big:big" >/dev/null
  umoci config --image "$cache/big:big" --os linux --architecture amd64 >/dev/null
  rm -rf "$bundle"
  umoci unpack --image "$cache/big:big" "$bundle" >/dev/null
  random_file "$bundle/rootfs/big.bin" 1G
  umoci repack --image "$cache/big:big" "$bundle" >/dev/null
  rm -rf "$bundle"
  touch "$cache/big.done"
}

copy() { skopeo copy --quiet --dest-tls-verify=false "$@"; }
if [ "$which" = big ]; then
  [ -f "$cache/big.done" ] || build_big
  copy "oci:$cache/big:big" "docker://$registry/bench/big:1"
  echo "$registry/bench/big:1"
  exit 0
fi
[ -f "$cache/corpus.done" ] || build_corpus
for image in base tools data app; do
  copy "oci:$layout:$image" "docker://$registry/bench/$image:1"
  echo "$registry/bench/$image:1"
done
copy --all "oci:$layout:multi" "docker://$registry/bench/multi:1"
echo "$registry/bench/multi:1 linux/amd64,linux/arm64/v8"
