// Reductions over any set of axes (keepdim shape, contiguous result). float32 sum/max/min/prod take two
// vectorised paths: reduced elements contiguous (row reductions, e.g. softmax denominators) or kept elements
// contiguous (column reductions, e.g. a bias gradient over a batch). Everything else (other dtypes,
// argmax/argmin, odd strides) walks the reduced elements per output in double, as the reference does.
#include <cmath>
#include <vector>

#include "dtype_conv.h"
#include "napi_util.h"
#include "op_codes.h"
#include "ops.h"
#include "vec.h"

namespace tessera {
namespace {

struct Dims {
  int nd = 0;
  int64_t shape[kMaxDims];
  int64_t strides[kMaxDims];
  int64_t numel() const {
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= shape[i];
    return n;
  }
  void push(int64_t size, int64_t stride) {
    if (size == 1) return;
    if (nd > 0 && strides[nd - 1] == stride * size) {
      shape[nd - 1] *= size;
      strides[nd - 1] = stride;
      return;
    }
    shape[nd] = size;
    strides[nd] = stride;
    nd++;
  }
  /** Offset of the r-th element in row-major order. */
  int64_t offset(int64_t r) const {
    int64_t off = 0;
    for (int i = nd - 1; i >= 0; i--) {
      off += (r % shape[i]) * strides[i];
      r /= shape[i];
    }
    return off;
  }
};

// Walks the offsets of `d` in row-major order without divisions.
struct Odometer {
  const Dims& d;
  int64_t idx[kMaxDims] = {};
  int64_t off = 0;
  explicit Odometer(const Dims& dims) : d(dims) {}
  void next() {
    for (int i = d.nd - 1; i >= 0; i--) {
      off += d.strides[i];
      if (++idx[i] < d.shape[i]) return;
      off -= d.strides[i] * d.shape[i];
      idx[i] = 0;
    }
  }
};

inline float combine(int op, float a, float b) {
  switch (op) {
    case kMax: return (a != a || b != b) ? NAN : (a > b ? a : b);
    default: return (a != a || b != b) ? NAN : (a < b ? a : b);
  }
}

// float32 sum/max/min/prod of one output over reduced elements whose inner run (length L) is contiguous.
double reduceRuns(int op, const float* base, const Dims& outerRed, int64_t L, int64_t r0, int64_t r1) {
  const VecOps& v = vecOps();
  double acc = op == kSum ? 0.0 : (op == kProd ? 1.0 : (op == kMax ? -INFINITY : INFINITY));
  for (int64_t r = r0; r < r1; r++) {
    const float* p = base + outerRed.offset(r);
    switch (op) {
      case kSum: acc += v.sum(p, L); break;
      case kProd: for (int64_t j = 0; j < L; j++) acc *= p[j]; break;
      default: acc = combine(op, static_cast<float>(acc), v.extremum(p, L, op == kMax)); break;
    }
  }
  return acc;
}

template <typename S, typename D>
void reduceGeneric(int op, const S* x, const Dims& kept, const Dims& red, D* out, int64_t outN) {
  parallelFor(outN, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, red.numel())), [&](int64_t o0, int64_t o1, int) {
    const int64_t R = red.numel();
    for (int64_t o = o0; o < o1; o++) {
      const S* base = x + kept.offset(o);
      Odometer it(red);
      if (op == kArgmax || op == kArgmin) {
        double best = toDouble(base[0]);
        int64_t bi = 0;
        it.next();
        for (int64_t r = 1; r < R; r++, it.next()) {
          const double v = toDouble(base[it.off]);
          if (v != v && best == best) { bi = r; break; }
          if (op == kArgmax ? v > best : v < best) { best = v; bi = r; }
        }
        out[o] = fromDouble<D>(static_cast<double>(bi));
        continue;
      }
      double acc = op == kSum ? 0.0 : (op == kProd ? 1.0 : (op == kMax ? -INFINITY : INFINITY));
      for (int64_t r = 0; r < R; r++, it.next()) {
        const double v = toDouble(base[it.off]);
        switch (op) {
          case kSum: acc += v; break;
          case kProd: acc *= v; break;
          case kMax: if (v > acc || v != v) acc = v; break;
          default: if (v < acc || v != v) acc = v; break;
        }
        if ((op == kMax || op == kMin) && acc != acc) break;
      }
      out[o] = fromDouble<D>(acc);
    }
  });
}

