// Reductions over any set of axes: sum, prod, max, min (NaN-propagating) and argmax/argmin (first index
// wins, NaN wins). Two kernel shapes: "row" (a block per output when the reduced elements are contiguous)
// and "column" (a thread per output when the outputs are), each split over the reduced range with a
// deterministic second pass when there are too few outputs to fill the device.
#include <cfloat>

#include "elementwise.cuh"
#include "napi_glue.h"
#include "op_codes.h"
#include "ops.h"

namespace tcuda {

namespace {

template <typename V>
struct Red {
  V v;
  int64_t i;  // index of the element within the reduced set; -1: empty
};

template <typename V>
__device__ __forceinline__ Red<V> redEmpty() { return Red<V>{V(0), -1}; }

template <typename V>
__device__ __forceinline__ Red<V> combine(int op, Red<V> a, Red<V> b) {
  if (a.i < 0) return b;
  if (b.i < 0) return a;
  switch (op) {
    case kSum: return Red<V>{a.v + b.v, 0};
    case kProd: return Red<V>{a.v * b.v, 0};
    default: {
      const bool an = isnan(a.v), bn = isnan(b.v);
      if (an && bn) return a.i <= b.i ? a : b;
      if (an) return a;
      if (bn) return b;
      const bool wantMax = op == kMax || op == kArgmax;
      if (a.v == b.v) return a.i <= b.i ? a : b;
      return ((a.v > b.v) == wantMax) ? a : b;
    }
  }
}

template <typename V>
__device__ __forceinline__ Red<V> shflDown(Red<V> r, int delta) {
  Red<V> o;
  o.v = __shfl_down_sync(0xffffffffu, r.v, delta);
  o.i = __shfl_down_sync(0xffffffffu, r.i, delta);
  return o;
}

/** Block-wide combine; the result is valid in thread 0. blockDim.x is a multiple of 32, at most 1024. */
template <typename V>
__device__ Red<V> blockCombine(int op, Red<V> r) {
  __shared__ V sv[32];
  __shared__ int64_t si[32];
  for (int d = 16; d > 0; d >>= 1) r = combine(op, r, shflDown(r, d));
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  if (lane == 0) {
    sv[warp] = r.v;
    si[warp] = r.i;
  }
  __syncthreads();
  const int nw = blockDim.x >> 5;
  if (warp == 0) {
    r = lane < nw ? Red<V>{sv[lane], si[lane]} : redEmpty<V>();
    for (int d = 16; d > 0; d >>= 1) r = combine(op, r, shflDown(r, d));
  }
  return r;
}

template <typename T> using V_t = typename Num<T>::type;

template <typename T>
__device__ __forceinline__ V_t<T> loadAcc(T v) {
  if constexpr (std::is_same_v<V_t<T>, float>) return toF<T>(v);
  else return toD<T>(v);
}

/** The offset of reduced element r (walk over the reduced dims, fast path for one dim). */
__device__ __forceinline__ int64_t redOffset(const Walk<1>& w, int64_t r) {
  if (w.nd == 1) return r * w.strides[0][0];
  int64_t off;
  walkOffsets<1, int64_t>(w, r, &off);
  return off;
}

template <typename T, typename TO>
__device__ __forceinline__ void storeResult(TO* out, int64_t o, int op, const Red<V_t<T>>& r) {
  if (op == kArgmax || op == kArgmin) {
    reinterpret_cast<int64_t*>(out)[o] = r.i < 0 ? 0 : r.i;
  } else if constexpr (std::is_same_v<V_t<T>, float>) {
    out[o] = fromF<TO>(r.v);
  } else {
    out[o] = fromD<TO>(r.v);
  }
}

/**
 * Row mode: block (x: output, y: split of the reduced range). Writes the output when there is one split,
 * else the partial (value, index) pair to partial[y * outN + o].
 */
template <typename T, typename TO>
__global__ void reduceRowKernel(const T* x, TO* out, V_t<T>* pv, int64_t* pi, Walk<1> kept, Walk<1> red, int64_t outN, int64_t R,
                                int64_t chunk, int op) {
  using V = V_t<T>;
  const int64_t r0 = static_cast<int64_t>(blockIdx.y) * chunk;
  const int64_t r1 = min(R, r0 + chunk);
  for (int64_t o = blockIdx.x; o < outN; o += gridDim.x) {
    int64_t base;
    walkOffsets<1, int64_t>(kept, o, &base);
    Red<V> acc = redEmpty<V>();
    for (int64_t r = r0 + threadIdx.x; r < r1; r += blockDim.x) {
      acc = combine(op, acc, Red<V>{loadAcc<T>(x[base + redOffset(red, r)]), r});
    }
    acc = blockCombine(op, acc);
    if (threadIdx.x == 0) {
      if (gridDim.y == 1) storeResult<T, TO>(out, o, op, acc);
      else {
        pv[blockIdx.y * outN + o] = acc.v;
        pi[blockIdx.y * outN + o] = acc.i;
      }
    }
    __syncthreads();
  }
}

/** Column mode: a thread per output, block row y takes one split of the reduced range. */
template <typename T, typename TO>
__global__ void reduceColKernel(const T* x, TO* out, V_t<T>* pv, int64_t* pi, Walk<1> kept, Walk<1> red, int64_t outN, int64_t R,
                                int64_t chunk, int op) {
  using V = V_t<T>;
  const int64_t o = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (o >= outN) return;
  const int64_t r0 = static_cast<int64_t>(blockIdx.y) * chunk;
  const int64_t r1 = min(R, r0 + chunk);
  int64_t base;
  walkOffsets<1, int64_t>(kept, o, &base);
  Red<V> acc = redEmpty<V>();
  for (int64_t r = r0; r < r1; r++) acc = combine(op, acc, Red<V>{loadAcc<T>(x[base + redOffset(red, r)]), r});
  if (gridDim.y == 1) storeResult<T, TO>(out, o, op, acc);
  else {
    pv[blockIdx.y * outN + o] = acc.v;
    pi[blockIdx.y * outN + o] = acc.i;
  }
}

/** Combines `splits` partials per output in split order (deterministic). */
template <typename T, typename TO>
__global__ void reduceFinishKernel(const V_t<T>* pv, const int64_t* pi, TO* out, int64_t outN, int splits, int op) {
  using V = V_t<T>;
  const int64_t o = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (o >= outN) return;
  Red<V> acc = redEmpty<V>();
  for (int s = 0; s < splits; s++) acc = combine(op, acc, Red<V>{pv[s * outN + o], pi[s * outN + o]});
  storeResult<T, TO>(out, o, op, acc);
}

/**
 * Column sums of a contiguous (R, N) matrix (bias gradients): a thread owns VEC adjacent columns (16-byte
 * loads when VEC * sizeof(T) == 16; VEC = 1 for widths or offsets that do not allow them), 32 threads x 8 row
 * lanes per block, four loads in flight; blocks along y take row chunks and leave float32 partials (or the
 * result when there is one chunk), summed in a fixed order.
 */
template <typename T, int VEC>
__global__ void colSumKernel(const T* __restrict__ x, T* __restrict__ out, float* __restrict__ partial, int64_t R, int64_t N, int64_t chunk) {
  using P = Pack<T, VEC>;
  __shared__ float sm[8][32 * VEC + 1];
  const int tx = threadIdx.x & 31, ty = threadIdx.x >> 5;
  const int64_t c0 = static_cast<int64_t>(blockIdx.x) * 32 * VEC;
  const int64_t col = c0 + tx * VEC;
  const int64_t r0 = static_cast<int64_t>(blockIdx.y) * chunk, r1 = min(R, r0 + chunk);
  float a[VEC], b[VEC];
#pragma unroll
  for (int i = 0; i < VEC; i++) a[i] = b[i] = 0.f;
  if (col < N) {
    int64_t r = r0 + ty;
    for (; r + 24 < r1; r += 32) {
      P u[4];
#pragma unroll
      for (int j = 0; j < 4; j++) u[j] = *reinterpret_cast<const P*>(x + (r + 8 * j) * N + col);
#pragma unroll
      for (int j = 0; j < 4; j++)
#pragma unroll
        for (int i = 0; i < VEC; i++) (j & 1 ? b : a)[i] += toF<T>(u[j].v[i]);
    }
    for (; r < r1; r += 8) {
      const P u = *reinterpret_cast<const P*>(x + r * N + col);
#pragma unroll
      for (int i = 0; i < VEC; i++) a[i] += toF<T>(u.v[i]);
    }
  }
#pragma unroll
  for (int i = 0; i < VEC; i++) sm[ty][tx * VEC + i] = a[i] + b[i];
  __syncthreads();
  for (int j = threadIdx.x; j < 32 * VEC; j += blockDim.x) {
    const int64_t cj = c0 + j;
    if (cj >= N) break;
    float acc = 0.f;
#pragma unroll
    for (int k = 0; k < 8; k++) acc += sm[k][j];
    if (gridDim.y == 1) out[cj] = fromF<T>(acc);
    else partial[blockIdx.y * N + cj] = acc;
  }
}

/** Second pass of the column sums: 32 columns x 32 lanes over the chunks per block, a fixed order. */
template <typename T>
__global__ void colSumPartialsKernel(const float* __restrict__ partial, T* __restrict__ out, int64_t N, int splits) {
  __shared__ float sm[32][33];
  const int tx = threadIdx.x & 31, ty = threadIdx.x >> 5;
  const int64_t col = static_cast<int64_t>(blockIdx.x) * 32 + tx;
  float a0 = 0.f, a1 = 0.f;  // two loads in flight per thread
  if (col < N) {
    int s = ty;
    for (; s + 32 < splits; s += 64) {
      a0 += partial[s * N + col];
      a1 += partial[(s + 32) * N + col];
    }
    if (s < splits) a0 += partial[s * N + col];
  }
  sm[ty][tx] = a0 + a1;
  __syncthreads();
  if (ty == 0 && col < N) {
    float t = 0.f;
#pragma unroll
    for (int k = 0; k < 32; k++) t += sm[k][tx];
    out[col] = fromF<T>(t);
  }
}

/**
 * Whole-tensor float32 sum, first pass: each thread adds 16-byte vectors over a grid stride (two independent
 * accumulators), the block's total goes to partial[blockIdx.x]; block 0 also adds the elements past the last
 * whole vector. Fixed grid and order: deterministic.
 */
__global__ void sumVecKernel(const float* __restrict__ x, int64_t n, float* __restrict__ partial) {
  const int64_t n4 = n / 4;
  const float4* x4 = reinterpret_cast<const float4*>(x);
  float a0 = 0.f, a1 = 0.f;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  for (; i + stride < n4; i += 2 * stride) {
    const float4 u = x4[i], w = x4[i + stride];
    a0 += (u.x + u.y) + (u.z + u.w);
    a1 += (w.x + w.y) + (w.z + w.w);
  }
  if (i < n4) {
    const float4 u = x4[i];
    a0 += (u.x + u.y) + (u.z + u.w);
  }
  if (blockIdx.x == 0 && threadIdx.x < n - n4 * 4) a1 += x[n4 * 4 + threadIdx.x];
  float a = a0 + a1;
  for (int d = 16; d > 0; d >>= 1) a += __shfl_down_sync(0xffffffffu, a, d);
  __shared__ float ws[32];
  if ((threadIdx.x & 31) == 0) ws[threadIdx.x >> 5] = a;
  __syncthreads();
  if (threadIdx.x < 32) {
    a = threadIdx.x < (blockDim.x >> 5) ? ws[threadIdx.x] : 0.f;
    for (int d = 16; d > 0; d >>= 1) a += __shfl_down_sync(0xffffffffu, a, d);
    if (threadIdx.x == 0) partial[blockIdx.x] = a;
  }
}

/** Second pass: one block adds the partials in a fixed order. */
__global__ void sumFinishKernel(const float* __restrict__ partial, int n, float* __restrict__ out) {
  float a = 0.f;
  for (int i = threadIdx.x; i < n; i += blockDim.x) a += partial[i];
  for (int d = 16; d > 0; d >>= 1) a += __shfl_down_sync(0xffffffffu, a, d);
  __shared__ float ws[32];
  if ((threadIdx.x & 31) == 0) ws[threadIdx.x >> 5] = a;
  __syncthreads();
  if (threadIdx.x < 32) {
    a = threadIdx.x < (blockDim.x >> 5) ? ws[threadIdx.x] : 0.f;
    for (int d = 16; d > 0; d >>= 1) a += __shfl_down_sync(0xffffffffu, a, d);
    if (threadIdx.x == 0) out[0] = a;
  }
}

template <typename T, typename TO>
void runReduce(Context& c, const Buffer* x, const HostLayout& l, const int64_t* axesMask, int op, Buffer* out) {
  using V = V_t<T>;
  int64_t kShape[16] = {}, kStride[16] = {}, rShape[16] = {}, rStride[16] = {};
  int kn = 0, rn = 0;
  for (int d = 0; d < l.nd; d++) {
    if (axesMask[d]) {
      rShape[rn] = l.shape[d];
      rStride[rn++] = l.strides[d];
    } else {
      kShape[kn] = l.shape[d];
      kStride[kn++] = l.strides[d];
    }
  }
  const int64_t* ks[1] = {kStride};
  const int64_t* rs[1] = {rStride};
  const Walk<1> kept = makeWalk<1>(kShape, kn, ks);
  const Walk<1> red = makeWalk<1>(rShape, rn, rs);
  int64_t outN = 1, R = 1;
  for (int i = 0; i < kn; i++) outN *= kShape[i];
  for (int i = 0; i < rn; i++) R *= rShape[i];
  if (outN == 0) return;
  const T* xp = x->as<T>() + l.offset;
  TO* op_ = out->as<TO>();
  const int64_t sm = c.smCount > 0 ? c.smCount : 80;
  if constexpr (std::is_same_v<T, float> && std::is_same_v<TO, float>) {
    // a whole contiguous float32 tensor: vectorised two-pass sum
    if (op == kSum && outN == 1 && red.nd == 1 && red.strides[0][0] == 1 && R >= 8192 && reinterpret_cast<uintptr_t>(xp) % 16 == 0) {
      const int blocks = static_cast<int>(std::min<int64_t>(sm * 4, (R / 4 + 255) / 256));
      Scratch part(x->device, blocks * sizeof(float));
      sumVecKernel<<<blocks, 256, 0, c.stream>>>(xp, R, part.as<float>());
      afterLaunch("reduce_sum_vec");
      sumFinishKernel<<<1, 256, 0, c.stream>>>(part.as<float>(), blocks, op_);
      afterLaunch("reduce_sum_finish");
      return;
    }
  }
  if constexpr (std::is_same_v<V_t<T>, float> && std::is_same_v<T, TO>) {
    if (op == kSum && kept.nd == 1 && kept.strides[0][0] == 1 && red.nd == 1 && red.strides[0][0] == outN && R >= 64) {
      constexpr int VEC = 16 / sizeof(T);
      const bool vec = outN % VEC == 0 && reinterpret_cast<uintptr_t>(xp) % 16 == 0;
      const int width = vec ? VEC : 1;  // columns per thread
      // 16-byte loads: about four blocks per SM and at least 128 rows per chunk; single elements: about
      // eight blocks per SM and at least 64 rows
      const int64_t gx = (outN + 32 * width - 1) / (32 * width);
      int64_t splits = vec ? std::min<int64_t>((sm * 4 + gx - 1) / gx, R / 128) : std::min<int64_t>((sm * 8 + gx - 1) / gx, (R + 63) / 64);
      splits = std::max<int64_t>(1, std::min<int64_t>(splits, vec ? 128 : 256));
      const int64_t chunk = (R + splits - 1) / splits;
      splits = (R + chunk - 1) / chunk;
      Scratch part(x->device, (splits > 1 ? splits : 1) * outN * sizeof(float));
      const dim3 grid(static_cast<unsigned>(gx), static_cast<unsigned>(splits));
      if (vec) colSumKernel<T, VEC><<<grid, 256, 0, c.stream>>>(xp, op_, part.as<float>(), R, outN, chunk);
      else colSumKernel<T, 1><<<grid, 256, 0, c.stream>>>(xp, op_, part.as<float>(), R, outN, chunk);
      afterLaunch("reduce_col_sum");
      if (splits > 1) {
        colSumPartialsKernel<T><<<static_cast<unsigned>((outN + 31) / 32), 1024, 0, c.stream>>>(part.as<float>(), op_, outN, static_cast<int>(splits));
        afterLaunch("reduce_col_sum_partials");
      }
      return;
    }
  }
  const bool rowMode = red.strides[0][red.nd - 1] == 1 || kept.strides[0][kept.nd - 1] != 1 || outN < 64;
  if (rowMode) {
    int threads = 32;
    while (threads < 256 && threads < R) threads <<= 1;
    int64_t splits = 1;
    if (outN < sm * 4) splits = std::min<int64_t>((sm * 4 + outN - 1) / outN, (R + 4095) / 4096);
    if (splits < 1) splits = 1;
    const int64_t chunk = (R + splits - 1) / splits;
    const unsigned gx = static_cast<unsigned>(std::min<int64_t>(outN, 65535LL * 32));
    if (splits == 1) {
      reduceRowKernel<T, TO><<<dim3(gx, 1), threads, 0, c.stream>>>(xp, op_, nullptr, nullptr, kept, red, outN, R, chunk, op);
      afterLaunch("reduce_rows");
    } else {
      Scratch pv(x->device, splits * outN * sizeof(V)), pi(x->device, splits * outN * sizeof(int64_t));
      reduceRowKernel<T, TO><<<dim3(gx, static_cast<unsigned>(splits)), threads, 0, c.stream>>>(xp, op_, pv.as<V>(), pi.as<int64_t>(), kept,
                                                                                                 red, outN, R, chunk, op);
      afterLaunch("reduce_rows_split");
      reduceFinishKernel<T, TO><<<blocksFor(outN, 256), 256, 0, c.stream>>>(pv.as<V>(), pi.as<int64_t>(), op_, outN, static_cast<int>(splits), op);
      afterLaunch("reduce_finish");
    }
  } else {
    int64_t splits = std::min<int64_t>((sm * 2048 + outN - 1) / outN, (R + 31) / 32);
    if (splits < 1) splits = 1;
    if (splits > 64) splits = 64;
    const int64_t chunk = (R + splits - 1) / splits;
    const unsigned gx = static_cast<unsigned>((outN + 255) / 256);
    if (splits == 1) {
      reduceColKernel<T, TO><<<dim3(gx, 1), 256, 0, c.stream>>>(xp, op_, nullptr, nullptr, kept, red, outN, R, chunk, op);
      afterLaunch("reduce_cols");
    } else {
      Scratch pv(x->device, splits * outN * sizeof(V)), pi(x->device, splits * outN * sizeof(int64_t));
      reduceColKernel<T, TO><<<dim3(gx, static_cast<unsigned>(splits)), 256, 0, c.stream>>>(xp, op_, pv.as<V>(), pi.as<int64_t>(), kept, red,
                                                                                            outN, R, chunk, op);
      afterLaunch("reduce_cols_split");
      reduceFinishKernel<T, TO><<<blocksFor(outN, 256), 256, 0, c.stream>>>(pv.as<V>(), pi.as<int64_t>(), op_, outN, static_cast<int>(splits), op);
      afterLaunch("reduce_finish");
    }
  }
}

}  // namespace

}  // namespace tcuda

