// Indexing ops: indexSelect (embedding lookup) and indexAdd (its backward, float32 atomics), gather and
// scatterAdd, and im2col / col2im for convolutions. An id found out of range on the device is clamped,
// recorded in the device's error flag and reported at the next synchronising read.
#include "elementwise.cuh"
#include "napi_glue.h"
#include "ops.h"

namespace tcuda {

namespace {

__device__ __forceinline__ int64_t checkedId(int64_t id, int64_t size, DeviceError* err, int code) {
  if (id < 0 || id >= size) {
    if (atomicCAS(&err->code, 0, code) == 0) {
      err->value = id;
      err->size = size;
    }
    return 0;
  }
  return id;
}

template <typename T, typename TI>
struct IndexSelectF {
  const T* x;
  const TI* idx;
  int64_t idxStride, inner, nIdx, size, axisStride;
  T* y;
  DeviceError* err;
  template <typename I>
  __device__ void operator()(I i, const I* off) const {
    const int64_t j = (static_cast<int64_t>(i) / inner) % nIdx;
    const int64_t id = checkedId(static_cast<int64_t>(idx[j * idxStride]), size, err, kErrIndexSelect);
    y[i] = x[off[0] + id * axisStride];
  }
};

template <typename T, typename TI>
struct IndexAddF {
  const T* src;
  const TI* idx;
  int64_t idxStride, inner, nIdx, size;
  float* out;
  DeviceError* err;
  template <typename I>
  __device__ void operator()(I i, const I* off) const {
    const int64_t ii = static_cast<int64_t>(i);
    const int64_t in = ii % inner;
    const int64_t j = (ii / inner) % nIdx;
    const int64_t outer = ii / (inner * nIdx);
    const int64_t id = static_cast<int64_t>(idx[j * idxStride]);
    if (id < 0 || id >= size) {
      checkedId(id, size, err, kErrIndexAdd);
      return;
    }
    atomicAdd(out + (outer * size + id) * inner + in, toF<T>(src[off[0]]));
  }
};

template <typename T, typename TI>
struct GatherF {
  const T* x;
  const TI* idx;
  int64_t size, axisStride;
  T* y;
  DeviceError* err;
  template <typename I>
  __device__ void operator()(I i, const I* off) const {
    const int64_t id = checkedId(static_cast<int64_t>(idx[off[1]]), size, err, kErrGather);
    y[i] = x[off[0] + id * axisStride];
  }
};

template <typename T, typename TI>
struct ScatterAddF {
  const T* src;
  const TI* idx;
  int64_t size, axisStride;
  float* out;
  DeviceError* err;
  template <typename I>
  __device__ void operator()(I, const I* off) const {
    const int64_t id = static_cast<int64_t>(idx[off[1]]);
    if (id < 0 || id >= size) {
      checkedId(id, size, err, kErrScatterAdd);
      return;
    }
    atomicAdd(out + off[0] + id * axisStride, toF<T>(src[off[2]]));
  }
};

template <typename F>
void dispatchIndex(DType d, F&& f) {
  if (d == DType::I32) f(int32_t{});
  else if (d == DType::I64) f(int64_t{});
  else throw OpError(std::string(currentOp()) + ": index must be int32 or int64, got " + dtypeName(d));
}

template <typename F>
void dispatchSrcFloat(DType d, F&& f) {
  if (d == DType::F32) f(float{});
  else if (d == DType::BF16) f(__nv_bfloat16{});
  else if (d == DType::F16) f(__half{});
  else throw OpError(std::string(currentOp()) + ": expected a float source, got " + dtypeName(d));
}

// --- im2col / col2im over (B, C, H, W) ---

struct ConvGeom {
  int64_t B, C, H, W, kh, kw, sh, sw, ph, pw, Ho, Wo;
};

template <typename T>
__global__ void unfoldKernel(const T* x, HostLayout xl, float* cols, ConvGeom g, int64_t n) {
  // x strides from the layout (b, c, y, x)
  const int64_t sb = xl.strides[0], sc = xl.strides[1], sy = xl.strides[2], sx = xl.strides[3];
  const int64_t L = g.Ho * g.Wo;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t l = i % L;
    const int64_t row = (i / L) % (g.C * g.kh * g.kw);
    const int64_t b = i / (L * g.C * g.kh * g.kw);
    const int64_t kj = row % g.kw, ki = (row / g.kw) % g.kh, c = row / (g.kw * g.kh);
    const int64_t oy = l / g.Wo, ox = l % g.Wo;
    const int64_t y = oy * g.sh - g.ph + ki, xx = ox * g.sw - g.pw + kj;
    float v = 0.f;
    if (y >= 0 && y < g.H && xx >= 0 && xx < g.W) v = toF<T>(x[xl.offset + b * sb + c * sc + y * sy + xx * sx]);
    cols[i] = v;
  }
}

__global__ void foldKernel(const float* cols, float* out, ConvGeom g, int64_t n) {
  const int64_t L = g.Ho * g.Wo;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t xx = i % g.W, y = (i / g.W) % g.H, c = (i / (g.W * g.H)) % g.C, b = i / (g.W * g.H * g.C);
    float acc = 0.f;
    for (int64_t ki = 0; ki < g.kh; ki++) {
      const int64_t ty = y + g.ph - ki;
      if (ty < 0 || ty % g.sh) continue;
      const int64_t oy = ty / g.sh;
      if (oy >= g.Ho) continue;
      for (int64_t kj = 0; kj < g.kw; kj++) {
        const int64_t tx = xx + g.pw - kj;
        if (tx < 0 || tx % g.sw) continue;
        const int64_t ox = tx / g.sw;
        if (ox >= g.Wo) continue;
        acc += cols[((b * g.C + c) * g.kh * g.kw + ki * g.kw + kj) * L + oy * g.Wo + ox];
      }
    }
    out[i] = acc;
  }
}

