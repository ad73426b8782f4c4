#!/usr/bin/env bash
# The plugin path against the release binary, on the same cold pull of the benchmark corpus
# (Benchmarks/corpus.sh) into an empty cache, median of RUNS (default 3):
#   swift package images pull                the tool as the plugin builds it (debug, by default)
#   swift package -c release images pull     the tool built in release for the plugin
#   images pull                              the release binary, installed
# The plugin rows include what `swift package` itself costs (checking the build, starting the
# plugin); the tool's builds happen once, before timing.
# Usage: Benchmarks/plugin.sh [RUNS]
runs=${1:-3}
# shellcheck source=Benchmarks/common.sh
source "$(dirname "$0")/common.sh"
serve_corpus

# The example package, depending on this repository by path, built in its own folder.
package="$work/package"
mkdir -p "$package"
cp -r Examples/ServiceWithDatabase/Sources Examples/ServiceWithDatabase/Tests "$package/"
sed "s#.package(path: \"../..\")#.package(path: \"$root\")#" Examples/ServiceWithDatabase/Package.swift >"$package/Package.swift"
declare_images "$package/images.json" "${declarations[@]}"
scratch="$root/.build/plugin-benchmark"
cd "$package"
export SWIFT_IMAGES_CACHE="$work/cache"
# plugin [-c CONFIGURATION] ARGUMENTS…: swift package's own options go before the plugin's.
plugin() {
  local configuration=(-c debug)
  if [ "$1" = -c ]; then configuration=(-c "$2") && shift 2; fi
  swift package --scratch-path "$scratch" "${configuration[@]}" \
    --allow-network-connections all --allow-writing-to-package-directory "$@"
}
plugin images lock --quiet >/dev/null
plugin -c release images lock --quiet >/dev/null

debug=() release=() binary=()
for _ in $(seq "$runs"); do
  rm -rf "$SWIFT_IMAGES_CACHE"; debug+=("$(seconds plugin images pull --locked --quiet)")
  rm -rf "$SWIFT_IMAGES_CACHE"; release+=("$(seconds plugin -c release images pull --locked --quiet)")
  rm -rf "$SWIFT_IMAGES_CACHE"; binary+=("$(seconds "$images" pull --locked --quiet)")
done
overhead=$(seconds plugin -c release images --help)
cat <<REPORT
Cold pull of ${#refs[@]} images ($(du -sb "$SWIFT_IMAGES_CACHE" | cut -f1 | awk '{ printf "%d MB", $1 / 1000000 }')) from a registry on loopback (median of $runs):
  swift package images pull               $(median "${debug[@]}") s   (the tool in debug)
  swift package -c release images pull    $(median "${release[@]}") s   (the tool in release)
  images pull (release binary)            $(median "${binary[@]}") s
  swift package -c release images --help  ${overhead} s   (what swift package adds by itself)
Every run (s): debug ${debug[*]} | -c release ${release[*]} | binary ${binary[*]}
Machine: $(machine)
REPORT
