// Fused scaled-dot-product attention, flash style (Dao et al., FlashAttention-2): the forward walks key
// tiles with an online softmax and keeps only the output and the per-row logsumexp; the backward
// recomputes the probabilities tile by tile (one block per key tile, dK and dV in registers, dQ through
// float32 atomics). Additive masks of any broadcast layout, the causal mask (key j hidden from query i
// when j > i + Tk - Tq) and dropout on the probabilities (Philox draws recomputed in the backward) are
// applied inside the tiles. Inputs may be float32, bfloat16 or float16; all arithmetic is float32. q, k and v
// are (B, H, T, D) views at any (b, h, t) strides (unit stride along D); the output is written as
// (B, H, Tq, D) or (B, Tq, H, D); gradients are (B, H, T, D) contiguous.
// defines: attention_fwd_<dtype>, attention_bwd_<dtype>, attention_probs_<dtype>
#include "elementwise.cuh"
#include "napi_glue.h"
#include "ops.h"
#include "philox.cuh"
#include "attention_tc.cuh"
#include <cstdlib>

namespace tcuda {

namespace {

constexpr int BQ = 64;
constexpr int BK = 64;
constexpr int kThreads = 256;  // 16 x 16: thread (ty, tx) owns rows ty + 16r and columns tx + 16c

struct AttnParams {
  int B, H, Tq, Tk, D;
  float scale;
  int causal;
  int shift;  // Tk - Tq
  float dropP;
  float dropScale;  // 1 / (1 - dropP)
  uint64_t seed, offset;
  const float* mask;
  int64_t mb, mh, mi, mj;  // mask strides over (B, H, Tq, Tk)
  // (b, h, t) strides of the q, k, v views and of the output (unit stride along D); gradients are contiguous
  int64_t qs[3], ks[3], vs[3], os[3];
};

/** Row t of head (b, h) of a strided (B, H, T, D) view. */
template <typename T>
__device__ __forceinline__ const T* headRow(const T* base, const int64_t* s, int b, int h, int t) {
  return base + b * s[0] + h * s[1] + static_cast<int64_t>(t) * s[2];
}

__device__ __forceinline__ float scoreAdd(const AttnParams& p, int b, int h, int i, int j) {
  if (j >= p.Tk || i >= p.Tq) return -INFINITY;
  if (p.causal && j > i + p.shift) return -INFINITY;
  return p.mask ? p.mask[b * p.mb + h * p.mh + i * p.mi + j * p.mj] : 0.f;
}

/** 1 / (1 - p) when element (bh, i, j) is kept by dropout, else 0. */
__device__ __forceinline__ float dropFactor(const AttnParams& p, int bh, int i, int j) {
  if (p.dropP <= 0.f) return 1.f;
  const uint64_t e = (static_cast<uint64_t>(bh) * p.Tq + i) * p.Tk + j;
  return uniformAt(p.seed, p.offset, e) < p.dropP ? 0.f : p.dropScale;
}

/** Loads rows [r0, r0 + R) of a (T, D) matrix with row stride ld into smem (pitch DP, zero beyond T and D up to DMAX). */
template <typename T, int DMAX, int R>
__device__ __forceinline__ void loadTile(float* dst, const T* src, int r0, int T_, int D, int64_t ld) {
  constexpr int DP = DMAX + 1;
  for (int idx = threadIdx.x; idx < R * DMAX; idx += kThreads) {
    const int r = idx / DMAX, d = idx % DMAX;
    const int row = r0 + r;
    dst[r * DP + d] = (row < T_ && d < D) ? toF<T>(src[static_cast<int64_t>(row) * ld + d]) : 0.f;
  }
}

template <typename T, int DMAX>
__global__ void __launch_bounds__(kThreads) attnFwdKernel(const T* __restrict__ q, const T* __restrict__ k, const T* __restrict__ v,
                                                          T* __restrict__ out, float2* __restrict__ stats, AttnParams p) {
  constexpr int DP = DMAX + 1;
  constexpr int DC = DMAX / 16;
  extern __shared__ float smem[];
  float* Qs = smem;
  float* Ks = Qs + BQ * DP;
  float* Vs = Ks + BK * DP;
  float* Ps = Vs + BK * DP;  // [BQ][BK + 1]
  const int bh = blockIdx.y, b = bh / p.H, h = bh % p.H;
  const int q0 = blockIdx.x * BQ;
  const int tx = threadIdx.x & 15, ty = threadIdx.x >> 4;
  const T* qb = headRow(q, p.qs, b, h, 0);
  const T* kb = headRow(k, p.ks, b, h, 0);
  const T* vb = headRow(v, p.vs, b, h, 0);
  loadTile<T, DMAX, BQ>(Qs, qb, q0, p.Tq, p.D, p.qs[2]);
  float acc[4][DC];
  float m[4], l[4];
#pragma unroll
  for (int r = 0; r < 4; r++) {
    m[r] = -INFINITY;
    l[r] = 0.f;
#pragma unroll
    for (int c = 0; c < DC; c++) acc[r][c] = 0.f;
  }
  int kEnd = p.Tk;
  if (p.causal) kEnd = min(p.Tk, q0 + BQ + p.shift);
  for (int k0 = 0; k0 < kEnd; k0 += BK) {
    __syncthreads();
    loadTile<T, DMAX, BK>(Ks, kb, k0, p.Tk, p.D, p.ks[2]);
    loadTile<T, DMAX, BK>(Vs, vb, k0, p.Tk, p.D, p.vs[2]);
    __syncthreads();
    float s[4][4];
#pragma unroll
    for (int r = 0; r < 4; r++)
#pragma unroll
      for (int c = 0; c < 4; c++) s[r][c] = 0.f;
    for (int d = 0; d < p.D; d++) {
      float qv[4], kv[4];
#pragma unroll
      for (int r = 0; r < 4; r++) qv[r] = Qs[(ty + 16 * r) * DP + d];
#pragma unroll
      for (int c = 0; c < 4; c++) kv[c] = Ks[(tx + 16 * c) * DP + d];
#pragma unroll
      for (int r = 0; r < 4; r++)
#pragma unroll
        for (int c = 0; c < 4; c++) s[r][c] = fmaf(qv[r], kv[c], s[r][c]);
    }
#pragma unroll
    for (int r = 0; r < 4; r++) {
      const int i = q0 + ty + 16 * r;
      float mt = -INFINITY;
#pragma unroll
      for (int c = 0; c < 4; c++) {
        const int j = k0 + tx + 16 * c;
        s[r][c] = s[r][c] * p.scale + scoreAdd(p, b, h, i, j);
        mt = fmaxf(mt, s[r][c]);
      }
#pragma unroll
      for (int o = 8; o > 0; o >>= 1) mt = fmaxf(mt, __shfl_xor_sync(0xffffffffu, mt, o));
      const float mNew = fmaxf(m[r], mt);
      float rs = 0.f;
#pragma unroll
      for (int c = 0; c < 4; c++) {
        const float pv = mNew == -INFINITY ? 0.f : __expf(s[r][c] - mNew);
        rs += pv;
        const int j = k0 + tx + 16 * c;
        Ps[(ty + 16 * r) * (BK + 1) + tx + 16 * c] = pv * dropFactor(p, bh, i, j);
      }
#pragma unroll
      for (int o = 8; o > 0; o >>= 1) rs += __shfl_xor_sync(0xffffffffu, rs, o);
      const float alpha = m[r] == -INFINITY ? 0.f : __expf(m[r] - mNew);
      l[r] = l[r] * alpha + rs;
      m[r] = mNew;
#pragma unroll
      for (int c = 0; c < DC; c++) acc[r][c] *= alpha;
    }
    __syncthreads();
    for (int jj = 0; jj < BK; jj++) {
      float pv[4];
#pragma unroll
      for (int r = 0; r < 4; r++) pv[r] = Ps[(ty + 16 * r) * (BK + 1) + jj];
#pragma unroll
      for (int c = 0; c < DC; c++) {
        const float vv = Vs[jj * DP + tx + 16 * c];
#pragma unroll
        for (int r = 0; r < 4; r++) acc[r][c] = fmaf(pv[r], vv, acc[r][c]);
      }
    }
  }
#pragma unroll
  for (int r = 0; r < 4; r++) {
    const int i = q0 + ty + 16 * r;
    if (i >= p.Tq) continue;
    const float inv = l[r] > 0.f ? 1.f / l[r] : 0.f;
    const int64_t ro = b * p.os[0] + h * p.os[1] + static_cast<int64_t>(i) * p.os[2];
#pragma unroll
    for (int c = 0; c < DC; c++) {
      const int d = tx + 16 * c;
      if (d < p.D) out[ro + d] = fromF<T>(acc[r][c] * inv);
    }
    // (row max, log of the row sum): kept apart so a huge additive mask (finfo.min) does not swallow the sum
    if (tx == 0) stats[static_cast<int64_t>(bh) * p.Tq + i] = l[r] > 0.f ? make_float2(m[r], logf(l[r])) : make_float2(-INFINITY, 0.f);
  }
}

/** Dd[row] = dot(dO[row], O[row]): the row term of the softmax backward (O in its own order). A warp per row. */
template <typename T>
__global__ void attnRowDotKernel(const T* __restrict__ dout, const T* __restrict__ out, float* __restrict__ dd, int64_t rows, AttnParams p) {
  const int64_t r = static_cast<int64_t>(blockIdx.x) * 8 + (threadIdx.x >> 5);
  if (r >= rows) return;
  const int lane = threadIdx.x & 31, D = p.D;
  const int i = static_cast<int>(r % p.Tq), bh = static_cast<int>(r / p.Tq);
  const T* orow = out + (bh / p.H) * p.os[0] + (bh % p.H) * p.os[1] + static_cast<int64_t>(i) * p.os[2];
  float s = 0.f;
  for (int d = lane; d < D; d += 32) s += toF<T>(dout[r * D + d]) * toF<T>(orow[d]);
  for (int o = 16; o > 0; o >>= 1) s += __shfl_xor_sync(0xffffffffu, s, o);
  if (lane == 0) dd[r] = s;
}

template <typename T, int DMAX>
__global__ void __launch_bounds__(kThreads) attnBwdKernel(const T* __restrict__ q, const T* __restrict__ k, const T* __restrict__ v,
                                                          const T* __restrict__ dout, const float2* __restrict__ stats, const float* __restrict__ dd,
                                                          float* __restrict__ dqAcc, T* __restrict__ dk, T* __restrict__ dv, AttnParams p) {
  constexpr int DP = DMAX + 1;
  constexpr int DC = DMAX / 16;
  extern __shared__ float smem[];
  float* Ks = smem;
  float* Vs = Ks + BK * DP;
  float* Qs = Vs + BK * DP;
  float* dOs = Qs + BQ * DP;
  float* Ps = dOs + BQ * DP;   // [BQ][BK + 1], dropout applied
  float* dSs = Ps + BQ * (BK + 1);  // [BQ][BK + 1]
  float2* stS = reinterpret_cast<float2*>(dSs + BQ * (BK + 1));
  float* ddS = reinterpret_cast<float*>(stS + BQ);
  const int bh = blockIdx.y, b = bh / p.H, h = bh % p.H;
  const int k0 = blockIdx.x * BK;
  const int tx = threadIdx.x & 15, ty = threadIdx.x >> 4;
  const int64_t qOff = static_cast<int64_t>(bh) * p.Tq * p.D, kOff = static_cast<int64_t>(bh) * p.Tk * p.D;
  const T* qb = headRow(q, p.qs, b, h, 0);
  loadTile<T, DMAX, BK>(Ks, headRow(k, p.ks, b, h, 0), k0, p.Tk, p.D, p.ks[2]);
  loadTile<T, DMAX, BK>(Vs, headRow(v, p.vs, b, h, 0), k0, p.Tk, p.D, p.vs[2]);
  float dK[4][DC], dV[4][DC];
#pragma unroll
  for (int r = 0; r < 4; r++)
#pragma unroll
    for (int c = 0; c < DC; c++) dK[r][c] = dV[r][c] = 0.f;
  int qStart = 0;
  if (p.causal) qStart = max(0, k0 - p.shift) / BQ * BQ;
  for (int q0 = qStart; q0 < p.Tq; q0 += BQ) {
    __syncthreads();
    loadTile<T, DMAX, BQ>(Qs, qb, q0, p.Tq, p.D, p.qs[2]);
    loadTile<T, DMAX, BQ>(dOs, dout + qOff, q0, p.Tq, p.D, p.D);
    for (int r = threadIdx.x; r < BQ; r += kThreads) {
      const int i = q0 + r;
      stS[r] = i < p.Tq ? stats[static_cast<int64_t>(bh) * p.Tq + i] : make_float2(-INFINITY, 0.f);
      ddS[r] = i < p.Tq ? dd[static_cast<int64_t>(bh) * p.Tq + i] : 0.f;
    }
    __syncthreads();
    float s[4][4], dp[4][4];
#pragma unroll
    for (int r = 0; r < 4; r++)
#pragma unroll
      for (int c = 0; c < 4; c++) s[r][c] = dp[r][c] = 0.f;
    for (int d = 0; d < p.D; d++) {
      float qv[4], gv[4], kv[4], vv[4];
#pragma unroll
      for (int r = 0; r < 4; r++) {
        qv[r] = Qs[(ty + 16 * r) * DP + d];
        gv[r] = dOs[(ty + 16 * r) * DP + d];
      }
#pragma unroll
      for (int c = 0; c < 4; c++) {
        kv[c] = Ks[(tx + 16 * c) * DP + d];
        vv[c] = Vs[(tx + 16 * c) * DP + d];
      }
#pragma unroll
      for (int r = 0; r < 4; r++)
#pragma unroll
        for (int c = 0; c < 4; c++) {
          s[r][c] = fmaf(qv[r], kv[c], s[r][c]);
          dp[r][c] = fmaf(gv[r], vv[c], dp[r][c]);
        }
    }
#pragma unroll
    for (int r = 0; r < 4; r++) {
      const int li = ty + 16 * r, i = q0 + li;
      const float2 L = stS[li];
      const float Dd = ddS[li];
#pragma unroll
      for (int c = 0; c < 4; c++) {
        const int lj = tx + 16 * c, j = k0 + lj;
        const float sc = s[r][c] * p.scale + scoreAdd(p, b, h, i, j);
        const float pr = (L.x == -INFINITY || sc == -INFINITY) ? 0.f : __expf(sc - L.x - L.y);
        const float z = dropFactor(p, bh, i, j);
        Ps[li * (BK + 1) + lj] = pr * z;
        dSs[li * (BK + 1) + lj] = pr * (dp[r][c] * z - Dd) * p.scale;
      }
    }
    __syncthreads();
    for (int ii = 0; ii < BQ; ii++) {
      float pv[4], sv[4];
#pragma unroll
      for (int r = 0; r < 4; r++) {
        pv[r] = Ps[ii * (BK + 1) + ty + 16 * r];
        sv[r] = dSs[ii * (BK + 1) + ty + 16 * r];
      }
#pragma unroll
      for (int c = 0; c < DC; c++) {
        const float g = dOs[ii * DP + tx + 16 * c], qq = Qs[ii * DP + tx + 16 * c];
#pragma unroll
        for (int r = 0; r < 4; r++) {
          dV[r][c] = fmaf(pv[r], g, dV[r][c]);
          dK[r][c] = fmaf(sv[r], qq, dK[r][c]);
        }
      }
    }
    // dQ rows of this query tile: sum over this key tile, added into the float32 accumulator
#pragma unroll
    for (int r = 0; r < 4; r++) {
      const int li = ty + 16 * r, i = q0 + li;
      if (i >= p.Tq) continue;
      float accq[DC];
#pragma unroll
      for (int c = 0; c < DC; c++) accq[c] = 0.f;
      for (int jj = 0; jj < BK; jj++) {
        const float ds = dSs[li * (BK + 1) + jj];
#pragma unroll
        for (int c = 0; c < DC; c++) accq[c] = fmaf(ds, Ks[jj * DP + tx + 16 * c], accq[c]);
      }
#pragma unroll
      for (int c = 0; c < DC; c++) {
        const int d = tx + 16 * c;
        if (d < p.D) atomicAdd(dqAcc + qOff + static_cast<int64_t>(i) * p.D + d, accq[c]);
      }
    }
  }
#pragma unroll
  for (int r = 0; r < 4; r++) {
    const int j = k0 + ty + 16 * r;
    if (j >= p.Tk) continue;
#pragma unroll
    for (int c = 0; c < DC; c++) {
      const int d = tx + 16 * c;
      if (d < p.D) {
        dk[kOff + static_cast<int64_t>(j) * p.D + d] = fromF<T>(dK[r][c]);
        dv[kOff + static_cast<int64_t>(j) * p.D + d] = fromF<T>(dV[r][c]);
      }
    }
  }
}

/** The (pre-dropout) probabilities, (B, H, Tq, Tk) float32, from q, k and the saved logsumexp. */
template <typename T>
__global__ void attnProbsKernel(const T* __restrict__ q, const T* __restrict__ k, const float2* __restrict__ stats, float* __restrict__ probs, AttnParams p,
                                int64_t n) {
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < n; e += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int j = static_cast<int>(e % p.Tk);
    const int i = static_cast<int>((e / p.Tk) % p.Tq);
    const int bh = static_cast<int>(e / (static_cast<int64_t>(p.Tk) * p.Tq));
    const float2 L = stats[static_cast<int64_t>(bh) * p.Tq + i];
    const float add = scoreAdd(p, bh / p.H, bh % p.H, i, j);
    if (L.x == -INFINITY || add == -INFINITY) {
      probs[e] = 0.f;
      continue;
    }
    const T* qr = headRow(q, p.qs, bh / p.H, bh % p.H, i);
    const T* kr = headRow(k, p.ks, bh / p.H, bh % p.H, j);
    float s = 0.f;
    for (int d = 0; d < p.D; d++) s = fmaf(toF<T>(qr[d]), toF<T>(kr[d]), s);
    probs[e] = __expf(s * p.scale + add - L.x - L.y);
  }
}

template <typename T>
__global__ void castFromF32Kernel(const float* __restrict__ x, T* __restrict__ y, int64_t n) {
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += static_cast<int64_t>(gridDim.x) * blockDim.x) y[i] = fromF<T>(x[i]);
}