ConvGeom geometry(const int64_t* shape, const std::vector<double>& k, const std::vector<double>& s, const std::vector<double>& p) {
  ConvGeom g{};
  g.B = shape[0];
  g.C = shape[1];
  g.H = shape[2];
  g.W = shape[3];
  g.kh = static_cast<int64_t>(k.at(0));
  g.kw = static_cast<int64_t>(k.at(1));
  g.sh = static_cast<int64_t>(s.at(0));
  g.sw = static_cast<int64_t>(s.at(1));
  g.ph = static_cast<int64_t>(p.at(0));
  g.pw = static_cast<int64_t>(p.at(1));
  g.Ho = (g.H + 2 * g.ph - g.kh) / g.sh + 1;
  g.Wo = (g.W + 2 * g.pw - g.kw) / g.sw + 1;
  if (g.Ho <= 0 || g.Wo <= 0) throw OpError("unfold: kernel does not fit the input");
  return g;
}

}  // namespace

}  // namespace tcuda

using namespace tcuda;
using tcuda::napi::Owned;

// indexSelect(x, layout, axis, index, indexLayout)
TCUDA_FN(indexSelect) {
  Buffer* x = a.buffer(0);
  const HostLayout l = a.layout(1);
  const int axis = static_cast<int>(a.integer(2));
  Buffer* idx = a.buffer(3);
  const HostLayout il = a.layout(4);
  napi::checkLayout("indexSelect", x, l);
  napi::checkLayout("indexSelect", idx, il);
  if (axis < 0 || axis >= l.nd) throw OpError("indexSelect: axis out of range");
  Context& c = useDevice(x->device);
  const int64_t nIdx = il.numel();
  HostLayout ol = l;
  ol.shape[axis] = nIdx;
  int64_t inner = 1;
  for (int d = axis + 1; d < l.nd; d++) inner *= l.shape[d];
  const int64_t n = ol.numel();
  Owned out(allocBuffer(x->device, x->dtype, n, false));
  if (n == 0) return napi::wrapOwned(a.env, out);
  int64_t xs[16];
  for (int d = 0; d < l.nd; d++) xs[d] = d == axis ? 0 : l.strides[d];
  const int64_t* strides[1] = {xs};
  const Walk<1> w = makeWalk<1>(ol.shape, ol.nd, strides);
  const int64_t idxStride = il.nd == 0 ? 0 : il.strides[il.nd - 1];
  dispatchType(x->dtype, [&](auto tx) {
    using T = decltype(tx);
    dispatchIndex(idx->dtype, [&](auto ti) {
      using TI = decltype(ti);
      launchElementwise<1>(c, "index_select",
                           IndexSelectF<T, TI>{x->as<T>() + l.offset, idx->as<TI>() + il.offset, idxStride, inner, nIdx, l.shape[axis],
                                               l.strides[axis], out->as<T>(), c.errDev},
                           w, n);
    });
  });
  return napi::wrapOwned(a.env, out);
}

