// defines: launchElementwise, the one launcher of every elementwise kernel (map, binary, where, casts,
// copies): a dense grid-stride kernel when every operand is contiguous, else a strided one walking the
// coalesced layout with 32-bit index maths whenever the sizes allow.
#pragma once
#include "context.h"

namespace tcuda {

/** Offsets are relative to each operand's base pointer; `out` index is the linear index i. */
template <int NIN, typename I, typename F>
__global__ void ewStridedKernel(F f, Walk<NIN> w, I n) {
  const I stride = static_cast<I>(gridDim.x) * blockDim.x;
  for (I i = static_cast<I>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    I off[NIN];
    walkOffsets<NIN, I>(w, i, off);
    f(i, off);
  }
}

template <int NIN, typename F>
__global__ void ewDenseKernel(F f, int64_t n) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  for (; i + 3 * stride < n; i += 4 * stride) {
#pragma unroll
    for (int k = 0; k < 4; k++) {
      int64_t off[NIN];
#pragma unroll
      for (int o = 0; o < NIN; o++) off[o] = i + k * stride;
      f(i + k * stride, off);
    }
  }
  for (; i < n; i += stride) {
    int64_t off[NIN];
#pragma unroll
    for (int o = 0; o < NIN; o++) off[o] = i;
    f(i, off);
  }
}

template <int NIN>
bool walkFits32(const Walk<NIN>& w, int64_t n) {
  if (n >= (int64_t(1) << 31)) return false;
  for (int o = 0; o < NIN; o++) {
    int64_t reach = 0;
    for (int d = 0; d < w.nd; d++) {
      if (w.strides[o][d] < 0) return false;
      reach += w.strides[o][d] * (w.shape[d] - 1);
    }
    if (reach >= (int64_t(1) << 31)) return false;
  }
  return true;
}

inline unsigned ewBlocks(const Context& c, int64_t n, int threads) {
  const int64_t want = (n + threads - 1) / threads;
  const int64_t cap = static_cast<int64_t>(c.smCount > 0 ? c.smCount : 80) * 8;
  return static_cast<unsigned>(want < 1 ? 1 : want > cap ? cap : want);
}

/**
 * Runs f(i, off) for i in [0, n): off[k] is operand k's element offset under walk w. F must be a
 * device functor templated on the index type: template <typename I> __device__ void operator()(I i, const I* off).
 */
template <int NIN, typename F>
void launchElementwise(Context& c, const char* name, const F& f, const Walk<NIN>& w, int64_t n) {
  if (n <= 0) return;
  constexpr int threads = 256;
  const unsigned blocks = ewBlocks(c, n, threads);
  if (walkDense(w)) {
    ewDenseKernel<NIN><<<blocks, threads, 0, c.stream>>>(f, n);
  } else if (walkFits32(w, n)) {
    ewStridedKernel<NIN, int32_t><<<blocks, threads, 0, c.stream>>>(f, w, static_cast<int32_t>(n));
  } else {
    ewStridedKernel<NIN, int64_t><<<blocks, threads, 0, c.stream>>>(f, w, n);
  }
  afterLaunch(name);
}

// --- vectorised dense paths: 16-byte loads and stores when every pointer is aligned for them ---

template <typename T, int N>
struct alignas(sizeof(T) * N) Pack {
  T v[N];
};

/** Elements per 16-byte access for the widest of the types involved. */
template <typename A, typename B>
constexpr int vecWidth() {
  constexpr int w = 16 / (sizeof(A) > sizeof(B) ? sizeof(A) : sizeof(B));
  return w > 8 ? 8 : w;
}

inline bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15) == 0; }

/** y[i] = fn(x[i]) over dense arrays, N elements per access. */
template <int N, typename TI, typename TO, typename Fn>
__global__ void vecMapKernel(const TI* __restrict__ x, TO* __restrict__ y, int64_t n, Fn fn) {
  const int64_t nv = n / N, stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  const int64_t tid = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  for (int64_t v = tid; v < nv; v += stride) {
    const Pack<TI, N> a = reinterpret_cast<const Pack<TI, N>*>(x)[v];
    Pack<TO, N> o;
#pragma unroll
    for (int k = 0; k < N; k++) o.v[k] = fn(a.v[k]);
    reinterpret_cast<Pack<TO, N>*>(y)[v] = o;
  }
  for (int64_t i = nv * N + tid; i < n; i += stride) y[i] = fn(x[i]);
}

