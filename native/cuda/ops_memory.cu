// Memory ops: zeros/full/arange, host <-> device copies (pinned staging up, one sync down), strided
// copies with casts, and in-place strided writes with broadcasting.
#include <cstring>
#include <memory>

#include "elementwise.cuh"
#include "napi_glue.h"
#include "ops.h"

namespace tcuda {

namespace {

template <typename T>
constexpr bool isFloatT = std::is_same_v<T, float> || std::is_same_v<T, __half> || std::is_same_v<T, __nv_bfloat16>;

template <typename TI, typename TO>
struct CastF {
  const TI* x;
  TO* y;
  bool toBool;
  template <typename I>
  __device__ void operator()(I i, const I* off) const {
    const TI v = x[off[0]];
    if (toBool) {
      y[i] = toD<TI>(v) != 0.0 ? TO(1) : TO(0);
    } else if constexpr (isFloatT<TI> && isFloatT<TO>) {
      y[i] = fromF<TO>(toF<TI>(v));
    } else {
      y[i] = fromD<TO>(toD<TI>(v));
    }
  }
};

/** A strided copy (with cast) moving N contiguous elements per step: the walk is in units of N elements. */
template <typename TI, typename TO, int N>
struct PackCastF {
  const Pack<TI, N>* x;
  Pack<TO, N>* y;
  template <typename I>
  __device__ void operator()(I i, const I* off) const {
    const Pack<TI, N> a = x[off[0]];
    if constexpr (std::is_same_v<TI, TO>) {
      y[i] = a;
    } else {
      Pack<TO, N> o;
#pragma unroll
      for (int k = 0; k < N; k++) {
        if constexpr (isFloatT<TI> && isFloatT<TO>) o.v[k] = fromF<TO>(toF<TI>(a.v[k]));
        else o.v[k] = fromD<TO>(toD<TI>(a.v[k]));
      }
      y[i] = o;
    }
  }
};

/** Runs a strided copy in units of N elements when the innermost dim is contiguous and everything divides; false otherwise. */
template <typename TI, typename TO>
bool tryPackedStrided(Context& c, const TI* src, TO* dst, const Walk<1>& w, int64_t n) {
  constexpr int N = vecWidth<TI, TO>();
  if (N < 2 || w.strides[0][w.nd - 1] != 1 || w.shape[w.nd - 1] % N != 0 || !aligned16(src) || !aligned16(dst)) return false;
  if ((reinterpret_cast<uintptr_t>(src) % (sizeof(TI) * N)) != 0 || (reinterpret_cast<uintptr_t>(dst) % (sizeof(TO) * N)) != 0) return false;
  Walk<1> u = w;
  for (int d = 0; d < w.nd - 1; d++) {
    if (w.strides[0][d] % N != 0) return false;
    u.strides[0][d] = w.strides[0][d] / N;
  }
  u.shape[w.nd - 1] = w.shape[w.nd - 1] / N;
  launchElementwise<1>(c, "copy_strided_packed", PackCastF<TI, TO, N>{reinterpret_cast<const Pack<TI, N>*>(src), reinterpret_cast<Pack<TO, N>*>(dst)}, u,
                       n / N);
  return true;
}

/** Rows of a 2-D strided view (inner stride 1) copied row by row: no index division per element. */
template <typename T>
__global__ void rowCopyKernel(T* __restrict__ dst, int64_t dp, const T* __restrict__ src, int64_t sp, int64_t width, int64_t height) {
  for (int64_t r = blockIdx.y; r < height; r += gridDim.y) {
    const T* s = src + r * sp;
    T* d = dst + r * dp;
    for (int64_t c = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; c < width; c += static_cast<int64_t>(gridDim.x) * blockDim.x) d[c] = s[c];
  }
}

template <typename TI, typename TO>
struct CastFn {
  bool toBool;
  __device__ TO operator()(TI v) const {
    if (toBool) return toD<TI>(v) != 0.0 ? TO(1) : TO(0);
    if constexpr (isFloatT<TI> && isFloatT<TO>) return fromF<TO>(toF<TI>(v));
    else return fromD<TO>(toD<TI>(v));
  }
};

template <typename T>
struct FillF {
  T* y;
  double start, step;
  template <typename I>
  __device__ void operator()(I i, const I*) const {
    y[i] = fromD<T>(start + static_cast<double>(i) * step);
  }
};

template <typename T>
struct StoreF {
  T* dst;
  const T* src;
  template <typename I>
  __device__ void operator()(I, const I* off) const {
    dst[off[0]] = src[off[1]];
  }
};

Walk<1> denseWalk(int64_t n) {
  Walk<1> w{};
  w.nd = 1;
  w.shape[0] = n;
  w.strides[0][0] = 1;
  return w;
}

void fillRange(Context& c, Buffer* b, double start, double step) {
  dispatchType(b->dtype, [&](auto tag) {
    using T = decltype(tag);
    launchElementwise<1>(c, "fill", FillF<T>{b->as<T>(), start, step}, denseWalk(b->length), b->length);
  });
}

}  // namespace

void copyStrided(Context& c, const Buffer* src, const HostLayout& l, DType outT, void* dst) {
  const int64_t n = l.numel();
  if (n == 0) return;
  const Walk<1> w = walkOf(l);
  if (profiling()) profileDetail(std::string(dtypeName(src->dtype)) + "->" + dtypeName(outT) + (walkDense(w) ? " dense" : " strided nd" + std::to_string(w.nd)));
  if (outT == src->dtype && walkDense(w)) {
    check(cudaMemcpyAsync(dst, static_cast<const char*>(src->data) + l.offset * dtypeSize(src->dtype), n * dtypeSize(outT),
                          cudaMemcpyDeviceToDevice, c.stream), "cudaMemcpyAsync (copy)");
    return;
  }
  if (outT == src->dtype && w.nd == 2 && w.strides[0][1] == 1 && w.shape[1] >= 64) {
    const int64_t width = w.shape[1], height = w.shape[0];
    const unsigned gx = static_cast<unsigned>(std::min<int64_t>((width + 255) / 256, 16));
    const unsigned gy = static_cast<unsigned>(std::min<int64_t>(height, 65535));
    dispatchType(outT, [&](auto tag) {
      using T = decltype(tag);
      // 16-byte units when everything lines up, else element by element
      if (!tryPackedStrided<T, T>(c, src->as<T>() + l.offset, static_cast<T*>(dst), w, n)) {
        rowCopyKernel<T><<<dim3(gx, gy), 256, 0, c.stream>>>(static_cast<T*>(dst), width, src->as<T>() + l.offset, w.strides[0][0], width, height);
        afterLaunch("copy_rows");
      }
    });
    return;
  }
  dispatchType(src->dtype, [&](auto ti) {
    using TI = decltype(ti);
    dispatchType(outT, [&](auto to) {
      using TO = decltype(to);
      if (walkDense(w) && tryVecMap(c, "cast_vec", src->as<TI>() + l.offset, static_cast<TO*>(dst), n, CastFn<TI, TO>{outT == DType::Bool})) return;
      if (!walkDense(w) && outT != DType::Bool && tryPackedStrided<TI, TO>(c, src->as<TI>() + l.offset, static_cast<TO*>(dst), w, n)) return;
      launchElementwise<1>(c, "copy_cast", CastF<TI, TO>{src->as<TI>() + l.offset, static_cast<TO*>(dst), outT == DType::Bool}, w, n);
    });
  });
}

}  // namespace tcuda

