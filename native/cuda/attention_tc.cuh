// defines: attention_fwd_tc_<dtype>, attention_bwd_tc_<dtype>, attention_fwd_tf32, attention_bwd_tf32 — the
// tensor-core flash attention for bf16 and f16 inputs with head dims 32/64/128 (backward 32/64) and float32
// forward and backward on TF32 tensor cores (head dims 32/64), after FlashAttention-2 (Dao, 2023): mma.sync m16n8k16 with float32
// accumulators; a warp owns 16 query rows (forward) or 16 key rows (backward), the score fragments are
// re-packed in registers as the next product's A operand, transposed operands come from shared memory through
// ldmatrix.trans. The forward's K/V tiles are double-buffered through cp.async (head dims up to 64); lanes
// share dropout draws (one Philox block holds four). Same semantics as the SIMT kernels in fused_attention.cu:
// additive mask, causal mask with a cached prefix, Philox dropout; the row statistics are (max, log-sum) pairs.
#pragma once
#include "common.cuh"
#include "philox.cuh"

namespace tcuda {

template <typename T> struct MmaName;
template <> struct MmaName<__nv_bfloat16> { static constexpr bool bf16 = true; };
template <> struct MmaName<__half> { static constexpr bool bf16 = false; };

/** d += a (16x16, row) * b (16x8, col), f32 accumulators. */
template <typename T>
__device__ __forceinline__ void mma16816(float* d, const uint32_t* a, uint32_t b0, uint32_t b1) {
  if constexpr (MmaName<T>::bf16) {
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
  } else {
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
  }
}

__device__ __forceinline__ void ldsm4(uint32_t* r, const void* p) {
  const unsigned a = static_cast<unsigned>(__cvta_generic_to_shared(p));
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n" : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(a));
}

__device__ __forceinline__ void ldsm4t(uint32_t* r, const void* p) {
  const unsigned a = static_cast<unsigned>(__cvta_generic_to_shared(p));
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n" : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(a));
}

template <typename T>
__device__ __forceinline__ uint32_t pack2(float a, float b) {
  if constexpr (MmaName<T>::bf16) {
    const __nv_bfloat162 v = __floats2bfloat162_rn(a, b);
    return *reinterpret_cast<const uint32_t*>(&v);
  } else {
    const __half2 v = __floats2half2_rn(a, b);
    return *reinterpret_cast<const uint32_t*>(&v);
  }
}

struct TcParams {
  int B, H, Tq, Tk;
  float scale;
  int causal, shift;
  float dropP, dropScale;
  uint64_t seed, offset;
  const float* mask;
  int64_t mb, mh, mi, mj;
  int64_t qs[3], ks[3], vs[3], os[3];  // (b, h, t) strides of the q, k, v views and the output
  // dropout keep bits (null: none kept / drawn again): the forward writes, the backward reads them instead of
  // drawing Philox again. One 64-bit word per query row and 64-key tile, at tcBitsRow(p, bh, tile) + row: bit c
  // of row i's word in tile t is element (i, 64 t + c). Rows are padded to an even count (16-byte loads).
  uint2* keepBits;
  int colMask;  // the additive mask is constant along the query dim (stride 0 there): read once per key column
  int64_t gs[3];  // (b, h, t) strides of the dk and dv the bf16/f16 backward writes
};

/** The keep-bit words of 64-key tile `tile` of head bh (row i at index i). */
__device__ __forceinline__ uint2* tcBitsRow(const TcParams& p, int bh, int tile) {
  const int nTiles = (p.Tk + 63) / 64, rowsP = (p.Tq + 1) & ~1;
  return p.keepBits + (static_cast<int64_t>(bh) * nTiles + tile) * rowsP;
}

/**
 * Adds n-tile nt's keep factors z (elements (r0, c), (r0, c + 1), (r1, c), (r1, c + 1), c = 8 nt + 2 tq within
 * the 64-key tile) to this lane's share of the rows' bit words w = {r0 low, r0 high, r1 low, r1 high}.
 */
__device__ __forceinline__ void tcKeepBitsAdd(uint32_t* w, int nt, int tq, const float* z) {
  const int sh = 8 * (nt & 3) + 2 * tq;
  const uint32_t a = (z[0] != 0.f ? 1u << sh : 0u) | (z[1] != 0.f ? 2u << sh : 0u);
  const uint32_t c = (z[2] != 0.f ? 1u << sh : 0u) | (z[3] != 0.f ? 2u << sh : 0u);
  if (nt < 4) {  // selects, not an indexed array: w stays in registers when nt is not a constant
    w[0] |= a;
    w[2] |= c;
  } else {
    w[1] |= a;
    w[3] |= c;
  }
}

/**
 * The backward's keep factors (as tcDropBwd's) from a 64-query tile's bit words in shared memory: rows
 * 8 nt + 2 tq (+ 1); this warp's keys (16 warp + g, + 8) are bits 16 (warp & 1) + g (+ 8) of word warp / 2.
 */
__device__ __forceinline__ void tcKeepBitsBwd(const TcParams& p, const uint2* bitsS, int nt, int tq, int warp, int g, float* z) {
  const int lq = nt * 8 + 2 * tq, sh = (warp & 1) * 16 + g;
  const uint32_t w0 = (warp >> 1) ? bitsS[lq].y : bitsS[lq].x, w1 = (warp >> 1) ? bitsS[lq + 1].y : bitsS[lq + 1].x;
  z[0] = (w0 >> sh) & 1u ? p.dropScale : 0.f;
  z[1] = (w1 >> sh) & 1u ? p.dropScale : 0.f;
  z[2] = (w0 >> (sh + 8)) & 1u ? p.dropScale : 0.f;
  z[3] = (w1 >> (sh + 8)) & 1u ? p.dropScale : 0.f;
}

/** Ors the quad's shares of rows r0 and r1 (lanes tq = 0..3 of a group) and stores them; every lane must call it. */
__device__ __forceinline__ void tcKeepBitsStore(const TcParams& p, int bh, int k0, int r0, int r1, int tq, uint32_t* w) {
#pragma unroll
  for (int i = 0; i < 4; i++) {
    w[i] |= __shfl_xor_sync(0xffffffffu, w[i], 1);
    w[i] |= __shfl_xor_sync(0xffffffffu, w[i], 2);
  }
  uint2* row = tcBitsRow(p, bh, k0 >> 6);
  if (tq == 0 && r0 < p.Tq) row[r0] = make_uint2(w[0], w[1]);
  if (tq == 1 && r1 < p.Tq) row[r1] = make_uint2(w[2], w[3]);
}

/** Head (b, h) of a strided (B, H, T, D) view. */
template <typename T>
__device__ __forceinline__ T* tcHead(T* base, const int64_t* s, int b, int h) {
  return base + b * s[0] + h * s[1];
}

__device__ __forceinline__ float tcScoreAdd(const TcParams& p, int b, int h, int i, int j) {
  if (j >= p.Tk || i >= p.Tq) return -INFINITY;
  if (p.causal && j > i + p.shift) return -INFINITY;
  return p.mask ? p.mask[b * p.mb + h * p.mh + i * p.mi + j * p.mj] : 0.f;
}

__device__ __forceinline__ float tcDrop(const TcParams& p, int bh, int i, int j) {
  if (p.dropP <= 0.f) return 1.f;
  const uint64_t e = (static_cast<uint64_t>(bh) * p.Tq + i) * p.Tk + j;
  return uniformAt(p.seed, p.offset, e) < p.dropP ? 0.f : p.dropScale;
}

/** The keep factor of a dropout draw given as its Philox word. */
__device__ __forceinline__ float tcKeep(const TcParams& p, uint32_t word) { return uniform24(word) < p.dropP ? 0.f : p.dropScale; }

/**
 * Keep factors of the forward fragment's elements (r0, j), (r0, j + 1), (r1, j), (r1, j + 1), j = k0 + 8 nt + 2 tq.
 * One Philox block holds the draws of 4 consecutive elements; when Tk % 4 == 0, columns jb..jb + 3 of a row
 * (jb = j with tq's low bit cleared) are one block, shared by the lanes tq and tq ^ 1: the even lane draws row
 * r0's block, the odd lane row r1's, and each hands the other the two words it needs (one Philox call per
 * lane and n-tile instead of four; the draws are exactly uniformAt's). Every lane of the warp must call it.
 */
__device__ __forceinline__ void tcDropFwd(const TcParams& p, int bh, int r0, int r1, int j, int tq, float* z) {
  if ((p.Tk & 3) != 0) {
    z[0] = tcDrop(p, bh, r0, j);
    z[1] = tcDrop(p, bh, r0, j + 1);
    z[2] = tcDrop(p, bh, r1, j);
    z[3] = tcDrop(p, bh, r1, j + 1);
    return;
  }
  const bool odd = tq & 1;
  const int jb = j - (odd ? 2 : 0);
  const uint64_t e = (static_cast<uint64_t>(bh) * p.Tq + (odd ? r1 : r0)) * p.Tk + jb;
  const U4 w = philox4x32_10(p.offset + (e >> 2), p.seed);
  // even lane: keeps (r0, jb), (r0, jb + 1) = x, y and sends (r0, jb + 2), (r0, jb + 3) = z, w; odd lane: keeps
  // (r1, jb + 2), (r1, jb + 3) = z, w and sends (r1, jb), (r1, jb + 1) = x, y
  const uint32_t g0 = __shfl_xor_sync(0xffffffffu, odd ? w.x : w.z, 1);
  const uint32_t g1 = __shfl_xor_sync(0xffffffffu, odd ? w.y : w.w, 1);
  z[0] = tcKeep(p, odd ? g0 : w.x);
  z[1] = tcKeep(p, odd ? g1 : w.y);
  z[2] = tcKeep(p, odd ? w.z : g0);
  z[3] = tcKeep(p, odd ? w.w : g1);
}

/**
 * Keep factors of the backward fragment's elements (i0, kr0), (i0 + 1, kr0), (i0, kr1), (i0 + 1, kr1),
 * kr1 = kr0 + 8. When Tk is even, keys jp, jp + 1 (jp = kr0 with its low bit cleared) of a query row sit in one
 * half of a Philox block, shared by the lanes g and g ^ 1 (lane ^ 4): the even lane draws query i0's blocks,
 * the odd lane query i0 + 1's, and they swap the words the other needs (two Philox calls per lane and n-tile
 * instead of four; the same draws as uniformAt). Every lane of the warp must call it.
 */
__device__ __forceinline__ void tcDropBwd(const TcParams& p, int bh, int i0, int kr0, int g, float* z) {
  if ((p.Tk & 1) != 0) {
    z[0] = tcDrop(p, bh, i0, kr0);
    z[1] = tcDrop(p, bh, i0 + 1, kr0);
    z[2] = tcDrop(p, bh, i0, kr0 + 8);
    z[3] = tcDrop(p, bh, i0 + 1, kr0 + 8);
    return;
  }
  const bool odd = g & 1;
  const uint64_t ea = (static_cast<uint64_t>(bh) * p.Tq + i0 + (odd ? 1 : 0)) * p.Tk + (kr0 & ~1), eb = ea + 8;
  const U4 wa = philox4x32_10(p.offset + (ea >> 2), p.seed), wb = philox4x32_10(p.offset + (eb >> 2), p.seed);
  const uint32_t a0 = (ea & 2) ? wa.z : wa.x, a1 = (ea & 2) ? wa.w : wa.y;  // keys jp, jp + 1 of this lane's query
  const uint32_t b0 = (eb & 2) ? wb.z : wb.x, b1 = (eb & 2) ? wb.w : wb.y;  // keys jp + 8, jp + 9
  // even lane (query i0, key jp) sends key jp + 1's words; odd lane (query i0 + 1, key jp + 1) sends key jp's
  const uint32_t g0 = __shfl_xor_sync(0xffffffffu, odd ? a0 : a1, 4);
  const uint32_t g1 = __shfl_xor_sync(0xffffffffu, odd ? b0 : b1, 4);
  z[0] = tcKeep(p, odd ? g0 : a0);
  z[1] = tcKeep(p, odd ? a1 : g0);
  z[2] = tcKeep(p, odd ? g1 : b0);
  z[3] = tcKeep(p, odd ? b1 : g1);
}

/**
 * Copies rows [r0, r0 + R) of a (rows, D) matrix with row stride ld into smem with pitch P elements, 16 bytes
 * at a time; zeros past `rows`.
 */
template <typename T, int D, int R, int P, int NT>
__device__ __forceinline__ void tcLoadRows(T* dst, const T* src, int r0, int rows, int64_t ld) {
  constexpr int CH = D * sizeof(T) / 16;  // 16-byte chunks per row
  constexpr int E = 16 / sizeof(T);
  for (int idx = threadIdx.x; idx < R * CH; idx += NT) {
    const int r = idx / CH, c = idx % CH;
    uint4 v = make_uint4(0, 0, 0, 0);
    if (r0 + r < rows) v = *reinterpret_cast<const uint4*>(src + static_cast<int64_t>(r0 + r) * ld + c * E);
    *reinterpret_cast<uint4*>(dst + r * P + c * E) = v;
  }
}

/** 16-byte asynchronous copy global -> shared (cp.async, sm_80+); `valid` false writes zeros and reads nothing. */
__device__ __forceinline__ void cpAsync16(void* dst, const void* src, bool valid) {
  const unsigned d = static_cast<unsigned>(__cvta_generic_to_shared(dst));
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(d), "l"(src), "r"(valid ? 16 : 0));
}
__device__ __forceinline__ void cpAsyncCommit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int N>
__device__ __forceinline__ void cpAsyncWait() { asm volatile("cp.async.wait_group %0;\n" ::"n"(N)); }

