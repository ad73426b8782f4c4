# Sourced by the benchmark scripts: installs what they need, builds the release `images`, makes
# a work directory (removed at exit, after the registry and dockerd a script started are
# stopped), and gives the timing helpers. Sets: root, images, work.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
scripts/install-deps.sh
swift build -c release --product images >/dev/null
images="$(swift build -c release --show-bin-path)/images"
work=$(mktemp -d)
stop_services() {
  "$root/scripts/dockerd.sh" stop "$work/docker" || true
  "$root/scripts/registry.sh" stop "$work/registry" || true
}
trap 'stop_services; rm -rf "$work"' EXIT

# Starts a registry on loopback and pushes the benchmark corpus to it: sets registry and refs.
serve_corpus() {
  registry=$("$root/scripts/registry.sh" start "$work/registry")
  local corpus
  corpus=$("$root/Benchmarks/corpus.sh" "$registry" "$work/corpus")
  mapfile -t refs <<<"$corpus"
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
# Writes an images.json declaring the references given: declare_images FILE REF…
declare_images() {
  local file=$1
  shift
  printf '{"version": 1, "images": [%s]}\n' "$(printf '"%s",' "$@" | sed 's/,$//')" >"$file"
}
