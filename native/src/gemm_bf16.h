// bf16 GEMM: C(M,N) f32 = A(M,K) @ B(K,N) with bf16 operands at any strides, products accumulated in f32.
// With AVX512-BF16 the packed panels hold k-pairs and the micro-kernel uses vdpbf16ps (two products per
// lane per instruction); elsewhere the operands are widened to f32 and the f32 GEMM runs.
#pragma once
#include <cstdint>

namespace tessera {

struct Bf16GemmArgs {
  int64_t M, N, K;
  const uint16_t* a; int64_t rsa, csa;  // A(i, k) = a[i * rsa + k * csa] (bf16 bits)
  const uint16_t* b; int64_t rsb, csb;
  float* c;                             // C(i, j) = c[i * N + j]
};

/**
 * Micro-kernel over k-pair panels: ap holds kp x MR words (A(i, 2p) | A(i, 2p + 1) << 16), bp kp x NR words
 * likewise along columns; C (MR x NR at stride ldc) = (accumulate ? C : 0) + sum over pairs.
 */
using Bf16KernelFn = void (*)(int64_t kp, const uint32_t* ap, const uint32_t* bp, float* c, int64_t ldc, bool accumulate);

struct Bf16Kernel {
  const char* name;
  int mr, nr, kc, mc, nc;  // kc counts k values (even)
  Bf16KernelFn run;
};

/** The AVX512-BF16 kernel when this build and CPU have it and it outruns the f32 kernel here, else null. */
const Bf16Kernel* bf16Kernel();
/** The AVX512-BF16 kernel when this build and CPU have it. */
const Bf16Kernel* bf16KernelAvailable();
const Bf16Kernel* bf16KernelAvx512();

/** One bf16 GEMM into f32, threaded when `threads` > 1. */
void sbgemm(const Bf16GemmArgs& g, int threads);

}  // namespace tessera
