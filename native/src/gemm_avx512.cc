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

// In-register 16 x 16 transpose (unpack, shuffle, 128-bit lane shuffles): r[i] holds row i; on return
// c[j] holds column j, its element i being r[i][j].
inline void transpose16(const __m512 r[16], __m512 c[16]) {
  __m512 t[16], u[16];
#pragma GCC unroll 8
  for (int i = 0; i < 8; i++) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  // u[4g + j]: in each 128-bit lane L, rows 4g..4g+3 of column 4L + j
#pragma GCC unroll 4
  for (int g = 0; g < 4; g++) {
    u[4 * g + 0] = _mm512_shuffle_ps(t[4 * g], t[4 * g + 2], _MM_SHUFFLE(1, 0, 1, 0));
    u[4 * g + 1] = _mm512_shuffle_ps(t[4 * g], t[4 * g + 2], _MM_SHUFFLE(3, 2, 3, 2));
    u[4 * g + 2] = _mm512_shuffle_ps(t[4 * g + 1], t[4 * g + 3], _MM_SHUFFLE(1, 0, 1, 0));
    u[4 * g + 3] = _mm512_shuffle_ps(t[4 * g + 1], t[4 * g + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
#pragma GCC unroll 4
  for (int j = 0; j < 4; j++) {
    const __m512 v0 = _mm512_shuffle_f32x4(u[j], u[4 + j], 0x88), w0 = _mm512_shuffle_f32x4(u[8 + j], u[12 + j], 0x88);
    const __m512 v1 = _mm512_shuffle_f32x4(u[j], u[4 + j], 0xdd), w1 = _mm512_shuffle_f32x4(u[8 + j], u[12 + j], 0xdd);
    c[j] = _mm512_shuffle_f32x4(v0, w0, 0x88);
    c[8 + j] = _mm512_shuffle_f32x4(v0, w0, 0xdd);
    c[4 + j] = _mm512_shuffle_f32x4(v1, w1, 0x88);
    c[12 + j] = _mm512_shuffle_f32x4(v1, w1, 0xdd);
  }
}

// Row-major A -> a k-major 14-row panel: 16 x 16 blocks transposed in registers, each column stored as 14
// floats; the k tail goes element by element.
void packRows(const float* a, int64_t rsa, int64_t kc, float* dst) {
  int64_t k = 0;
  const __mmask16 keep = (1u << MR) - 1;
  for (; k + 16 <= kc; k += 16) {
    __m512 r[16], c[16];
#pragma GCC unroll 14
    for (int i = 0; i < MR; i++) {
      _mm_prefetch(reinterpret_cast<const char*>(a + i * rsa + k + 64), _MM_HINT_T0);
      r[i] = _mm512_loadu_ps(a + i * rsa + k);
    }
    r[14] = r[15] = _mm512_setzero_ps();
    transpose16(r, c);
#pragma GCC unroll 16
    for (int j = 0; j < 16; j++) _mm512_mask_storeu_ps(dst + (k + j) * MR, keep, c[j]);
  }
  for (; k < kc; k++)
    for (int i = 0; i < MR; i++) dst[k * MR + i] = a[i * rsa + k];
}

// A 32-column B panel from B stored transposed (column j of B contiguous in k, columns `ldb` apart, as in
// x @ W^T): two 16 x 16 register transposes per 16 values of k, each k's 32 values stored as two vectors.
void packColsB(const float* b, int64_t ldb, int64_t kc, float* dst) {
  int64_t k = 0;
  for (; k + 16 <= kc; k += 16) {
#pragma GCC unroll 2
    for (int h = 0; h < NV; h++) {
      __m512 r[16], c[16];
#pragma GCC unroll 16
      for (int j = 0; j < 16; j++) r[j] = _mm512_loadu_ps(b + (16 * h + j) * ldb + k);
      transpose16(r, c);
#pragma GCC unroll 16
      for (int kk = 0; kk < 16; kk++) _mm512_store_ps(dst + (k + kk) * NR + 16 * h, c[kk]);
    }
  }
  for (; k < kc; k++)
    for (int j = 0; j < NR; j++) dst[k * NR + j] = b[j * ldb + k];
}

}  // namespace

const MicroKernel& gemmKernelAvx512() {
  static const MicroKernel k{"avx512-14x32", MR, NR, 256, 14 * 24, 4096, kernel, packRows, packColsB};
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