using namespace tcuda;
using tcuda::napi::Owned;

// zeros(dev, dtype, length)
TCUDA_FN(zeros) {
  const int dev = static_cast<int>(a.integer(0));
  Owned out(allocBuffer(dev, static_cast<DType>(a.integer(1)), a.integer(2), true));
  return napi::wrapOwned(a.env, out);
}

// full(dev, dtype, length, value)
TCUDA_FN(full) {
  const int dev = static_cast<int>(a.integer(0));
  Context& c = useDevice(dev);
  Owned out(allocBuffer(dev, static_cast<DType>(a.integer(1)), a.integer(2), false));
  fillRange(c, out.get(), a.number(3), 0.0);
  return napi::wrapOwned(a.env, out);
}

// arange(dev, dtype, start, step, length)
TCUDA_FN(arange) {
  const int dev = static_cast<int>(a.integer(0));
  Context& c = useDevice(dev);
  Owned out(allocBuffer(dev, static_cast<DType>(a.integer(1)), a.integer(4), false));
  fillRange(c, out.get(), a.number(2), a.number(3));
  return napi::wrapOwned(a.env, out);
}

// fromHost(dev, typedArray, dtype): the typed array already holds the dtype's element bytes
TCUDA_FN(fromHost) {
  const int dev = static_cast<int>(a.integer(0));
  size_t bytes = 0;
  const void* src = a.typedArrayData(1, &bytes);
  const DType dt = static_cast<DType>(a.integer(2));
  Context& c = useDevice(dev);
  const int64_t n = static_cast<int64_t>(bytes / dtypeSize(dt));
  Owned out(allocBuffer(dev, dt, n, false));
  uploadAsync(c, out->data, src, n * dtypeSize(dt));
  return napi::wrapOwned(a.env, out);
}

