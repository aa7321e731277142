// bf16 GEMM driver: the f32 driver's loop structure (see gemm.cc) over k-pair panels for the AVX512-BF16
// kernel, or a widening copy to f32 and the f32 GEMM where the CPU lacks AVX512-BF16.
#include "gemm_bf16.h"

#include <algorithm>
#include <cstring>

#include "aligned.h"
#include "cpu_features.h"
#include "dtype_conv.h"
#include "gemm.h"
#include "threadpool.h"

namespace tessera {

const Bf16Kernel* bf16Kernel() {
#ifdef TESSERA_HAVE_AVX512
  if (activeIsa() == Isa::Avx512 && cpuFeatures().avx512bf16) return bf16KernelAvx512();
#endif
  return nullptr;
}

namespace {

inline int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
inline int64_t roundUp(int64_t a, int64_t b) { return ceilDiv(a, b) * b; }

inline uint32_t pairWord(uint16_t lo, uint16_t hi) { return static_cast<uint32_t>(lo) | (static_cast<uint32_t>(hi) << 16); }

// A rows [i0, i0 + mc), K [p0, p0 + kc): per k-pair, MR words; rows past mc and k past K are zero.
void packA(const Bf16GemmArgs& g, int64_t i0, int64_t mc, int64_t p0, int64_t kc, int mr, uint32_t* ap) {
  const int64_t kp = ceilDiv(kc, 2);
  for (int64_t ip = 0; ip < mc; ip += mr) {
    const int64_t rows = std::min<int64_t>(mr, mc - ip);
    uint32_t* dst = ap + ip * kp;
    for (int64_t i = 0; i < mr; i++) {
      if (i >= rows) {
        for (int64_t p = 0; p < kp; p++) dst[p * mr + i] = 0;
        continue;
      }
      const uint16_t* src = g.a + (i0 + ip + i) * g.rsa + p0 * g.csa;
      for (int64_t p = 0; p < kp; p++) {
        const int64_t k = 2 * p;
        const uint16_t lo = src[k * g.csa];
        const uint16_t hi = k + 1 < kc ? src[(k + 1) * g.csa] : 0;
        dst[p * mr + i] = pairWord(lo, hi);
      }
    }
  }
}

void packB(const Bf16GemmArgs& g, int64_t p0, int64_t kc, int64_t j0, int64_t nc, int nr, int64_t jp0, int64_t jp1, uint32_t* bp) {
  const int64_t kp = ceilDiv(kc, 2);
  for (int64_t pn = jp0; pn < jp1; pn++) {
    const int64_t jj = pn * nr;
    const int64_t cols = std::min<int64_t>(nr, nc - jj);
    uint32_t* dst = bp + jj * kp;
    for (int64_t p = 0; p < kp; p++) {
      const int64_t k = 2 * p;
      const uint16_t* r0 = g.b + (p0 + k) * g.rsb + (j0 + jj) * g.csb;
      const bool hasHi = k + 1 < kc;
      for (int64_t j = 0; j < cols; j++) dst[p * nr + j] = pairWord(r0[j * g.csb], hasHi ? r0[g.rsb + j * g.csb] : 0);
      for (int64_t j = cols; j < nr; j++) dst[p * nr + j] = 0;
    }
  }
}

thread_local AlignedBuffer tlsA, tlsB;

void widenedGemm(const Bf16GemmArgs& g, int threads) {
  // copy both operands to f32 (row-major) and run the f32 GEMM
  AlignedBuffer fa, fb;
  float* A = fa.get<float>(g.M * g.K);
  float* B = fb.get<float>(g.K * g.N);
  parallelFor(g.M, std::max<int64_t>(1, 32768 / std::max<int64_t>(1, g.K)), [&](int64_t i0, int64_t i1, int) {
    for (int64_t i = i0; i < i1; i++)
      for (int64_t k = 0; k < g.K; k++) A[i * g.K + k] = bf16ToFloat(g.a[i * g.rsa + k * g.csa]);
  });
  parallelFor(g.K, std::max<int64_t>(1, 32768 / std::max<int64_t>(1, g.N)), [&](int64_t k0, int64_t k1, int) {
    for (int64_t k = k0; k < k1; k++)
      for (int64_t j = 0; j < g.N; j++) B[k * g.N + j] = bf16ToFloat(g.b[k * g.rsb + j * g.csb]);
  });
  GemmArgs f{g.M, g.N, g.K, A, g.K, 1, B, g.N, 1, g.c, nullptr, Act::None};
  sgemm(f, threads);
}

}  // namespace

void sbgemm(const Bf16GemmArgs& g, int threads) {
  const int64_t M = g.M, N = g.N, K = g.K;
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    std::memset(g.c, 0, sizeof(float) * M * N);
    return;
  }
  const Bf16Kernel* mk = bf16Kernel();
  if (!mk) {
    widenedGemm(g, threads);
    return;
  }
  const int MR = mk->mr, NR = mk->nr;
  threads = std::max(1, std::min(threads, numThreads()));
  if (static_cast<double>(M) * N * K < 160.0 * 160 * 160) threads = 1;
  int64_t nblk = ceilDiv(M, mk->mc);
  if (threads > 1 && M >= static_cast<int64_t>(threads) * MR) nblk = roundUp(nblk, threads);
  const int64_t MC = roundUp(ceilDiv(M, nblk), MR);
  const int64_t icBlocks = ceilDiv(M, MC);
  const int64_t KC = mk->kc;
  const int64_t NC = std::min<int64_t>(mk->nc, roundUp(N, NR));
  uint32_t* bp = tlsB.get<uint32_t>((KC / 2) * roundUp(NC, NR));

