#!/usr/bin/env bash
# A guided tour of the main job on a fresh machine: builds `images` once (release, as the README's
# "Use" does), starts a local registry (there is no internet here) seeded with fixture images and
# a private dockerd, then locks, pulls cold, pulls warm with --locked, lists and inspects the
# cache, reports its sizes, plans a prune, has skopeo read the cache, loads the images into the
# daemon and lists them there; then seeds a second registry with `images push` and, the first
# registry stopped, pulls through it as a mirror on a "second machine". Each step says what to
# look at before it runs. Stops everything it started at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
scripts/install-deps.sh
work=$(mktemp -d)
trap '"$root/scripts/dockerd.sh" stop "$work/docker"; "$root/scripts/registry.sh" stop "$work/registry"; "$root/scripts/registry.sh" stop "$work/fleet"; rm -rf "$work"' EXIT

echo "Building images in release (about 5 minutes on 2 cores the first time, seconds after that;"
echo "the compiler's output goes to $root/.build/demo-build.log)."
# On a fresh clone there is no .build yet to hold the log.
mkdir -p "$root/.build"
swift build -c release --product images >"$root/.build/demo-build.log" 2>&1 || {
  tail -n 30 "$root/.build/demo-build.log"
  exit 1
}
export PATH="$(swift build -c release --show-bin-path):$PATH"
echo "Built: images $(images --version)"

registry=$(scripts/registry.sh start "$work/registry")
export DOCKER_HOST
DOCKER_HOST=$(scripts/dockerd.sh start "$work/docker")
scripts/fixtures.sh "$registry" >/dev/null
echo "A registry on $registry with fixture images stands in for Docker Hub; a private dockerd listens on $DOCKER_HOST."

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

# say TEXT: a sentence of the tour, in bold on a terminal.
say() { if [ -t 1 ]; then printf '\n\033[1m# %s\033[0m\n' "$1"; else printf '\n# %s\n' "$1"; fi; }
# step "WHAT TO LOOK AT" COMMAND…: says it, shows the command, runs it.
step() {
  say "$1"
  printf '$ %s\n' "${*:2}"
  "${@:2}"
}
# As `step`, for a pipeline or a redirection given as one string to bash.
step_shell() {
  say "$1"
  printf '$ %s\n' "$2"
  bash -c "$2"
}

printf '\nThe project declares three images in images.json (one for two platforms):\n'
cat images.json
step "Pin every tag to a digest: one HEAD per tag, the lock written." \
  images lock
step "The lock: each reference, the digest its tag named, and each platform's manifest. Commit it." \
  cat images.lock.json
step "A cold pull: the shared base layer is fetched once (see 'fetched of' per image)." \
  images pull --locked
step "A warm pull, as CI runs it on every job: nothing fetched, not one request to the registry." \
  images pull --locked
step "What the cache holds; DECLARED says which images this project's images.json names." \
  images ls
step "Sizes per layer: compressed (what is downloaded and cached), tar, unpacked; SHARED counts the images using a layer." \
  images report
step "What a prune would remove: nothing, since everything cached is declared here." \
  images prune --dry-run
step_shell "inspect prints the manifest, config and layers as JSON; here the layers' digests and sizes." \
  "images inspect '$registry/test/app:1' | jq -c '.[0].manifest.layers[] | {digest, size}'"
step_shell "The cache is a standard OCI image layout: skopeo reads it as it is." \
  "skopeo inspect 'oci:$SWIFT_IMAGES_CACHE:$registry/test/base:1' | jq -c '{Digest, Architecture, Layers: (.Layers | length)}'"
step "Load the images into the daemon, straight from the cache (the daemon pulls them from a loopback registry serving the cache)." \
  images load
step "The daemon's view: each declared image, its ID and whether it matches the lock." \
  images ls --engine

fleet=$("$root/scripts/registry.sh" start "$work/fleet")
step "Seed a registry for a runner fleet (a mirror): every blob once, manifests by digest, then the tags." \
  images push --to "$fleet/mirror"
"$root/scripts/registry.sh" stop "$work/registry"
mkdir -p "$work/second-machine"
cd "$work/second-machine"
cp "$work/project/images.lock.json" .
sed 's|"version": 1,|"version": 1, "registries": {"'"$registry"'": {"mirrors": ["'"$fleet/mirror"'"]}},|' \
  "$work/project/images.json" >images.json
export SWIFT_IMAGES_CACHE="$work/second-cache"
say "A second machine: an empty cache, the same lock, images.json naming $fleet/mirror as a mirror of $registry, which is stopped now:"
curl -s -o /dev/null --max-time 2 "http://$registry/v2/" || echo "(curl http://$registry/v2/ fails: nothing listens there)"
step_shell "The pull gets every image from the mirror (-v logs which source served each request; the first three)." \
  "images pull --locked -v 2>pull.log; grep -m 3 'served by mirror' pull.log; tail -n 1 pull.log"
step "And the images are all there, under the names and digests the lock pins." \
  images ls
