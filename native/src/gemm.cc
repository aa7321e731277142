// GEMM driver: BLIS-style blocking around the active micro-kernel. Loops: jc (NC columns of B, L3) ->
// pc (KC of K; B block packed once, shared by all threads) -> tasks over (MC rows of A, groups of NR
// panels), each thread packing its own A block (L2) -> jr -> ir -> micro-kernel. Transposed operands are
// handled by the packing routines, which read any strides. The bias/activation epilogue runs on each
// tile as it leaves the micro-kernel after its last K block (runTile), before it is ever stored to C.
#include "gemm.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "aligned.h"
#include "cpu_features.h"
#include "threadpool.h"
#include "vec.h"

namespace tessera {

const MicroKernel& gemmKernel() {
  switch (activeIsa()) {
#ifdef TESSERA_HAVE_AVX512
    case Isa::Avx512: return gemmKernelAvx512();
#endif
#ifdef TESSERA_HAVE_AVX2
    case Isa::Avx2: return gemmKernelAvx2();
#endif
    default: return gemmKernelGeneric();
  }
}

namespace {

inline int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
inline int64_t roundUp(int64_t a, int64_t b) { return ceilDiv(a, b) * b; }

// A block rows [i0, i0+mc) x K [p0, p0+kc) into MR-row micro-panels, k-major, zero-padded rows.
void packA(const GemmArgs& g, int64_t i0, int64_t mc, int64_t p0, int64_t kc, int mr, float* ap) {
  const PackRowsFn packRows = gemmKernel().mr == mr ? gemmKernel().packRows : nullptr;
  for (int64_t ip = 0; ip < mc; ip += mr) {
    const int64_t rows = std::min<int64_t>(mr, mc - ip);
    float* dst = ap + ip * kc;
    const float* base = g.a + (i0 + ip) * g.rsa + p0 * g.csa;
    if (packRows && g.csa == 1 && rows == mr) {
      packRows(base, g.rsa, kc, dst);
    } else if (g.rsa == 1 && rows == mr) {
      for (int64_t k = 0; k < kc; k++) std::memcpy(dst + k * mr, base + k * g.csa, sizeof(float) * mr);
    } else if (g.csa == 1) {
      for (int64_t i = 0; i < rows; i++) {
        const float* src = base + i * g.rsa;
        for (int64_t k = 0; k < kc; k++) dst[k * mr + i] = src[k];
      }
      for (int64_t i = rows; i < mr; i++)
        for (int64_t k = 0; k < kc; k++) dst[k * mr + i] = 0.f;
    } else {
      for (int64_t k = 0; k < kc; k++) {
        for (int64_t i = 0; i < rows; i++) dst[k * mr + i] = base[i * g.rsa + k * g.csa];
        for (int64_t i = rows; i < mr; i++) dst[k * mr + i] = 0.f;
      }
    }
  }
}

// B panels [jp0, jp1) of the block K [p0, p0+kc) x columns [j0, j0+nc): NR columns each, k-major, zero-padded.
void packB(const GemmArgs& g, int64_t p0, int64_t kc, int64_t j0, int64_t nc, int nr, int64_t jp0, int64_t jp1, float* bp) {
  const PackRowsFn packCols = gemmKernel().nr == nr ? gemmKernel().packColsB : nullptr;
  for (int64_t p = jp0; p < jp1; p++) {
    const int64_t jj = p * nr;
    const int64_t cols = std::min<int64_t>(nr, nc - jj);
    float* dst = bp + jj * kc;
    const float* base = g.b + p0 * g.rsb + (j0 + jj) * g.csb;
    if (packCols && g.rsb == 1 && cols == nr) {
      packCols(base, g.csb, kc, dst);
    } else if (g.csb == 1 && cols == nr) {
      for (int64_t k = 0; k < kc; k++) std::memcpy(dst + k * nr, base + k * g.rsb, sizeof(float) * nr);
    } else if (g.rsb == 1) {
      for (int64_t j = 0; j < cols; j++) {
        const float* src = base + j * g.csb;
        for (int64_t k = 0; k < kc; k++) dst[k * nr + j] = src[k];
      }
      for (int64_t j = cols; j < nr; j++)
        for (int64_t k = 0; k < kc; k++) dst[k * nr + j] = 0.f;
    } else {
      for (int64_t k = 0; k < kc; k++) {
        for (int64_t j = 0; j < cols; j++) dst[k * nr + j] = base[k * g.rsb + j * g.csb];
        for (int64_t j = cols; j < nr; j++) dst[k * nr + j] = 0.f;
      }
    }
  }
}

thread_local AlignedBuffer tlsA, tlsB;

}  // namespace

void applyEpilogue(float* c, int64_t rows, int64_t n, int64_t ldc, const float* bias, Act act) {
  if (!bias && act == Act::None) return;
  vecOps().biasAct(c, rows, n, ldc, bias, static_cast<int>(act));
}

namespace {

// One micro-tile of C (mr x nr at cTile): full tiles without an epilogue go straight to C; ragged tiles, and
// tiles of the last K block with a bias or activation, are computed into `tmp` (contiguous, in L1) and
// stored with the accumulation and epilogue in one vectorised pass.
inline void runTile(const MicroKernel& mk, int64_t kc, const float* ap, const float* bp, float* cTile, int64_t ldc,
                    int64_t mr, int64_t nr, bool first, bool last, const float* bias, Act act, float* tmp) {
  const bool epilogue = last && (bias || act != Act::None);
  if (mr == mk.mr && nr == mk.nr && !epilogue) {
    mk.run(kc, ap, bp, cTile, ldc, !first);
    return;
  }
  mk.run(kc, ap, bp, tmp, mk.nr, false);
  vecOps().tileStore(tmp, mk.nr, cTile, ldc, mr, nr, !first, last ? bias : nullptr, last ? static_cast<int>(act) : 0);
}

}  // namespace

namespace {

// A few rows of A (a decoder step, a matrix-vector product): packing B would read it twice for one use, so
// stream it instead, as dot products against B's rows (B transposed, e.g. x @ W^T) or as row updates.
bool smallRows(const GemmArgs& g, int64_t ldc, int threads) {
  const int64_t M = g.M, N = g.N, K = g.K;
  if (M > 4) return false;
  const VecOps& v = vecOps();
  const int64_t grain = std::max<int64_t>(16, 32768 / std::max<int64_t>(1, K * M));
  auto run = [&](auto&& body) {
    if (threads > 1) parallelFor(N, grain, body);
    else body(0, N, 0);
  };
  if (g.rsb == 1 && g.csa == 1) {
    run([&](int64_t j0, int64_t j1, int) {
      for (int64_t i = 0; i < M; i++)
        for (int64_t j = j0; j < j1; j++) g.c[i * ldc + j] = v.dot(g.a + i * g.rsa, g.b + j * g.csb, K);
    });
  } else if (g.csb == 1) {
    run([&](int64_t j0, int64_t j1, int) {
      for (int64_t i = 0; i < M; i++) {
        float* c = g.c + i * ldc + j0;
        std::memset(c, 0, sizeof(float) * (j1 - j0));
        for (int64_t k = 0; k < K; k++) v.axpy(g.a[i * g.rsa + k * g.csa], g.b + k * g.rsb + j0, c, j1 - j0);
      }
    });
  } else {
    return false;
  }
  for (int64_t i = 0; i < M; i++) applyEpilogue(g.c + i * ldc, 1, N, ldc, g.bias, g.act);
  return true;
}

}  // namespace

namespace {

// Most model GEMMs (x @ W^T with W up to a few MB) take this path: all of B is packed once (one parallel
// region), then one parallel region over row blocks, each running the whole K loop on its rows, so C's row
// block stays in L2 from one K block to the next and a GEMM costs two fork-joins whatever K is. Row blocks
// are claimed dynamically: a thread the OS parks delays only the block it holds.
constexpr int64_t kWholeBMax = 4 << 20;  // floats of packed B (16 MB)

void sgemmWholeB(const GemmArgs& g, int64_t ldc, int threads, const MicroKernel& mk) {
  const int64_t M = g.M, N = g.N, K = g.K;
  const int MR = mk.mr, NR = mk.nr;
  const int64_t KC = mk.kc;
  const int64_t npan = ceilDiv(N, NR), Npad = npan * NR;
  const int64_t kblocks = ceilDiv(K, KC);
  float* bp = tlsB.get<float>(K * Npad);
  // block pc of K starts at bp + pc * Npad (the blocks before it hold pc rows of Npad values)
  auto pack = [&](int64_t t0, int64_t t1, int) {
    for (int64_t t = t0; t < t1; t++) {
      const int64_t kb = t / npan, p = t % npan;
      const int64_t pc = kb * KC, kc = std::min(KC, K - pc);
      packB(g, pc, kc, 0, N, NR, p, p + 1, bp + pc * Npad);
    }
  };
  if (threads > 1 && K * Npad >= 64 * 1024) parallelForDynamic(kblocks * npan, 4, pack);
  else pack(0, kblocks * npan, 0);

  // Row blocks: at most mc rows; with 2+ threads and M of at least 8 micro-panels per thread, at least 4
  // blocks per thread (dynamic balance) and a multiple of the thread count, the MR-row micro-panels dealt
  // out evenly (block b starts at panel b * units / nblk). M = 4096 on 2 threads: 14 blocks of 280-294 rows,
  // where 13 of 322 kept one thread busy for 7 blocks while the other idled after 6. Fewer rows (M = 128):
  // blocks of a few micro-panels cannot be shared evenly, so the B panels are split instead (groups below).
  const int64_t units = ceilDiv(M, MR);
  int64_t nblk = ceilDiv(M, mk.mc);
  if (threads > 1 && units >= 8 * threads)
    nblk = roundUp(std::max<int64_t>(nblk, std::min<int64_t>(4 * threads, ceilDiv(M, 4 * MR))), threads);
  nblk = std::min(nblk, units);
  const int64_t MC = ceilDiv(units, nblk) * MR;  // the largest block
  const int64_t icBlocks = nblk;
  auto blockStart = [&](int64_t b) { return std::min(M, b * units / nblk * MR); };
  // few row blocks: split the B panels between threads too; one block (few rows): one share of the panels
  // per thread, each packing A once (M = 128 x 256 x 1024 on 2 threads: 0.27 ms where four row blocks
  // of 1-3 micro-panels, claimed dynamically, took 0.35)
  int64_t groups = 1;
  if (threads > 1 && icBlocks == 1) groups = std::min<int64_t>(npan, threads);
  else if (threads > 1 && icBlocks < 2 * threads) groups = std::min<int64_t>(npan, ceilDiv(2 * threads, icBlocks));
  auto work = [&](int64_t tb, int64_t te, int) {
    float* ap = tlsA.get<float>(MC * KC);
    alignas(64) float tmp[32 * 64];
    for (int64_t t = tb; t < te; t++) {
      const int64_t icb = t / groups, grp = t % groups;
      const int64_t ic = blockStart(icb), mc = blockStart(icb + 1) - ic;
      const int64_t p0 = npan * grp / groups, p1 = npan * (grp + 1) / groups;
      for (int64_t pc = 0; pc < K; pc += KC) {
        const int64_t kc = std::min(KC, K - pc);
        const bool first = pc == 0, last = pc + kc == K;
        packA(g, ic, mc, pc, kc, MR, ap);
        const float* bblock = bp + pc * Npad;
        for (int64_t p = p0; p < p1; p++) {
          const int64_t jr = p * NR, nr = std::min<int64_t>(NR, N - jr);
          const float* bpan = bblock + jr * kc;
          for (int64_t ir = 0; ir < mc; ir += MR) {
            const int64_t mr = std::min<int64_t>(MR, mc - ir);
            runTile(mk, kc, ap + ir * kc, bpan, g.c + (ic + ir) * ldc + jr, ldc, mr, nr, first, last,
                    g.bias ? g.bias + jr : nullptr, g.act, tmp);
          }
        }
      }
    }
  };
  if (threads > 1) parallelForDynamic(icBlocks * groups, 1, work);
  else work(0, icBlocks * groups, 0);
}

}  // namespace

void sgemm(const GemmArgs& g, int threads) {
  const int64_t M = g.M, N = g.N, K = g.K, ldc = g.ldc ? g.ldc : g.N;
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    for (int64_t i = 0; i < M; i++) std::memset(g.c + i * ldc, 0, sizeof(float) * N);
    applyEpilogue(g.c, M, N, ldc, g.bias, g.act);
    return;
  }
  if (smallRows(g, ldc, std::max(1, std::min(threads, numThreads())))) return;
  const MicroKernel& mk = gemmKernel();
  const int MR = mk.mr, NR = mk.nr;
  threads = std::max(1, std::min(threads, numThreads()));
  // small problems are not worth waking threads for
  if (static_cast<double>(M) * N * K < 160.0 * 160 * 160) threads = 1;
  if (K * roundUp(N, NR) <= kWholeBMax) {
    sgemmWholeB(g, ldc, threads, mk);
    return;
  }

