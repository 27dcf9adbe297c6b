// Lets small math helpers be shared by host code and CUDA kernels.
#pragma once

#if defined(__CUDACC__)
#define MOE_HOST_DEVICE __host__ __device__ __forceinline__
#else
#define MOE_HOST_DEVICE inline
#endif