/** dq as (B, T, H, D) rows from the float32 accumulator in (B, H, T, D) order (heads merged for the projection's gradient). */
template <typename T>
__global__ void castPermuteF32Kernel(const float* __restrict__ x, T* __restrict__ y, int H, int T_, int D, int64_t rowStride, int64_t n) {
  // rowStride: elements between consecutive (b, t) rows of y (H * D, or 3 * H * D inside a packed q/k/v gradient)
  for (int64_t o = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; o < n; o += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int d = static_cast<int>(o % D);
    int64_t r = o / D;
    const int h = static_cast<int>(r % H);
    r /= H;
    y[r * rowStride + h * D + d] = fromF<T>(x[((r / T_ * H + h) * T_ + r % T_) * D + d]);
  }
}

template <int DMAX>
size_t fwdSmem() { return (BQ * (DMAX + 1) + 2 * BK * (DMAX + 1) + BQ * (BK + 1)) * sizeof(float); }
template <int DMAX>
size_t bwdSmem() { return (2 * BK * (DMAX + 1) + 2 * BQ * (DMAX + 1) + 2 * BQ * (BK + 1) + 3 * BQ) * sizeof(float); }

template <typename T, int DMAX>
void launchFwd(Context& c, const T* q, const T* k, const T* v, T* out, float2* lse, const AttnParams& p) {
  const size_t smem = fwdSmem<DMAX>();
  static bool configured[64] = {};
  if (!configured[c.device]) {
    check(cudaFuncSetAttribute(attnFwdKernel<T, DMAX>, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem)),
          "cudaFuncSetAttribute (attention_fwd)");
    configured[c.device] = true;
  }
  const dim3 grid(static_cast<unsigned>((p.Tq + BQ - 1) / BQ), static_cast<unsigned>(p.B * p.H));
  attnFwdKernel<T, DMAX><<<grid, kThreads, smem, c.stream>>>(q, k, v, out, lse, p);
  afterLaunch(std::is_same_v<T, float> ? "attention_fwd_f32" : std::is_same_v<T, __nv_bfloat16> ? "attention_fwd_bf16" : "attention_fwd_f16");
}

