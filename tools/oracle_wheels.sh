#!/usr/bin/env bash
# transformers for a machine without internet that has PyTorch (the GPU machine: /opt/torch/.venv).
#
#   here:  tools/oracle_wheels.sh download PYTHON_VERSION [DIR]
#          the pinned transformers of tools/oracle_requirements.txt and what it imports, as wheels
#          for that Python (e.g. 3.12; the GPU machine's: /opt/torch/.venv/bin/python --version)
#          into DIR (default .carry/oracle-wheels, ~35 MiB; carry it with the run).
#   there: tools/oracle_wheels.sh install PYTHON [DIR] [TARGET]
#          installs them offline (pip --no-index, or unpacked where that Python has no pip) into
#          TARGET (default build/oracle-site), leaving
#          out numpy when PYTHON already has one; then
#          PYTHONPATH=build/oracle-site PYTHON tools/check_with_transformers.py RUN_DIR --device cuda
# torch itself is not downloaded: the machine's own is used (transformers 4.57.6 needs torch >= 2.1).
set -euo pipefail
cd "$(dirname "$0")/.."
requirements=tools/oracle_requirements.txt
# The packages of the requirements file that the torch install lacks: transformers and its imports.
packages() {
  sed -n '/^transformers==/,$p' "$requirements" | grep -v '^#' | grep -v '^$'
}

download() {
  local version=$1 dir=${2:-.carry/oracle-wheels}
  local tag=cp${version/./}
  mkdir -p "$dir"
  # Binary wheels for that CPython on x86-64 Linux (abi3 and pure-Python ones included).
  python3 -m pip download --quiet --no-deps --only-binary :all: --dest "$dir" \
    --python-version "$version" --implementation cp --abi "$tag" --abi abi3 --abi none \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    --platform any $(packages)
  echo "oracle_wheels: $(ls "$dir" | wc -l) wheels, $(du -sh "$dir" | cut -f1), in $dir for Python $version"
}

install() {
  local python=$1 dir=${2:-.carry/oracle-wheels} target=${3:-build/oracle-site}
  local wanted
  wanted=$(packages)
  if "$python" -c 'import numpy' 2>/dev/null; then
    wanted=$(grep -v '^numpy==' <<<"$wanted")  # torch was built against the numpy it has
  fi
  if "$python" -m pip --version >/dev/null 2>&1; then
    "$python" -m pip install --quiet --no-index --find-links "$dir" --no-deps --target "$target" $wanted
  else
    # No pip: a wheel is a zip of what pip would place in site-packages, so unpack each one
    # (no entry-point scripts, which the oracle does not use).
    local package wheel candidate
    mkdir -p "$target"
    shopt -s nocaseglob  # PyYAML==6.0.4 is pyyaml-6.0.4-...whl
    for package in $wanted; do
      wheel=
      for candidate in "$dir/$(tr '-' '_' <<<"${package%%==*}")-${package##*==}-"*.whl; do
        [ -e "$candidate" ] && wheel=$candidate
      done
      [ -n "$wheel" ] || { echo "oracle_wheels: no wheel for $package in $dir" >&2; exit 2; }
      "$python" -m zipfile -e "$wheel" "$target"
    done
  fi
  PYTHONPATH=$target "$python" -c 'import torch, transformers
print("oracle_wheels: transformers", transformers.__version__, "torch", torch.__version__,
      "cuda" if torch.cuda.is_available() else "no GPU")'
}

case "${1:-}" in
  download) shift; download "$@" ;;
  install) shift; install "$@" ;;
  *) sed -n '2,12p' "$0"; exit 2 ;;
esac