using namespace tcuda;
using tcuda::napi::Owned;

// reduce(op, x, layout, axes Float64Array) -> storage of the kept shape
TCUDA_FN(reduce) {
  const int op = static_cast<int>(a.integer(0));
  Buffer* x = a.buffer(1);
  const HostLayout l = a.layout(2);
  const std::vector<double> axes = a.doubles(3);
  napi::checkLayout("reduce", x, l);
  Context& c = useDevice(x->device);
  int64_t mask[16] = {};
  for (double ax : axes) {
    const int d = static_cast<int>(ax);
    if (d < 0 || d >= l.nd) throw OpError("reduce: axis " + std::to_string(d) + " out of range for " + std::to_string(l.nd) + " dims");
    mask[d] = 1;
  }
  int64_t outN = 1, R = 1;
  for (int d = 0; d < l.nd; d++) (mask[d] ? R : outN) *= l.shape[d];
  static const char* names[] = {"sum", "max", "min", "prod", "argmax", "argmin"};
  if (R == 0 && outN > 0) throw OpError(std::string("reduce ") + names[op] + ": cannot reduce an empty set of elements");
  DType outT = x->dtype;
  if (op == kArgmax || op == kArgmin) outT = DType::I64;
  else if ((x->dtype == DType::Bool || x->dtype == DType::U8) && (op == kSum || op == kProd)) outT = DType::I64;
  Owned out(allocBuffer(x->device, outT, outN, false));
  dispatchType(x->dtype, [&](auto tag) {
    using T = decltype(tag);
    if (outT == DType::I64 && x->dtype != DType::I64) runReduce<T, int64_t>(c, x, l, mask, op, out.get());
    else runReduce<T, T>(c, x, l, mask, op, out.get());
  });
  return napi::wrapOwned(a.env, out);
}
