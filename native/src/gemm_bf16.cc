// bf16 GEMM driver: the f32 driver's loop structure (see gemm.cc) over k-pair panels for the AVX512-BF16
// kernel, or a widening copy to f32 and the f32 GEMM where the CPU lacks AVX512-BF16.
#include "gemm_bf16.h"

#include <algorithm>
#include <cstring>

#include "aligned.h"
#include "cpu_features.h"
#include "cpu_probe.h"
#include "dtype_conv.h"
#include "gemm.h"
#include "threadpool.h"

namespace tessera {

namespace {

// Flops per CPU-second of a micro-kernel on one L1-resident panel pair (the kernel alone, no packing), timed
// on the thread's CPU clock so other processes on the core do not skew it.
template <typename Fn>
double kernelRate(Fn&& run, double flopsPerCall) {
  const double t0 = threadCpuSeconds();
  int calls = 0;
  double s = 0;
  do {
    for (int i = 0; i < 64; i++) run();
    calls += 64;
    s = threadCpuSeconds() - t0;
  } while (s < 0.001);
  return calls * flopsPerCall / s;
}

// vdpbf16ps does two products per lane, but some cores issue it at half the FMA rate (then the f32 kernel on
// widened operands is as fast or faster): measured once, the bf16 kernel is used only where it wins.
bool bf16KernelWins(const Bf16Kernel* bk) {
  const MicroKernel& fk = gemmKernel();
  const int64_t kc = 256;
  AlignedBuffer fa, fb, ba, bb, c;
  float* A = fa.get<float>(kc * fk.mr);
  float* B = fb.get<float>(kc * fk.nr);
  uint32_t* BA = ba.get<uint32_t>(kc / 2 * bk->mr);
  uint32_t* BB = bb.get<uint32_t>(kc / 2 * bk->nr);
  float* C = c.get<float>(64 * 64);
  for (int64_t i = 0; i < kc * fk.mr; i++) A[i] = 0.001f * (i % 7);
  for (int64_t i = 0; i < kc * fk.nr; i++) B[i] = 0.001f * (i % 5);
  for (int64_t i = 0; i < kc / 2 * bk->mr; i++) BA[i] = 0x3f803f80u;
  for (int64_t i = 0; i < kc / 2 * bk->nr; i++) BB[i] = 0x3f803f80u;
  // best of alternating rounds: a round that lost its core to another process does not decide
  double f32 = 0, b16 = 0;
  for (int round = 0; round < 5; round++) {
    f32 = std::max(f32, kernelRate([&] { fk.run(kc, A, B, C, 64, true); }, 2.0 * kc * fk.mr * fk.nr));
    b16 = std::max(b16, kernelRate([&] { bk->run(kc / 2, BA, BB, C, 64, true); }, 2.0 * kc * bk->mr * bk->nr));
  }
  return b16 > 1.15 * f32;
}

}  // namespace

const Bf16Kernel* bf16Kernel() {
#ifdef TESSERA_HAVE_AVX512
  if (activeIsa() == Isa::Avx512 && cpuFeatures().avx512bf16) {
    static const Bf16Kernel* chosen = [] {
      const Bf16Kernel* k = bf16KernelAvx512();
      return k && bf16KernelWins(k) ? k : nullptr;
    }();
    return chosen;
  }
#endif
  return nullptr;
}

/** The AVX512-BF16 kernel if the build and CPU have it, whether or not it is chosen. */
const Bf16Kernel* bf16KernelAvailable() {
#ifdef TESSERA_HAVE_AVX512
  if (cpuFeatures().avx512bf16) return bf16KernelAvx512();
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
  // widen in the operands' own memory order (the f32 GEMM reads any strides), so the loops run unit-stride
  const bool aColMajor = g.rsa == 1 && g.csa != 1, bColMajor = g.rsb == 1 && g.csb != 1;
  const int64_t aOuter = aColMajor ? g.K : g.M, aInner = aColMajor ? g.M : g.K;
  const int64_t aSo = aColMajor ? g.csa : g.rsa, aSi = aColMajor ? g.rsa : g.csa;
  parallelFor(aOuter, std::max<int64_t>(1, 32768 / std::max<int64_t>(1, aInner)), [&](int64_t o0, int64_t o1, int) {
    for (int64_t o = o0; o < o1; o++)
      for (int64_t i = 0; i < aInner; i++) A[o * aInner + i] = bf16ToFloat(g.a[o * aSo + i * aSi]);
  });
  const int64_t bOuter = bColMajor ? g.N : g.K, bInner = bColMajor ? g.K : g.N;
  const int64_t bSo = bColMajor ? g.csb : g.rsb, bSi = bColMajor ? g.rsb : g.csb;
  parallelFor(bOuter, std::max<int64_t>(1, 32768 / std::max<int64_t>(1, bInner)), [&](int64_t o0, int64_t o1, int) {
    for (int64_t o = o0; o < o1; o++)
      for (int64_t i = 0; i < bInner; i++) B[o * bInner + i] = bf16ToFloat(g.b[o * bSo + i * bSi]);
  });
  GemmArgs f{g.M, g.N, g.K, A, aColMajor ? 1 : g.K, aColMajor ? g.M : 1, B, bColMajor ? 1 : g.N, bColMajor ? g.K : 1,
             g.c, nullptr, Act::None};
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
      if (threads > 1 && kc * nc >= 64 * 1024) parallelFor(npan, 1, [&](int64_t b, int64_t e, int) { packB(g, pc, kc, jc, nc, NR, b, e, bp); });
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
