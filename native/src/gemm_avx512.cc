// AVX-512 f32 micro-kernel: 14 x 32 register tile (28 zmm accumulators, two B vectors, one broadcast).
// Compiled with -mavx512f -mfma; only called when the CPU reports AVX-512F.
#include <immintrin.h>

#include "cpu_probe.h"
#include "gemm.h"

namespace tessera {
namespace {

constexpr int MR = 14, NV = 2, NR = NV * 16;

void kernel(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, bool accumulate) {
  __m512 acc[MR][NV];
#pragma GCC unroll 14
  for (int i = 0; i < MR; i++)
#pragma GCC unroll 2
    for (int j = 0; j < NV; j++) acc[i][j] = _mm512_setzero_ps();
#pragma GCC unroll 2
  for (int64_t k = 0; k < kc; k++) {
    const __m512 b0 = _mm512_load_ps(bp), b1 = _mm512_load_ps(bp + 16);
    _mm_prefetch(reinterpret_cast<const char*>(bp + 8 * NR), _MM_HINT_T0);
#pragma GCC unroll 14
    for (int i = 0; i < MR; i++) {
      const __m512 a = _mm512_set1_ps(ap[i]);
      acc[i][0] = _mm512_fmadd_ps(a, b0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(a, b1, acc[i][1]);
    }
    ap += MR;
    bp += NR;
  }
#pragma GCC unroll 14
  for (int i = 0; i < MR; i++) {
    float* row = c + i * ldc;
    if (accumulate) {
      acc[i][0] = _mm512_add_ps(acc[i][0], _mm512_loadu_ps(row));
      acc[i][1] = _mm512_add_ps(acc[i][1], _mm512_loadu_ps(row + 16));
    }
    _mm512_storeu_ps(row, acc[i][0]);
    _mm512_storeu_ps(row + 16, acc[i][1]);
  }
}

}  // namespace

const MicroKernel& gemmKernelAvx512() {
  static const MicroKernel k{"avx512-14x32", MR, NR, 256, 14 * 24, 4096, kernel};
  return k;
}


// 12 independent FMA chains: enough to cover latency x units on current cores.
double fmaProbeAvx512(double seconds) {
  __m512 acc[12];
  for (int i = 0; i < 12; i++) acc[i] = _mm512_set1_ps(1.0f + i * 1e-3f);
  const __m512 m = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
  const int64_t iters = 1 << 20;
  int64_t done = 0;
  const double t0 = threadCpuSeconds();
  double s = 0;
  do {
    for (int64_t k = 0; k < iters; k++) {
#pragma GCC unroll 12
      for (int i = 0; i < 12; i++) acc[i] = _mm512_fmadd_ps(acc[i], m, c);
    }
    done += iters;
    s = threadCpuSeconds() - t0;
  } while (s < seconds);
  alignas(64) float lanes[16];
  float sink = 0;
  for (int i = 0; i < 12; i++) {
    _mm512_store_ps(lanes, acc[i]);
    for (float v : lanes) sink += v;
  }
  volatile float keep = sink;
  (void)keep;
  return done * 12.0 * 32.0 / s / 1e9;
}

}  // namespace tessera