/** tcLoadRows through cp.async: the copy runs while the block computes; cpAsyncWait + __syncthreads before use. */
template <typename T, int D, int R, int P, int NT>
__device__ __forceinline__ void tcLoadRowsAsync(T* dst, const T* src, int r0, int rows, int64_t ld) {
  constexpr int CH = D * sizeof(T) / 16;
  constexpr int E = 16 / sizeof(T);
  for (int idx = threadIdx.x; idx < R * CH; idx += NT) {
    const int r = idx / CH, c = idx % CH;
    const bool ok = r0 + r < rows;
    cpAsync16(dst + r * P + c * E, ok ? src + static_cast<int64_t>(r0 + r) * ld + c * E : src, ok);
  }
}

constexpr int TC_BQ = 64, TC_BK = 64, TC_THREADS = 128;

// ---------------------------------------------------------------------------------------------------------
// forward: block = 128 query rows of one (b, h) for head dims 32/64 (4 warps x 32 rows, two m-tiles per warp
// sharing each K/V fragment), 64 rows for head dim 128 (4 warps x 16 rows); loops over 64-key tiles. Q, K and
// V live in XOR-swizzled shared memory (16-byte chunk c of row r at c ^ f(r): ldmatrix and cp.async touch 8
// distinct bank groups without padding); K/V tiles are double-buffered through cp.async; Q and both products'
// B operands come through ldmatrix (K plain, V transposed). The online softmax runs in registers on exp2:
// without an additive mask the scores are kept pre-multiplied by scale * log2(e), so one subtraction feeds
// ex2; with one (its values may be as low as -FLT_MAX) the scores stay in natural units and the difference to
// the row maximum is scaled. The probabilities are re-packed in registers as the A operand of the P V product.
// Causal blocks are issued longest first; tiles that need no masking (inside the causal triangle, inside Tk,
// no additive mask) skip the per-element mask entirely, and a warp skips tiles wholly above its diagonal.
// ---------------------------------------------------------------------------------------------------------
template <int D>
struct TcFwdShape {
  static constexpr int MT = D <= 64 ? 2 : 1;  // 16-row m-tiles per warp
  static constexpr int BQ = 4 * 16 * MT;      // query rows per block
  static constexpr int BK = 64;               // keys per tile
  static constexpr size_t smem = static_cast<size_t>(BQ + 4 * BK) * D * 2;  // Q + two stages of K and V (2-byte types)
};

/** Element offset of 16-byte chunk c of row r in a swizzled (rows, D) 2-byte tile. */
template <int D>
__device__ __forceinline__ int tcSwz(int r, int c) {
  constexpr int CH = D / 8;
  static_assert(CH == 4 || CH == 8 || CH == 16, "head dim 32, 64 or 128");
  if constexpr (CH >= 8) return r * D + ((c ^ (r & 7)) << 3);
  else return r * D + ((c ^ ((r >> 1) & 3)) << 3);
}