  for (int64_t jc = 0; jc < N; jc += NC) {
    const int64_t nc = std::min(NC, N - jc);
    const int64_t npan = ceilDiv(nc, NR);
    for (int64_t pc = 0; pc < K; pc += KC) {
      const int64_t kc = std::min(KC, K - pc), kp = ceilDiv(kc, 2);
      const bool first = pc == 0;
      if (threads > 1) parallelFor(npan, 1, [&](int64_t b, int64_t e, int) { packB(g, pc, kc, jc, nc, NR, b, e, bp); });
      else packB(g, pc, kc, jc, nc, NR, 0, npan, bp);
      int64_t groups = 1;
      if (icBlocks < threads) groups = std::min<int64_t>(npan, ceilDiv(threads, icBlocks));
      const int64_t tasks = icBlocks * groups;
      auto work = [&](int64_t tb, int64_t te, int) {
        uint32_t* ap = tlsA.get<uint32_t>(MC * (KC / 2));
        int64_t packedIc = -1;
        alignas(64) float tmp[14 * 32];
        for (int64_t t = tb; t < te; t++) {
          const int64_t icb = t / groups, grp = t % groups;
          const int64_t ic = icb * MC, mc = std::min(MC, M - ic);
          if (packedIc != icb) {
            packA(g, ic, mc, pc, kc, MR, ap);
            packedIc = icb;
          }
          const int64_t p0 = npan * grp / groups, p1 = npan * (grp + 1) / groups;
          for (int64_t p = p0; p < p1; p++) {
            const int64_t jr = p * NR, nr = std::min<int64_t>(NR, nc - jr);
            const uint32_t* bpan = bp + jr * kp;
            for (int64_t ir = 0; ir < mc; ir += MR) {
              const int64_t mr = std::min<int64_t>(MR, mc - ir);
              float* cTile = g.c + (ic + ir) * N + jc + jr;
              if (mr == MR && nr == NR) {
                mk->run(kp, ap + ir * kp, bpan, cTile, N, !first);
              } else {
                mk->run(kp, ap + ir * kp, bpan, tmp, NR, false);
                for (int64_t i = 0; i < mr; i++)
                  for (int64_t j = 0; j < nr; j++)
                    cTile[i * N + j] = first ? tmp[i * NR + j] : cTile[i * N + j] + tmp[i * NR + j];
              }
            }
          }
        }
      };
      if (threads > 1) parallelFor(tasks, 1, work);
      else work(0, tasks, 0);
    }
  }
}

}  // namespace tessera