// indexAdd(dev, shape, axis, index, indexLayout, src, srcLayout) -> float32 zeros(shape) with src added at ids
TCUDA_FN(indexAdd) {
  const int dev = static_cast<int>(a.integer(0));
  const std::vector<double> shape = a.doubles(1);
  const int axis = static_cast<int>(a.integer(2));
  Buffer* idx = a.buffer(3);
  const HostLayout il = a.layout(4);
  Buffer* src = a.buffer(5);
  const HostLayout sl = a.layout(6);
  napi::checkLayout("indexAdd", idx, il);
  napi::checkLayout("indexAdd", src, sl);
  Context& c = useDevice(dev);
  int64_t total = 1, inner = 1;
  for (size_t d = 0; d < shape.size(); d++) {
    total *= static_cast<int64_t>(shape[d]);
    if (static_cast<int>(d) > axis) inner *= static_cast<int64_t>(shape[d]);
  }
  const int64_t size = static_cast<int64_t>(shape.at(axis));
  const int64_t nIdx = il.numel();
  Owned out(allocBuffer(dev, DType::F32, total, true));
  const int64_t n = sl.numel();
  if (n == 0) return napi::wrapOwned(a.env, out);
  const Walk<1> w = walkOf(sl);
  const int64_t idxStride = il.nd == 0 ? 0 : il.strides[il.nd - 1];
  dispatchSrcFloat(src->dtype, [&](auto ts) {
    using T = decltype(ts);
    dispatchIndex(idx->dtype, [&](auto ti) {
      using TI = decltype(ti);
      launchElementwise<1>(c, "index_add",
                           IndexAddF<T, TI>{src->as<T>() + sl.offset, idx->as<TI>() + il.offset, idxStride, inner, nIdx, size, out->as<float>(),
                                            c.errDev},
                           w, n);
    });
  });
  return napi::wrapOwned(a.env, out);
}

// gather(x, layout, axis, index, indexLayout): out has the index's shape
TCUDA_FN(gather) {
  Buffer* x = a.buffer(0);
  const HostLayout l = a.layout(1);
  const int axis = static_cast<int>(a.integer(2));
  Buffer* idx = a.buffer(3);
  const HostLayout il = a.layout(4);
  napi::checkLayout("gather", x, l);
  napi::checkLayout("gather", idx, il);
  Context& c = useDevice(x->device);
  const int64_t n = il.numel();
  Owned out(allocBuffer(x->device, x->dtype, n, false));
  if (n == 0) return napi::wrapOwned(a.env, out);
  int64_t xs[16];
  for (int d = 0; d < il.nd; d++) xs[d] = d == axis ? 0 : l.strides[d];
  const int64_t* strides[2] = {xs, il.strides};
  const Walk<2> w = makeWalk<2>(il.shape, il.nd, strides);
  dispatchType(x->dtype, [&](auto tx) {
    using T = decltype(tx);
    dispatchIndex(idx->dtype, [&](auto ti) {
      using TI = decltype(ti);
      launchElementwise<2>(c, "gather",
                           GatherF<T, TI>{x->as<T>() + l.offset, idx->as<TI>() + il.offset, l.shape[axis], l.strides[axis], out->as<T>(), c.errDev},
                           w, n);
    });
  });
  return napi::wrapOwned(a.env, out);
}

