// Elementwise ops: map (unary, scalar args), binary (broadcast by 0 strides) and where. float32 runs the
// per-ISA vector loops row by row; other dtypes compute in double and store with the dtype's cast, as the
// reference backend does.
#include <cmath>

#include "dtype_conv.h"
#include "napi_util.h"
#include "op_codes.h"
#include "ops.h"
#include "vec.h"

namespace tessera {
namespace {

double erfDouble(double x) { return std::erf(x); }

double mapDouble(int op, double x, double a, double b) {
  switch (op) {
    case kNeg: return -x;
    case kExp: return std::exp(x);
    case kLog: return std::log(x);
    case kSqrt: return std::sqrt(x);
    case kRsqrt: return 1.0 / std::sqrt(x);
    case kAbs: return std::fabs(x);
    case kTanh: return std::tanh(x);
    case kSigmoid: return 1.0 / (1.0 + std::exp(-x));
    case kRelu: return x > 0 ? x : 0;
    case kGelu: return 0.5 * x * (1.0 + erfDouble(x * M_SQRT1_2));
    case kGeluTanh: return 0.5 * x * (1.0 + std::tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
    case kErf: return erfDouble(x);
    case kSin: return std::sin(x);
    case kCos: return std::cos(x);
    case kSquare: return x * x;
    case kReciprocal: return 1.0 / x;
    case kSign: return x > 0 ? 1 : (x < 0 ? -1 : 0);
    case kFloor: return std::floor(x);
    case kCeil: return std::ceil(x);
    case kRound: return std::nearbyint(x);
    case kLogicalNot: return x == 0 ? 1 : 0;
    case kAddScalar: return x + a;
    case kMulScalar: return x * a;
    case kPowScalar: return a == 2 ? x * x : std::pow(x, a);
    case kRsubScalar: return a - x;
    case kClamp: {
      double y = x;
      if (a == a && y < a) y = a;
      if (b == b && y > b) y = b;
      return y;
    }
    default: return x;
  }
}

double geluGradDouble(double x) {
  return 0.5 * (1 + erfDouble(x * M_SQRT1_2)) + x * std::exp(-0.5 * x * x) * 0.3989422804014327;
}

double geluTanhGradDouble(double x) {
  const double c = 0.7978845608028654;
  const double t = std::tanh(c * (x + 0.044715 * x * x * x));
  return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x);
}

double binaryDouble(int op, double x, double y) {
  switch (op) {
    case kAdd: return x + y;
    case kSub: return x - y;
    case kMul: return x * y;
    case kDiv: return x / y;
    case kPow: return std::pow(x, y);
    case kMaximum: return (x != x || y != y) ? NAN : (x > y ? x : y);
    case kMinimum: return (x != x || y != y) ? NAN : (x < y ? x : y);
    case kEq: return x == y;
    case kNe: return x != y;
    case kLt: return x < y;
    case kLe: return x <= y;
    case kGt: return x > y;
    case kGe: return x >= y;
    case kAnd: return x != 0 && y != 0;
    case kOr: return x != 0 || y != 0;
    case kReluGrad: return x > 0 ? y : 0;
    case kGeluGrad: return y * geluGradDouble(x);
    case kGeluTanhGrad: return y * geluTanhGradDouble(x);
    default: return 0;
  }
}

TESSERA_FN(mapOp) {
  const int op = static_cast<int>(a.integer(0));
  Buffer* x = a.buffer(1);
  const Layout l = a.layout(2);
  const double s0 = a.number(3), s1 = a.number(4);
  checkLayout("map", x, l);
  if (op < 0 || op >= kMapCodeCount) throw OpError("map: unknown op code " + std::to_string(op));
  const DType outType = op == kLogicalNot ? DType::Bool : x->dtype;
  Buffer* out = allocBuffer(outType, l.numel(), false);
  if (out->length == 0) return napi::wrap(a.env, out);
  const int64_t* strides[2] = {l.strides, nullptr};
  const Layout ol = contiguousLayout(l.shape, l.nd);
  strides[1] = ol.strides;
  Walk<2> w(l.shape, l.nd, strides);
  if (x->dtype == DType::F32 && outType == DType::F32) {
    const float* src = x->as<float>() + l.offset;
    float* dst = out->as<float>();
    const VecOps& v = vecOps();
    const float fa = static_cast<float>(s0), fb = static_cast<float>(s1);
    forEachRow(w, [&](int64_t, const int64_t* off, int64_t n) { v.map(op, src + off[0], w.innerStride(0), dst + off[1], n, fa, fb); });
  } else {
    TESSERA_DISPATCH(x->dtype, S, {
      const S* src = x->as<S>() + l.offset;
      TESSERA_DISPATCH(outType, D, {
        D* dst = out->as<D>();
        forEachRow(w, [&](int64_t, const int64_t* off, int64_t n) {
          const S* s = src + off[0];
          D* d = dst + off[1];
          const int64_t ss = w.innerStride(0);
          for (int64_t i = 0; i < n; i++) d[i] = fromDouble<D>(mapDouble(op, toDouble(s[i * ss]), s0, s1));
        });
      });
    });
  }
  return napi::wrap(a.env, out);
}

TESSERA_FN(binaryOp) {
  const int op = static_cast<int>(a.integer(0));
  Buffer* x = a.buffer(1);
  const Layout xl = a.layout(2);
  Buffer* y = a.buffer(3);
  const Layout yl = a.layout(4);
  checkLayout("binary", x, xl);
  checkLayout("binary", y, yl);
  if (op < 0 || op >= kBinaryCodeCount) throw OpError("binary: unknown op code " + std::to_string(op));
  if (x->dtype != y->dtype) throw OpError(std::string("binary: dtypes ") + dtypeName(x->dtype) + " and " + dtypeName(y->dtype) + " differ");
  if (xl.nd != yl.nd) throw OpError("binary: shapes " + xl.shapeString() + " and " + yl.shapeString() + " differ");
  for (int i = 0; i < xl.nd; i++)
    if (xl.shape[i] != yl.shape[i]) throw OpError("binary: shapes " + xl.shapeString() + " and " + yl.shapeString() + " differ");
  const DType outType = isCompare(op) ? DType::Bool : x->dtype;
  Buffer* out = allocBuffer(outType, xl.numel(), false);
  if (out->length == 0) return napi::wrap(a.env, out);
  const Layout ol = contiguousLayout(xl.shape, xl.nd);
  const int64_t* strides[3] = {xl.strides, yl.strides, ol.strides};
  Walk<3> w(xl.shape, xl.nd, strides);
  if (x->dtype == DType::F32) {
    const float* pa = x->as<float>() + xl.offset;
    const float* pb = y->as<float>() + yl.offset;
    const VecOps& v = vecOps();
    if (outType == DType::F32) {
      float* dst = out->as<float>();
      forEachRow(w, [&](int64_t, const int64_t* off, int64_t n) {
        v.binary(op, pa + off[0], w.innerStride(0), pb + off[1], w.innerStride(1), dst + off[2], n);
      });
    } else {
      uint8_t* dst = out->as<uint8_t>();
      forEachRow(w, [&](int64_t, const int64_t* off, int64_t n) {
        v.compare(op, pa + off[0], w.innerStride(0), pb + off[1], w.innerStride(1), dst + off[2], n);
      });
    }
  } else {
    TESSERA_DISPATCH(x->dtype, S, {
      const S* pa = x->as<S>() + xl.offset;
      const S* pb = y->as<S>() + yl.offset;
      TESSERA_DISPATCH(outType, D, {
        D* dst = out->as<D>();
        forEachRow(w, [&](int64_t, const int64_t* off, int64_t n) {
          const int64_t sa = w.innerStride(0), sb = w.innerStride(1);
          for (int64_t i = 0; i < n; i++)
            dst[off[2] + i] = fromDouble<D>(binaryDouble(op, toDouble(pa[off[0] + i * sa]), toDouble(pb[off[1] + i * sb])));
        });
      });
    });
  }
  return napi::wrap(a.env, out);
}

template <typename C, typename T>
void whereKernel(const C* c, const T* pa, const T* pb, T* dst, const Walk<4>& w) {
  forEachRow(w, [&](int64_t, const int64_t* off, int64_t n) {
    const C* cr = c + off[0];
    const T* ar = pa + off[1];
    const T* br = pb + off[2];
    T* o = dst + off[3];
    const int64_t sc = w.innerStride(0), sa = w.innerStride(1), sb = w.innerStride(2);
    if (sc == 1 && sa == 1 && sb == 1) {
      for (int64_t i = 0; i < n; i++) o[i] = toDouble(cr[i]) != 0 ? ar[i] : br[i];
    } else {
      for (int64_t i = 0; i < n; i++) o[i] = toDouble(cr[i * sc]) != 0 ? ar[i * sa] : br[i * sb];
    }
  });
}

TESSERA_FN(whereOp) {
  Buffer* c = a.buffer(0);
  const Layout cl = a.layout(1);
  Buffer* x = a.buffer(2);
  const Layout xl = a.layout(3);
  Buffer* y = a.buffer(4);
  const Layout yl = a.layout(5);
  checkLayout("where", c, cl);
  checkLayout("where", x, xl);
  checkLayout("where", y, yl);
  if (x->dtype != y->dtype) throw OpError(std::string("where: dtypes ") + dtypeName(x->dtype) + " and " + dtypeName(y->dtype) + " differ");
  if (cl.nd != xl.nd || yl.nd != xl.nd) throw OpError("where: shapes differ");
  for (int i = 0; i < xl.nd; i++)
    if (cl.shape[i] != xl.shape[i] || yl.shape[i] != xl.shape[i])
      throw OpError("where: shapes " + cl.shapeString() + ", " + xl.shapeString() + " and " + yl.shapeString() + " differ");
  Buffer* out = allocBuffer(x->dtype, xl.numel(), false);
  if (out->length == 0) return napi::wrap(a.env, out);
  const Layout ol = contiguousLayout(xl.shape, xl.nd);
  const int64_t* strides[4] = {cl.strides, xl.strides, yl.strides, ol.strides};
  Walk<4> w(xl.shape, xl.nd, strides);
  TESSERA_DISPATCH(c->dtype, C, {
    const C* cp = c->as<C>() + cl.offset;
    TESSERA_DISPATCH(x->dtype, T, { whereKernel<C, T>(cp, x->as<T>() + xl.offset, y->as<T>() + yl.offset, out->as<T>(), w); });
  });
  return napi::wrap(a.env, out);
}

}  // namespace

void initElementwiseOps(napi_env env, napi_value exports) {
  napi::exportFunction(env, exports, "map", mapOp);
  napi::exportFunction(env, exports, "binary", binaryOp);
  napi::exportFunction(env, exports, "where", whereOp);
}

}  // namespace tessera
