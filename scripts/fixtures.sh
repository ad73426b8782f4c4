#!/usr/bin/env bash
# Builds the fixture images with umoci and pushes them with skopeo to the registry at $1
# (further arguments, such as --dest-creds USER:PASSWORD, go to every skopeo copy):
#   test/base:1   one layer (OCI media types)
#   test/app:1    base's layer plus two more (Docker v2 schema 2 media types)
#   test/multi:1  an index: linux/amd64, linux/arm64/v8 and an attestation (unknown/unknown)
# Layers are made of random bytes, so every run makes new digests.
set -euo pipefail
registry=${1:?usage: fixtures.sh REGISTRY [SKOPEO-COPY-OPTIONS…]}
shift
extra=("$@")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
layout="$work/layout"
copy() { skopeo copy --quiet --dest-tls-verify=false "${extra[@]}" "$@"; }

umoci init --layout "$layout"

# base: one layer with a few files.
umoci new --image "$layout:base"
umoci unpack --image "$layout:base" "$work/base"
mkdir -p "$work/base/rootfs/etc" "$work/base/rootfs/usr/lib"
echo "fixture base" >"$work/base/rootfs/etc/os-release"
head -c 600000 /dev/urandom >"$work/base/rootfs/usr/lib/libbase.so"
umoci repack --image "$layout:base" "$work/base"
umoci config --image "$layout:base" --os linux --architecture amd64 --config.cmd /bin/sh

# app: base plus two layers.
umoci tag --image "$layout:base" app
umoci unpack --image "$layout:app" "$work/app"
mkdir -p "$work/app/rootfs/app"
head -c 300000 /dev/urandom >"$work/app/rootfs/app/server"
umoci repack --image "$layout:app" "$work/app"
rm -rf "$work/app"
umoci unpack --image "$layout:app" "$work/app"
echo '{"port": 8080}' >"$work/app/rootfs/app/config.json"
umoci repack --image "$layout:app" "$work/app"
umoci config --image "$layout:app" --config.cmd /app/server

# multi: two platforms built the same way, joined in an index with an attestation manifest.
for arch in amd64 arm64; do
  umoci new --image "$layout:multi-$arch"
  umoci unpack --image "$layout:multi-$arch" "$work/multi-$arch"
  head -c 200000 /dev/urandom >"$work/multi-$arch/rootfs/$arch.bin"
  umoci repack --image "$layout:multi-$arch" "$work/multi-$arch"
  umoci config --image "$layout:multi-$arch" --os linux --architecture "$arch"
done
python3 - "$layout" <<'PY'
import hashlib, json, os, sys
layout = sys.argv[1]
def put(obj):
    data = json.dumps(obj, separators=(",", ":")).encode()
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(layout, "blobs", "sha256", digest), "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + digest, "size": len(data)}
index_path = os.path.join(layout, "index.json")
index = json.load(open(index_path))
by_name = {m["annotations"]["org.opencontainers.image.ref.name"]: m for m in index["manifests"]}
amd64, arm64 = by_name["multi-amd64"], by_name["multi-arm64"]
config = put({"architecture": "unknown", "os": "unknown", "rootfs": {"type": "layers", "diff_ids": []}})
statement = put({"_type": "https://in-toto.io/Statement/v0.1", "predicateType": "https://slsa.dev/provenance/v0.2"})
attestation = put({
    "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config},
    "layers": [{"mediaType": "application/vnd.in-toto+json", **statement,
                "annotations": {"in-toto.io/predicate-type": "https://slsa.dev/provenance/v0.2"}}],
})
multi = put({
    "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
    "manifests": [
        {"mediaType": amd64["mediaType"], "digest": amd64["digest"], "size": amd64["size"],
         "platform": {"architecture": "amd64", "os": "linux"}},
        {"mediaType": arm64["mediaType"], "digest": arm64["digest"], "size": arm64["size"],
         "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}},
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", **attestation,
         "platform": {"architecture": "unknown", "os": "unknown"},
         "annotations": {"vnd.docker.reference.type": "attestation-manifest",
                         "vnd.docker.reference.digest": amd64["digest"]}},
    ],
})
index["manifests"].append({"mediaType": "application/vnd.oci.image.index.v1+json", **multi,
                           "annotations": {"org.opencontainers.image.ref.name": "multi"}})
json.dump(index, open(index_path, "w"))
PY

copy "oci:$layout:base" "docker://$registry/test/base:1"
copy --format v2s2 "oci:$layout:app" "docker://$registry/test/app:1"
copy --all "oci:$layout:multi" "docker://$registry/test/multi:1"
echo "fixtures pushed to $registry: test/base:1 test/app:1 test/multi:1"