template <typename T, int DMAX>
void launchBwd(Context& c, const T* q, const T* k, const T* v, const T* dout, const float2* lse, const float* dd, float* dqAcc, T* dk, T* dv,
               const AttnParams& p) {
  const size_t smem = bwdSmem<DMAX>();
  static bool configured[64] = {};
  if (!configured[c.device]) {
    check(cudaFuncSetAttribute(attnBwdKernel<T, DMAX>, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem)),
          "cudaFuncSetAttribute (attention_bwd)");
    configured[c.device] = true;
  }
  const dim3 grid(static_cast<unsigned>((p.Tk + BK - 1) / BK), static_cast<unsigned>(p.B * p.H));
  attnBwdKernel<T, DMAX><<<grid, kThreads, smem, c.stream>>>(q, k, v, dout, lse, dd, dqAcc, dk, dv, p);
  afterLaunch(std::is_same_v<T, float> ? "attention_bwd_f32" : std::is_same_v<T, __nv_bfloat16> ? "attention_bwd_bf16" : "attention_bwd_f16");
}

/** True when environment variable `name` is set to `value` (the diagnostic switches below read it once). */
bool envIs(const char* name, const char* value) {
  const char* e = std::getenv(name);
  return e && std::string(e) == value;
}

/** The tensor-core kernels run for bf16/f16 unless TESSERA_CUDA_ATTENTION=simt (for comparisons). */
bool useTensorCores() {
  static const bool on = !envIs("TESSERA_CUDA_ATTENTION", "simt");
  return on;
}

