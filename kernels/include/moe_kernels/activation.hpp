// The three gated activations of the MoE layer (spec: "The layer"), for any floating type: the
// kernels' epilogues apply them in float, the host's reference and CPU paths in float or double.
// One definition for both, so that the GPU and the reference cannot drift apart.
#pragma once

#include "moe_kernels/host_device.hpp"

#if !defined(__CUDACC__)
#include <cmath>
#endif

namespace moe_kernels {

enum class Activation : int { kSilu = 0, kGelu = 1, kSwigluOai = 2 };

namespace detail {
// In float on the GPU, the hardware's approximations (ex2.approx, rcp.approx, tanh.approx): their
// relative error, 2^-11 at worst, is far below bf16's 2^-8, and the GEMM epilogues that apply the
// activation run several times faster. The host, and double anywhere, keep the exact functions.
#if defined(__CUDA_ARCH__)
__device__ __forceinline__ float act_exp(float x) { return __expf(x); }
__device__ __forceinline__ double act_exp(double x) { return exp(x); }
__device__ __forceinline__ float act_tanh(float x) {
  float y;
  asm("tanh.approx.f32 %0, %1;" : "=f"(y) : "f"(x));
  return y;
}
__device__ __forceinline__ double act_tanh(double x) { return tanh(x); }
__device__ __forceinline__ float act_reciprocal(float x) { return __fdividef(1.0f, x); }
__device__ __forceinline__ double act_reciprocal(double x) { return 1.0 / x; }
#elif defined(__CUDACC__)
inline float act_exp(float x) { return expf(x); }
inline double act_exp(double x) { return exp(x); }
inline float act_tanh(float x) { return tanhf(x); }
inline double act_tanh(double x) { return tanh(x); }
template <typename T>
inline T act_reciprocal(T x) {
  return T(1) / x;
}
#else
inline float act_exp(float x) { return std::exp(x); }
inline double act_exp(double x) { return std::exp(x); }
inline float act_tanh(float x) { return std::tanh(x); }
inline double act_tanh(double x) { return std::tanh(x); }
template <typename T>
inline T act_reciprocal(T x) {
  return T(1) / x;
}
#endif
}  // namespace detail

template <typename T>
MOE_HOST_DEVICE T sigmoid(T x) {
  return detail::act_reciprocal(T(1) + detail::act_exp(-x));
}

// silu(g) * u
template <typename T>
MOE_HOST_DEVICE T silu_and_mul(T gate, T up) {
  return gate * sigmoid(gate) * up;
}

// gelu_tanh(g) * u, with the tanh approximation of GELU.
template <typename T>
MOE_HOST_DEVICE T gelu_tanh_and_mul(T gate, T up) {
  const T kSqrt2OverPi = T(0.7978845608028654);
  const T inner = kSqrt2OverPi * (gate + T(0.044715) * gate * gate * gate);
  return T(0.5) * gate * (T(1) + detail::act_tanh(inner)) * up;
}

// gpt-oss: g' = min(g, 7), u' = clamp(u, -7, 7), (u' + 1) * g' * sigmoid(1.702 g').
template <typename T>
MOE_HOST_DEVICE T swigluoai_and_mul(T gate, T up) {
  const T kLimit = T(7);
  const T g = gate < kLimit ? gate : kLimit;
  const T u = up < -kLimit ? -kLimit : (up > kLimit ? kLimit : up);
  return (u + T(1)) * g * sigmoid(T(1.702) * g);
}

// f(act) with the float form of `activation`, chosen once: a kernel's epilogue then inlines one
// function rather than branching per element.
template <typename F>
MOE_HOST_DEVICE void with_activation(Activation activation, F f) {
  switch (activation) {
    case Activation::kGelu: f(gelu_tanh_and_mul<float>); break;
    case Activation::kSwigluOai: f(swigluoai_and_mul<float>); break;
    case Activation::kSilu:
    default: f(silu_and_mul<float>);
  }
}

template <typename T>
MOE_HOST_DEVICE T apply_activation(Activation activation, T gate, T up) {
  switch (activation) {
    case Activation::kGelu: return gelu_tanh_and_mul(gate, up);
    case Activation::kSwigluOai: return swigluoai_and_mul(gate, up);
    case Activation::kSilu:
    default: return silu_and_mul(gate, up);
  }
}

}  // namespace moe_kernels
