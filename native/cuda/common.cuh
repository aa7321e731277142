// defines: DType codes, OpError, strided layouts and their coalesced device form, CUDA checks that name the
// kernel, dtype load/store helpers. Shared by every CUDA source of the tessera_cuda addon.
#pragma once
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace tcuda {

/** Same numbering as src/backend/cuda/codes.ts (and the cpu addon). */
enum class DType : int { F32 = 0, F16 = 1, BF16 = 2, I32 = 3, I64 = 4, U8 = 5, Bool = 6 };

size_t dtypeSize(DType d);
const char* dtypeName(DType d);
inline bool isFloatType(DType d) { return d == DType::F32 || d == DType::F16 || d == DType::BF16; }

/** An error a user can cause (out of memory, index out of range, released storage): becomes a TesseraError. */
struct OpError : std::runtime_error {
  explicit OpError(const std::string& m) : std::runtime_error(m) {}
};

/** Throws OpError "CUDA error in <what>: <name>: <description>" when `e` is not cudaSuccess. */
void throwCuda(cudaError_t e, const std::string& what);
inline void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throwCuda(e, what);
}
/** After a launch: records the kernel as the last one enqueued and turns a launch error into an OpError naming it. */
void afterLaunch(const char* kernel);

constexpr int kMaxDims = 8;

/** A layout as the TypeScript side encodes it: Float64Array [nd, offset, ...shape, ...strides]. */
struct HostLayout {
  int nd = 0;
  int64_t offset = 0;
  int64_t shape[16] = {};
  int64_t strides[16] = {};
  int64_t numel() const {
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= shape[i];
    return n;
  }
  bool contiguous() const {
    int64_t e = 1;
    for (int i = nd - 1; i >= 0; i--) {
      if (shape[i] != 1 && strides[i] != e) return false;
      e *= shape[i];
    }
    return true;
  }
  /** Largest and smallest element offset reached (for bounds checks). */
  void extent(int64_t* lo, int64_t* hi) const;
  std::string shapeString() const;
};

/**
 * A shape walked by NOP operands with their own strides, size-1 dims dropped and dims merged where every
 * operand is contiguous across them; at most kMaxDims dims remain. Passed by value to kernels.
 */
template <int NOP>
struct Walk {
  int nd;
  int64_t shape[kMaxDims];
  int64_t strides[NOP][kMaxDims];
};

/** Builds the walk of `shape` for operands with `strides[o]`; throws when more than kMaxDims dims remain. */
template <int NOP>
Walk<NOP> makeWalk(const int64_t* shape, int nd, const int64_t* const* strides) {
  Walk<NOP> w{};
  w.nd = 0;
  for (int i = 0; i < nd; i++) {
    if (shape[i] == 1) continue;
    if (w.nd > 0) {
      bool merge = true;
      for (int o = 0; o < NOP; o++)
        if (w.strides[o][w.nd - 1] != strides[o][i] * shape[i]) merge = false;
      if (merge) {
        w.shape[w.nd - 1] *= shape[i];
        for (int o = 0; o < NOP; o++) w.strides[o][w.nd - 1] = strides[o][i];
        continue;
      }
    }
    if (w.nd == kMaxDims) throw OpError("cuda: a layout with more than 8 non-mergeable dims is not supported");
    w.shape[w.nd] = shape[i];
    for (int o = 0; o < NOP; o++) w.strides[o][w.nd] = strides[o][i];
    w.nd++;
  }
  if (w.nd == 0) {
    w.nd = 1;
    w.shape[0] = 1;
    for (int o = 0; o < NOP; o++) w.strides[o][0] = 0;
  }
  return w;
}

/** True when every operand walks its data densely (one dim of stride 1). */
template <int NOP>
bool walkDense(const Walk<NOP>& w) {
  if (w.nd != 1) return false;
  for (int o = 0; o < NOP; o++)
    if (w.strides[o][0] != 1) return false;
  return true;
}

