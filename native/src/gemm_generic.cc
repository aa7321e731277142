// Portable f32 micro-kernel: 4 x 16 tile in plain C++ (the compiler vectorises it for the baseline ISA).
#include "gemm.h"

namespace tessera {
namespace {

constexpr int MR = 4, NR = 16;

void kernel(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, bool accumulate) {
  float acc[MR][NR] = {};
  for (int64_t k = 0; k < kc; k++) {
    for (int i = 0; i < MR; i++) {
      const float a = ap[i];
      for (int j = 0; j < NR; j++) acc[i][j] += a * bp[j];
    }
    ap += MR;
    bp += NR;
  }
  for (int i = 0; i < MR; i++)
    for (int j = 0; j < NR; j++) c[i * ldc + j] = accumulate ? c[i * ldc + j] + acc[i][j] : acc[i][j];
}

}  // namespace

const MicroKernel& gemmKernelGeneric() {
  static const MicroKernel k{"generic-4x16", MR, NR, 256, 4 * 32, 2048, kernel};
  return k;
}

}  // namespace tessera