// scatterAdd(dev, shape, axis, index, indexLayout, src, srcLayout) -> float32
TCUDA_FN(scatterAdd) {
  const int dev = static_cast<int>(a.integer(0));
  const std::vector<double> shape = a.doubles(1);
  const int axis = static_cast<int>(a.integer(2));
  Buffer* idx = a.buffer(3);
  const HostLayout il = a.layout(4);
  Buffer* src = a.buffer(5);
  const HostLayout sl = a.layout(6);
  napi::checkLayout("scatterAdd", idx, il);
  napi::checkLayout("scatterAdd", src, sl);
  Context& c = useDevice(dev);
  const int nd = static_cast<int>(shape.size());
  int64_t outStrides[16], total = 1;
  for (int d = nd - 1; d >= 0; d--) {
    outStrides[d] = total;
    total *= static_cast<int64_t>(shape[d]);
  }
  Owned out(allocBuffer(dev, DType::F32, total, true));
  const int64_t n = il.numel();
  if (n == 0) return napi::wrapOwned(a.env, out);
  int64_t os[16];
  for (int d = 0; d < il.nd; d++) os[d] = d == axis ? 0 : outStrides[d];
  const int64_t* strides[3] = {os, il.strides, sl.strides};
  const Walk<3> w = makeWalk<3>(il.shape, il.nd, strides);
  dispatchSrcFloat(src->dtype, [&](auto ts) {
    using T = decltype(ts);
    dispatchIndex(idx->dtype, [&](auto ti) {
      using TI = decltype(ti);
      launchElementwise<3>(c, "scatter_add",
                           ScatterAddF<T, TI>{src->as<T>() + sl.offset, idx->as<TI>() + il.offset, static_cast<int64_t>(shape.at(axis)), outStrides[axis],
                                              out->as<float>(), c.errDev},
                           w, n);
    });
  });
  return napi::wrapOwned(a.env, out);
}

// unfold(x, layout, kernel, stride, padding) -> float32 (B, C*kh*kw, Ho*Wo)
TCUDA_FN(unfold) {
  Buffer* x = a.buffer(0);
  const HostLayout l = a.layout(1);
  napi::checkLayout("unfold", x, l);
  if (l.nd != 4) throw OpError("unfold: input must be (B, C, H, W)");
  const ConvGeom g = geometry(l.shape, a.doubles(2), a.doubles(3), a.doubles(4));
  Context& c = useDevice(x->device);
  const int64_t n = g.B * g.C * g.kh * g.kw * g.Ho * g.Wo;
  Owned out(allocBuffer(x->device, DType::F32, n, false));
  if (n == 0) return napi::wrapOwned(a.env, out);
  dispatchFloat(x->dtype, "unfold", [&](auto tag) {
    using T = decltype(tag);
    unfoldKernel<T><<<blocksFor(n, 256), 256, 0, c.stream>>>(x->as<T>(), l, out->as<float>(), g, n);
    afterLaunch("unfold");
  });
  return napi::wrapOwned(a.env, out);
}

// fold(cols, shape [B, C, H, W], kernel, stride, padding) -> float32 (B, C, H, W)
TCUDA_FN(fold) {
  Buffer* cols = a.buffer(0);
  const std::vector<double> shp = a.doubles(1);
  if (shp.size() != 4) throw OpError("fold: shape must be (B, C, H, W)");
  int64_t shape[4];
  for (int i = 0; i < 4; i++) shape[i] = static_cast<int64_t>(shp[i]);
  const ConvGeom g = geometry(shape, a.doubles(2), a.doubles(3), a.doubles(4));
  if (cols->dtype != DType::F32) throw OpError("fold: columns must be float32");
  if (cols->length < g.B * g.C * g.kh * g.kw * g.Ho * g.Wo) throw OpError("fold: columns are smaller than the geometry needs");
  Context& c = useDevice(cols->device);
  const int64_t n = g.B * g.C * g.H * g.W;
  Owned out(allocBuffer(cols->device, DType::F32, n, false));
  if (n == 0) return napi::wrapOwned(a.env, out);
  foldKernel<<<blocksFor(n, 256), 256, 0, c.stream>>>(cols->as<float>(), out->as<float>(), g, n);
  afterLaunch("fold");
  return napi::wrapOwned(a.env, out);
}