/** y[i] = fn(a[i], b[i]) over dense arrays, N elements per access. */
template <int N, typename TA, typename TO, typename Fn>
__global__ void vecZipKernel(const TA* __restrict__ a, const TA* __restrict__ b, TO* __restrict__ y, int64_t n, Fn fn) {
  const int64_t nv = n / N, stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  const int64_t tid = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  for (int64_t v = tid; v < nv; v += stride) {
    const Pack<TA, N> pa = reinterpret_cast<const Pack<TA, N>*>(a)[v];
    const Pack<TA, N> pb = reinterpret_cast<const Pack<TA, N>*>(b)[v];
    Pack<TO, N> o;
#pragma unroll
    for (int k = 0; k < N; k++) o.v[k] = fn(pa.v[k], pb.v[k]);
    reinterpret_cast<Pack<TO, N>*>(y)[v] = o;
  }
  for (int64_t i = nv * N + tid; i < n; i += stride) y[i] = fn(a[i], b[i]);
}

/** Runs the vectorised map when x and y are 16-byte aligned; false otherwise (use the generic path). */
template <typename TI, typename TO, typename Fn>
bool tryVecMap(Context& c, const char* name, const TI* x, TO* y, int64_t n, const Fn& fn) {
  constexpr int N = vecWidth<TI, TO>();
  if (n < 2 * N || !aligned16(x) || !aligned16(y)) return false;
  vecMapKernel<N, TI, TO, Fn><<<ewBlocks(c, (n + N - 1) / N, 256), 256, 0, c.stream>>>(x, y, n, fn);
  afterLaunch(name);
  return true;
}

template <typename TA, typename TO, typename Fn>
bool tryVecZip(Context& c, const char* name, const TA* a, const TA* b, TO* y, int64_t n, const Fn& fn) {
  constexpr int N = vecWidth<TA, TO>();
  if (n < 2 * N || !aligned16(a) || !aligned16(b) || !aligned16(y)) return false;
  vecZipKernel<N, TA, TO, Fn><<<ewBlocks(c, (n + N - 1) / N, 256), 256, 0, c.stream>>>(a, b, y, n, fn);
  afterLaunch(name);
  return true;
}

// --- broadcast of a vector across the rows (or columns) of a dense (R, N) operand ---

/**
 * y[i] = fn(a[i], b[col or row]) (or fn(b[...], a[i]) when `swap`) over a dense (R, N) `a`: ROW reads b[i % N]
 * (a bias over the last dim), else b[i / N] (one value per row). N elements per access when N is a multiple of VN.
 */
template <int VN, bool ROW, bool SWAP, typename I, typename TA, typename TO, typename Fn>
__global__ void vecBcastKernel(const TA* __restrict__ a, const TA* __restrict__ b, TO* __restrict__ y, I n, I N, Fn fn) {
  const I nv = n / VN, stride = static_cast<I>(gridDim.x) * blockDim.x;
  for (I v = static_cast<I>(blockIdx.x) * blockDim.x + threadIdx.x; v < nv; v += stride) {
    const I i = v * VN;
    const Pack<TA, VN> pa = reinterpret_cast<const Pack<TA, VN>*>(a)[v];
    Pack<TO, VN> o;
    if constexpr (ROW) {
      const Pack<TA, VN> pb = *reinterpret_cast<const Pack<TA, VN>*>(b + i % N);
#pragma unroll
      for (int k = 0; k < VN; k++) o.v[k] = SWAP ? fn(pb.v[k], pa.v[k]) : fn(pa.v[k], pb.v[k]);
    } else {
      const TA bv = b[i / N];
#pragma unroll
      for (int k = 0; k < VN; k++) o.v[k] = SWAP ? fn(bv, pa.v[k]) : fn(pa.v[k], bv);
    }
    reinterpret_cast<Pack<TO, VN>*>(y)[v] = o;
  }
}

