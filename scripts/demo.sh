#!/usr/bin/env bash
# The main job end to end on a fresh machine: builds `images`, starts a local registry (there is
# no internet here) seeded with fixture images and a private dockerd, then locks, pulls cold,
# pulls warm with --locked, lists and inspects the cache, reports its sizes, plans a prune, has skopeo read it, loads the images
# into the daemon and lists them there; then seeds a second registry with `images push` and, the
# first registry stopped, pulls through it as a mirror on a "second machine". Stops everything at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
scripts/install-deps.sh
swift build
images="$(swift build --show-bin-path)/images"
work=$(mktemp -d)
trap '"$root/scripts/dockerd.sh" stop "$work/docker"; "$root/scripts/registry.sh" stop "$work/registry"; "$root/scripts/registry.sh" stop "$work/fleet"; rm -rf "$work"' EXIT
registry=$(scripts/registry.sh start "$work/registry")
export DOCKER_HOST
DOCKER_HOST=$(scripts/dockerd.sh start "$work/docker")
scripts/fixtures.sh "$registry"

mkdir -p "$work/project"
cd "$work/project"
cat >images.json <<JSON
{
  "version": 1,
  "platforms": ["linux/amd64"],
  "images": [
    "$registry/test/base:1",
    "$registry/test/app:1",
    { "ref": "$registry/test/multi:1", "platforms": ["linux/amd64", "linux/arm64"] }
  ]
}
JSON
export SWIFT_IMAGES_CACHE="$work/cache"
step() { printf '\n$ %s\n' "$*"; }
step images lock;                   "$images" lock
step cat images.lock.json;          cat images.lock.json
rm -rf "$SWIFT_IMAGES_CACHE"
step images pull "(cold)";          time "$images" pull --locked
step images pull --locked "(warm)"; time "$images" pull --locked
step images ls;                     "$images" ls
step images report;                 "$images" report
step images prune --dry-run;        "$images" prune --dry-run
step images inspect "$registry/test/app:1"; "$images" inspect "$registry/test/app:1" | head -n 20
step skopeo inspect "oci:\$SWIFT_IMAGES_CACHE:$registry/test/base:1"
skopeo inspect "oci:$SWIFT_IMAGES_CACHE:$registry/test/base:1" | head -n 8
step images load;                   "$images" load
step images ls --engine;            "$images" ls --engine

fleet=$("$root/scripts/registry.sh" start "$work/fleet")
step images push --to "$fleet/mirror"; "$images" push --to "$fleet/mirror"
"$root/scripts/registry.sh" stop "$work/registry"
mkdir -p "$work/second-machine"
cd "$work/second-machine"
cp "$work/project/images.lock.json" .
sed 's|"version": 1,|"version": 1, "registries": {"'"$registry"'": {"mirrors": ["'"$fleet/mirror"'"]}},|' \
  "$work/project/images.json" >images.json
step "(second machine, first registry stopped)" images pull --locked
SWIFT_IMAGES_CACHE="$work/second-cache" "$images" pull --locked
