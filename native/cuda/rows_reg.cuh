// Register-resident row kernels for float32 softmax / log-softmax and layer norm, forward and backward, for
// rows of up to 8192 elements: each row is read from memory once into registers (16-byte loads where the row
// length is a multiple of 4 and the pointers are aligned), reduced there (two passes in registers for the
// variance) and written once. NT threads own a row: a warp for rows up to 1024 elements (8 rows per block),
// the whole 256-thread block above. The layer-norm backward walks rows grid-stride and keeps its dweight /
// dbias column sums in registers, then writes one partial row per block (no atomics; fixed order).
#pragma once

#include <cstdint>
#include <type_traits>

namespace tcuda {
namespace rowreg {

constexpr int kBlock = 256;  // threads per block in every kernel here

__device__ __forceinline__ float warpSum(float v) {
  for (int d = 16; d > 0; d >>= 1) v += __shfl_xor_sync(0xffffffffu, v, d);
  return v;
}
__device__ __forceinline__ float warpMax(float v) {
  for (int d = 16; d > 0; d >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, d));
  return v;
}

/** Sum over the NT threads of a row (fixed order; NT = 256 goes through shared memory, every thread calls it). */
template <int NT>
__device__ __forceinline__ float rowSum(float v, float* sh) {
  v = warpSum(v);
  if constexpr (NT == 32) {
    return v;
  } else {
    const int w = threadIdx.x >> 5, lane = threadIdx.x & 31;
    __syncthreads();
    if (lane == 0) sh[w] = v;
    __syncthreads();
    return warpSum(lane < NT / 32 ? sh[lane] : 0.f);
  }
}
template <int NT>
__device__ __forceinline__ float rowMax(float v, float* sh) {
  v = warpMax(v);
  if constexpr (NT == 32) {
    return v;
  } else {
    const int w = threadIdx.x >> 5, lane = threadIdx.x & 31;
    __syncthreads();
    if (lane == 0) sh[w] = v;
    __syncthreads();
    return warpMax(lane < NT / 32 ? sh[lane] : -INFINITY);
  }
}

/**
 * Column of a thread's register element e: with VEC, group e / 4 is the float4 at column ((e / 4) NT + t) 4;
 * without, element e is column e NT + t (coalesced scalar loads). When VEC the row length is a multiple of 4, so a
 * group lies wholly inside or wholly outside the row.
 */
template <int NT, bool VEC>
__device__ __forceinline__ int colOf(int e, int t) {
  return VEC ? ((e >> 2) * NT + t) * 4 + (e & 3) : e * NT + t;
}

/** Loads the thread's 4V elements of a row (`fill` past its end). */
template <int NT, int V, bool VEC>
__device__ __forceinline__ void loadRow(float* r, const float* __restrict__ p, int t, int n, float fill) {
#pragma unroll
  for (int i = 0; i < V; i++) {
    if constexpr (VEC) {
      const int c = (i * NT + t) * 4;
      const float4 v = c < n ? *reinterpret_cast<const float4*>(p + c) : make_float4(fill, fill, fill, fill);
      r[4 * i] = v.x;
      r[4 * i + 1] = v.y;
      r[4 * i + 2] = v.z;
      r[4 * i + 3] = v.w;
    } else {
#pragma unroll
      for (int k = 0; k < 4; k++) {
        const int c = (4 * i + k) * NT + t;
        r[4 * i + k] = c < n ? p[c] : fill;
      }
    }
  }
}

/** Loads group i (elements 4i..4i+3) of the thread's slice of a row; `fill` past the end. */
template <int NT, bool VEC>
__device__ __forceinline__ float4 loadGroup(const float* __restrict__ p, int i, int t, int n, float fill) {
  if constexpr (VEC) {
    const int c = (i * NT + t) * 4;
    return c < n ? *reinterpret_cast<const float4*>(p + c) : make_float4(fill, fill, fill, fill);
  } else {
    float f[4];
#pragma unroll
    for (int k = 0; k < 4; k++) {
      const int c = (4 * i + k) * NT + t;
      f[k] = c < n ? p[c] : fill;
    }
    return make_float4(f[0], f[1], f[2], f[3]);
  }
}

template <int NT, int V, bool VEC>
__device__ __forceinline__ void storeRow(float* __restrict__ p, const float* r, int t, int n) {
#pragma unroll
  for (int i = 0; i < V; i++) {
    if constexpr (VEC) {
      const int c = (i * NT + t) * 4;
      if (c < n) *reinterpret_cast<float4*>(p + c) = make_float4(r[4 * i], r[4 * i + 1], r[4 * i + 2], r[4 * i + 3]);
    } else {
#pragma unroll
      for (int k = 0; k < 4; k++) {
        const int c = (4 * i + k) * NT + t;
        if (c < n) p[c] = r[4 * i + k];
      }
    }
  }
}

template <int NT, int V, bool VEC>
__global__ void __launch_bounds__(kBlock) softmaxKernel(const float* __restrict__ x, float* __restrict__ y, int64_t rows, int n, int log) {
  __shared__ float sh[32];
  constexpr int E = 4 * V;
  const int t = threadIdx.x % NT;
  const int64_t r = static_cast<int64_t>(blockIdx.x) * (kBlock / NT) + threadIdx.x / NT;
  if (r >= rows) return;  // NT = 256: one row per block, never taken
  float v[E];
  loadRow<NT, V, VEC>(v, x + r * n, t, n, -INFINITY);
  float m = -INFINITY;
#pragma unroll
  for (int e = 0; e < E; e++) m = fmaxf(m, v[e]);
  m = rowMax<NT>(m, sh);
  float* yr = y + r * n;
  if (m == -INFINITY) {
#pragma unroll
    for (int e = 0; e < E; e++) v[e] = log ? -INFINITY : 0.f;
    storeRow<NT, V, VEC>(yr, v, t, n);
    return;
  }
  float s = 0.f;
  if (log) {
#pragma unroll
    for (int e = 0; e < E; e++) s += __expf(v[e] - m);
    const float lse = m + logf(rowSum<NT>(s, sh));
#pragma unroll
    for (int e = 0; e < E; e++) v[e] -= lse;
  } else {
#pragma unroll
    for (int e = 0; e < E; e++) {
      v[e] = __expf(v[e] - m);
      s += v[e];
    }
    const float inv = 1.f / rowSum<NT>(s, sh);
#pragma unroll
    for (int e = 0; e < E; e++) v[e] *= inv;
  }
  storeRow<NT, V, VEC>(yr, v, t, n);
}

template <int NT, int V, bool VEC>
__global__ void __launch_bounds__(kBlock) softmaxBackwardKernel(const float* __restrict__ y, const float* __restrict__ dy, float* __restrict__ dx,
                                                                int64_t rows, int n, int log) {
  __shared__ float sh[32];
  constexpr int E = 4 * V;
  const int t = threadIdx.x % NT;
  const int64_t r = static_cast<int64_t>(blockIdx.x) * (kBlock / NT) + threadIdx.x / NT;
  if (r >= rows) return;
  float yv[E], gv[E];
  loadRow<NT, V, VEC>(yv, y + r * n, t, n, 0.f);
  loadRow<NT, V, VEC>(gv, dy + r * n, t, n, 0.f);
  float s = 0.f;
  if (log) {
#pragma unroll
    for (int e = 0; e < E; e++) s += gv[e];
    s = rowSum<NT>(s, sh);
#pragma unroll
    for (int e = 0; e < E; e++) gv[e] -= __expf(yv[e]) * s;
  } else {
#pragma unroll
    for (int e = 0; e < E; e++) s += gv[e] * yv[e];
    s = rowSum<NT>(s, sh);
#pragma unroll
    for (int e = 0; e < E; e++) gv[e] = yv[e] * (gv[e] - s);
  }
  storeRow<NT, V, VEC>(dx + r * n, gv, t, n);
}

template <int NT, int V, bool VEC>
__global__ void __launch_bounds__(kBlock) layerNormKernel(const float* __restrict__ x, const float* __restrict__ w, const float* __restrict__ b,
                                                          float* __restrict__ y, float* __restrict__ mean, float* __restrict__ rstd, int64_t rows,
                                                          int n, float eps) {
  __shared__ float sh[32];
  constexpr int E = 4 * V;
  const int t = threadIdx.x % NT;
  const int64_t r = static_cast<int64_t>(blockIdx.x) * (kBlock / NT) + threadIdx.x / NT;
  if (r >= rows) return;
  float v[E];
  loadRow<NT, V, VEC>(v, x + r * n, t, n, 0.f);
  float s = 0.f;
#pragma unroll
  for (int e = 0; e < E; e++) s += v[e];
  const float mu = rowSum<NT>(s, sh) / static_cast<float>(n);
  float q = 0.f;
#pragma unroll
  for (int e = 0; e < E; e++) {
    const float d = colOf<NT, VEC>(e, t) < n ? v[e] - mu : 0.f;
    q += d * d;
  }
  const float rs = rsqrtf(rowSum<NT>(q, sh) / static_cast<float>(n) + eps);
  if (t == 0) {
    mean[r] = mu;
    rstd[r] = rs;
  }
#pragma unroll
  for (int i = 0; i < V; i++) {
    const float4 wv = w ? loadGroup<NT, VEC>(w, i, t, n, 0.f) : make_float4(1.f, 1.f, 1.f, 1.f);
    const float4 bv = b ? loadGroup<NT, VEC>(b, i, t, n, 0.f) : make_float4(0.f, 0.f, 0.f, 0.f);
    v[4 * i] = (v[4 * i] - mu) * rs * wv.x + bv.x;
    v[4 * i + 1] = (v[4 * i + 1] - mu) * rs * wv.y + bv.y;
    v[4 * i + 2] = (v[4 * i + 2] - mu) * rs * wv.z + bv.z;
    v[4 * i + 3] = (v[4 * i + 3] - mu) * rs * wv.w + bv.w;
  }
  storeRow<NT, V, VEC>(y + r * n, v, t, n);
}

/**
 * dx of layer norm, rows walked grid-stride; dweight = sum dy xhat and dbias = sum dy stay in registers per
 * column and leave as one partial row per block: pw / pb [gridDim.x][n]. NT = 32 sums its 8 warps' columns in
 * shared memory (2n floats of dynamic shared memory), warp after warp.
 */
template <int NT, int V, bool VEC>
__global__ void __launch_bounds__(kBlock) layerNormBackwardKernel(const float* __restrict__ dy, const float* __restrict__ x, const float* __restrict__ w,
                                                                  const float* __restrict__ mean, const float* __restrict__ rstd, float* __restrict__ dx,
                                                                  float* __restrict__ pw, float* __restrict__ pb, int64_t rows, int n) {
  __shared__ float sh[32];
  extern __shared__ float acc[];
  constexpr int E = 4 * V, RPB = kBlock / NT;
  const int t = threadIdx.x % NT, sub = threadIdx.x / NT;
  const float inv = 1.f / static_cast<float>(n);
  float aw[E], ab[E];
#pragma unroll
  for (int e = 0; e < E; e++) aw[e] = ab[e] = 0.f;
  for (int64_t r = static_cast<int64_t>(blockIdx.x) * RPB + sub; r < rows; r += static_cast<int64_t>(gridDim.x) * RPB) {
    float xv[E], gv[E];
    loadRow<NT, V, VEC>(xv, x + r * n, t, n, 0.f);
    loadRow<NT, V, VEC>(gv, dy + r * n, t, n, 0.f);
    const float mu = mean[r], rs = rstd[r];
    float sg = 0.f, sgx = 0.f;
#pragma unroll
    for (int i = 0; i < V; i++) {
      const float4 wv = w ? loadGroup<NT, VEC>(w, i, t, n, 0.f) : make_float4(1.f, 1.f, 1.f, 1.f);
      const float wk[4] = {wv.x, wv.y, wv.z, wv.w};
#pragma unroll
      for (int k = 0; k < 4; k++) {
        const int e = 4 * i + k;
        xv[e] = (xv[e] - mu) * rs;  // xhat
        ab[e] += gv[e];
        aw[e] += gv[e] * xv[e];
        gv[e] *= wk[k];  // g = dy w (zero past the row's end)
        sg += gv[e];
        sgx += gv[e] * xv[e];
      }
    }
    sg = rowSum<NT>(sg, sh) * inv;
    sgx = rowSum<NT>(sgx, sh) * inv;
#pragma unroll
    for (int e = 0; e < E; e++) gv[e] = rs * (gv[e] - sg - xv[e] * sgx);
    storeRow<NT, V, VEC>(dx + r * n, gv, t, n);
  }
  float* bw = pw + static_cast<int64_t>(blockIdx.x) * n;
  float* bb = pb + static_cast<int64_t>(blockIdx.x) * n;
  if constexpr (RPB == 1) {
    storeRow<NT, V, VEC>(bw, aw, t, n);
    storeRow<NT, V, VEC>(bb, ab, t, n);
  } else {
    for (int j = threadIdx.x; j < 2 * n; j += kBlock) acc[j] = 0.f;
    __syncthreads();
    for (int s = 0; s < RPB; s++) {
      if (sub == s) {
#pragma unroll
        for (int e = 0; e < E; e++) {
          const int c = colOf<NT, VEC>(e, t);
          if (c < n) {
            acc[c] += aw[e];
            acc[n + c] += ab[e];
          }
        }
      }
      __syncthreads();
    }
    for (int j = threadIdx.x; j < n; j += kBlock) {
      bw[j] = acc[j];
      bb[j] = acc[n + j];
    }
  }
}

/** out[j] = sum over k < parts of p[k n + j], in a fixed order: a block sums 32 columns with 8 row lanes. */
__global__ void __launch_bounds__(kBlock) sumPartialRowsKernel(const float* __restrict__ p, float* __restrict__ out, int64_t n, int parts) {
  __shared__ float s[8][33];
  const int cx = threadIdx.x & 31, ry = threadIdx.x >> 5;
  const int64_t j = static_cast<int64_t>(blockIdx.x) * 32 + cx;
  float a = 0.f;
  if (j < n)
    for (int k = ry; k < parts; k += 8) a += p[k * n + j];
  s[ry][cx] = a;
  __syncthreads();
  if (ry == 0 && j < n) {
    float t = 0.f;
#pragma unroll
    for (int k = 0; k < 8; k++) t += s[k][cx];
    out[j] = t;
  }
}

/**
 * Calls f(NT, V, VEC) (integral constants) for a row of n elements: NT = 32 with V = ceil(n / 128) rounded up
 * to 1, 2, 3, 4, 6 or 8 for n <= 1024; NT = 256 with V = 2, 4 or 8 up to 8192. False (nothing called) above.
 */
template <typename F>
bool dispatch(int64_t n, bool vec, F&& f) {
  auto go = [&](auto nt, auto v) {
    if (vec) f(nt, v, std::true_type{});
    else f(nt, v, std::false_type{});
  };
  using W = std::integral_constant<int, 32>;
  using B = std::integral_constant<int, kBlock>;
  const int64_t g = (n + 127) / 128, gb = (n + 1023) / 1024;
  if (g <= 1) go(W{}, std::integral_constant<int, 1>{});
  else if (g <= 2) go(W{}, std::integral_constant<int, 2>{});
  else if (g <= 3) go(W{}, std::integral_constant<int, 3>{});
  else if (g <= 4) go(W{}, std::integral_constant<int, 4>{});
  else if (g <= 6) go(W{}, std::integral_constant<int, 6>{});
  else if (g <= 8) go(W{}, std::integral_constant<int, 8>{});
  else if (gb <= 2) go(B{}, std::integral_constant<int, 2>{});
  else if (gb <= 4) go(B{}, std::integral_constant<int, 4>{});
  else if (gb <= 8) go(B{}, std::integral_constant<int, 8>{});
  else return false;
  return true;
}

/** Whether 16-byte row loads apply: n a multiple of 4 and every given pointer 16-byte aligned. */
inline bool vectorisable(int64_t n, std::initializer_list<const void*> ptrs) {
  if (n % 4 != 0) return false;
  for (const void* p : ptrs)
    if (p && (reinterpret_cast<uintptr_t>(p) & 15) != 0) return false;
  return true;
}

}  // namespace rowreg
}  // namespace tcuda
