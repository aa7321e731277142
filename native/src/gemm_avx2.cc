// AVX2 + FMA f32 micro-kernel: 6 x 16 register tile (12 ymm accumulators, two B vectors, one broadcast).
// Compiled with -mavx2 -mfma; only called when the CPU reports both.
#include <immintrin.h>

#include "cpu_probe.h"
#include "gemm.h"

namespace tessera {
namespace {

constexpr int MR = 6, NV = 2, NR = NV * 8;

void kernel(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, bool accumulate) {
  __m256 acc[MR][NV];
#pragma GCC unroll 6
  for (int i = 0; i < MR; i++)
#pragma GCC unroll 2
    for (int j = 0; j < NV; j++) acc[i][j] = _mm256_setzero_ps();
#pragma GCC unroll 4
  for (int64_t k = 0; k < kc; k++) {
    const __m256 b0 = _mm256_load_ps(bp), b1 = _mm256_load_ps(bp + 8);
#pragma GCC unroll 6
    for (int i = 0; i < MR; i++) {
      const __m256 a = _mm256_broadcast_ss(ap + i);
      acc[i][0] = _mm256_fmadd_ps(a, b0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(a, b1, acc[i][1]);
    }
    ap += MR;
    bp += NR;
  }
#pragma GCC unroll 6
  for (int i = 0; i < MR; i++) {
    float* row = c + i * ldc;
    if (accumulate) {
      acc[i][0] = _mm256_add_ps(acc[i][0], _mm256_loadu_ps(row));
      acc[i][1] = _mm256_add_ps(acc[i][1], _mm256_loadu_ps(row + 8));
    }
    _mm256_storeu_ps(row, acc[i][0]);
    _mm256_storeu_ps(row + 8, acc[i][1]);
  }
}

}  // namespace

const MicroKernel& gemmKernelAvx2() {
  static const MicroKernel k{"avx2-6x16", MR, NR, 256, 6 * 24, 4096, kernel};
  return k;
}

// 12 independent FMA chains of 8 lanes.
double fmaProbeAvx2(double seconds) {
  __m256 acc[12];
  for (int i = 0; i < 12; i++) acc[i] = _mm256_set1_ps(1.0f + i * 1e-3f);
  const __m256 m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
  const int64_t iters = 1 << 20;
  int64_t done = 0;
  const double t0 = threadCpuSeconds();
  double s = 0;
  do {
    for (int64_t k = 0; k < iters; k++) {
#pragma GCC unroll 12
      for (int i = 0; i < 12; i++) acc[i] = _mm256_fmadd_ps(acc[i], m, c);
    }
    done += iters;
    s = threadCpuSeconds() - t0;
  } while (s < seconds);
  alignas(32) float lanes[8];
  float sink = 0;
  for (int i = 0; i < 12; i++) {
    _mm256_store_ps(lanes, acc[i]);
    for (float v : lanes) sink += v;
  }
  volatile float keep = sink;
  (void)keep;
  return done * 12.0 * 16.0 / s / 1e9;
}

}  // namespace tessera
