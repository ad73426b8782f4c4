#!/usr/bin/env bash
# Pulling the benchmark corpus (Benchmarks/corpus.sh: five images on a Debian base, ~350 MB)
# from a registry on loopback, side by side with skopeo, alternating runs, median of RUNS
# (default 5), release build:
#   cold   images pull into an empty cache   vs  skopeo copy of each image into one empty OCI layout
#   warm   images pull --locked, all cached   vs  skopeo's second copy into the same layout
# next to the floor: curl fetching every unique blob once, 8 at a time, hashed by sha256sum;
# and the peak memory (RSS) of each pulling an image whose one layer is 1 GB.
# Usage: Benchmarks/pull.sh [RUNS]
runs=${1:-5}
# shellcheck source=Benchmarks/common.sh
source "$(dirname "$0")/common.sh"
enter_corpus_project
"$images" lock --quiet

# skopeo copies one image at a time, each into the same layout, every platform of an index.
skopeo_copy_all() {
  for declaration in "${declarations[@]}"; do
    local ref=${declaration%% *} all=()
    [ "$ref" = "$declaration" ] || all=(--all)
    skopeo copy --quiet --src-tls-verify=false "${all[@]}" "docker://$ref" "oci:$work/layout:${ref##*/}" || return 1
  done
}

cold=() skopeo_cold=() warm=() skopeo_warm=()
for _ in $(seq "$runs"); do
  rm -rf "$SWIFT_IMAGES_CACHE"
  cold+=("$(seconds "$images" pull --locked --quiet)")
  rm -rf "$work/layout"
  skopeo_cold+=("$(seconds skopeo_copy_all)")
done
for _ in $(seq "$runs"); do
  warm+=("$(seconds "$images" pull --locked --quiet)")
  skopeo_warm+=("$(seconds skopeo_copy_all)")
done
# The floor: every unique blob (manifests and indexes aside) fetched once, 8 at a time, by curl
# and hashed by sha256sum, with nothing written; the blob list comes from the cache just pulled.
python3 - "$SWIFT_IMAGES_CACHE" "$registry" >"$work/blob-urls" <<'PY'
import json, os, sys
cache, registry = sys.argv[1:3]
def blob(digest):
    return json.load(open(os.path.join(cache, "blobs", *digest.split(":"))))
seen = set()
for entry in json.load(open(os.path.join(cache, "index.json")))["manifests"]:
    repository = entry["annotations"]["org.opencontainers.image.ref.name"].split("/", 1)[1].rsplit(":", 1)[0]
    manifest = blob(entry["digest"])
    for item in [manifest["config"]] + manifest["layers"]:
        if item["digest"] not in seen:
            seen.add(item["digest"])
            print(f"http://{registry}/v2/{repository}/blobs/{item['digest']}")
PY
floor_fetch() { xargs -P 8 -I URL sh -c 'curl -sf "URL" | sha256sum >/dev/null' <"$work/blob-urls"; }
floor=()
for _ in $(seq "$runs"); do floor+=("$(seconds floor_fetch)"); done

# A warm pull's requests, as its verbose log lists them (one debug line per request).
warm_requests=$("$images" pull --locked -v 2>&1 | grep -cE 'debug .* (GET|HEAD|POST) ' || true)
cache_bytes=$(du -sb "$SWIFT_IMAGES_CACHE" | cut -f1)

# Peak memory with a 1 GB layer.
big=$("$root/Benchmarks/corpus.sh" "$registry" "$work/corpus" big)
mkdir -p "$work/big"
declare_images "$work/big/images.json" "$big"
peak_kib() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
rss=$(cd "$work/big" && SWIFT_IMAGES_CACHE="$work/big-cache" peak_kib "$images" pull --quiet)
skopeo_rss=$(peak_kib skopeo copy --quiet --src-tls-verify=false "docker://$big" "oci:$work/big-layout:big")

m_cold=$(median "${cold[@]}") m_skopeo_cold=$(median "${skopeo_cold[@]}") m_floor=$(median "${floor[@]}")
m_warm=$(median "${warm[@]}") m_skopeo_warm=$(median "${skopeo_warm[@]}")
ms() { echo "$1 * 1000 / 1" | bc; }
cat <<REPORT
Pulling ${#refs[@]} images, $((cache_bytes / 1000000)) MB cached, from a registry on loopback (median of $runs):
  cold: images pull                      ${m_cold} s
  cold: skopeo copy, each image          ${m_skopeo_cold} s   images / skopeo = $(ratio "$m_cold" "$m_skopeo_cold")
  cold: curl + sha256sum, 8 at a time    ${m_floor} s   images / curl = $(ratio "$m_cold" "$m_floor")   (the floor: fetch and hash, write nothing)
  warm: images pull --locked             $(ms "$m_warm") ms, ${warm_requests} requests
  warm: skopeo copy again                $(ms "$m_skopeo_warm") ms   images / skopeo = $(ratio "$m_warm" "$m_skopeo_warm")
Peak RSS pulling a 1 GB layer:
  images pull                            $((rss / 1024)) MiB
  skopeo copy                            $((skopeo_rss / 1024)) MiB
Every run (s): cold ${cold[*]} | skopeo cold ${skopeo_cold[*]} | curl ${floor[*]} | warm ${warm[*]} | skopeo warm ${skopeo_warm[*]}
Machine: $(machine)
REPORT
