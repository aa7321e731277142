// Elementwise ops: map (unary with scalar args), binary with broadcasting, where, and the in-place
// activation the matmul epilogue uses. Floats compute in float32, ints in double (exact for ids).
#include "elementwise.cuh"
#include "math.cuh"
#include "napi_glue.h"
#include "ops.h"

namespace tcuda {

namespace {

template <typename T> using V_t = typename Num<T>::type;

template <typename T> __device__ __forceinline__ V_t<T> loadV(T v) {
  if constexpr (std::is_same_v<V_t<T>, float>) return toF<T>(v);
  else return toD<T>(v);
}
template <typename TO, typename V> __device__ __forceinline__ TO storeV(V v) {
  if constexpr (std::is_same_v<V, float>) return fromF<TO>(v);
  else return fromD<TO>(v);
}

template <typename T, typename TO>
struct MapF {
  const T* x;
  TO* y;
  int op;
  V_t<T> a, b;
  template <typename I>
  __device__ void operator()(I i, const I* off) const {
    y[i] = storeV<TO>(mapValue<V_t<T>>(op, loadV<T>(x[off[0]]), a, b));
  }
};

template <typename T, typename TO>
struct BinaryF {
  const T* a;
  const T* b;
  TO* y;
  int op;
  template <typename I>
  __device__ void operator()(I i, const I* off) const {
    y[i] = storeV<TO>(binaryValue<V_t<T>>(op, loadV<T>(a[off[0]]), loadV<T>(b[off[1]])));
  }
};

/** Scalar forms for the vectorised dense paths. */
template <typename T, typename TO>
struct MapFn {
  int op;
  V_t<T> a, b;
  __device__ TO operator()(T x) const { return storeV<TO>(mapValue<V_t<T>>(op, loadV<T>(x), a, b)); }
};

template <typename T, typename TO>
struct BinaryFn {
  int op;
  __device__ TO operator()(T x, T y) const { return storeV<TO>(binaryValue<V_t<T>>(op, loadV<T>(x), loadV<T>(y))); }
};

/** The same with the op fixed at compile time (the hot float ops: no per-element switch). */
template <int OP, typename T, typename TO>
struct MapOpFn {
  V_t<T> a, b;
  __device__ TO operator()(T x) const { return storeV<TO>(mapValue<V_t<T>>(OP, loadV<T>(x), a, b)); }
};

template <int OP, typename T, typename TO>
struct BinaryOpFn {
  __device__ TO operator()(T x, T y) const { return storeV<TO>(binaryValue<V_t<T>>(OP, loadV<T>(x), loadV<T>(y))); }
};

template <int OP>
using OpC = std::integral_constant<int, OP>;

/** Calls f(OpC<op>{}) for the map ops worth a kernel of their own; false for the others. */
template <typename F>
bool withHotMap(int op, F&& f) {
  switch (op) {
    case kNeg: return f(OpC<kNeg>{});
    case kExp: return f(OpC<kExp>{});
    case kTanh: return f(OpC<kTanh>{});
    case kSigmoid: return f(OpC<kSigmoid>{});
    case kRelu: return f(OpC<kRelu>{});
    case kGelu: return f(OpC<kGelu>{});
    case kGeluTanh: return f(OpC<kGeluTanh>{});
    case kRsqrt: return f(OpC<kRsqrt>{});
    case kSquare: return f(OpC<kSquare>{});
    case kAddScalar: return f(OpC<kAddScalar>{});
    case kMulScalar: return f(OpC<kMulScalar>{});
    default: return false;
  }
}

/** Likewise for binary ops. */
template <typename F>
bool withHotBinary(int op, F&& f) {
  switch (op) {
    case kAdd: return f(OpC<kAdd>{});
    case kSub: return f(OpC<kSub>{});
    case kMul: return f(OpC<kMul>{});
    case kDiv: return f(OpC<kDiv>{});
    case kReluGrad: return f(OpC<kReluGrad>{});
    case kGeluGrad: return f(OpC<kGeluGrad>{});
    case kGeluTanhGrad: return f(OpC<kGeluTanhGrad>{});
    default: return false;
  }
}

template <typename T>
constexpr bool isFloatType() { return std::is_same_v<T, float> || std::is_same_v<T, __half> || std::is_same_v<T, __nv_bfloat16>; }

template <typename T>
struct WhereF {
  const uint8_t* c;
  const T* a;
  const T* b;
  T* y;
  template <typename I>
  __device__ void operator()(I i, const I* off) const {
    y[i] = c[off[0]] ? a[off[1]] : b[off[2]];
  }
};

template <typename T>
struct ActivationF {
  T* y;
  int act;
  template <typename I>
  __device__ void operator()(I i, const I*) const {
    y[i] = fromF<T>(applyActivation<float>(act, toF<T>(y[i])));
  }
};

/**
 * y = op(a, b) with one float32 operand and one half (bf16/f16) operand, both dense, float32 out: the
 * residual add of a half branch onto a float32 stream without a cast pass first. HALF_FIRST: a is the half one.
 */
template <int OP, typename TH, bool HALF_FIRST>
__global__ void mixedZipKernel(const float* __restrict__ f, const TH* __restrict__ h, float* __restrict__ y, int64_t n, int64_t nv) {
  // nv: leading groups of four done with vector loads (0 when the operands are not aligned for them)
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  const int64_t tid = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  auto op = [](float x, float hv) { return HALF_FIRST ? binaryValue<float>(OP, hv, x) : binaryValue<float>(OP, x, hv); };
  for (int64_t v = tid; v < nv; v += stride) {
    const float4 pf = reinterpret_cast<const float4*>(f)[v];
    const Pack<TH, 4> ph = reinterpret_cast<const Pack<TH, 4>*>(h)[v];
    reinterpret_cast<float4*>(y)[v] = make_float4(op(pf.x, toF<TH>(ph.v[0])), op(pf.y, toF<TH>(ph.v[1])), op(pf.z, toF<TH>(ph.v[2])), op(pf.w, toF<TH>(ph.v[3])));
  }
  for (int64_t i = nv * 4 + tid; i < n; i += stride) y[i] = op(f[i], toF<TH>(h[i]));
}

/** The mixed float32/half binary ops (add, sub, mul, div on dense operands of one shape); null when not one. */
Buffer* mixedBinary(Context& c, int op, Buffer* x, const HostLayout& xl, Buffer* y, const HostLayout& yl, const Walk<2>& w) {
  const bool xHalf = x->dtype == DType::BF16 || x->dtype == DType::F16, yHalf = y->dtype == DType::BF16 || y->dtype == DType::F16;
  if (!((xHalf && y->dtype == DType::F32) || (yHalf && x->dtype == DType::F32)) || !walkDense(w)) return nullptr;
  if (op != kAdd && op != kSub && op != kMul && op != kDiv) return nullptr;
  const Buffer* hb = xHalf ? x : y;
  const float* f = (xHalf ? y : x)->as<float>() + (xHalf ? yl.offset : xl.offset);
  const int64_t hOff = xHalf ? xl.offset : yl.offset;
  const int64_t n = xl.numel();
  napi::Owned out(allocBuffer(x->device, DType::F32, n, false));
  if (n == 0) return out.release();
  const bool vec = reinterpret_cast<uintptr_t>(f) % 16 == 0 && hOff % 4 == 0;
  const int64_t nv = vec ? n / 4 : 0;
  const unsigned blocks = ewBlocks(c, vec ? (n + 3) / 4 : n, 256);
  dispatchFloat(hb->dtype, "binary", [&](auto tag) {
    using TH = decltype(tag);
    if constexpr (!std::is_same_v<TH, float>) {
      const TH* h = hb->as<TH>() + hOff;
      withHotBinary(op, [&](auto opc) {
        constexpr int OP = decltype(opc)::value;
        if (xHalf) mixedZipKernel<OP, TH, true><<<blocks, 256, 0, c.stream>>>(f, h, out->as<float>(), n, nv);
        else mixedZipKernel<OP, TH, false><<<blocks, 256, 0, c.stream>>>(f, h, out->as<float>(), n, nv);
        return true;
      });
      afterLaunch("binary_mixed");
    }
  });
  return out.release();
}

}  // namespace

void applyActivationInPlace(Context& c, Buffer* y, int act) {
  if (act == kActNone || y->length == 0) return;
  const int mapOp = act == kActRelu ? kRelu : act == kActGelu ? kGelu : kGeluTanh;
  dispatchFloat(y->dtype, "matmul activation", [&](auto tag) {
    using T = decltype(tag);
    // the map kernels' vectorised path, in place (each thread reads its elements before writing them)
    if (withHotMap(mapOp, [&](auto opc) {
          return tryVecMap(c, "activation_vec", y->as<T>(), y->as<T>(), y->length, MapOpFn<decltype(opc)::value, T, T>{0, 0});
        })) {
      return;
    }
    Walk<1> w{};
    w.nd = 1;
    w.shape[0] = y->length;
    w.strides[0][0] = 1;
    launchElementwise<1>(c, "activation_inplace", ActivationF<T>{y->as<T>(), act}, w, y->length);
  });
}

}  // namespace tcuda