// toHost(h, layout) -> ArrayBuffer; waits for the stream
TCUDA_FN(toHost) {
  Buffer* x = a.buffer(0);
  const HostLayout l = a.layout(1);
  napi::checkLayout("toHost", x, l);
  Context& c = useDevice(x->device);
  const int64_t n = l.numel();
  const size_t bytes = static_cast<size_t>(n) * dtypeSize(x->dtype);
  napi_value ab;
  void* host = nullptr;
  napi::check(napi_create_arraybuffer(a.env, bytes, &host, &ab), "napi_create_arraybuffer");
  if (n == 0) {
    syncDevice(c);
    return ab;
  }
  if (walkDense(walkOf(l))) {
    check(cudaMemcpyAsync(host, x->as<char>() + l.offset * dtypeSize(x->dtype), bytes, cudaMemcpyDeviceToHost, c.stream),
          "cudaMemcpyAsync (toHost)");
    syncDevice(c);
  } else {
    Scratch tmp(x->device, bytes);
    copyStrided(c, x, l, x->dtype, tmp.ptr);
    check(cudaMemcpyAsync(host, tmp.ptr, bytes, cudaMemcpyDeviceToHost, c.stream), "cudaMemcpyAsync (toHost)");
    syncDevice(c);
  }
  return ab;
}

// copy(h, layout, dtype) -> contiguous copy cast to dtype
TCUDA_FN(copy) {
  Buffer* x = a.buffer(0);
  const HostLayout l = a.layout(1);
  const DType outT = static_cast<DType>(a.integer(2));
  napi::checkLayout("copy", x, l);
  Context& c = useDevice(x->device);
  Owned out(allocBuffer(x->device, outT, l.numel(), false));
  copyStrided(c, x, l, outT, out->data);
  return napi::wrapOwned(a.env, out);
}

// copyInto(dst, dstLayout, src, srcLayout): src broadcast into dst's (strided) view, in place
TCUDA_FN(copyInto) {
  Buffer* dst = a.buffer(0);
  const HostLayout dl = a.layout(1);
  Buffer* src = a.buffer(2);
  HostLayout sl = a.layout(3);
  napi::checkLayout("copyInto", dst, dl);
  napi::checkLayout("copyInto", src, sl);
  if (dst->dtype != src->dtype) throw OpError(std::string("copyInto: dtype ") + dtypeName(src->dtype) + " into " + dtypeName(dst->dtype));
  Context& c = useDevice(dst->device);
  const int64_t n = dl.numel();
  if (n == 0) return napi::undefinedValue(a.env);
  // src and dst may overlap (same storage): copy the source out first
  std::unique_ptr<Scratch> tmp;
  const Buffer* from = src;
  Buffer tmpBuf;
  if (src->data == dst->data) {
    const int64_t sn = sl.numel();
    tmp = std::make_unique<Scratch>(dst->device, sn * dtypeSize(src->dtype));
    copyStrided(c, src, sl, src->dtype, tmp->ptr);
    tmpBuf.data = tmp->ptr;
    tmpBuf.length = sn;
    tmpBuf.dtype = src->dtype;
    tmpBuf.device = src->device;
    from = &tmpBuf;
    // the contiguous copy holds the (expanded) source in row-major order
    int64_t e = 1;
    for (int d = sl.nd - 1; d >= 0; d--) {
      sl.strides[d] = e;
      e *= sl.shape[d];
    }
    sl.offset = 0;
  }
  const int64_t* strides[2] = {dl.strides, sl.strides};
  const Walk<2> w = makeWalk<2>(dl.shape, dl.nd, strides);
  dispatchType(dst->dtype, [&](auto tag) {
    using T = decltype(tag);
    if (w.nd == 2 && w.strides[0][1] == 1 && w.strides[1][1] == 1 && w.shape[1] >= 64) {
      // rows with contiguous columns on both sides (narrow's backward, cat): row by row
      const unsigned gx = static_cast<unsigned>(std::min<int64_t>((w.shape[1] + 255) / 256, 16));
      const unsigned gy = static_cast<unsigned>(std::min<int64_t>(w.shape[0], 65535));
      rowCopyKernel<T><<<dim3(gx, gy), 256, 0, c.stream>>>(dst->as<T>() + dl.offset, w.strides[0][0], from->as<T>() + sl.offset, w.strides[1][0],
                                                            w.shape[1], w.shape[0]);
      afterLaunch("copy_into_rows");
      return;
    }
    launchElementwise<2>(c, "copy_into", StoreF<T>{dst->as<T>() + dl.offset, from->as<T>() + sl.offset}, w, n);
  });
  return napi::undefinedValue(a.env);
}