  // Row blocks of equal size (a multiple of MR), their count a multiple of the thread count when M allows.
  int64_t nblk = ceilDiv(M, mk.mc);
  if (threads > 1 && M >= static_cast<int64_t>(threads) * MR) nblk = roundUp(nblk, threads);
  const int64_t MC = roundUp(ceilDiv(M, nblk), MR);
  const int64_t icBlocks = ceilDiv(M, MC);
  const int64_t KC = mk.kc;
  const int64_t NC = std::min<int64_t>(mk.nc, roundUp(N, NR));

  float* bp = tlsB.get<float>(KC * roundUp(NC, NR));
  const float* lastBias = g.bias;

  for (int64_t jc = 0; jc < N; jc += NC) {
    const int64_t nc = std::min(NC, N - jc);
    const int64_t npan = ceilDiv(nc, NR);
    for (int64_t pc = 0; pc < K; pc += KC) {
      const int64_t kc = std::min(KC, K - pc);
      const bool first = pc == 0, last = pc + kc == K;
      // packing a small block is not worth a fork-join of its own
      if (threads > 1 && kc * nc >= 64 * 1024) parallelFor(npan, 1, [&](int64_t b, int64_t e, int) { packB(g, pc, kc, jc, nc, NR, b, e, bp); });
      else packB(g, pc, kc, jc, nc, NR, 0, npan, bp);
      int64_t groups = 1;
      if (icBlocks < threads) groups = std::min<int64_t>(npan, ceilDiv(threads, icBlocks));
      const int64_t tasks = icBlocks * groups;
      auto work = [&](int64_t tb, int64_t te, int) {
        float* ap = tlsA.get<float>(MC * KC);
        int64_t packedIc = -1;
        alignas(64) float tmp[32 * 64];
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
            const float* bpan = bp + jr * kc;
            for (int64_t ir = 0; ir < mc; ir += MR) {
              const int64_t mr = std::min<int64_t>(MR, mc - ir);
              runTile(mk, kc, ap + ir * kc, bpan, g.c + (ic + ir) * ldc + jc + jr, ldc, mr, nr, first, last,
                      lastBias ? lastBias + jc + jr : nullptr, g.act, tmp);
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
