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

/** The walk of one strided input over its own shape (for copies and maps). */
inline Walk<1> walkOf(const HostLayout& l) {
  const int64_t* s[1] = {l.strides};
  return makeWalk<1>(l.shape, l.nd, s);
}

}  // namespace tcuda
