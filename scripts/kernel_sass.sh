#!/usr/bin/env bash
# The SASS of every kernel object of a build, one file per .cu, normalised so that two builds of
# the same kernel code compare equal: the source path line and the per-build hash that nvcc puts
# into anonymous-namespace symbol names are dropped. A change that must leave the kernels alone
# (host code, layout, comments) is checked with:
#   scripts/kernel_sass.sh build-before /tmp/a && scripts/kernel_sass.sh build /tmp/b && diff -r /tmp/a /tmp/b
# Needs cuobjdump and nvdisasm (the CUDA toolkit's; where it lacks them, PyPI's
# nvidia-cuda-cuobjdump and nvidia-cuda-nvdisasm carry them: put their bin/ on PATH).
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 BUILD_DIR OUT_DIR" >&2; exit 2; }
build=$1 out=$2
objects=$(find "$build/kernels" -name '*.cu.o' | sort)
[ -n "$objects" ] || { echo "$0: no kernel objects under $build/kernels (a CUDA build?)" >&2; exit 2; }
mkdir -p "$out"
for object in $objects; do
  name=$(basename "$object" .o)
  cuobjdump -sass "$object" | grep -v '^identifier = ' |
    sed -E 's/_GLOBAL__N__[0-9a-f]{8}_[0-9]+_([A-Za-z0-9_]+)_cu_[0-9a-f]{8}/_GLOBAL__N_\1_cu_/g' >"$out/$name.sass"
done
echo "$(ls "$out" | wc -l) kernel files, $(cat "$out"/*.sass | grep -c 'Function :') functions in $out"
