// defines: the scalar maths of the elementwise ops (float for float dtypes, double for ints), shared by
// the map/binary kernels, the matmul activation epilogue and the fused kernels.
#pragma once
#include "common.cuh"
#include "op_codes.h"

namespace tcuda {

constexpr float kSqrt1_2 = 0.70710678118654752f;
constexpr float kInvSqrt2Pi = 0.39894228040143268f;
constexpr float kGeluTanhC = 0.79788456080286536f;  // sqrt(2/pi)

__device__ __forceinline__ float geluF(float x) { return 0.5f * x * (1.f + erff(x * kSqrt1_2)); }
__device__ __forceinline__ float geluTanhF(float x) {
  return 0.5f * x * (1.f + tanhf(kGeluTanhC * (x + 0.044715f * x * x * x)));
}
__device__ __forceinline__ float geluGradF(float x) {
  return 0.5f * (1.f + erff(x * kSqrt1_2)) + x * expf(-0.5f * x * x) * kInvSqrt2Pi;
}
__device__ __forceinline__ float geluTanhGradF(float x) {
  const float u = kGeluTanhC * (x + 0.044715f * x * x * x);
  const float t = tanhf(u);
  return 0.5f * (1.f + t) + 0.5f * x * (1.f - t * t) * kGeluTanhC * (1.f + 3.f * 0.044715f * x * x);
}

template <typename V>
__device__ __forceinline__ V applyActivation(int act, V x) {
  switch (act) {
    case kActRelu: return x > V(0) ? x : V(0);
    case kActGelu: return geluF(static_cast<float>(x));
    case kActGeluTanh: return geluTanhF(static_cast<float>(x));
    default: return x;
  }
}

/** A unary op on a float (for float dtypes) or double (ints); a, b are the scalar args. */
template <typename V>
__device__ __forceinline__ V mapValue(int op, V x, V a, V b) {
  switch (op) {
    case kNeg: return -x;
    case kExp: return exp(x);
    case kLog: return log(x);
    case kSqrt: return sqrt(x);
    case kRsqrt: return V(1) / sqrt(x);
    case kAbs: return fabs(x);
    case kTanh: return tanh(x);
    case kSigmoid: return V(1) / (V(1) + exp(-x));
    case kRelu: return x > V(0) ? x : V(0);
    case kGelu: return geluF(static_cast<float>(x));
    case kGeluTanh: return geluTanhF(static_cast<float>(x));
    case kErf: return erf(x);
    case kSin: return sin(x);
    case kCos: return cos(x);
    case kSquare: return x * x;
    case kReciprocal: return V(1) / x;
    case kSign: return x > V(0) ? V(1) : x < V(0) ? V(-1) : V(0);
    case kFloor: return floor(x);
    case kCeil: return ceil(x);
    case kRound: return rint(x);  // half to even, as torch.round
    case kLogicalNot: return x == V(0) ? V(1) : V(0);
    case kAddScalar: return x + a;
    case kMulScalar: return x * a;
    case kPowScalar: return a == V(2) ? x * x : a == V(0.5) ? sqrt(x) : pow(x, a);
    case kRsubScalar: return a - x;
    case kClamp: {
      V y = x;
      if (!isnan(a) && y < a) y = a;
      if (!isnan(b) && y > b) y = b;
      return y;
    }
    default: return x;
  }
}

/** A binary op; comparisons give 1 or 0. */
template <typename V>
__device__ __forceinline__ V binaryValue(int op, V x, V y) {
  switch (op) {
    case kAdd: return x + y;
    case kSub: return x - y;
    case kMul: return x * y;
    case kDiv: return x / y;
    case kPow: return pow(x, y);
    case kMaximum: return (isnan(x) || isnan(y)) ? V(NAN) : (x > y ? x : y);
    case kMinimum: return (isnan(x) || isnan(y)) ? V(NAN) : (x < y ? x : y);
    case kEq: return x == y ? V(1) : V(0);
    case kNe: return x != y ? V(1) : V(0);
    case kLt: return x < y ? V(1) : V(0);
    case kLe: return x <= y ? V(1) : V(0);
    case kGt: return x > y ? V(1) : V(0);
    case kGe: return x >= y ? V(1) : V(0);
    case kAnd: return (x != V(0) && y != V(0)) ? V(1) : V(0);
    case kOr: return (x != V(0) || y != V(0)) ? V(1) : V(0);
    case kReluGrad: return x > V(0) ? y : V(0);
    case kGeluGrad: return y * geluGradF(static_cast<float>(x));
    case kGeluTanhGrad: return y * geluTanhGradF(static_cast<float>(x));
    default: return x;
  }
}

}  // namespace tcuda