/** Diagnostics: TESSERA_CUDA_ATTENTION_FAST=0 turns off the keep bits and the per-column mask path (A/B timing). */
bool attnFastPaths() {
  static const bool on = !envIs("TESSERA_CUDA_ATTENTION_FAST", "0");
  return on;
}

TcParams tcParams(const AttnParams& p) {
  TcParams t{};
  t.B = p.B;
  t.H = p.H;
  t.Tq = p.Tq;
  t.Tk = p.Tk;
  t.scale = p.scale;
  t.causal = p.causal;
  t.shift = p.shift;
  t.dropP = p.dropP;
  t.dropScale = p.dropScale;
  t.seed = p.seed;
  t.offset = p.offset;
  t.mask = p.mask;
  t.mb = p.mb;
  t.mh = p.mh;
  t.mi = p.mi;
  t.mj = p.mj;
  t.colMask = p.mask && p.mi == 0 && attnFastPaths();
  t.gs[0] = static_cast<int64_t>(p.H) * p.Tk * p.D;  // dk / dv contiguous (B, H, Tk, D) unless the caller asks otherwise
  t.gs[1] = static_cast<int64_t>(p.Tk) * p.D;
  t.gs[2] = p.D;
  for (int i = 0; i < 3; i++) {
    t.qs[i] = p.qs[i];
    t.ks[i] = p.ks[i];
    t.vs[i] = p.vs[i];
    t.os[i] = p.os[i];
  }
  return t;
}

/** (b, h, t) strides of a contiguous (B, H, T, D) tensor. */
void contiguousStrides(int64_t* s, int H, int T, int D) {
  s[0] = static_cast<int64_t>(H) * T * D;
  s[1] = static_cast<int64_t>(T) * D;
  s[2] = D;
}

/**
 * The (b, h, t) strides of the q, k or v view at argument i (null: contiguous) into s; returns its element
 * offset. The view must be (B, H, T, D) with unit stride along D and stay inside its storage.
 */