using namespace tcuda;
using tcuda::napi::Owned;

// map(op, x, layout, a, b) -> storage
TCUDA_FN(map) {
  const int op = static_cast<int>(a.integer(0));
  Buffer* x = a.buffer(1);
  const HostLayout l = a.layout(2);
  const double s0 = a.number(3), s1 = a.number(4);
  napi::checkLayout("map", x, l);
  Context& c = useDevice(x->device);
  const DType outT = op == kLogicalNot ? DType::Bool : x->dtype;
  const int64_t n = l.numel();
  Owned out(allocBuffer(x->device, outT, n, false));
  const Walk<1> w = walkOf(l);
  if (profiling()) profileDetail(std::to_string(op) + " " + dtypeName(x->dtype) + " " + l.shapeString() + (walkDense(w) ? " dense" : " strided nd" + std::to_string(w.nd)));
  dispatchType(x->dtype, [&](auto tag) {
    using T = decltype(tag);
    using V = typename Num<T>::type;
    const T* xp = x->as<T>() + l.offset;
    if (walkDense(w)) {
      const V a0 = static_cast<V>(s0), a1 = static_cast<V>(s1);
      if constexpr (isFloatType<T>()) {
        if (outT != DType::Bool && withHotMap(op, [&](auto opc) {
              return tryVecMap(c, "map_vec_op", xp, out->as<T>(), n, MapOpFn<decltype(opc)::value, T, T>{a0, a1});
            })) {
          return;
        }
      }
      if (outT == DType::Bool ? tryVecMap(c, "map_bool_vec", xp, out->as<uint8_t>(), n, MapFn<T, uint8_t>{op, a0, a1})
                              : tryVecMap(c, "map_vec", xp, out->as<T>(), n, MapFn<T, T>{op, a0, a1})) {
        return;
      }
    }
    if (outT == DType::Bool) {
      launchElementwise<1>(c, "map_bool", MapF<T, uint8_t>{xp, out->as<uint8_t>(), op, static_cast<V>(s0), static_cast<V>(s1)}, w, n);
    } else {
      launchElementwise<1>(c, "map", MapF<T, T>{xp, out->as<T>(), op, static_cast<V>(s0), static_cast<V>(s1)}, w, n);
    }
  });
  return napi::wrapOwned(a.env, out);
}