/** Rows [r0, r0 + R) of a strided (rows, D) matrix into a swizzled tile through cp.async; zeros past `rows`. */
template <typename T, int D, int R>
__device__ __forceinline__ void tcLoadSwz(T* dst, const T* src, int r0, int rows, int64_t ld) {
  constexpr int CH = D / 8;
  static_assert((R * CH) % TC_THREADS == 0, "whole passes");
#pragma unroll
  for (int i = 0; i < R * CH / TC_THREADS; i++) {
    const int idx = threadIdx.x + i * TC_THREADS;
    const int r = idx / CH, c = idx % CH;
    const bool ok = r0 + r < rows;
    cpAsync16(dst + tcSwz<D>(r, c), ok ? src + static_cast<int64_t>(r0 + r) * ld + c * 8 : src, ok);
  }
}

/** 2^x on the special-function unit (ex2.approx: 2^-inf = 0). */
__device__ __forceinline__ float tcExp2(float x) {
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;\n" : "=f"(y) : "f"(x));
  return y;
}

constexpr float TC_LOG2E = 1.4426950408889634f, TC_LN2 = 0.6931471805599453f;

/** True where (i, j) takes no part: past Tq or Tk, or above the causal diagonal. */
__device__ __forceinline__ bool tcOut(const TcParams& p, int i, int j) {
  return j >= p.Tk || i >= p.Tq || (p.causal && j > i + p.shift);
}

// DROP: a separate instantiation with dropout (inference carries none of its registers); MASK: an additive mask
// is given (natural-unit scores)
template <typename T, int D, bool DROP, bool MASK>
__global__ void __launch_bounds__(TC_THREADS, 2) attnFwdTcKernel(const T* __restrict__ q, const T* __restrict__ k, const T* __restrict__ v,
                                                                 T* __restrict__ out, float2* __restrict__ stats, TcParams p) {
  using S = TcFwdShape<D>;
  constexpr int MT = S::MT, BQ = S::BQ, BK = S::BK, CH = D / 8;
  extern __shared__ __align__(128) unsigned char tcFwdSmem[];
  T* Qs = reinterpret_cast<T*>(tcFwdSmem);
  T* Ks = Qs + BQ * D;       // two stages
  T* Vs = Ks + 2 * BK * D;   // two stages
  const int bh = blockIdx.x, b = bh / p.H, h = bh % p.H;
  const int qBlock = p.causal ? static_cast<int>(gridDim.y) - 1 - static_cast<int>(blockIdx.y) : static_cast<int>(blockIdx.y);
  const int q0 = qBlock * BQ;
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, g = lane >> 2, tq = lane & 3;
  const int mat = lane >> 3, mr = lane & 7;
  const int wRow = warp * 16 * MT;  // this warp's first row in the block
  const int wq0 = q0 + wRow, wLast = wq0 + 16 * MT - 1;
  const T* qb = tcHead(q, p.qs, b, h);
  const T* kb = tcHead(k, p.ks, b, h);
  const T* vb = tcHead(v, p.vs, b, h);
  int kEnd = p.Tk;
  if (p.causal) kEnd = min(p.Tk, q0 + BQ + p.shift);
  tcLoadSwz<T, D, BQ>(Qs, qb, q0, p.Tq, p.qs[2]);
  cpAsyncCommit();
  if (kEnd > 0) {
    tcLoadSwz<T, D, BK>(Ks, kb, 0, p.Tk, p.ks[2]);
    tcLoadSwz<T, D, BK>(Vs, vb, 0, p.Tk, p.vs[2]);
  }
  cpAsyncCommit();
  cpAsyncWait<1>();  // Q is in; the first K/V tile may still be on its way
  __syncthreads();
  uint32_t qa[MT][D / 16][4];
#pragma unroll
  for (int mt = 0; mt < MT; mt++)
#pragma unroll
    for (int kk = 0; kk < D / 16; kk++) ldsm4(qa[mt][kk], Qs + tcSwz<D>(wRow + mt * 16 + (mat & 1) * 8 + mr, 2 * kk + (mat >> 1)));
  float o[MT][D / 8][4];
  float m[MT][2], l[MT][2];  // l: this lane's share of the row sums (reduced over the quad at the end)
#pragma unroll
  for (int mt = 0; mt < MT; mt++) {
#pragma unroll
    for (int n = 0; n < D / 8; n++) o[mt][n][0] = o[mt][n][1] = o[mt][n][2] = o[mt][n][3] = 0.f;
    m[mt][0] = m[mt][1] = -INFINITY;
    l[mt][0] = l[mt][1] = 0.f;
  }
  // scores are multiplied by sc; exponents are (x - max) * ke
  const float sc = MASK ? p.scale : p.scale * TC_LOG2E;
  constexpr float ke = MASK ? TC_LOG2E : 1.f;
  for (int k0 = 0, it = 0; k0 < kEnd; k0 += BK, it++) {
    const T* Kc = Ks + (it & 1) * BK * D;
    const T* Vc = Vs + (it & 1) * BK * D;
    __syncthreads();  // every warp is done with the stage the next copy overwrites
    if (k0 + BK < kEnd) {
      tcLoadSwz<T, D, BK>(Ks + ((it + 1) & 1) * BK * D, kb, k0 + BK, p.Tk, p.ks[2]);
      tcLoadSwz<T, D, BK>(Vs + ((it + 1) & 1) * BK * D, vb, k0 + BK, p.Tk, p.vs[2]);
      cpAsyncCommit();
      cpAsyncWait<1>();  // this tile is in, the next may still run
    } else {
      cpAsyncWait<0>();
    }
    __syncthreads();
    if (p.causal && k0 > wLast + p.shift) continue;  // every key of the tile is above this warp's diagonal
    float s[MT][8][4];
#pragma unroll
    for (int mt = 0; mt < MT; mt++)
#pragma unroll
      for (int nt = 0; nt < 8; nt++) s[mt][nt][0] = s[mt][nt][1] = s[mt][nt][2] = s[mt][nt][3] = 0.f;
    // S = Q K^T: one ldmatrix.x4 gives the B fragments of two key n-tiles
#pragma unroll
    for (int kk = 0; kk < D / 16; kk++) {
#pragma unroll
      for (int np = 0; np < 4; np++) {
        uint32_t kf[4];
        ldsm4(kf, Kc + tcSwz<D>((2 * np + (mat >> 1)) * 8 + mr, 2 * kk + (mat & 1)));
#pragma unroll
        for (int mt = 0; mt < MT; mt++) {
          mma16816<T>(s[mt][2 * np], qa[mt][kk], kf[0], kf[1]);
          mma16816<T>(s[mt][2 * np + 1], qa[mt][kk], kf[2], kf[3]);
        }
      }
    }
    const bool edge = MASK || k0 + BK > p.Tk || (p.causal && k0 + BK - 1 > wq0 + p.shift);
    // a mask constant along the query dim (e.g. key padding): one load per column for all of the warp's rows
    const bool colMask = MASK && p.colMask;
    if (colMask) {
      const float* mrow = p.mask + b * p.mb + h * p.mh;
#pragma unroll
      for (int nt = 0; nt < 8; nt++) {
        const int j = k0 + nt * 8 + 2 * tq;
        const float mv0 = j < p.Tk ? mrow[j * p.mj] : -INFINITY, mv1 = j + 1 < p.Tk ? mrow[(j + 1) * p.mj] : -INFINITY;
#pragma unroll
        for (int mt = 0; mt < MT; mt++) {
          const int r0 = wq0 + mt * 16 + g, r1 = r0 + 8;
          s[mt][nt][0] = p.causal && j > r0 + p.shift ? -INFINITY : s[mt][nt][0] * sc + mv0;
          s[mt][nt][1] = p.causal && j + 1 > r0 + p.shift ? -INFINITY : s[mt][nt][1] * sc + mv1;
          s[mt][nt][2] = p.causal && j > r1 + p.shift ? -INFINITY : s[mt][nt][2] * sc + mv0;
          s[mt][nt][3] = p.causal && j + 1 > r1 + p.shift ? -INFINITY : s[mt][nt][3] * sc + mv1;
        }
      }
    }
    uint32_t pa[MT][4][4];
#pragma unroll
    for (int mt = 0; mt < MT; mt++) {
      const int r0 = wq0 + mt * 16 + g, r1 = r0 + 8;
      if (colMask) {
      } else if (edge) {
#pragma unroll
        for (int nt = 0; nt < 8; nt++) {
          const int j = k0 + nt * 8 + 2 * tq;
#pragma unroll
          for (int e = 0; e < 4; e++) {
            const int i = e < 2 ? r0 : r1, jj = j + (e & 1);
            if constexpr (MASK) s[mt][nt][e] = s[mt][nt][e] * sc + tcScoreAdd(p, b, h, i, jj);
            else s[mt][nt][e] = tcOut(p, i, jj) ? -INFINITY : s[mt][nt][e] * sc;
          }
        }
      } else {
#pragma unroll
        for (int nt = 0; nt < 8; nt++)
#pragma unroll
          for (int e = 0; e < 4; e++) s[mt][nt][e] *= sc;
      }
      float mx0 = m[mt][0], mx1 = m[mt][1];
#pragma unroll
      for (int nt = 0; nt < 8; nt++) {
        mx0 = fmaxf(mx0, fmaxf(s[mt][nt][0], s[mt][nt][1]));
        mx1 = fmaxf(mx1, fmaxf(s[mt][nt][2], s[mt][nt][3]));
      }
      mx0 = fmaxf(mx0, __shfl_xor_sync(0xffffffffu, mx0, 1));
      mx1 = fmaxf(mx1, __shfl_xor_sync(0xffffffffu, mx1, 1));
      mx0 = fmaxf(mx0, __shfl_xor_sync(0xffffffffu, mx0, 2));
      mx1 = fmaxf(mx1, __shfl_xor_sync(0xffffffffu, mx1, 2));
      // a row with nothing visible yet keeps max -inf: subtract 0 instead (every exponent is then 2^-inf = 0)
      const float ms0 = mx0 == -INFINITY ? 0.f : mx0, ms1 = mx1 == -INFINITY ? 0.f : mx1;
      const float a0 = tcExp2((m[mt][0] - ms0) * ke), a1 = tcExp2((m[mt][1] - ms1) * ke);
      m[mt][0] = mx0;
      m[mt][1] = mx1;
      float rs0 = 0.f, rs1 = 0.f;
      uint32_t kw[4] = {0u, 0u, 0u, 0u};  // keep bits of rows r0, r1 (DROP with p.keepBits)
#pragma unroll
      for (int nt = 0; nt < 8; nt++) {
        float e0 = tcExp2((s[mt][nt][0] - ms0) * ke);
        float e1 = tcExp2((s[mt][nt][1] - ms0) * ke);
        float e2 = tcExp2((s[mt][nt][2] - ms1) * ke);
        float e3 = tcExp2((s[mt][nt][3] - ms1) * ke);
        rs0 += e0 + e1;
        rs1 += e2 + e3;
        if constexpr (DROP) {
          float z[4];
          tcDropFwd(p, bh, r0, r1, k0 + nt * 8 + 2 * tq, tq, z);
          if (p.keepBits) tcKeepBitsAdd(kw, nt, tq, z);
          e0 *= z[0];
          e1 *= z[1];
          e2 *= z[2];
          e3 *= z[3];
        }
        // score fragment of n-tile nt -> A fragment of key step nt / 2
        pa[mt][nt >> 1][(nt & 1) * 2 + 0] = pack2<T>(e0, e1);
        pa[mt][nt >> 1][(nt & 1) * 2 + 1] = pack2<T>(e2, e3);
      }
      if (DROP && p.keepBits) tcKeepBitsStore(p, bh, k0, r0, r1, tq, kw);
      l[mt][0] = l[mt][0] * a0 + rs0;
      l[mt][1] = l[mt][1] * a1 + rs1;
#pragma unroll
      for (int n = 0; n < D / 8; n++) {
        o[mt][n][0] *= a0;
        o[mt][n][1] *= a0;
        o[mt][n][2] *= a1;
        o[mt][n][3] *= a1;
      }
    }
    // O += P V: one ldmatrix.x4.trans gives the B fragments of two head-dim n-tiles
#pragma unroll
    for (int t = 0; t < 4; t++) {
#pragma unroll
      for (int n = 0; n < D / 8; n += 2) {
        uint32_t vf[4];
        ldsm4t(vf, Vc + tcSwz<D>(t * 16 + (mat & 1) * 8 + mr, n + (mat >> 1)));
#pragma unroll
        for (int mt = 0; mt < MT; mt++) {
          mma16816<T>(o[mt][n], pa[mt][t], vf[0], vf[1]);
          mma16816<T>(o[mt][n + 1], pa[mt][t], vf[2], vf[3]);
        }
      }
    }
  }
  // epilogue: the rows go through this warp's own Q rows in shared memory (no other warp reads them) and
  // leave as 16-byte stores
  __syncwarp();
#pragma unroll
  for (int mt = 0; mt < MT; mt++) {
#pragma unroll
    for (int hf = 0; hf < 2; hf++) {
      float ls = l[mt][hf];
      ls += __shfl_xor_sync(0xffffffffu, ls, 1);
      ls += __shfl_xor_sync(0xffffffffu, ls, 2);
      const float inv = ls > 0.f ? 1.f / ls : 0.f;
      const int lr = wRow + mt * 16 + g + hf * 8, row = q0 + lr;
#pragma unroll
      for (int n = 0; n < D / 8; n++)
        *reinterpret_cast<uint32_t*>(Qs + tcSwz<D>(lr, n) + 2 * tq) = pack2<T>(o[mt][n][2 * hf] * inv, o[mt][n][2 * hf + 1] * inv);
      if (tq == 0 && row < p.Tq) {
        // (max, log-sum) in natural units
        stats[static_cast<int64_t>(bh) * p.Tq + row] = ls > 0.f ? make_float2(MASK ? m[mt][hf] : m[mt][hf] * TC_LN2, logf(ls)) : make_float2(-INFINITY, 0.f);
      }
    }
  }
  __syncwarp();
  T* ob = tcHead(out, p.os, b, h);
  const int64_t old = p.os[2];
#pragma unroll
  for (int i = 0; i < 16 * MT * CH / 32; i++) {
    const int idx = lane + i * 32, r = idx / CH, c = idx % CH;
    const int row = wq0 + r;
    if (row < p.Tq) *reinterpret_cast<uint4*>(ob + row * old + c * 8) = *reinterpret_cast<const uint4*>(Qs + tcSwz<D>(wRow + r, c));
  }
}

