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

// In-register 8 x 8 transpose: r[i] holds row i; on return c[j] holds column j (unpack pairs of rows,
// gather 4-row halves per 128-bit lane, then join the lanes).
inline void transpose8(const __m256 r[8], __m256 c[8]) {
  __m256 t[8], u[8];
#pragma GCC unroll 4
  for (int i = 0; i < 4; i++) {
    t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  // u[4h + j]: rows 4h..4h+3 of column j (low lane) and of column j + 4 (high lane)
#pragma GCC unroll 2
  for (int h = 0; h < 2; h++) {
    u[4 * h + 0] = _mm256_shuffle_ps(t[4 * h], t[4 * h + 2], _MM_SHUFFLE(1, 0, 1, 0));
    u[4 * h + 1] = _mm256_shuffle_ps(t[4 * h], t[4 * h + 2], _MM_SHUFFLE(3, 2, 3, 2));
    u[4 * h + 2] = _mm256_shuffle_ps(t[4 * h + 1], t[4 * h + 3], _MM_SHUFFLE(1, 0, 1, 0));
    u[4 * h + 3] = _mm256_shuffle_ps(t[4 * h + 1], t[4 * h + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
#pragma GCC unroll 4
  for (int j = 0; j < 4; j++) {
    c[j] = _mm256_permute2f128_ps(u[j], u[4 + j], 0x20);
    c[4 + j] = _mm256_permute2f128_ps(u[j], u[4 + j], 0x31);
  }
}

// Row-major A -> a k-major 6-row panel: 8 x 8 blocks (two zero rows) transposed in registers, each column
// stored as 6 floats (masked); the k tail goes element by element.
void packRows(const float* a, int64_t rsa, int64_t kc, float* dst) {
  const __m256i keep = _mm256_setr_epi32(-1, -1, -1, -1, -1, -1, 0, 0);
  int64_t k = 0;
  for (; k + 8 <= kc; k += 8) {
    __m256 r[8], c[8];
#pragma GCC unroll 6
    for (int i = 0; i < MR; i++) r[i] = _mm256_loadu_ps(a + i * rsa + k);
    r[6] = r[7] = _mm256_setzero_ps();
    transpose8(r, c);
#pragma GCC unroll 8
    for (int j = 0; j < 8; j++) _mm256_maskstore_ps(dst + (k + j) * MR, keep, c[j]);
  }
  for (; k < kc; k++)
    for (int i = 0; i < MR; i++) dst[k * MR + i] = a[i * rsa + k];
}

// A 16-column B panel from B stored transposed (column j of B contiguous in k, columns `ldb` apart, as in
// x @ W^T): two 8 x 8 register transposes per 8 values of k.
void packColsB(const float* b, int64_t ldb, int64_t kc, float* dst) {
  int64_t k = 0;
  for (; k + 8 <= kc; k += 8) {
#pragma GCC unroll 2
    for (int h = 0; h < NV; h++) {
      __m256 r[8], c[8];
#pragma GCC unroll 8
      for (int j = 0; j < 8; j++) r[j] = _mm256_loadu_ps(b + (8 * h + j) * ldb + k);
      transpose8(r, c);
#pragma GCC unroll 8
      for (int kk = 0; kk < 8; kk++) _mm256_store_ps(dst + (k + kk) * NR + 8 * h, c[kk]);
    }
  }
  for (; k < kc; k++)
    for (int j = 0; j < NR; j++) dst[k * NR + j] = b[j * ldb + k];
}

}  // namespace

const MicroKernel& gemmKernelAvx2() {
  static const MicroKernel k{"avx2-6x16", MR, NR, 256, 6 * 24, 4096, kernel, packRows, packColsB};
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
