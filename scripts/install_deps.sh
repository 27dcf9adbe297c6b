#!/usr/bin/env bash
# Installs the Debian packages moebench builds against, only those that are missing.
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config
  libcli11-dev nlohmann-json3-dev libfmt-dev libgtest-dev
  libopenblas-dev libcurl4-openssl-dev zlib1g-dev
  # The report tests: headless Chromium renders the HTML, Python checks it and the JSON.
  chromium fonts-dejavu-core python3
  # `make sanitize` (part of `make test`): clang with its ASan/UBSan/libFuzzer runtimes, its
  # OpenMP runtime, llvm-symbolizer for readable reports; bash and setpriv for the fault tests.
  clang-14 libclang-rt-14-dev libomp-14-dev llvm-14 bash util-linux
  # The clang_format test: the tree follows .clang-format as version 14 reads it.
  clang-format-14
)

# Python's jsonschema validates the JSON results against docs/results_schema.json (tests only),
# for the python3 the tests run: Debian's package for Debian's python, pip for any other.
need_jsonschema() {
  if ! command -v python3 >/dev/null || [ "$(command -v python3)" = /usr/bin/python3 ]; then
    python3 -c 'import jsonschema' 2>/dev/null || missing+=(python3-jsonschema)
  elif ! python3 -c 'import jsonschema' 2>/dev/null; then
    echo "install_deps: pip installing jsonschema for $(command -v python3)" >&2
    python3 -m pip install --quiet jsonschema
  fi
}

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
need_jsonschema
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install_deps: installing ${missing[*]}" >&2
sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