// ---------------------------------------------------------------------------------------------------------
// float32 forward on TF32 tensor cores (when TF32 is allowed): mma.sync m16n8k8 with float32 accumulators,
// operands rounded to TF32 (cvt.rna). Same tiling as the bf16 forward. The P V product reads its A operand
// straight from the score fragment: in the k = 8 step over keys 8t..8t+7, A column c holds key 2c (c < 4) or
// key 2(c - 4) + 1, and the V rows of the B operand are taken in that same order.
// ---------------------------------------------------------------------------------------------------------
__device__ __forceinline__ uint32_t toTf32(float x) {
  uint32_t r;
  asm("cvt.rna.tf32.f32 %0, %1;\n" : "=r"(r) : "f"(x));
  return r;
}

/** d += a (16x8, row) * b (8x8, col), TF32 operands, f32 accumulators. */
__device__ __forceinline__ void mma1688tf32(float* d, const uint32_t* a, uint32_t b0, uint32_t b1) {
  asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
               : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

/** Rows [r0, r0 + R) of a float (rows, D) matrix with row stride ld into smem as TF32 bits (pitch P), 16 bytes at a time. */
template <int D, int R, int P, int NT>
__device__ __forceinline__ void tf32LoadRows(uint32_t* dst, const float* src, int r0, int rows, int64_t ld) {
  constexpr int CH = D / 4;
  for (int idx = threadIdx.x; idx < R * CH; idx += NT) {
    const int r = idx / CH, c = idx % CH;
    float4 v = make_float4(0.f, 0.f, 0.f, 0.f);
    if (r0 + r < rows) v = *reinterpret_cast<const float4*>(src + static_cast<int64_t>(r0 + r) * ld + c * 4);
    *reinterpret_cast<uint4*>(dst + r * P + c * 4) = make_uint4(toTf32(v.x), toTf32(v.y), toTf32(v.z), toTf32(v.w));
  }
}

template <int D, bool DROP>
__global__ void __launch_bounds__(TC_THREADS) attnFwdTf32Kernel(const float* __restrict__ q, const float* __restrict__ k,
                                                                const float* __restrict__ v, float* __restrict__ out,
                                                                float2* __restrict__ stats, TcParams p) {
  constexpr int KP = D + 4;  // conflict-free fragment reads for both products
  __shared__ __align__(16) uint32_t Ks[TC_BK * KP];
  __shared__ __align__(16) uint32_t Vs[TC_BK * KP];
  const int bh = blockIdx.y, b = bh / p.H, h = bh % p.H;
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, g = lane >> 2, tq = lane & 3;
  const int q0 = blockIdx.x * TC_BQ;
  const int r0 = q0 + warp * 16 + g, r1 = r0 + 8;
  const float* qb = tcHead(q, p.qs, b, h);
  const float* kb = tcHead(k, p.ks, b, h);
  const float* vb = tcHead(v, p.vs, b, h);
  const int64_t qld = p.qs[2];
  uint32_t qa[D / 8][4];
#pragma unroll
  for (int kk = 0; kk < D / 8; kk++) {
    const int c = kk * 8 + tq;
    qa[kk][0] = r0 < p.Tq ? toTf32(qb[r0 * qld + c]) : 0u;
    qa[kk][1] = r1 < p.Tq ? toTf32(qb[r1 * qld + c]) : 0u;
    qa[kk][2] = r0 < p.Tq ? toTf32(qb[r0 * qld + c + 4]) : 0u;
    qa[kk][3] = r1 < p.Tq ? toTf32(qb[r1 * qld + c + 4]) : 0u;
  }
  float o[D / 8][4];
#pragma unroll
  for (int n = 0; n < D / 8; n++) o[n][0] = o[n][1] = o[n][2] = o[n][3] = 0.f;
  float m0 = -INFINITY, m1 = -INFINITY, l0 = 0.f, l1 = 0.f;
  int kEnd = p.Tk;
  if (p.causal) kEnd = min(p.Tk, q0 + TC_BQ + p.shift);
  for (int k0 = 0; k0 < kEnd; k0 += TC_BK) {
    __syncthreads();
    tf32LoadRows<D, TC_BK, KP, TC_THREADS>(Ks, kb, k0, p.Tk, p.ks[2]);
    tf32LoadRows<D, TC_BK, KP, TC_THREADS>(Vs, vb, k0, p.Tk, p.vs[2]);
    __syncthreads();
    float s[8][4];
#pragma unroll
    for (int nt = 0; nt < 8; nt++) s[nt][0] = s[nt][1] = s[nt][2] = s[nt][3] = 0.f;
#pragma unroll
    for (int kk = 0; kk < D / 8; kk++) {
#pragma unroll
      for (int nt = 0; nt < 8; nt++) {
        const uint32_t* kr = Ks + (nt * 8 + g) * KP + kk * 8 + tq;
        mma1688tf32(s[nt], qa[kk], kr[0], kr[4]);
      }
    }
    float mt0 = -INFINITY, mt1 = -INFINITY;
#pragma unroll
    for (int nt = 0; nt < 8; nt++) {
      const int j = k0 + nt * 8 + 2 * tq;
      s[nt][0] = s[nt][0] * p.scale + tcScoreAdd(p, b, h, r0, j);
      s[nt][1] = s[nt][1] * p.scale + tcScoreAdd(p, b, h, r0, j + 1);
      s[nt][2] = s[nt][2] * p.scale + tcScoreAdd(p, b, h, r1, j);
      s[nt][3] = s[nt][3] * p.scale + tcScoreAdd(p, b, h, r1, j + 1);
      mt0 = fmaxf(mt0, fmaxf(s[nt][0], s[nt][1]));
      mt1 = fmaxf(mt1, fmaxf(s[nt][2], s[nt][3]));
    }
#pragma unroll
    for (int o2 = 1; o2 <= 2; o2 <<= 1) {
      mt0 = fmaxf(mt0, __shfl_xor_sync(0xffffffffu, mt0, o2));
      mt1 = fmaxf(mt1, __shfl_xor_sync(0xffffffffu, mt1, o2));
    }
    const float n0 = fmaxf(m0, mt0), n1 = fmaxf(m1, mt1);
    const float a0 = m0 == -INFINITY ? 0.f : __expf(m0 - n0), a1 = m1 == -INFINITY ? 0.f : __expf(m1 - n1);
    float rs0 = 0.f, rs1 = 0.f;
    uint32_t pa[8][4];
    uint32_t kw[4] = {0u, 0u, 0u, 0u};  // keep bits of rows r0, r1 (DROP with p.keepBits)
#pragma unroll
    for (int nt = 0; nt < 8; nt++) {
      const int j = k0 + nt * 8 + 2 * tq;
      float e0 = n0 == -INFINITY ? 0.f : __expf(s[nt][0] - n0);
      float e1 = n0 == -INFINITY ? 0.f : __expf(s[nt][1] - n0);
      float e2 = n1 == -INFINITY ? 0.f : __expf(s[nt][2] - n1);
      float e3 = n1 == -INFINITY ? 0.f : __expf(s[nt][3] - n1);
      rs0 += e0 + e1;
      rs1 += e2 + e3;
      if constexpr (DROP) {
        float z[4];
        tcDropFwd(p, bh, r0, r1, j, tq, z);
        if (p.keepBits) tcKeepBitsAdd(kw, nt, tq, z);
        e0 *= z[0];
        e1 *= z[1];
        e2 *= z[2];
        e3 *= z[3];
      }
      // A columns tq and tq + 4 of key step nt are keys 2tq and 2tq + 1
      pa[nt][0] = toTf32(e0);
      pa[nt][1] = toTf32(e2);
      pa[nt][2] = toTf32(e1);
      pa[nt][3] = toTf32(e3);
    }
    if (DROP && p.keepBits) tcKeepBitsStore(p, bh, k0, r0, r1, tq, kw);
#pragma unroll
    for (int o2 = 1; o2 <= 2; o2 <<= 1) {
      rs0 += __shfl_xor_sync(0xffffffffu, rs0, o2);
      rs1 += __shfl_xor_sync(0xffffffffu, rs1, o2);
    }
    l0 = l0 * a0 + rs0;
    l1 = l1 * a1 + rs1;
    m0 = n0;
    m1 = n1;
#pragma unroll
    for (int n = 0; n < D / 8; n++) {
      o[n][0] *= a0;
      o[n][1] *= a0;
      o[n][2] *= a1;
      o[n][3] *= a1;
    }
#pragma unroll
    for (int t = 0; t < 8; t++) {
      const uint32_t* v0 = Vs + (t * 8 + 2 * tq) * KP + g;
#pragma unroll
      for (int n = 0; n < D / 8; n++) mma1688tf32(o[n], pa[t], v0[n * 8], v0[KP + n * 8]);
    }
  }
  const float i0 = l0 > 0.f ? 1.f / l0 : 0.f, i1 = l1 > 0.f ? 1.f / l1 : 0.f;
  float* ob = tcHead(out, p.os, b, h);
  const int64_t old = p.os[2];
#pragma unroll
  for (int n = 0; n < D / 8; n++) {
    const int c = n * 8 + 2 * tq;
    if (r0 < p.Tq) *reinterpret_cast<float2*>(ob + r0 * old + c) = make_float2(o[n][0] * i0, o[n][1] * i0);
    if (r1 < p.Tq) *reinterpret_cast<float2*>(ob + r1 * old + c) = make_float2(o[n][2] * i1, o[n][3] * i1);
  }
  if (tq == 0) {
    if (r0 < p.Tq) stats[static_cast<int64_t>(bh) * p.Tq + r0] = l0 > 0.f ? make_float2(m0, logf(l0)) : make_float2(-INFINITY, 0.f);
    if (r1 < p.Tq) stats[static_cast<int64_t>(bh) * p.Tq + r1] = l1 > 0.f ? make_float2(m1, logf(l1)) : make_float2(-INFINITY, 0.f);
  }
}

// ---------------------------------------------------------------------------------------------------------
// backward: block = 64 key rows of one (b, h), 4 warps x 16 keys; loops over 64-query tiles, double-buffered
// (the next tile's Q and dO come through cp.async while this one's products run; their B operands by ldmatrix).
// S^T = K Q^T and dP^T = V dO^T per warp; dV += P^T dO, dK += dS^T Q; dQ += dS K through float32 atomics.
// BITS: the dropout mask comes from the forward's keep bits (staged with Q and dO) instead of Philox draws;
// COLMASK: the additive mask is constant along the query dim (key padding), so each thread loads its two key
// columns once. Without them the kernel draws and reads per element.
// ---------------------------------------------------------------------------------------------------------
template <typename T, int D, bool BITS, bool COLMASK>
__global__ void __launch_bounds__(TC_THREADS, 2) attnBwdTcKernel(const T* __restrict__ q, const T* __restrict__ k, const T* __restrict__ v,
                                                              const T* __restrict__ dout, const float2* __restrict__ stats,
                                                              const float* __restrict__ dd, float* __restrict__ dqAcc, T* __restrict__ dk,
                                                              T* __restrict__ dv, TcParams p) {
  constexpr int KP = D + 8;            // pitch of [row][d] tiles
  constexpr int SP = TC_BQ + 8;        // pitch of the dS^T tile [key][query]
  extern __shared__ __align__(16) unsigned char tcSmem[];
  T* Ks = reinterpret_cast<T*>(tcSmem);
  T* Vs = Ks + TC_BK * KP;
  T* Qs0 = Vs + TC_BK * KP;            // two stages of the Q tile
  T* dOs0 = Qs0 + 2 * TC_BQ * KP;      // two stages of the dO tile
  T* dSt = dOs0 + 2 * TC_BQ * KP;
  float2* stS0 = reinterpret_cast<float2*>(dSt + TC_BK * SP);  // two stages of the row statistics
  float* ddS0 = reinterpret_cast<float*>(stS0 + 2 * TC_BQ);    // two stages of the rows' dO . O
  uint2* bitsS0 = reinterpret_cast<uint2*>(ddS0 + 2 * TC_BQ);  // two stages of the tile's keep bits (BITS)
  const int bh = blockIdx.y, b = bh / p.H, h = bh % p.H;
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, g = lane >> 2, tq = lane & 3;
  const int mat = lane >> 3, mr = lane & 7;
  const int k0 = blockIdx.x * TC_BK;
  const int kr0 = k0 + warp * 16 + g, kr1 = kr0 + 8;  // this thread's key rows in fragments
  const int64_t qOff = static_cast<int64_t>(bh) * p.Tq * D;
  const T* qb = tcHead(q, p.qs, b, h);
  const uint2* bitsG = BITS ? tcBitsRow(p, bh, blockIdx.x) : nullptr;
  float mk0 = 0.f, mk1 = 0.f;  // COLMASK: this thread's two key columns of the mask
  if constexpr (COLMASK) {
    const float* mrow = p.mask + b * p.mb + h * p.mh;
    if (kr0 < p.Tk) mk0 = mrow[kr0 * p.mj];
    if (kr1 < p.Tk) mk1 = mrow[kr1 * p.mj];
  }
  tcLoadRowsAsync<T, D, TC_BK, KP, TC_THREADS>(Ks, tcHead(k, p.ks, b, h), k0, p.Tk, p.ks[2]);
  tcLoadRowsAsync<T, D, TC_BK, KP, TC_THREADS>(Vs, tcHead(v, p.vs, b, h), k0, p.Tk, p.vs[2]);
  // stage s <- query tile q0: Q and dO through cp.async (the copy runs under the previous tile's products),
  // the row statistics by plain stores (read after the next __syncthreads)
  auto stage = [&](int q0, int s) {
    tcLoadRowsAsync<T, D, TC_BQ, KP, TC_THREADS>(Qs0 + s * TC_BQ * KP, qb, q0, p.Tq, p.qs[2]);
    tcLoadRowsAsync<T, D, TC_BQ, KP, TC_THREADS>(dOs0 + s * TC_BQ * KP, dout + qOff, q0, p.Tq, D);
    if constexpr (BITS) {
      if (threadIdx.x < TC_BQ / 2) {  // 16 bytes = the words of rows 2x, 2x + 1 (the row count is padded to even)
        const int r = 2 * threadIdx.x;
        cpAsync16(bitsS0 + s * TC_BQ + r, bitsG + q0 + r, q0 + r < p.Tq);
      }
    }
    cpAsyncCommit();
    for (int r = threadIdx.x; r < TC_BQ; r += TC_THREADS) {
      const int i = q0 + r;
      stS0[s * TC_BQ + r] = i < p.Tq ? stats[static_cast<int64_t>(bh) * p.Tq + i] : make_float2(-INFINITY, 0.f);
      ddS0[s * TC_BQ + r] = i < p.Tq ? dd[static_cast<int64_t>(bh) * p.Tq + i] : 0.f;
    }
  };
  float dK[D / 8][4], dV[D / 8][4];
#pragma unroll
  for (int n = 0; n < D / 8; n++)
#pragma unroll
    for (int e = 0; e < 4; e++) dK[n][e] = dV[n][e] = 0.f;
  int qStart = 0;
  if (p.causal) qStart = max(0, k0 - p.shift) / TC_BQ * TC_BQ;
  if (qStart < p.Tq) stage(qStart, 0);
  else cpAsyncCommit();
  int s = 0;
  for (int q0 = qStart; q0 < p.Tq; q0 += TC_BQ, s ^= 1) {
    cpAsyncWait<0>();
    __syncthreads();  // stage s is in; every warp is done with stage s ^ 1 and with dS^T
    if (q0 + TC_BQ < p.Tq) stage(q0 + TC_BQ, s ^ 1);
    const T* Qs = Qs0 + s * TC_BQ * KP;
    const T* dOs = dOs0 + s * TC_BQ * KP;
    const float2* stS = stS0 + s * TC_BQ;
    const float* ddS = ddS0 + s * TC_BQ;
    const uint2* bitsS = bitsS0 + s * TC_BQ;
    // S^T and dP^T: (16 keys of this warp) x (64 queries)
    float sT[8][4], dpT[8][4];
#pragma unroll
    for (int nt = 0; nt < 8; nt++)
#pragma unroll
      for (int e = 0; e < 4; e++) sT[nt][e] = dpT[nt][e] = 0.f;
#pragma unroll
    for (int kk = 0; kk < D / 16; kk++) {
      uint32_t ka[4], va[4];
      ldsm4(ka, Ks + (warp * 16 + (mat & 1) * 8 + mr) * KP + kk * 16 + (mat >> 1) * 8);
      ldsm4(va, Vs + (warp * 16 + (mat & 1) * 8 + mr) * KP + kk * 16 + (mat >> 1) * 8);
#pragma unroll
      for (int nt = 0; nt < 8; nt += 2) {
        // B operands of n-tiles nt and nt + 1 in one ldmatrix each: (queries, d 0..7), (queries, d 8..15) per tile
        uint32_t bq[4], bg[4];
        const int off = ((nt + (mat >> 1)) * 8 + mr) * KP + kk * 16 + (mat & 1) * 8;
        ldsm4(bq, Qs + off);
        ldsm4(bg, dOs + off);
        mma16816<T>(sT[nt], ka, bq[0], bq[1]);
        mma16816<T>(sT[nt + 1], ka, bq[2], bq[3]);
        mma16816<T>(dpT[nt], va, bg[0], bg[1]);
        mma16816<T>(dpT[nt + 1], va, bg[2], bg[3]);
      }
    }
    // P^T (dropout applied) and dS^T, packed as A fragments over the query dimension
    uint32_t pa[4][4], sa[4][4];
#pragma unroll
    for (int nt = 0; nt < 8; nt++) {
      float pv[4], sv[4], zk[4] = {1.f, 1.f, 1.f, 1.f};
      if constexpr (BITS) tcKeepBitsBwd(p, bitsS, nt, tq, warp, g, zk);
      else if (p.dropP > 0.f) tcDropBwd(p, bh, q0 + nt * 8 + 2 * tq, kr0, g, zk);
#pragma unroll
      for (int e = 0; e < 4; e++) {
        const int lq = nt * 8 + 2 * tq + (e & 1);
        const int i = q0 + lq, j = e < 2 ? kr0 : kr1;
        const float2 st = stS[lq];
        float add;
        if constexpr (COLMASK) add = tcOut(p, i, j) ? -INFINITY : (e < 2 ? mk0 : mk1);
        else add = tcScoreAdd(p, b, h, i, j);
        const float sc = sT[nt][e] * p.scale + add;
        const float pr = (st.x == -INFINITY || sc == -INFINITY) ? 0.f : __expf(sc - st.x - st.y);
        const float z = zk[e];
        pv[e] = pr * z;
        sv[e] = pr * (dpT[nt][e] * z - ddS[lq]) * p.scale;
      }
      pa[nt >> 1][(nt & 1) * 2 + 0] = pack2<T>(pv[0], pv[1]);
      pa[nt >> 1][(nt & 1) * 2 + 1] = pack2<T>(pv[2], pv[3]);
      sa[nt >> 1][(nt & 1) * 2 + 0] = pack2<T>(sv[0], sv[1]);
      sa[nt >> 1][(nt & 1) * 2 + 1] = pack2<T>(sv[2], sv[3]);
      // dS^T to shared memory [key][query] for the dQ product
      *reinterpret_cast<uint32_t*>(dSt + (warp * 16 + g) * SP + nt * 8 + 2 * tq) = sa[nt >> 1][(nt & 1) * 2 + 0];
      *reinterpret_cast<uint32_t*>(dSt + (warp * 16 + g + 8) * SP + nt * 8 + 2 * tq) = sa[nt >> 1][(nt & 1) * 2 + 1];
    }
    // dV += P^T dO and dK += dS^T Q: B operands are dO and Q transposed (ldmatrix.trans over [query][d])
#pragma unroll
    for (int t = 0; t < 4; t++) {
#pragma unroll
      for (int n = 0; n < D / 8; n += 2) {
        uint32_t bg[4], bq[4];
        ldsm4t(bg, dOs + (t * 16 + (mat & 1) * 8 + mr) * KP + (n + (mat >> 1)) * 8);
        ldsm4t(bq, Qs + (t * 16 + (mat & 1) * 8 + mr) * KP + (n + (mat >> 1)) * 8);
        mma16816<T>(dV[n], pa[t], bg[0], bg[1]);
        mma16816<T>(dV[n + 1], pa[t], bg[2], bg[3]);
        mma16816<T>(dK[n], sa[t], bq[0], bq[1]);
        mma16816<T>(dK[n + 1], sa[t], bq[2], bq[3]);
      }
    }
    __syncthreads();
    // dQ (this warp's 16 queries) = dS (16 x 64 keys) K (64 keys x D): A from dS^T by ldmatrix.trans, B = K^T likewise
    float dq[D / 8][4];
#pragma unroll
    for (int n = 0; n < D / 8; n++) dq[n][0] = dq[n][1] = dq[n][2] = dq[n][3] = 0.f;
#pragma unroll
    for (int t = 0; t < 4; t++) {
      uint32_t a[4];
      // matrices: (keys 16t..+7, queries w16..+7), (keys 16t..+7, queries +8..), (keys 16t+8.., queries w16..), (keys 16t+8.., +8..)
      ldsm4t(a, dSt + (t * 16 + (mat >> 1) * 8 + mr) * SP + warp * 16 + (mat & 1) * 8);
#pragma unroll
      for (int n = 0; n < D / 8; n += 2) {
        uint32_t bk[4];
        ldsm4t(bk, Ks + (t * 16 + (mat & 1) * 8 + mr) * KP + (n + (mat >> 1)) * 8);
        mma16816<T>(dq[n], a, bk[0], bk[1]);
        mma16816<T>(dq[n + 1], a, bk[2], bk[3]);
      }
    }
    const int qr0 = q0 + warp * 16 + g, qr1 = qr0 + 8;
#pragma unroll
    for (int n = 0; n < D / 8; n++) {
      const int c = n * 8 + 2 * tq;
      // two adjacent columns in one 8-byte atomic (sm_90)
      if (qr0 < p.Tq) atomicAdd(reinterpret_cast<float2*>(dqAcc + qOff + static_cast<int64_t>(qr0) * D + c), make_float2(dq[n][0], dq[n][1]));
      if (qr1 < p.Tq) atomicAdd(reinterpret_cast<float2*>(dqAcc + qOff + static_cast<int64_t>(qr1) * D + c), make_float2(dq[n][2], dq[n][3]));
    }
  }
  cpAsyncWait<0>();
  const int64_t gOff = b * p.gs[0] + h * p.gs[1];  // this head in dk / dv
#pragma unroll
  for (int n = 0; n < D / 8; n++) {
    const int c = n * 8 + 2 * tq;
    if (kr0 < p.Tk) {
      *reinterpret_cast<uint32_t*>(dk + gOff + static_cast<int64_t>(kr0) * p.gs[2] + c) = pack2<T>(dK[n][0], dK[n][1]);
      *reinterpret_cast<uint32_t*>(dv + gOff + static_cast<int64_t>(kr0) * p.gs[2] + c) = pack2<T>(dV[n][0], dV[n][1]);
    }
    if (kr1 < p.Tk) {
      *reinterpret_cast<uint32_t*>(dk + gOff + static_cast<int64_t>(kr1) * p.gs[2] + c) = pack2<T>(dK[n][2], dK[n][3]);
      *reinterpret_cast<uint32_t*>(dv + gOff + static_cast<int64_t>(kr1) * p.gs[2] + c) = pack2<T>(dV[n][2], dV[n][3]);
    }
  }
}

template <int D>
constexpr size_t tcBwdSmem() {
  return (2 * TC_BK * (D + 8) + 4 * TC_BQ * (D + 8) + TC_BK * (TC_BQ + 8)) * 2 + 2 * TC_BQ * (sizeof(float2) + sizeof(float) + sizeof(uint2));
}

// ---------------------------------------------------------------------------------------------------------
// float32 backward on TF32 tensor cores (when TF32 is allowed): the bf16 backward's tiling (64 key rows per
// block, 4 warps x 16 keys, 64-query tiles) with mma.sync m16n8k8. Tiles are held in shared memory as TF32
// bits at pitch D + 4 (row-major fragment reads, lanes (g, tq) at 4g + tq, are conflict-free) and the
// transposed-operand reads take the P V forward's trick: in a k = 8 step, A column c is item 2c (c < 4) or
// 2(c - 4) + 1, so a score fragment is the A operand as it stands and the B rows are read at 8 tq + g (also
// conflict-free). dS^T goes through shared memory (pitch 64 + 4) as the A operand of dQ = dS K; dQ is summed
// through float32 atomics.
// ---------------------------------------------------------------------------------------------------------
template <int D>
__global__ void __launch_bounds__(TC_THREADS) attnBwdTf32Kernel(const float* __restrict__ q, const float* __restrict__ k, const float* __restrict__ v,
                                                                const float* __restrict__ dout, const float2* __restrict__ stats,
                                                                const float* __restrict__ dd, float* __restrict__ dqAcc, float* __restrict__ dk,
                                                                float* __restrict__ dv, TcParams p) {
  constexpr int KP = D + 4;       // pitch of [row][d] tiles
  constexpr int SP = TC_BQ + 4;   // pitch of the dS^T tile [key][query]
  extern __shared__ __align__(16) unsigned char tcSmem[];
  uint32_t* Ks = reinterpret_cast<uint32_t*>(tcSmem);
  uint32_t* Vs = Ks + TC_BK * KP;
  uint32_t* Qs = Vs + TC_BK * KP;
  uint32_t* dOs = Qs + TC_BQ * KP;
  uint32_t* dSt = dOs + TC_BQ * KP;
  float2* stS = reinterpret_cast<float2*>(dSt + TC_BK * SP);
  float* ddS = reinterpret_cast<float*>(stS + TC_BQ);
  uint2* bitsS = reinterpret_cast<uint2*>(ddS + TC_BQ);
  const int bh = blockIdx.y, b = bh / p.H, h = bh % p.H;
  const bool bits = p.dropP > 0.f && p.keepBits;
  const uint2* bitsG = bits ? tcBitsRow(p, bh, blockIdx.x) : nullptr;
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, g = lane >> 2, tq = lane & 3;
  const int k0 = blockIdx.x * TC_BK;
  const int kr0 = k0 + warp * 16 + g, kr1 = kr0 + 8;  // this thread's key rows in fragments
  const int64_t qOff = static_cast<int64_t>(bh) * p.Tq * D, kOff = static_cast<int64_t>(bh) * p.Tk * D;
  tf32LoadRows<D, TC_BK, KP, TC_THREADS>(Ks, tcHead(k, p.ks, b, h), k0, p.Tk, p.ks[2]);
  tf32LoadRows<D, TC_BK, KP, TC_THREADS>(Vs, tcHead(v, p.vs, b, h), k0, p.Tk, p.vs[2]);
  const float* qb = tcHead(q, p.qs, b, h);
  float dK[D / 8][4], dV[D / 8][4];
#pragma unroll
  for (int n = 0; n < D / 8; n++)
#pragma unroll
    for (int e = 0; e < 4; e++) dK[n][e] = dV[n][e] = 0.f;
  int qStart = 0;
  if (p.causal) qStart = max(0, k0 - p.shift) / TC_BQ * TC_BQ;
  const uint32_t* kw = Ks + (warp * 16 + g) * KP + tq;  // A fragments of this warp's K / V rows
  const uint32_t* vw = Vs + (warp * 16 + g) * KP + tq;
  for (int q0 = qStart; q0 < p.Tq; q0 += TC_BQ) {
    __syncthreads();
    tf32LoadRows<D, TC_BQ, KP, TC_THREADS>(Qs, qb, q0, p.Tq, p.qs[2]);
    tf32LoadRows<D, TC_BQ, KP, TC_THREADS>(dOs, dout + qOff, q0, p.Tq, D);
    for (int r = threadIdx.x; r < TC_BQ; r += TC_THREADS) {
      const int i = q0 + r;
      stS[r] = i < p.Tq ? stats[static_cast<int64_t>(bh) * p.Tq + i] : make_float2(-INFINITY, 0.f);
      ddS[r] = i < p.Tq ? dd[static_cast<int64_t>(bh) * p.Tq + i] : 0.f;
      if (bits) bitsS[r] = i < p.Tq ? bitsG[i] : make_uint2(0u, 0u);
    }
    __syncthreads();
    // S^T = K Q^T and dP^T = V dO^T: (16 keys of this warp) x (64 queries)
    float sT[8][4], dpT[8][4];
#pragma unroll
    for (int nt = 0; nt < 8; nt++)
#pragma unroll
      for (int e = 0; e < 4; e++) sT[nt][e] = dpT[nt][e] = 0.f;
#pragma unroll
    for (int kk = 0; kk < D / 8; kk++) {
      const uint32_t ka[4] = {kw[kk * 8], kw[8 * KP + kk * 8], kw[kk * 8 + 4], kw[8 * KP + kk * 8 + 4]};
      const uint32_t va[4] = {vw[kk * 8], vw[8 * KP + kk * 8], vw[kk * 8 + 4], vw[8 * KP + kk * 8 + 4]};
#pragma unroll
      for (int nt = 0; nt < 8; nt++) {
        const uint32_t* qr = Qs + (nt * 8 + g) * KP + kk * 8 + tq;
        const uint32_t* gr = dOs + (nt * 8 + g) * KP + kk * 8 + tq;
        mma1688tf32(sT[nt], ka, qr[0], qr[4]);
        mma1688tf32(dpT[nt], va, gr[0], gr[4]);
      }
    }
    // P^T (dropout applied) and dS^T, each as the A operand of one k = 8 step over queries (columns tq, tq + 4
    // of step nt are queries 2tq, 2tq + 1); then dV += P^T dO and dK += dS^T Q for that step, B rows (queries)
    // 2tq and 2tq + 1, column (d) g
#pragma unroll
    for (int nt = 0; nt < 8; nt++) {
      float pv[4], sv[4], zk[4] = {1.f, 1.f, 1.f, 1.f};
      if (bits) tcKeepBitsBwd(p, bitsS, nt, tq, warp, g, zk);
      else if (p.dropP > 0.f) tcDropBwd(p, bh, q0 + nt * 8 + 2 * tq, kr0, g, zk);
#pragma unroll
      for (int e = 0; e < 4; e++) {
        const int lq = nt * 8 + 2 * tq + (e & 1);
        const int i = q0 + lq, j = e < 2 ? kr0 : kr1;
        const float2 st = stS[lq];
        const float sc = sT[nt][e] * p.scale + tcScoreAdd(p, b, h, i, j);
        const float pr = (st.x == -INFINITY || sc == -INFINITY) ? 0.f : __expf(sc - st.x - st.y);
        const float z = zk[e];
        pv[e] = pr * z;
        sv[e] = pr * (dpT[nt][e] * z - ddS[lq]) * p.scale;
      }
      const uint32_t pa[4] = {toTf32(pv[0]), toTf32(pv[2]), toTf32(pv[1]), toTf32(pv[3])};
      const uint32_t sa[4] = {toTf32(sv[0]), toTf32(sv[2]), toTf32(sv[1]), toTf32(sv[3])};
      // dS^T to shared memory [key][query] for the dQ product
      *reinterpret_cast<uint2*>(dSt + (warp * 16 + g) * SP + nt * 8 + 2 * tq) = make_uint2(sa[0], sa[2]);
      *reinterpret_cast<uint2*>(dSt + (warp * 16 + g + 8) * SP + nt * 8 + 2 * tq) = make_uint2(sa[1], sa[3]);
      const uint32_t* g0 = dOs + (nt * 8 + 2 * tq) * KP + g;
      const uint32_t* q0r = Qs + (nt * 8 + 2 * tq) * KP + g;
#pragma unroll
      for (int n = 0; n < D / 8; n++) {
        mma1688tf32(dV[n], pa, g0[n * 8], g0[KP + n * 8]);
        mma1688tf32(dK[n], sa, q0r[n * 8], q0r[KP + n * 8]);
      }
    }
    __syncthreads();
    // dQ (this warp's 16 queries) = dS (16 x 64 keys) K (64 keys x D); in step t, A column c is key 2c or
    // 2(c - 4) + 1 (read from dS^T), and the K rows of the B operand are taken in that order
    float dq[D / 8][4];
#pragma unroll
    for (int n = 0; n < D / 8; n++) dq[n][0] = dq[n][1] = dq[n][2] = dq[n][3] = 0.f;
#pragma unroll
    for (int t = 0; t < 8; t++) {
      const uint32_t* s0 = dSt + (t * 8 + 2 * tq) * SP + warp * 16 + g;
      const uint32_t a[4] = {s0[0], s0[8], s0[SP], s0[SP + 8]};
      const uint32_t* kb0 = Ks + (t * 8 + 2 * tq) * KP + g;
#pragma unroll
      for (int n = 0; n < D / 8; n++) mma1688tf32(dq[n], a, kb0[n * 8], kb0[KP + n * 8]);
    }
    const int qr0 = q0 + warp * 16 + g, qr1 = qr0 + 8;
#pragma unroll
    for (int n = 0; n < D / 8; n++) {
      const int c = n * 8 + 2 * tq;
      if (qr0 < p.Tq) atomicAdd(reinterpret_cast<float2*>(dqAcc + qOff + static_cast<int64_t>(qr0) * D + c), make_float2(dq[n][0], dq[n][1]));
      if (qr1 < p.Tq) atomicAdd(reinterpret_cast<float2*>(dqAcc + qOff + static_cast<int64_t>(qr1) * D + c), make_float2(dq[n][2], dq[n][3]));
    }
  }
#pragma unroll
  for (int n = 0; n < D / 8; n++) {
    const int c = n * 8 + 2 * tq;
    if (kr0 < p.Tk) {
      *reinterpret_cast<float2*>(dk + kOff + static_cast<int64_t>(kr0) * D + c) = make_float2(dK[n][0], dK[n][1]);
      *reinterpret_cast<float2*>(dv + kOff + static_cast<int64_t>(kr0) * D + c) = make_float2(dV[n][0], dV[n][1]);
    }
    if (kr1 < p.Tk) {
      *reinterpret_cast<float2*>(dk + kOff + static_cast<int64_t>(kr1) * D + c) = make_float2(dK[n][2], dK[n][3]);
      *reinterpret_cast<float2*>(dv + kOff + static_cast<int64_t>(kr1) * D + c) = make_float2(dV[n][2], dV[n][3]);
    }
  }
}

template <int D>
constexpr size_t tf32BwdSmem() {
  return (2 * TC_BK * (D + 4) + 2 * TC_BQ * (D + 4) + TC_BK * (TC_BQ + 4)) * 4 + TC_BQ * (sizeof(float2) + sizeof(float) + sizeof(uint2));
}

}  // namespace tcuda
