// f32 GEMM: C(M,N) = act(A(M,K) @ B(K,N) + bias) with A and B at any strides and C row-major (row stride ldc).
// Packed and register-blocked (BLIS-style loops around an ISA-specific micro-kernel), threaded.
#pragma once
#include <cstdint>

namespace tessera {

enum class Act { None = 0, Relu = 1, Gelu = 2, GeluTanh = 3 };

/**
 * A micro-kernel computes one MR x NR tile of C from a packed A micro-panel (kc x MR, k-major) and a packed
 * B micro-panel (kc x NR, k-major): C = (accumulate ? C : 0) + Ap^T Bp, C at row stride ldc.
 */
using MicroKernelFn = void (*)(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, bool accumulate);
/** Packs a full MR-row micro-panel of a row-major A (rows `rsa` apart, unit column stride): dst[k * MR + i]. */
using PackRowsFn = void (*)(const float* a, int64_t rsa, int64_t kc, float* dst);

struct MicroKernel {
  const char* name;
  int mr, nr;          // register tile
  int kc, mc, nc;      // cache blocks: kc x nr of B in L1, mc x kc of A in L2, kc x nc of B in L3
  MicroKernelFn run;
  PackRowsFn packRows = nullptr;  // SIMD packing of row-major A panels, when the ISA has one
  /** SIMD packing of a full NR-column B panel from B stored transposed (column j at b + j * ldb, unit stride
   * in k), when the ISA has one: dst[k * NR + j]. Same signature as packRows, NR rows of B^T. */
  PackRowsFn packColsB = nullptr;
};

const MicroKernel& gemmKernelAvx512();
const MicroKernel& gemmKernelAvx2();
const MicroKernel& gemmKernelGeneric();
/** The kernel of the active ISA. */
const MicroKernel& gemmKernel();

struct GemmArgs {
  int64_t M, N, K;
  const float* a; int64_t rsa, csa;  // A(i, k) = a[i * rsa + k * csa]
  const float* b; int64_t rsb, csb;  // B(k, j) = b[k * rsb + j * csb]
  float* c;                          // C(i, j) = c[i * ldc + j]
  const float* bias;                 // N values or null
  Act act;
  int64_t ldc = 0;                   // row stride of C; 0 means N
};

/** One GEMM; `threads` > 1 splits it over the pool. */
void sgemm(const GemmArgs& g, int threads);
/** C tile post-processing: bias add and activation over rows of n (vectorised per ISA). */
void applyEpilogue(float* c, int64_t rows, int64_t n, int64_t ldc, const float* bias, Act act);

}  // namespace tessera