// binary(op, a, al, b, bl) -> storage; both layouts already broadcast to one shape
TCUDA_FN(binary) {
  const int op = static_cast<int>(a.integer(0));
  Buffer* x = a.buffer(1);
  const HostLayout xl = a.layout(2);
  Buffer* y = a.buffer(3);
  const HostLayout yl = a.layout(4);
  napi::checkLayout("binary", x, xl);
  napi::checkLayout("binary", y, yl);
  if (x->device != y->device) throw OpError("binary: storages on cuda:" + std::to_string(x->device) + " and cuda:" + std::to_string(y->device));
  Context& c = useDevice(x->device);
  const int64_t* strides[2] = {xl.strides, yl.strides};
  const Walk<2> w = makeWalk<2>(xl.shape, xl.nd, strides);
  if (x->dtype != y->dtype) {
    if (profiling()) profileDetail(std::to_string(op) + " " + dtypeName(x->dtype) + "+" + dtypeName(y->dtype) + " " + xl.shapeString());
    Owned mixed(mixedBinary(c, op, x, xl, y, yl, w));
    if (mixed) return napi::wrapOwned(a.env, mixed);
    throw OpError(std::string("binary: dtypes ") + dtypeName(x->dtype) + " and " + dtypeName(y->dtype) + " differ");
  }
  const DType outT = isCompare(op) ? DType::Bool : x->dtype;
  const int64_t n = xl.numel();
  Owned out(allocBuffer(x->device, outT, n, false));
  if (profiling()) {
    const char* bc = outT == DType::Bool ? nullptr : broadcastKind(w);
    profileDetail(std::to_string(op) + " " + dtypeName(x->dtype) + " " + xl.shapeString() +
                  (walkDense(w) ? " dense" : bc ? std::string(" ") + bc + "-bcast" : " strided nd" + std::to_string(w.nd)));
  }
  dispatchType(x->dtype, [&](auto tag) {
    using T = decltype(tag);
    const T* ap = x->as<T>() + xl.offset;
    const T* bp = y->as<T>() + yl.offset;
    if constexpr (isFloatType<T>()) {
      // hot float ops, dense or with a broadcast vector (a bias over the last dim, a value per row)
      if (outT != DType::Bool && withHotBinary(op, [&](auto opc) {
            const BinaryOpFn<decltype(opc)::value, T, T> fn{};
            if (walkDense(w)) return tryVecZip(c, "binary_vec_op", ap, bp, out->as<T>(), n, fn);
            return tryBroadcastZip(c, "binary_bcast_op", ap, bp, out->as<T>(), w, fn);
          })) {
        return;
      }
    }
    if (outT != DType::Bool && tryBroadcastZip(c, "binary_bcast", ap, bp, out->as<T>(), w, BinaryFn<T, T>{op})) return;
    if (walkDense(w)) {
      if (outT == DType::Bool ? tryVecZip(c, "binary_bool_vec", ap, bp, out->as<uint8_t>(), n, BinaryFn<T, uint8_t>{op})
                              : tryVecZip(c, "binary_vec", ap, bp, out->as<T>(), n, BinaryFn<T, T>{op})) {
        return;
      }
    }
    if (outT == DType::Bool) launchElementwise<2>(c, "binary_bool", BinaryF<T, uint8_t>{ap, bp, out->as<uint8_t>(), op}, w, n);
    else launchElementwise<2>(c, "binary", BinaryF<T, T>{ap, bp, out->as<T>(), op}, w, n);
  });
  return napi::wrapOwned(a.env, out);
}