int64_t viewStrides(tcuda::napi::CallArgs& a, size_t i, const Buffer* buf, const char* what, const AttnParams& p, int T, int64_t* s) {
  if (i >= a.count() || a.isNullish(i)) {
    contiguousStrides(s, p.H, T, p.D);
    const int64_t need = static_cast<int64_t>(p.B) * p.H * T * p.D;
    if (buf->length < need) throw OpError(std::string("attention: ") + what + " has " + std::to_string(buf->length) + " elements, the shape needs " + std::to_string(need));
    return 0;
  }
  const HostLayout l = a.layout(i);
  if (l.nd != 4 || l.shape[0] != p.B || l.shape[1] != p.H || l.shape[2] != T || l.shape[3] != p.D) {
    throw OpError(std::string("attention: the ") + what + " view " + l.shapeString() + " is not (B, H, T, D)");
  }
  if (p.D > 1 && l.strides[3] != 1) throw OpError(std::string("attention: the ") + what + " view needs unit stride along the head dim");
  napi::checkLayout("attention", buf, l);
  for (int d = 0; d < 3; d++) s[d] = l.strides[d];
  return l.offset;
}

/** The output strides: (B, H, Tq, D) or, for bthd, (B, Tq, H, D) contiguous. */
void outStrides(AttnParams& p, bool bthd) {
  if (!bthd) return contiguousStrides(p.os, p.H, p.Tq, p.D);
  p.os[0] = static_cast<int64_t>(p.Tq) * p.H * p.D;
  p.os[1] = p.D;
  p.os[2] = static_cast<int64_t>(p.H) * p.D;
}

/** True when every view offset and (b, h, t) stride is a multiple of `elems` (16-byte loads in the tensor-core kernels). */
bool viewsAligned(const AttnParams& p, const int64_t* offsets, int nOffsets, int64_t elems) {
  for (int i = 0; i < nOffsets; i++)
    if (offsets[i] % elems) return false;
  for (int d = 0; d < 3; d++)
    if (p.qs[d] % elems || p.ks[d] % elems || p.vs[d] % elems || p.os[d] % elems) return false;
  return true;
}

template <typename T, int D, bool DROP, bool MASK>
void launchTcFwdAs(Context& c, const T* q, const T* k, const T* v, T* out, float2* st, const TcParams& p) {
  using S = TcFwdShape<D>;
  static bool configured[64] = {};
  if (!configured[c.device]) {
    check(cudaFuncSetAttribute(attnFwdTcKernel<T, D, DROP, MASK>, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(S::smem)),
          "cudaFuncSetAttribute (attention_fwd_tc)");
    configured[c.device] = true;
  }
  // (b, h) along x, query blocks along y: a causal launch issues every head's longest blocks first
  const dim3 grid(static_cast<unsigned>(p.B * p.H), static_cast<unsigned>((p.Tq + S::BQ - 1) / S::BQ));
  attnFwdTcKernel<T, D, DROP, MASK><<<grid, TC_THREADS, S::smem, c.stream>>>(q, k, v, out, st, p);
}

template <typename T, int D>
void launchTcFwd(Context& c, const T* q, const T* k, const T* v, T* out, float2* st, const TcParams& p) {
  const bool drop = p.dropP > 0.f, mask = p.mask != nullptr;
  if (drop) (mask ? launchTcFwdAs<T, D, true, true> : launchTcFwdAs<T, D, true, false>)(c, q, k, v, out, st, p);
  else (mask ? launchTcFwdAs<T, D, false, true> : launchTcFwdAs<T, D, false, false>)(c, q, k, v, out, st, p);
  afterLaunch(std::is_same_v<T, __nv_bfloat16> ? "attention_fwd_tc_bf16" : "attention_fwd_tc_f16");
}

template <typename T, int D, bool BITS, bool COLMASK>
void launchTcBwdAs(Context& c, dim3 grid, const T* q, const T* k, const T* v, const T* dout, const float2* st, const float* dd, float* dqAcc, T* dk,
                   T* dv, const TcParams& p) {
  constexpr size_t smem = tcBwdSmem<D>();
  static bool configured[64] = {};
  if (!configured[c.device]) {
    check(cudaFuncSetAttribute(attnBwdTcKernel<T, D, BITS, COLMASK>, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem)),
          "cudaFuncSetAttribute (attention_bwd_tc)");
    configured[c.device] = true;
  }
  attnBwdTcKernel<T, D, BITS, COLMASK><<<grid, TC_THREADS, smem, c.stream>>>(q, k, v, dout, st, dd, dqAcc, dk, dv, p);
}

template <typename T, int D>
void launchTcBwd(Context& c, dim3 grid, const T* q, const T* k, const T* v, const T* dout, const float2* st, const float* dd, float* dqAcc, T* dk,
                 T* dv, const TcParams& p) {
  // the dropout mask from the forward's keep bits when it kept them; a mask that is constant along the
  // query dim (key padding, stride 0 there) is read once per key column
  const bool bits = p.keepBits && p.dropP > 0.f, colMask = p.colMask;
  if (bits) (colMask ? launchTcBwdAs<T, D, true, true> : launchTcBwdAs<T, D, true, false>)(c, grid, q, k, v, dout, st, dd, dqAcc, dk, dv, p);
  else (colMask ? launchTcBwdAs<T, D, false, true> : launchTcBwdAs<T, D, false, false>)(c, grid, q, k, v, dout, st, dd, dqAcc, dk, dv, p);
  afterLaunch(std::is_same_v<T, __nv_bfloat16> ? "attention_bwd_tc_bf16" : "attention_bwd_tc_f16");
}

template <int D>
void launchTf32Bwd(Context& c, dim3 grid, const float* q, const float* k, const float* v, const float* dout, const float2* st, const float* dd,
                   float* dqAcc, float* dk, float* dv, const TcParams& p) {
  constexpr size_t smem = tf32BwdSmem<D>();
  static bool configured[64] = {};
  if (!configured[c.device]) {
    check(cudaFuncSetAttribute(attnBwdTf32Kernel<D>, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem)),
          "cudaFuncSetAttribute (attention_bwd_tf32)");
    configured[c.device] = true;
  }
  attnBwdTf32Kernel<D><<<grid, TC_THREADS, smem, c.stream>>>(q, k, v, dout, st, dd, dqAcc, dk, dv, p);
  afterLaunch("attention_bwd_tf32");
}

/** 64-bit keep-bit words of an attention: one per (b, h), 64-key tile and query row (rows padded to even). */
int64_t keepBitsWords(const AttnParams& p) {
  return static_cast<int64_t>(p.B) * p.H * ((p.Tk + 63) / 64) * ((p.Tq + 1) & ~1);
}

