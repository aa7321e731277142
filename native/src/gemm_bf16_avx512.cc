// AVX512-BF16 micro-kernel: 14 x 32 f32 accumulators fed by vdpbf16ps on k-pairs (a broadcast 32-bit word of
// A against two vectors of 16 column pairs of B). The functions carry their own target attribute, so this
// file builds with the AVX-512 flags of its name plus avx512bf16 on compilers that know it.
#include <immintrin.h>

#include "gemm_bf16.h"

namespace tessera {

#if (defined(__clang__) && __clang_major__ >= 9) || (!defined(__clang__) && defined(__GNUC__) && __GNUC__ >= 10)
#define TESSERA_BF16_KERNEL 1
#endif

#ifdef TESSERA_BF16_KERNEL
namespace {

constexpr int MR = 14, NR = 32;

__attribute__((target("avx512f,avx512bf16")))
void kernel(int64_t kp, const uint32_t* ap, const uint32_t* bp, float* c, int64_t ldc, bool accumulate) {
  __m512 acc[MR][2];
#pragma GCC unroll 14
  for (int i = 0; i < MR; i++) {
    acc[i][0] = _mm512_setzero_ps();
    acc[i][1] = _mm512_setzero_ps();
  }
#pragma GCC unroll 2
  for (int64_t p = 0; p < kp; p++) {
    const __m512bh b0 = (__m512bh)_mm512_load_si512(bp);
    const __m512bh b1 = (__m512bh)_mm512_load_si512(bp + 16);
#pragma GCC unroll 14
    for (int i = 0; i < MR; i++) {
      const __m512bh a = (__m512bh)_mm512_set1_epi32(static_cast<int>(ap[i]));
      acc[i][0] = _mm512_dpbf16_ps(acc[i][0], a, b0);
      acc[i][1] = _mm512_dpbf16_ps(acc[i][1], a, b1);
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

const Bf16Kernel* bf16KernelAvx512() {
  static const Bf16Kernel k{"avx512bf16-14x32", MR, NR, 512, 14 * 24, 4096, kernel};
  return &k;
}
#else
const Bf16Kernel* bf16KernelAvx512() { return nullptr; }
#endif

}  // namespace tessera
