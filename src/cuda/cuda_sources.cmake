# The CUDA backend's host code joins moebench_host in builds where nvcc was found.
target_sources(moebench_host PRIVATE
  cuda/cuda_backend.cpp
  cuda/cuda_check.cpp
  cuda/cuda_epmoe.cpp
  cuda/cuda_fused.cpp
  cuda/cuda_moe_base.cpp
  cuda/device_group.cpp
  cuda/device_weights.cpp
  cuda/ep_epmoe.cpp
  cuda/ep_fused.cpp
  cuda/ep_moe_base.cpp
  cuda/tile_timeline.cpp
  profile/cupti_activity.cpp
)
target_compile_definitions(moebench_host PUBLIC MOEBENCH_HAVE_CUDA=1)
target_link_libraries(moebench_host PUBLIC moe_kernels CUDA::cudart CUDA::cublas)
