# Sourced by the scripts that run on the GPU machine: where the bundle is, where results go, and
# the library path for it. The machine has no package manager: its CUDA runtime and CUPTI are in
# /usr/local/cuda, NCCL and NVSHMEM in the Python environment. NVLink multicast stays off.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bundle="$root/.carry/device"
out="${OUT:-/tmp/moebench-out}"
mkdir -p "$out"
export NCCL_NVLS_ENABLE=0
# libcupti (for --profile and its test) is opened at run time from one of these too.
cuda_libs=$(ls -d /usr/local/cuda/lib64 /usr/local/cuda/extras/CUPTI/lib64 \
  /opt/torch/.venv/lib/python3.12/site-packages/nvidia/cu13/lib \
  /opt/torch/.venv/lib/python3.12/site-packages/nvidia/*/lib 2>/dev/null | tr '\n' ':')
export LD_LIBRARY_PATH="$bundle/lib:$cuda_libs${LD_LIBRARY_PATH:-}"