/** With dropout: a buffer for the forward's keep bits, held by `owner`; null without dropout. */
uint2* allocKeepBits(int device, const AttnParams& p, napi::Owned& owner) {
  if (p.dropP <= 0.f || !attnFastPaths()) return nullptr;
  owner.reset(allocBuffer(device, DType::I32, 2 * keepBitsWords(p), false));
  return reinterpret_cast<uint2*>(owner->data);
}

/** Reads the arguments shared by forward and backward: shape, mask, causal, scale, dropout. */
AttnParams params(tcuda::napi::CallArgs& a, size_t shapeAt, size_t maskAt, const Buffer* q) {
  AttnParams p{};
  p.B = static_cast<int>(a.integer(shapeAt));
  p.H = static_cast<int>(a.integer(shapeAt + 1));
  p.Tq = static_cast<int>(a.integer(shapeAt + 2));
  p.Tk = static_cast<int>(a.integer(shapeAt + 3));
  p.D = static_cast<int>(a.integer(shapeAt + 4));
  p.shift = p.Tk - p.Tq;
  Buffer* mask = a.bufferOrNull(maskAt);
  if (mask) {
    if (mask->dtype != DType::F32) throw OpError("attention: the additive mask must be float32");
    const HostLayout ml = a.layout(maskAt + 1);
    if (ml.nd != 4) throw OpError("attention: the mask layout must be (B, H, Tq, Tk)");
    napi::checkLayout("attention mask", mask, ml);
    p.mask = mask->as<float>() + ml.offset;
    p.mb = ml.strides[0];
    p.mh = ml.strides[1];
    p.mi = ml.strides[2];
    p.mj = ml.strides[3];
  }
  p.causal = a.boolean(maskAt + 2) ? 1 : 0;
  p.scale = static_cast<float>(a.number(maskAt + 3));
  p.dropP = static_cast<float>(a.number(maskAt + 4));
  p.dropScale = p.dropP < 1.f ? 1.f / (1.f - p.dropP) : 0.f;
  (void)q;
  if (p.D > 128) throw OpError("attention: head dim " + std::to_string(p.D) + " is above the fused kernel's 128");
  return p;
}

}  // namespace

}  // namespace tcuda

using namespace tcuda;
using tcuda::napi::Owned;

// attention(q, k, v, B, H, Tq, Tk, D, mask | null, maskLayout | null, causal, scale, dropoutP,
//           qLayout | null, kLayout | null, vLayout | null, outBthd, tf32, forBackward)
//   -> [out, lse, seedLo, seedHi, offsetLo, offsetHi, keepBits | null]
// q, k, v are (B, H, T, D) views at any (b, h, t) strides (null: contiguous); the output is (B, H, Tq, D),
// or (B, Tq, H, D) when outBthd. tf32: float32 inputs may run on TF32 tensor cores. forBackward: a backward
// will run; with dropout on the tensor-core path the forward then also returns the dropout keep bits (one bit
// per probability, see TcParams::keepBits), which the backward reads instead of drawing the mask again.
TCUDA_FN(attention) {
  Buffer* q = a.buffer(0);
  Buffer* k = a.buffer(1);
  Buffer* v = a.buffer(2);
  AttnParams p = params(a, 3, 8, q);
  if (k->dtype != q->dtype || v->dtype != q->dtype) throw OpError("attention: q, k and v must have one dtype");
  int64_t offs[3];
  offs[0] = viewStrides(a, 13, q, "q", p, p.Tq, p.qs);
  offs[1] = viewStrides(a, 14, k, "k", p, p.Tk, p.ks);
  offs[2] = viewStrides(a, 15, v, "v", p, p.Tk, p.vs);
  outStrides(p, a.count() > 16 && !a.isNullish(16) && a.boolean(16));
  const bool tf32 = a.count() > 17 && !a.isNullish(17) && a.boolean(17);
  const bool forBackward = a.count() > 18 && !a.isNullish(18) && a.boolean(18);
  Context& c = useDevice(q->device);
  const int64_t outN = static_cast<int64_t>(p.B) * p.H * p.Tq * p.D;
  Owned bits;
  Owned out(allocBuffer(q->device, q->dtype, outN, false));
  // per row: (max, log of the sum) as a float2
  Owned lse(allocBuffer(q->device, DType::F32, 2 * static_cast<int64_t>(p.B) * p.H * p.Tq, false));
  if (p.dropP > 0.f) {
    p.seed = c.seed;
    p.offset = reserveRandom(c, (static_cast<uint64_t>(p.B) * p.H * p.Tq * p.Tk + 3) / 4);
  }
  if (outN > 0) {
    float2* st = reinterpret_cast<float2*>(lse->data);
    dispatchFloat(q->dtype, "attention", [&](auto tag) {
      using T = decltype(tag);
      const T* qp = q->as<T>() + offs[0];
      const T* kp = k->as<T>() + offs[1];
      const T* vp = v->as<T>() + offs[2];
      const dim3 grid(static_cast<unsigned>((p.Tq + TC_BQ - 1) / TC_BQ), static_cast<unsigned>(p.B * p.H));
      if constexpr (!std::is_same_v<T, float>) {
        if (useTensorCores() && (p.D == 32 || p.D == 64 || p.D == 128) && viewsAligned(p, offs, 3, 8)) {
          TcParams tp = tcParams(p);
          if (forBackward && p.D <= 64) tp.keepBits = allocKeepBits(q->device, p, bits);
          if (p.D == 32) launchTcFwd<T, 32>(c, qp, kp, vp, out->as<T>(), st, tp);
          else if (p.D == 64) launchTcFwd<T, 64>(c, qp, kp, vp, out->as<T>(), st, tp);
          else launchTcFwd<T, 128>(c, qp, kp, vp, out->as<T>(), st, tp);
          return;
        }
      } else {
        if (tf32 && useTensorCores() && (p.D == 32 || p.D == 64) && viewsAligned(p, offs, 3, 4)) {
          TcParams tp = tcParams(p);
          if (forBackward) tp.keepBits = allocKeepBits(q->device, p, bits);
          const bool drop = p.dropP > 0.f;
          if (p.D == 32) (drop ? attnFwdTf32Kernel<32, true> : attnFwdTf32Kernel<32, false>)<<<grid, TC_THREADS, 0, c.stream>>>(qp, kp, vp, out->as<float>(), st, tp);
          else (drop ? attnFwdTf32Kernel<64, true> : attnFwdTf32Kernel<64, false>)<<<grid, TC_THREADS, 0, c.stream>>>(qp, kp, vp, out->as<float>(), st, tp);
          afterLaunch("attention_fwd_tf32");
          return;
        }
      }
      if (p.D <= 32) launchFwd<T, 32>(c, qp, kp, vp, out->as<T>(), st, p);
      else if (p.D <= 64) launchFwd<T, 64>(c, qp, kp, vp, out->as<T>(), st, p);
      else launchFwd<T, 128>(c, qp, kp, vp, out->as<T>(), st, p);
    });
  }
  return napi::makeArray(a.env, {napi::wrapOwned(a.env, out), napi::wrapOwned(a.env, lse),
                                 napi::makeNumber(a.env, static_cast<double>(p.seed & 0xffffffffu)), napi::makeNumber(a.env, static_cast<double>(p.seed >> 32)),
                                 napi::makeNumber(a.env, static_cast<double>(p.offset & 0xffffffffu)),
                                 napi::makeNumber(a.env, static_cast<double>(p.offset >> 32)),
                                 bits ? napi::wrapOwned(a.env, bits) : napi::makeNull(a.env)});
}