// where(cond, cl, a, al, b, bl) -> storage; cond is bool/uint8
TCUDA_FN(where) {
  Buffer* cond = a.buffer(0);
  const HostLayout cl = a.layout(1);
  Buffer* x = a.buffer(2);
  const HostLayout xl = a.layout(3);
  Buffer* y = a.buffer(4);
  const HostLayout yl = a.layout(5);
  napi::checkLayout("where", cond, cl);
  napi::checkLayout("where", x, xl);
  napi::checkLayout("where", y, yl);
  if (x->dtype != y->dtype) throw OpError(std::string("where: dtypes ") + dtypeName(x->dtype) + " and " + dtypeName(y->dtype) + " differ");
  if (cond->dtype != DType::Bool && cond->dtype != DType::U8) throw OpError(std::string("where: condition must be bool, got ") + dtypeName(cond->dtype));
  Context& c = useDevice(x->device);
  const int64_t n = xl.numel();
  Owned out(allocBuffer(x->device, x->dtype, n, false));
  const int64_t* strides[3] = {cl.strides, xl.strides, yl.strides};
  const Walk<3> w = makeWalk<3>(xl.shape, xl.nd, strides);
  dispatchType(x->dtype, [&](auto tag) {
    using T = decltype(tag);
    launchElementwise<3>(c, "where", WhereF<T>{cond->as<uint8_t>() + cl.offset, x->as<T>() + xl.offset, y->as<T>() + yl.offset, out->as<T>()}, w, n);
  });
  return napi::wrapOwned(a.env, out);
}
