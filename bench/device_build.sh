#!/usr/bin/env bash
# Builds the GPU bundle on this machine into .carry/device (the GPU machine has no package
# manager): the benchmark, the GPU test binary and the few shared libraries they need beyond the
# CUDA runtime. The bundle is built without OpenBLAS and libcurl, which only the CPU backend and
# the Hub download use. Then: the device tool runs bench/device_run.sh with carry [".carry"].
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-device"
bundle="$root/.carry/device"

"$root/scripts/install_deps.sh"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMOEBENCH_WITH_OPENBLAS=OFF \
  -DMOEBENCH_WITH_CURL=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target bench_fused_vs_epmoe gpu_tests multigpu_tests

rm -rf "$bundle"
mkdir -p "$bundle/bin" "$bundle/lib"
cp "$build/bench_fused_vs_epmoe" "$build/tests/gpu/gpu_tests" "$build/tests/multigpu/multigpu_tests" "$bundle/bin/"
# Everything ldd resolves outside CUDA and the C runtime travels with the binaries.
for binary in "$bundle"/bin/*; do
  ldd "$binary" | awk '/=> \// {print $3}'
done | sort -u | while read -r lib; do
  case "$(basename "$lib")" in
    # The C and C++ runtimes of the GPU machine are newer and compatible; ours would shadow them
    # for the tools (compute-sanitizer) that run under the same library path.
    libc.so*|libm.so*|libdl.so*|librt.so*|libpthread.so*|ld-linux*|libstdc++*|libgcc_s*|libz.so*|libresolv*) ;;
    # NCCL (218 MB) is the same 2.28.9 there, in the Python environment (device_run.sh's path).
    libcuda*|libcublas*|libcudart*|libnccl*) ;;
    *) cp -L "$lib" "$bundle/lib/" ;;
  esac
done
du -sh "$bundle"
ls "$bundle/lib"
