#!/usr/bin/env bash
# A Python environment for the saved-tensors check (ctest fixture saved_tensors_python): Hugging
# Face's safetensors and numpy from PyPI, in a venv under the build folder, made once per build.
set -euo pipefail
python=$1
venv=$2
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import safetensors, numpy' 2>/dev/null; then
  exit 0
fi
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check safetensors numpy
