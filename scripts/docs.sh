#!/usr/bin/env bash
# Builds the DocC documentation of the libraries (ImagesKit, ImagesTesting) with the toolchain's
# own docc, no plugin: symbol graphs of the public API, then one archive per library under
# .build/docs. Fails on any warning (a broken link, an undocumented parameter).
#   scripts/docs.sh            # the archives
#   scripts/docs.sh preview    # serve ImagesKit's on localhost (docc preview)
set -euo pipefail
cd "$(dirname "$0")/.."
swift package dump-symbol-graph --minimum-access-level public >/dev/null
graphs="$(swift build --show-bin-path 2>/dev/null)/../symbolgraph"
for library in ImagesKit ImagesTesting; do
  rm -rf ".build/docs/graphs-$library" && mkdir -p ".build/docs/graphs-$library"
  cp "$graphs/$library".symbols.json "$graphs/$library"@*.symbols.json ".build/docs/graphs-$library/"
  arguments=("Sources/$library/$library.docc" --additional-symbol-graph-dir ".build/docs/graphs-$library"
    --fallback-display-name "$library" --fallback-bundle-identifier "$library")
  if [ "${1:-}" = preview ]; then
    exec docc preview "${arguments[@]}"
  fi
  docc convert "${arguments[@]}" --output-path ".build/docs/$library.doccarchive" --warnings-as-errors >/dev/null
  echo "documentation: .build/docs/$library.doccarchive"
done