// attentionBackward(q, k, v, out, lse, dout, B, H, Tq, Tk, D, mask | null, maskLayout | null, causal, scale, dropoutP,
//                   seedLo, seedHi, offsetLo, offsetHi, qLayout | null, kLayout | null, vLayout | null, outBthd, tf32,
//                   keepBits | null, gradLayout) -> [dq, dk, dv, layout]
// q, k, v and out as the forward read and wrote them; dout is (B, H, Tq, D) contiguous. gradLayout asks for the
// order of the gradients: 0, (B, H, T, D) contiguous each; 1, (B, T, H, D) each (heads merged); 2, one
// (B, T, 3, H, D) buffer holding dq, dk and dv side by side (the gradient of a fused q/k/v projection; self-
// attention only), returned as dq with dk and dv null. Only the half-precision tensor-core backward writes 1
// and 2; layout says which order was used.
// tf32: float32 inputs may run on TF32 tensor cores. keepBits: the forward's dropout keep bits (null: the
// mask is drawn again from the same Philox stream; the two give the same mask).
TCUDA_FN(attentionBackward) {
  Buffer* q = a.buffer(0);
  Buffer* k = a.buffer(1);
  Buffer* v = a.buffer(2);
  Buffer* out = a.buffer(3);
  Buffer* lse = a.buffer(4);
  Buffer* dout = a.buffer(5);
  AttnParams p = params(a, 6, 11, q);
  p.seed = (static_cast<uint64_t>(a.number(17)) << 32) | static_cast<uint64_t>(a.number(16));
  p.offset = (static_cast<uint64_t>(a.number(19)) << 32) | static_cast<uint64_t>(a.number(18));
  if (k->dtype != q->dtype || v->dtype != q->dtype || out->dtype != q->dtype || dout->dtype != q->dtype) {
    throw OpError("attentionBackward: q, k, v, out and dout must have one dtype");
  }
  int64_t offs[3];
  offs[0] = viewStrides(a, 20, q, "q", p, p.Tq, p.qs);
  offs[1] = viewStrides(a, 21, k, "k", p, p.Tk, p.ks);
  offs[2] = viewStrides(a, 22, v, "v", p, p.Tk, p.vs);
  outStrides(p, a.count() > 23 && !a.isNullish(23) && a.boolean(23));
  const bool tf32 = a.count() > 24 && !a.isNullish(24) && a.boolean(24);
  Buffer* bits = a.count() > 25 ? a.bufferOrNull(25) : nullptr;
  const int64_t wantLayout = a.count() > 26 && !a.isNullish(26) ? a.integer(26) : 0;
  if (bits && (p.dropP <= 0.f || bits->bytes < static_cast<size_t>(keepBitsWords(p)) * sizeof(uint2))) {
    throw OpError("attentionBackward: the keep bits do not match this attention's shape and dropout");
  }
  Context& c = useDevice(q->device);
  const int64_t rows = static_cast<int64_t>(p.B) * p.H * p.Tq;
  const int64_t qn = rows * p.D, kn = static_cast<int64_t>(p.B) * p.H * p.Tk * p.D;
  const int64_t HD = static_cast<int64_t>(p.H) * p.D;
  const bool half = q->dtype != DType::F32;
  const bool tcHalf = half && useTensorCores() && (p.D == 32 || p.D == 64) && viewsAligned(p, offs, 3, 8);
  const int layout = !tcHalf ? 0 : wantLayout == 2 && p.Tq == p.Tk ? 2 : wantLayout >= 1 ? 1 : 0;
  Owned dqAcc(allocBuffer(q->device, DType::F32, qn, true));
  Owned dq, dk, dv;
  if (layout == 2) {
    dq.reset(allocBuffer(q->device, q->dtype, 3 * qn, false));
  } else {
    dk.reset(allocBuffer(q->device, q->dtype, kn, false));
    dv.reset(allocBuffer(q->device, q->dtype, kn, false));
    if (half) dq.reset(allocBuffer(q->device, q->dtype, qn, false));
  }
  if (qn > 0 && kn > 0) {
    Scratch dd(q->device, rows * sizeof(float));
    dispatchFloat(q->dtype, "attentionBackward", [&](auto tag) {
      using T = decltype(tag);
      attnRowDotKernel<T><<<static_cast<unsigned>((rows + 7) / 8), 256, 0, c.stream>>>(dout->as<T>(), out->as<T>(), dd.as<float>(), rows, p);
      afterLaunch("attention_row_dot");
      const float2* st = reinterpret_cast<const float2*>(lse->data);
      const T* qp = q->as<T>() + offs[0];
      const T* kp = k->as<T>() + offs[1];
      const T* vp = v->as<T>() + offs[2];
      T* dkp = layout == 2 ? dq->as<T>() + HD : dk->as<T>();
      T* dvp = layout == 2 ? dq->as<T>() + 2 * HD : dv->as<T>();
      const dim3 tcGrid(static_cast<unsigned>((p.Tk + TC_BK - 1) / TC_BK), static_cast<unsigned>(p.B * p.H));
      bool done = false;
      if constexpr (!std::is_same_v<T, float>) {
        if (tcHalf) {
          TcParams tp = tcParams(p);
          if (bits) tp.keepBits = reinterpret_cast<uint2*>(bits->data);
          if (layout > 0) {
            const int64_t row = layout == 2 ? 3 * HD : HD;  // between consecutive tokens of dk / dv
            tp.gs[0] = row * p.Tk;
            tp.gs[1] = p.D;
            tp.gs[2] = row;
          }
          if (p.D == 32) launchTcBwd<T, 32>(c, tcGrid, qp, kp, vp, dout->as<T>(), st, dd.as<float>(), dqAcc->as<float>(), dkp, dvp, tp);
          else launchTcBwd<T, 64>(c, tcGrid, qp, kp, vp, dout->as<T>(), st, dd.as<float>(), dqAcc->as<float>(), dkp, dvp, tp);
          done = true;
        }
      } else {
        if (tf32 && useTensorCores() && (p.D == 32 || p.D == 64) && viewsAligned(p, offs, 3, 4)) {
          TcParams tp = tcParams(p);
          if (bits) tp.keepBits = reinterpret_cast<uint2*>(bits->data);
          if (p.D == 32) launchTf32Bwd<32>(c, tcGrid, qp, kp, vp, dout->as<float>(), st, dd.as<float>(), dqAcc->as<float>(), dkp, dvp, tp);
          else launchTf32Bwd<64>(c, tcGrid, qp, kp, vp, dout->as<float>(), st, dd.as<float>(), dqAcc->as<float>(), dkp, dvp, tp);
          done = true;
        }
      }
      if (!done) {
        if (p.D <= 32) launchBwd<T, 32>(c, qp, kp, vp, dout->as<T>(), st, dd.as<float>(), dqAcc->as<float>(), dkp, dvp, p);
        else if (p.D <= 64) launchBwd<T, 64>(c, qp, kp, vp, dout->as<T>(), st, dd.as<float>(), dqAcc->as<float>(), dkp, dvp, p);
        else launchBwd<T, 128>(c, qp, kp, vp, dout->as<T>(), st, dd.as<float>(), dqAcc->as<float>(), dkp, dvp, p);
      }
      if constexpr (!std::is_same_v<T, float>) {
        if (layout > 0) {
          castPermuteF32Kernel<T><<<blocksFor(qn, 256), 256, 0, c.stream>>>(dqAcc->as<float>(), dq->as<T>(), p.H, p.Tq, p.D, layout == 2 ? 3 * HD : HD, qn);
        } else {
          castFromF32Kernel<T><<<blocksFor(qn, 256), 256, 0, c.stream>>>(dqAcc->as<float>(), dq->as<T>(), qn);
        }
        afterLaunch("attention_dq_cast");
      }
    });
  } else {
    // no queries or no keys: zero gradients (layout 2 needs Tq == Tk, so it has nothing to zero)
    for (Owned* g : {&dq, &dk, &dv})
      if (*g && (*g)->bytes > 0) check(cudaMemsetAsync((*g)->data, 0, (*g)->bytes, c.stream), "cudaMemsetAsync");
  }
  napi_value dqv = half ? napi::wrapOwned(a.env, dq) : napi::wrapOwned(a.env, dqAcc);
  if (layout == 2) return napi::makeArray(a.env, {dqv, napi::makeNull(a.env), napi::makeNull(a.env), napi::makeNumber(a.env, 2)});
  return napi::makeArray(a.env, {dqv, napi::wrapOwned(a.env, dk), napi::wrapOwned(a.env, dv), napi::makeNumber(a.env, layout)});
}