TESSERA_FN(reduceOp) {
  const int op = static_cast<int>(a.integer(0));
  Buffer* x = a.buffer(1);
  const Layout l = a.layout(2);
  const std::vector<double> axes = a.doubles(3);
  checkLayout("reduce", x, l);
  if (op < 0 || op >= kReduceCodeCount) throw OpError("reduce: unknown op code " + std::to_string(op));
  bool reduced[kMaxDims] = {};
  for (double ax : axes) {
    const int i = static_cast<int>(ax);
    if (i < 0 || i >= l.nd) throw OpError("reduce: axis " + std::to_string(i) + " out of range for shape " + l.shapeString());
    reduced[i] = true;
  }
  Dims kept, red;
  int64_t outN = 1, R = 1;
  for (int i = 0; i < l.nd; i++) {
    if (reduced[i]) { red.push(l.shape[i], l.strides[i]); R *= l.shape[i]; }
    else { kept.push(l.shape[i], l.strides[i]); outN *= l.shape[i]; }
  }
  const char* names[] = {"sum", "max", "min", "prod", "argmax", "argmin"};
  if (R == 0) throw OpError(std::string("reduce ") + names[op] + ": cannot reduce an empty set of elements");
  DType outType = x->dtype;
  if (op == kArgmax || op == kArgmin) outType = DType::I64;
  else if ((x->dtype == DType::Bool || x->dtype == DType::U8) && (op == kSum || op == kProd)) outType = DType::I64;
  Buffer* out = allocBuffer(outType, outN, false);
  if (outN == 0) return napi::wrap(a.env, out);

  const bool simple = x->dtype == DType::F32 && op <= kProd;
  if (simple && red.nd > 0 && red.strides[red.nd - 1] == 1 && (kept.nd == 0 || kept.strides[kept.nd - 1] != 1)) {
    // reduced run contiguous
    const float* src = x->as<float>() + l.offset;
    float* dst = out->as<float>();
    const int64_t L = red.shape[red.nd - 1];
    Dims outer = red;
    outer.nd--;
    const int64_t outerR = outer.numel();
    const int threads = numThreads();
    if (outN >= threads || outN * R < kParallelGrain) {
      parallelFor(outN, std::max<int64_t>(1, kParallelGrain / R), [&](int64_t o0, int64_t o1, int) {
        for (int64_t o = o0; o < o1; o++) dst[o] = static_cast<float>(reduceRuns(op, src + kept.offset(o), outer, L, 0, outerR));
      });
    } else {
      // few outputs, many elements each: split each output's runs (or its single run) over threads
      for (int64_t o = 0; o < outN; o++) {
        const float* base = src + kept.offset(o);
        std::vector<double> part(threads);
        std::vector<char> used(threads, 0);
        if (outerR >= threads) {
          parallelFor(outerR, 1, [&](int64_t r0, int64_t r1, int t) { part[t] = reduceRuns(op, base, outer, L, r0, r1); used[t] = 1; });
        } else {
          Dims one;
          parallelFor(L, 4096, [&](int64_t j0, int64_t j1, int t) {
            double acc = op == kSum ? 0.0 : (op == kProd ? 1.0 : (op == kMax ? -INFINITY : INFINITY));
            for (int64_t r = 0; r < outerR; r++) {
              const double p = reduceRuns(op, base + outer.offset(r) + j0, one, j1 - j0, 0, 1);
              acc = op == kSum ? acc + p : (op == kProd ? acc * p : combine(op, static_cast<float>(acc), static_cast<float>(p)));
            }
            part[t] = acc;
            used[t] = 1;
          });
        }
        double acc = op == kSum ? 0.0 : (op == kProd ? 1.0 : (op == kMax ? -INFINITY : INFINITY));
        for (int t = 0; t < threads; t++) {
          if (!used[t]) continue;
          acc = op == kSum ? acc + part[t] : (op == kProd ? acc * part[t] : combine(op, static_cast<float>(acc), static_cast<float>(part[t])));
        }
        dst[o] = static_cast<float>(acc);
      }
    }
    return napi::wrap(a.env, out);
  }
  if (simple && kept.nd > 0 && kept.strides[kept.nd - 1] == 1) {
    // kept run contiguous: accumulate whole rows of outputs
    const float* src = x->as<float>() + l.offset;
    float* dst = out->as<float>();
    const int64_t Lk = kept.shape[kept.nd - 1];
    Dims outerK = kept;
    outerK.nd--;
    const int64_t outerN = outerK.numel();
    const int64_t chunk = outerN >= numThreads() ? Lk : std::max<int64_t>(64, (Lk + numThreads() - 1) / numThreads());
    const int64_t colChunks = (Lk + chunk - 1) / chunk;
    parallelFor(outerN * colChunks, 1, [&](int64_t t0, int64_t t1, int) {
      std::vector<double> acc;
      std::vector<float> facc;
      for (int64_t t = t0; t < t1; t++) {
        const int64_t ok = t / colChunks, j0 = (t % colChunks) * chunk, j1 = std::min(Lk, j0 + chunk);
        const int64_t n = j1 - j0;
        const float* base = src + outerK.offset(ok) + j0;
        float* o = dst + ok * Lk + j0;
        Odometer it(red);
        if (op == kSum || op == kProd) {
          acc.assign(n, op == kSum ? 0.0 : 1.0);
          for (int64_t r = 0; r < R; r++, it.next()) {
            const float* p = base + it.off;
            if (op == kSum) vecOps().accumulate(acc.data(), p, n);
            else for (int64_t j = 0; j < n; j++) acc[j] *= p[j];
          }
          for (int64_t j = 0; j < n; j++) o[j] = static_cast<float>(acc[j]);
        } else {
          facc.assign(n, op == kMax ? -INFINITY : INFINITY);
          float* f = facc.data();
          for (int64_t r = 0; r < R; r++, it.next()) {
            const float* p = base + it.off;
            if (op == kMax) for (int64_t j = 0; j < n; j++) f[j] = (p[j] > f[j] || p[j] != p[j] || f[j] != f[j]) ? (f[j] != f[j] ? f[j] : p[j]) : f[j];
            else for (int64_t j = 0; j < n; j++) f[j] = (p[j] < f[j] || p[j] != p[j] || f[j] != f[j]) ? (f[j] != f[j] ? f[j] : p[j]) : f[j];
          }
          for (int64_t j = 0; j < n; j++) o[j] = f[j];
        }
      }
    });
    return napi::wrap(a.env, out);
  }
  TESSERA_DISPATCH(x->dtype, S, {
    const S* src = x->as<S>() + l.offset;
    TESSERA_DISPATCH(outType, D, { reduceGeneric<S, D>(op, src, kept, red, out->as<D>(), outN); });
  });
  return napi::wrap(a.env, out);
}

}  // namespace

void initReduceOps(napi_env env, napi_value exports) { napi::exportFunction(env, exports, "reduce", reduceOp); }

}  // namespace tessera