/** The scalar form of vecBcastKernel (any N, any alignment). */
template <bool ROW, bool SWAP, typename I, typename TA, typename TO, typename Fn>
__global__ void bcastKernel(const TA* __restrict__ a, const TA* __restrict__ b, TO* __restrict__ y, I n, I N, Fn fn) {
  const I stride = static_cast<I>(gridDim.x) * blockDim.x;
  for (I i = static_cast<I>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    const TA bv = ROW ? b[i % N] : b[i / N];
    y[i] = SWAP ? fn(bv, a[i]) : fn(a[i], bv);
  }
}

template <bool ROW, bool SWAP, typename I, typename TA, typename TO, typename Fn>
void launchBcast(Context& c, const TA* a, const TA* b, TO* y, int64_t n, int64_t N, const Fn& fn) {
  constexpr int VN = vecWidth<TA, TO>();
  if (N % VN == 0 && aligned16(a) && aligned16(b) && aligned16(y)) {
    vecBcastKernel<VN, ROW, SWAP, I><<<ewBlocks(c, n / VN, 256), 256, 0, c.stream>>>(a, b, y, static_cast<I>(n), static_cast<I>(N), fn);
  } else {
    bcastKernel<ROW, SWAP, I><<<ewBlocks(c, n, 256), 256, 0, c.stream>>>(a, b, y, static_cast<I>(n), static_cast<I>(N), fn);
  }
}

/**
 * Runs fn over a 2-D walk where one operand is dense (R, N) and the other a vector broadcast along the rows
 * (strides (0, 1)) or the columns (strides (1, 0)); false when the walk is not of that form.
 */
/** 'row' or 'col' when a 2-D walk is a dense (R, N) operand and a broadcast vector (tryBroadcastZip's case), else nullptr. */
inline const char* broadcastKind(const Walk<2>& w) {
  if (w.nd != 2) return nullptr;
  const int64_t N = w.shape[1];
  const int64_t* sa = w.strides[0];
  const int64_t* sb = w.strides[1];
  const bool aDense = sa[0] == N && sa[1] == 1, bDense = sb[0] == N && sb[1] == 1;
  if ((aDense && sb[0] == 0 && sb[1] == 1) || (bDense && sa[0] == 0 && sa[1] == 1)) return "row";
  if ((aDense && sb[0] == 1 && sb[1] == 0) || (bDense && sa[0] == 1 && sa[1] == 0)) return "col";
  return nullptr;
}

template <typename TA, typename TO, typename Fn>
bool tryBroadcastZip(Context& c, const char* name, const TA* a, const TA* b, TO* y, const Walk<2>& w, const Fn& fn) {
  if (w.nd != 2) return false;
  const int64_t R = w.shape[0], N = w.shape[1], n = R * N;
  const int64_t* sa = w.strides[0];
  const int64_t* sb = w.strides[1];
  const bool aDense = sa[0] == N && sa[1] == 1, bDense = sb[0] == N && sb[1] == 1;
  const auto isRow = [](const int64_t* s) { return s[0] == 0 && s[1] == 1; };
  const auto isCol = [](const int64_t* s) { return s[0] == 1 && s[1] == 0; };
  const bool small = n < (int64_t(1) << 31);
  if (aDense && isRow(sb)) small ? launchBcast<true, false, int32_t>(c, a, b, y, n, N, fn) : launchBcast<true, false, int64_t>(c, a, b, y, n, N, fn);
  else if (bDense && isRow(sa)) small ? launchBcast<true, true, int32_t>(c, b, a, y, n, N, fn) : launchBcast<true, true, int64_t>(c, b, a, y, n, N, fn);
  else if (aDense && isCol(sb)) small ? launchBcast<false, false, int32_t>(c, a, b, y, n, N, fn) : launchBcast<false, false, int64_t>(c, a, b, y, n, N, fn);
  else if (bDense && isCol(sa)) small ? launchBcast<false, true, int32_t>(c, b, a, y, n, N, fn) : launchBcast<false, true, int64_t>(c, b, a, y, n, N, fn);
  else return false;
  afterLaunch(name);
  return true;
}

/** The walk of one strided input over its own shape (for copies and maps). */
inline Walk<1> walkOf(const HostLayout& l) {
  const int64_t* s[1] = {l.strides};
  return makeWalk<1>(l.shape, l.nd, s);
}

}  // namespace tcuda
