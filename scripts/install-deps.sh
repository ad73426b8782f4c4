#!/usr/bin/env bash
# Installs what the build, the tests and the demo (jq reads JSON there) need, from Debian's packages and PyPI: zlib's
# headers (layer measurement links zlib; zstd's decoder is built from Sources/CZstd), the zstd
# tool (test layers), the registry
# (distribution 2.8), skopeo and umoci (fixtures, interop checks), htpasswd, openssl and curl
# (auth fixtures), dockerd (Debian's docker.io), Podman 4.3 (with crun and conmon) and a static
# busybox (an image that runs), Go
# (golang-go: the tests build a tar reader on Go's archive/tar as an oracle), strace (a test
# counts the files a pull writes), Python's cryptography (the test token service), PyYAML (the
# CI runner stand-in reads action.yml and docs/ci.md) and pyte (a terminal emulator: the tests
# check what a terminal shows). Does nothing when all of it is already there.
set -euo pipefail
missing=()
[ -f /usr/include/zlib.h ] || missing+=(zlib1g-dev)
command -v zstd >/dev/null || missing+=(zstd)
command -v docker-registry >/dev/null || missing+=(docker-registry)
command -v skopeo >/dev/null || missing+=(skopeo)
command -v umoci >/dev/null || missing+=(umoci)
command -v htpasswd >/dev/null || missing+=(apache2-utils)
command -v openssl >/dev/null || missing+=(openssl)
command -v curl >/dev/null || missing+=(curl)
command -v python3 >/dev/null || missing+=(python3)
command -v dockerd >/dev/null || missing+=(docker.io)
command -v podman >/dev/null || missing+=(podman crun conmon)
[ -x /bin/busybox ] || missing+=(busybox-static)
command -v go >/dev/null || missing+=(golang-go)
command -v strace >/dev/null || missing+=(strace)
command -v jq >/dev/null || missing+=(jq)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
if ! python3 -c 'import cryptography' 2>/dev/null; then
  python3 -m pip install --quiet cryptography || apt-get install -y -q python3-cryptography
fi
if ! python3 -c 'import yaml' 2>/dev/null; then
  python3 -m pip install --quiet pyyaml || apt-get install -y -q python3-yaml
fi
if ! python3 -c 'import pyte' 2>/dev/null; then
  python3 -m pip install --quiet pyte || { apt-get update -q && apt-get install -y -q python3-pyte; }
fi
