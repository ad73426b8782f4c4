#!/usr/bin/env bash
# Seeding a registry from a local copy of the benchmark corpus (Benchmarks/corpus.sh), side by
# side with skopeo, alternating runs, median of RUNS (default 5), release build:
#   cold   images push --to an empty registry      vs  skopeo copy --all of each image from an OCI layout
#   warm   the same again, everything already there
# Both read local files (our cache; a layout skopeo copied from the source registry) and write to
# a registry on loopback, started empty for each cold run.
# Usage: Benchmarks/push.sh [RUNS]
runs=${1:-5}
# shellcheck source=Benchmarks/common.sh
source "$(dirname "$0")/common.sh"
enter_corpus_project
"$images" pull --quiet
for ref in "${refs[@]}"; do
  skopeo copy --quiet --all --src-tls-verify=false "docker://$ref" "oci:$work/layout:${ref##*/}"
done

# An empty registry of its own for each run: sets destination.
fresh_destination() {
  "$root/scripts/registry.sh" stop "$work/destination" || true
  rm -rf "$work/destination"
  destination=$("$root/scripts/registry.sh" start "$work/destination")
}
trap 'stop_services; "$root/scripts/registry.sh" stop "$work/destination" || true; rm -rf "$work"' EXIT

skopeo_push_all() {
  for ref in "${refs[@]}"; do
    local name=${ref#*/}
    skopeo copy --quiet --all --dest-tls-verify=false "oci:$work/layout:${ref##*/}" "docker://$destination/skopeo/$name" ||
      return 1
  done
}

cold=() skopeo_cold=() warm=() skopeo_warm=()
for _ in $(seq "$runs"); do
  fresh_destination
  cold+=("$(seconds "$images" push --to "$destination/ours" --quiet)")
  warm+=("$(seconds "$images" push --to "$destination/ours" --quiet)")
  fresh_destination
  skopeo_cold+=("$(seconds skopeo_push_all)")
  skopeo_warm+=("$(seconds skopeo_push_all)")
done
# Both copies hold the same digests (the last destination holds skopeo's; ours go next to them).
"$images" push --to "$destination/ours" --quiet
for ref in "${refs[@]}"; do
  name=${ref#*/}
  theirs=$(skopeo inspect --raw --tls-verify=false "docker://$destination/skopeo/$name" | sha256sum | cut -c1-64)
  ours=$(skopeo inspect --raw --tls-verify=false "docker://$destination/ours/$name" | sha256sum | cut -c1-64)
  [ "$ours" = "$theirs" ] || { echo "digests differ for $ref: $ours (images) vs $theirs (skopeo)" >&2; exit 1; }
done
cache_bytes=$(du -sb "$SWIFT_IMAGES_CACHE" | cut -f1)

m_cold=$(median "${cold[@]}") m_skopeo_cold=$(median "${skopeo_cold[@]}")
m_warm=$(median "${warm[@]}") m_skopeo_warm=$(median "${skopeo_warm[@]}")
each() { printf '%.2f ' "$@"; }
cat <<REPORT
Pushing ${#refs[@]} images, $((cache_bytes / 1000000)) MB cached, to a registry on loopback (median of $runs; every run):
  cold: images push --to                 ${m_cold} s   ($(each "${cold[@]}"))
  cold: skopeo copy --all, each image    ${m_skopeo_cold} s   images / skopeo = $(ratio "$m_cold" "$m_skopeo_cold")   ($(each "${skopeo_cold[@]}"))
  warm: images push --to                 ${m_warm} s   ($(each "${warm[@]}"))
  warm: skopeo copy --all again          ${m_skopeo_warm} s   images / skopeo = $(ratio "$m_warm" "$m_skopeo_warm")   ($(each "${skopeo_warm[@]}"))
Machine: $(machine)
REPORT
