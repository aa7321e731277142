// Indexing: indexSelect / indexAdd (embedding lookup and its backward) and gather / scatterAdd. Ids are
// range-checked before any work and an id out of range fails naming the op, the id, the dim and its size.
#include <cstring>
#include <vector>

#include "dtype_conv.h"
#include "napi_util.h"
#include "ops.h"
#include "vec.h"

namespace tessera {
namespace {

std::vector<int64_t> readIndex(const char* op, const Buffer* idx, const Layout& l) {
  checkLayout(op, idx, l);
  if (idx->dtype != DType::I32 && idx->dtype != DType::I64)
    throw OpError(std::string(op) + ": index must be int32 or int64, got " + dtypeName(idx->dtype));
  const int64_t n = l.numel();
  std::vector<int64_t> out(n);
  if (n == 0) return out;
  const Layout ol = contiguousLayout(l.shape, l.nd);
  const int64_t* strides[2] = {l.strides, ol.strides};
  Walk<2> w(l.shape, l.nd, strides);
  for (int64_t r = 0, rows = w.rows(); r < rows; r++) {
    int64_t off[2];
    w.rowOffsets(r, off);
    const int64_t s = w.innerStride(0);
    for (int64_t i = 0; i < w.rowLen(); i++) {
      out[off[1] + i] = idx->dtype == DType::I32 ? idx->as<int32_t>()[l.offset + off[0] + i * s]
                                                 : idx->as<int64_t>()[l.offset + off[0] + i * s];
    }
  }
  return out;
}

void checkIds(const char* op, const std::vector<int64_t>& ids, int axis, int64_t size) {
  for (int64_t id : ids)
    if (id < 0 || id >= size)
      throw OpError(std::string(op) + ": index " + std::to_string(id) + " is out of range for dimension " +
                    std::to_string(axis) + " of size " + std::to_string(size));
}

int checkAxis(const char* op, int64_t axis, int nd) {
  if (axis < 0 || axis >= nd) throw OpError(std::string(op) + ": axis " + std::to_string(axis) + " out of range for " + std::to_string(nd) + " dims");
  return static_cast<int>(axis);
}

Layout shapeArg(const napi::CallArgs& a, size_t i) {
  const std::vector<double> d = a.doubles(i);
  if (d.size() > kMaxDims) throw OpError("native cpu backend: tensors of more than 16 dims are not supported");
  int64_t shape[kMaxDims];
  for (size_t k = 0; k < d.size(); k++) shape[k] = static_cast<int64_t>(d[k]);
  return contiguousLayout(shape, static_cast<int>(d.size()));
}

const float* f32Contiguous(const char* op, const Buffer* b, const Layout& l, std::vector<float>& tmp) {
  checkLayout(op, b, l);
  if (b->dtype != DType::F32) throw OpError(std::string(op) + ": expected float32, got " + dtypeName(b->dtype));
  if (l.contiguous()) return b->as<float>() + l.offset;
  tmp.resize(l.numel());
  const Layout ol = contiguousLayout(l.shape, l.nd);
  const int64_t* strides[2] = {l.strides, ol.strides};
  Walk<2> w(l.shape, l.nd, strides);
  const float* src = b->as<float>() + l.offset;
  forEachRow(w, [&](int64_t, const int64_t* off, int64_t n) {
    const int64_t s = w.innerStride(0);
    for (int64_t i = 0; i < n; i++) tmp[off[1] + i] = src[off[0] + i * s];
  });
  return tmp.data();
}

TESSERA_FN(indexSelect) {
  Buffer* x = a.buffer(0);
  const Layout l = a.layout(1);
  checkLayout("indexSelect", x, l);
  const int axis = checkAxis("indexSelect", a.integer(2), l.nd);
  const std::vector<int64_t> ids = readIndex("indexSelect", a.buffer(3), a.layout(4));
  const int64_t size = l.shape[axis];
  checkIds("indexSelect", ids, axis, size);
  const int64_t nIdx = static_cast<int64_t>(ids.size());
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < axis; i++) outer *= l.shape[i];
  for (int i = axis + 1; i < l.nd; i++) inner *= l.shape[i];
  Buffer* out = allocBuffer(x->dtype, outer * nIdx * inner, false);
  if (out->length == 0) return napi::wrap(a.env, out);
  Layout outerL, innerL;
  outerL.nd = axis;
  for (int i = 0; i < axis; i++) { outerL.shape[i] = l.shape[i]; outerL.strides[i] = l.strides[i]; }
  innerL.nd = l.nd - axis - 1;
  for (int i = 0; i < innerL.nd; i++) { innerL.shape[i] = l.shape[axis + 1 + i]; innerL.strides[i] = l.strides[axis + 1 + i]; }
  const Layout innerOut = contiguousLayout(innerL.shape, innerL.nd);
  const int64_t* st[2] = {innerL.strides, innerOut.strides};
  Walk<2> w(innerL.shape, innerL.nd, st);
  const int64_t axisStride = l.strides[axis];
  const size_t es = dtypeSize(x->dtype);
  const char* src = static_cast<const char*>(x->data);
  char* dst = static_cast<char*>(out->data);
  const bool innerContig = innerL.contiguous();
  parallelFor(outer * nIdx, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, inner)), [&](int64_t t0, int64_t t1, int) {
    for (int64_t t = t0; t < t1; t++) {
      const int64_t o = t / nIdx, i = t % nIdx;
      int64_t base = l.offset + ids[i] * axisStride;
      int64_t r = o;
      for (int d = axis - 1; d >= 0; d--) { base += (r % outerL.shape[d]) * outerL.strides[d]; r /= outerL.shape[d]; }
      char* d0 = dst + static_cast<size_t>(t * inner) * es;
      if (innerContig) {
        std::memcpy(d0, src + base * es, inner * es);
        continue;
      }
      for (int64_t row = 0; row < w.rows(); row++) {
        int64_t off[2];
        w.rowOffsets(row, off);
        for (int64_t j = 0; j < w.rowLen(); j++)
          std::memcpy(d0 + (off[1] + j) * es, src + (base + off[0] + j * w.innerStride(0)) * es, es);
      }
    }
  });
  return napi::wrap(a.env, out);
}