/** Element offsets of linear index i for each operand. */
template <int NOP, typename I>
__device__ __forceinline__ void walkOffsets(const Walk<NOP>& w, I i, I* off) {
#pragma unroll
  for (int o = 0; o < NOP; o++) off[o] = 0;
  for (int d = w.nd - 1; d >= 0; d--) {
    const I s = static_cast<I>(w.shape[d]);
    const I idx = i % s;
    i /= s;
#pragma unroll
    for (int o = 0; o < NOP; o++) off[o] += idx * static_cast<I>(w.strides[o][d]);
  }
}

// --- dtype load/store (float compute for float types, double for ints) ---

template <typename T> struct Num { using type = float; };
template <> struct Num<int32_t> { using type = double; };
template <> struct Num<int64_t> { using type = double; };
template <> struct Num<uint8_t> { using type = double; };

template <typename T> __device__ __forceinline__ float toF(T v) { return static_cast<float>(v); }
template <> __device__ __forceinline__ float toF<__nv_bfloat16>(__nv_bfloat16 v) { return __bfloat162float(v); }
template <> __device__ __forceinline__ float toF<__half>(__half v) { return __half2float(v); }

template <typename T> __device__ __forceinline__ T fromF(float v) { return static_cast<T>(v); }
template <> __device__ __forceinline__ __nv_bfloat16 fromF<__nv_bfloat16>(float v) { return __float2bfloat16_rn(v); }
template <> __device__ __forceinline__ __half fromF<__half>(float v) { return __float2half_rn(v); }

/** Reads any element type as double (ints exact, halves widened). */
template <typename T> __device__ __forceinline__ double toD(T v) { return static_cast<double>(v); }
template <> __device__ __forceinline__ double toD<__nv_bfloat16>(__nv_bfloat16 v) { return __bfloat162float(v); }
template <> __device__ __forceinline__ double toD<__half>(__half v) { return __half2float(v); }

/** Writes a double into any element type with PyTorch's cast rules (floats round, ints truncate). */
template <typename T> __device__ __forceinline__ T fromD(double v) { return static_cast<T>(v); }
template <> __device__ __forceinline__ __nv_bfloat16 fromD<__nv_bfloat16>(double v) { return __float2bfloat16_rn(static_cast<float>(v)); }
template <> __device__ __forceinline__ __half fromD<__half>(double v) { return __float2half_rn(static_cast<float>(v)); }
template <> __device__ __forceinline__ float fromD<float>(double v) { return static_cast<float>(v); }
template <> __device__ __forceinline__ int32_t fromD<int32_t>(double v) { return static_cast<int32_t>(trunc(v)); }
template <> __device__ __forceinline__ int64_t fromD<int64_t>(double v) { return static_cast<int64_t>(trunc(v)); }
template <> __device__ __forceinline__ uint8_t fromD<uint8_t>(double v) { return static_cast<uint8_t>(static_cast<int64_t>(trunc(v))); }

/** Calls f.template operator()<T>() for the C++ type of a dtype (bool as uint8_t). */
template <typename F>
auto dispatchType(DType d, F&& f) {
  switch (d) {
    case DType::F32: return f(float{});
    case DType::F16: return f(__half{});
    case DType::BF16: return f(__nv_bfloat16{});
    case DType::I32: return f(int32_t{});
    case DType::I64: return f(int64_t{});
    default: return f(uint8_t{});
  }
}

/** Same, for float dtypes only; other dtypes throw naming the op. */
template <typename F>
auto dispatchFloat(DType d, const char* op, F&& f) {
  switch (d) {
    case DType::F32: return f(float{});
    case DType::F16: return f(__half{});
    case DType::BF16: return f(__nv_bfloat16{});
    default: throw OpError(std::string(op) + ": expected a float tensor, got " + dtypeName(d));
  }
}

/** Blocks for n elements at `threads` per block, capped for grid-stride loops. */
inline unsigned blocksFor(int64_t n, int threads, int64_t cap = 65535LL * 8) {
  int64_t b = (n + threads - 1) / threads;
  if (b < 1) b = 1;
  if (b > cap) b = cap;
  return static_cast<unsigned>(b);
}

}  // namespace tcuda
