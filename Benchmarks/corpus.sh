#!/usr/bin/env bash
# Pushes the benchmark corpus to the registry at $1 and prints its references, one per line:
# the test fixtures, plus three images of real files sharing a base layer (Python and Perl
# libraries, then GCC's libraries, then documentation and man pages), 167 MB compressed.
# Usage: Benchmarks/corpus.sh REGISTRY WORKDIR
set -euo pipefail
cd "$(dirname "$0")/.."
registry=${1:?usage: corpus.sh REGISTRY WORKDIR}
work=${2:?usage: corpus.sh REGISTRY WORKDIR}
mkdir -p "$work"
scripts/fixtures.sh "$registry" >/dev/null
layout="$work/layout"
umoci init --layout "$layout" >/dev/null
layer() { # IMAGE SOURCE-DIRECTORIES…
  local image=$1
  shift
  rm -rf "$work/bundle"
  umoci unpack --image "$layout:$image" "$work/bundle" >/dev/null
  for source in "$@"; do
    mkdir -p "$work/bundle/rootfs$(dirname "$source")"
    cp -a "$source" "$work/bundle/rootfs$source"
  done
  umoci repack --image "$layout:$image" "$work/bundle" >/dev/null
}
umoci new --image "$layout:base" >/dev/null
layer base /usr/lib/python3 /usr/share/perl
umoci config --image "$layout:base" --os linux --architecture amd64 >/dev/null
for image in tools docs; do umoci tag --image "$layout:base" "$image" >/dev/null; done
layer tools /usr/lib/gcc
layer docs /usr/share/doc /usr/share/man
for image in base tools docs; do
  skopeo copy --quiet --dest-tls-verify=false "oci:$layout:$image" "docker://$registry/bench/$image:1"
done
rm -rf "$work/bundle" "$layout"
printf '%s\n' "$registry/test/base:1" "$registry/test/app:1" "$registry/test/multi:1" \
  "$registry/bench/base:1" "$registry/bench/tools:1" "$registry/bench/docs:1"