TESSERA_FN(indexAdd) {
  const Layout ol = shapeArg(a, 0);
  const int axis = checkAxis("indexAdd", a.integer(1), ol.nd);
  const std::vector<int64_t> ids = readIndex("indexAdd", a.buffer(2), a.layout(3));
  const int64_t size = ol.shape[axis];
  checkIds("indexAdd", ids, axis, size);
  std::vector<float> tmp;
  const Layout sl = a.layout(5);
  const float* src = f32Contiguous("indexAdd", a.buffer(4), sl, tmp);
  const int64_t nIdx = static_cast<int64_t>(ids.size());
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < axis; i++) outer *= ol.shape[i];
  for (int i = axis + 1; i < ol.nd; i++) inner *= ol.shape[i];
  if (sl.numel() != outer * nIdx * inner) throw OpError("indexAdd: source shape " + sl.shapeString() + " does not match the index and the output");
  Buffer* out = allocBuffer(DType::F32, ol.numel(), true);
  float* dst = out->as<float>();
  // threads own disjoint column ranges of the inner dim, so repeated ids never race
  const int64_t chunk = inner >= 256 ? std::max<int64_t>(64, (inner + numThreads() - 1) / numThreads()) : inner;
  const int64_t chunks = inner > 0 ? (inner + chunk - 1) / chunk : 0;
  const VecOps& v = vecOps();
  parallelFor(chunks, 1, [&](int64_t c0, int64_t c1, int) {
    for (int64_t c = c0; c < c1; c++) {
      const int64_t j0 = c * chunk, n = std::min(inner, j0 + chunk) - j0;
      for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < nIdx; i++)
          v.axpy(1.0f, src + (o * nIdx + i) * inner + j0, dst + (o * size + ids[i]) * inner + j0, n);
    }
  });
  return napi::wrap(a.env, out);
}

TESSERA_FN(gather) {
  Buffer* x = a.buffer(0);
  const Layout l = a.layout(1);
  checkLayout("gather", x, l);
  const int axis = checkAxis("gather", a.integer(2), l.nd);
  const Layout il = a.layout(4);
  const std::vector<int64_t> ids = readIndex("gather", a.buffer(3), il);
  const int64_t size = l.shape[axis];
  checkIds("gather", ids, axis, size);
  if (il.nd != l.nd) throw OpError("gather: index shape " + il.shapeString() + " and input shape " + l.shapeString() + " differ in rank");
  Buffer* out = allocBuffer(x->dtype, static_cast<int64_t>(ids.size()), false);
  const int64_t n = out->length;
  TESSERA_DISPATCH(x->dtype, T, {
    const T* src = x->as<T>();
    T* dst = out->as<T>();
    parallelFor(n, kParallelGrain, [&](int64_t i0, int64_t i1, int) {
      for (int64_t i = i0; i < i1; i++) {
        int64_t r = i, off = l.offset;
        for (int d = il.nd - 1; d >= 0; d--) {
          const int64_t idx = r % il.shape[d];
          r /= il.shape[d];
          if (d != axis) off += idx * l.strides[d];
        }
        dst[i] = src[off + ids[i] * l.strides[axis]];
      }
    });
  });
  return napi::wrap(a.env, out);
}

TESSERA_FN(scatterAdd) {
  const Layout ol = shapeArg(a, 0);
  const int axis = checkAxis("scatterAdd", a.integer(1), ol.nd);
  const Layout il = a.layout(3);
  const std::vector<int64_t> ids = readIndex("scatterAdd", a.buffer(2), il);
  checkIds("scatterAdd", ids, axis, ol.shape[axis]);
  std::vector<float> tmp;
  const Layout sl = a.layout(5);
  const float* src = f32Contiguous("scatterAdd", a.buffer(4), sl, tmp);
  if (il.nd != ol.nd) throw OpError("scatterAdd: index shape " + il.shapeString() + " and output shape " + ol.shapeString() + " differ in rank");
  if (sl.numel() < static_cast<int64_t>(ids.size())) throw OpError("scatterAdd: source " + sl.shapeString() + " is smaller than the index " + il.shapeString());
  Buffer* out = allocBuffer(DType::F32, ol.numel(), true);
  float* dst = out->as<float>();
  for (int64_t i = 0, n = static_cast<int64_t>(ids.size()); i < n; i++) {
    int64_t r = i, off = 0;
    for (int d = il.nd - 1; d >= 0; d--) {
      const int64_t idx = r % il.shape[d];
      r /= il.shape[d];
      off += (d == axis ? ids[i] : idx) * ol.strides[d];
    }
    dst[off] += src[i];
  }
  return napi::wrap(a.env, out);
}

}  // namespace

void initIndexOps(napi_env env, napi_value exports) {
  napi::exportFunction(env, exports, "indexSelect", indexSelect);
  napi::exportFunction(env, exports, "indexAdd", indexAdd);
  napi::exportFunction(env, exports, "gather", gather);
  napi::exportFunction(env, exports, "scatterAdd", scatterAdd);
}

}  // namespace tessera
