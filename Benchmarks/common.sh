# Sourced by the benchmark scripts: installs what they need, builds the release `images`, makes
# a work directory (removed at exit, after the registry and dockerd a script started are
# stopped), and gives the timing helpers. Sets: root, images, work.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
scripts/install-deps.sh
# The benchmarks' own: the corpus's Debian base, arithmetic, peak memory.
bench_missing=()
command -v debootstrap >/dev/null || bench_missing+=(debootstrap)
command -v bc >/dev/null || bench_missing+=(bc)
[ -x /usr/bin/time ] || bench_missing+=(time)
[ ${#bench_missing[@]} -eq 0 ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${bench_missing[@]}"
swift build -c release --product images >/dev/null
images="$(swift build -c release --show-bin-path)/images"
work=$(mktemp -d)
stop_services() {
  "$root/scripts/dockerd.sh" stop "$work/docker" || true
  "$root/scripts/registry.sh" stop "$work/registry" || true
}
trap 'stop_services; rm -rf "$work"' EXIT

# Starts a registry on loopback and pushes the benchmark corpus to it (Benchmarks/corpus.sh):
# sets registry, refs (the references) and declarations (each with its platforms, if any).
serve_corpus() {
  registry=$("$root/scripts/registry.sh" start "$work/registry")
  local corpus
  corpus=$("$root/Benchmarks/corpus.sh" "$registry" "$work/corpus")
  mapfile -t declarations <<<"$corpus"
  refs=()
  for line in "${declarations[@]}"; do refs+=("${line%% *}"); done
}

# Serves the corpus, then enters a project declaring it, with an empty cache of its own: sets
# project and SWIFT_IMAGES_CACHE besides what serve_corpus sets.
enter_corpus_project() {
  serve_corpus
  project="$work/project"
  mkdir -p "$project"
  declare_images "$project/images.json" "${declarations[@]}"
  cd "$project"
  export SWIFT_IMAGES_CACHE="$work/cache"
}

# Seconds a command takes, its output dropped; a failure stops the benchmark, showing stderr.
seconds() {
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null 2>"$work/stderr" || { echo "failed: $*" >&2; cat "$work/stderr" >&2; exit 1; }
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { echo "scale=2; $1 / $2" | bc; }
machine() { echo "$(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr)"; }
# Writes an images.json declaring the images given, each `REF` or `REF PLATFORM,PLATFORM…`:
# declare_images FILE DECLARATION…
declare_images() {
  local file=$1 entries=() ref platforms
  shift
  for declaration in "$@"; do
    ref=${declaration%% *}
    if [ "$ref" = "$declaration" ]; then
      entries+=("\"$ref\"")
    else
      platforms=${declaration#* }
      entries+=("{\"ref\": \"$ref\", \"platforms\": [\"${platforms//,/\", \"}\"]}")
    fi
  done
  printf '{"version": 1, "images": [%s]}\n' "$(IFS=,; echo "${entries[*]}")" >"$file"
}
