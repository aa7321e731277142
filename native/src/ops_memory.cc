// Memory primitives: zeros / full / arange, host transfers, strided copies with casts, copyInto, release.
#include <cstring>

#include "dtype_conv.h"
#include "napi_util.h"
#include "ops.h"

namespace tessera {
namespace {

DType dtypeArg(const napi::CallArgs& a, size_t i) {
  const int64_t d = a.integer(i);
  if (d < 0 || d > 6) throw OpError("native cpu backend: unknown dtype code " + std::to_string(d));
  return static_cast<DType>(d);
}

// dst (contiguous or strided) <- src (strided), casting S -> D, over a shape walked by both.
template <typename D, typename S>
void copyWalk(const S* src, const D* dstConst, const Walk<2>& w) {
  D* dst = const_cast<D*>(dstConst);
  forEachRow(w, [&](int64_t, const int64_t* off, int64_t n) {
    const S* s = src + off[0];
    D* d = dst + off[1];
    const int64_t ss = w.innerStride(0), ds = w.innerStride(1);
    if constexpr (std::is_same_v<D, S>) {
      if (ss == 1 && ds == 1) {
        std::memcpy(d, s, sizeof(D) * n);
        return;
      }
    }
    if (ss == 1 && ds == 1) {
      for (int64_t i = 0; i < n; i++) d[i] = castTo<D>(s[i]);
    } else {
      for (int64_t i = 0; i < n; i++) d[i * ds] = castTo<D>(s[i * ss]);
    }
  });
}

void stridedCopy(const Buffer* src, const Layout& sl, void* dst, DType dd, const int64_t* dstStrides, int64_t dstOffset) {
  const int64_t* strides[2] = {sl.strides, dstStrides};
  Walk<2> w(sl.shape, sl.nd, strides);
  TESSERA_DISPATCH(src->dtype, S, {
    const S* s = src->as<S>() + sl.offset;
    TESSERA_DISPATCH(dd, D, { copyWalk<D, S>(s, static_cast<D*>(dst) + dstOffset, w); });
  });
}

template <typename T>
void fillValue(Buffer* b, double start, double step) {
  T* p = b->as<T>();
  const int64_t n = b->length;
  parallelFor(n, kParallelGrain, [&](int64_t lo, int64_t hi, int) {
    if (step == 0) {
      const T v = fromDouble<T>(start);
      for (int64_t i = lo; i < hi; i++) p[i] = v;
    } else {
      for (int64_t i = lo; i < hi; i++) p[i] = fromDouble<T>(start + static_cast<double>(i) * step);
    }
  });
}

TESSERA_FN(zeros) {
  return napi::wrap(a.env, allocBuffer(dtypeArg(a, 0), a.integer(1), true));
}

TESSERA_FN(full) {
  Buffer* b = allocBuffer(dtypeArg(a, 0), a.integer(1), false);
  const double v = a.number(2);
  TESSERA_DISPATCH(b->dtype, T, fillValue<T>(b, v, 0));
  return napi::wrap(a.env, b);
}

TESSERA_FN(arange) {
  Buffer* b = allocBuffer(dtypeArg(a, 0), a.integer(3), false);
  const double start = a.number(1), step = a.number(2);
  TESSERA_DISPATCH(b->dtype, T, fillValue<T>(b, start, step));
  return napi::wrap(a.env, b);
}

TESSERA_FN(fromHost) {
  const DType dt = dtypeArg(a, 1);
  size_t bytes;
  const void* data = a.typedArrayData(0, &bytes);
  const int64_t n = static_cast<int64_t>(bytes / dtypeSize(dt));
  Buffer* b = allocBuffer(dt, n, false);
  if (bytes) std::memcpy(b->data, data, bytes);
  return napi::wrap(a.env, b);
}

// toHost(storage, layout) -> ArrayBuffer with the elements in row-major order of layout.shape.
TESSERA_FN(toHost) {
  Buffer* src = a.buffer(0);
  const Layout l = a.layout(1);
  checkLayout("toHost", src, l);
  const int64_t n = l.numel();
  void* data = nullptr;
  napi_value ab;
  napi::check(a.env, napi_create_arraybuffer(a.env, static_cast<size_t>(n) * dtypeSize(src->dtype), &data, &ab),
              "napi_create_arraybuffer");
  if (n > 0) {
    const Layout dl = contiguousLayout(l.shape, l.nd);
    stridedCopy(src, l, data, src->dtype, dl.strides, 0);
  }
  return ab;
}

// copy(storage, layout, dtype) -> a contiguous storage of layout.shape cast to dtype.
TESSERA_FN(copy) {
  Buffer* src = a.buffer(0);
  const Layout l = a.layout(1);
  const DType dt = dtypeArg(a, 2);
  checkLayout("copy", src, l);
  Buffer* out = allocBuffer(dt, l.numel(), false);
  if (out->length > 0) {
    const Layout dl = contiguousLayout(l.shape, l.nd);
    stridedCopy(src, l, out->data, dt, dl.strides, 0);
  }
  return napi::wrap(a.env, out);
}

// copyInto(dst, dstLayout, src, srcLayout): src broadcast (right-aligned, size-1 dims) to dstLayout.shape.
TESSERA_FN(copyInto) {
  Buffer* dst = a.buffer(0);
  const Layout dl = a.layout(1);
  Buffer* src = a.buffer(2);
  const Layout sl = a.layout(3);
  checkLayout("copyInto", dst, dl);
  checkLayout("copyInto", src, sl);
  if (dl.numel() == 0) return napi::undefinedValue(a.env);
  Layout b = dl;  // src seen with dst's shape
  b.offset = sl.offset;
  for (int i = 0; i < dl.nd; i++) {
    const int j = i - (dl.nd - sl.nd);
    if (j < 0 || sl.shape[j] == 1) {
      b.strides[i] = 0;
    } else if (sl.shape[j] == dl.shape[i]) {
      b.strides[i] = sl.strides[j];
    } else {
      throw OpError("copyInto: source shape " + sl.shapeString() + " does not broadcast to " + dl.shapeString());
    }
  }
  if (src->dtype != dst->dtype)
    throw OpError(std::string("copyInto: source is ") + dtypeName(src->dtype) + ", destination " + dtypeName(dst->dtype));
  if (src == dst) {
    // the source may overlap the destination: read it out first
    Buffer* tmp = allocBuffer(src->dtype, dl.numel(), false);
    const Layout tl = contiguousLayout(dl.shape, dl.nd);
    stridedCopy(src, b, tmp->data, tmp->dtype, tl.strides, 0);
    stridedCopy(tmp, tl, dst->data, dst->dtype, dl.strides, dl.offset);
    freeBufferData(tmp);
    delete tmp;
  } else {
    stridedCopy(src, b, dst->data, dst->dtype, dl.strides, dl.offset);
  }
  return napi::undefinedValue(a.env);
}

TESSERA_FN(release) {
  napi::releaseBuffer(a.env, a.buffer(0));
  return napi::undefinedValue(a.env);
}

TESSERA_FN(isReleased) {
  napi_value r;
  napi_get_boolean(a.env, a.buffer(0)->released, &r);
  return r;
}

TESSERA_FN(liveBytesFn) { return napi::makeNumber(a.env, static_cast<double>(liveBytes())); }

TESSERA_FN(cachedBytesFn) { return napi::makeNumber(a.env, static_cast<double>(cachedBytes())); }

TESSERA_FN(emptyCacheFn) {
  emptyCache();
  return napi::undefinedValue(a.env);
}

}  // namespace

void initMemoryOps(napi_env env, napi_value exports) {
  napi::exportFunction(env, exports, "zeros", zeros);
  napi::exportFunction(env, exports, "full", full);
  napi::exportFunction(env, exports, "arange", arange);
  napi::exportFunction(env, exports, "fromHost", fromHost);
  napi::exportFunction(env, exports, "toHost", toHost);
  napi::exportFunction(env, exports, "copy", copy);
  napi::exportFunction(env, exports, "copyInto", copyInto);
  napi::exportFunction(env, exports, "release", release);
  napi::exportFunction(env, exports, "isReleased", isReleased);
  napi::exportFunction(env, exports, "liveBytes", liveBytesFn);
  napi::exportFunction(env, exports, "cachedBytes", cachedBytesFn);
  napi::exportFunction(env, exports, "emptyCache", emptyCacheFn);
}

}  // namespace tessera