// attentionProbs(q, k, lse, B, H, Tq, Tk, D, mask | null, maskLayout | null, causal, scale, qLayout | null, kLayout | null)
//   -> float32 (B, H, Tq, Tk)
TCUDA_FN(attentionProbs) {
  Buffer* q = a.buffer(0);
  Buffer* k = a.buffer(1);
  Buffer* lse = a.buffer(2);
  AttnParams p{};
  p.B = static_cast<int>(a.integer(3));
  p.H = static_cast<int>(a.integer(4));
  p.Tq = static_cast<int>(a.integer(5));
  p.Tk = static_cast<int>(a.integer(6));
  p.D = static_cast<int>(a.integer(7));
  p.shift = p.Tk - p.Tq;
  Buffer* mask = a.bufferOrNull(8);
  if (mask) {
    const HostLayout ml = a.layout(9);
    napi::checkLayout("attention mask", mask, ml);
    p.mask = mask->as<float>() + ml.offset;
    p.mb = ml.strides[0];
    p.mh = ml.strides[1];
    p.mi = ml.strides[2];
    p.mj = ml.strides[3];
  }
  p.causal = a.boolean(10) ? 1 : 0;
  p.scale = static_cast<float>(a.number(11));
  const int64_t qOff = viewStrides(a, 12, q, "q", p, p.Tq, p.qs);
  const int64_t kOff = viewStrides(a, 13, k, "k", p, p.Tk, p.ks);
  Context& c = useDevice(q->device);
  const int64_t n = static_cast<int64_t>(p.B) * p.H * p.Tq * p.Tk;
  Owned probs(allocBuffer(q->device, DType::F32, n, false));
  if (n > 0) {
    dispatchFloat(q->dtype, "attention", [&](auto tag) {
      using T = decltype(tag);
      attnProbsKernel<T><<<blocksFor(n, 256), 256, 0, c.stream>>>(q->as<T>() + qOff, k->as<T>() + kOff, reinterpret_cast<const float2*>(lse->data), probs->as<float>(), p, n);
      afterLaunch("attention_probs");
    });
  }
  return napi::wrapOwned(a.env, probs);
}
