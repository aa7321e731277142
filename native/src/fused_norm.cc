// Fused row ops over contiguous (rows, n) float32: softmax / log-softmax, layer norm and cross-entropy,
// forward and backward, threaded over rows.
#include <cmath>
#include <cstring>
#include <vector>

#include "fused_common.h"
#include "napi_util.h"
#include "op_codes.h"
#include "ops.h"
#include "vec.h"

namespace tessera {
namespace {

int64_t rowGrain(int64_t n) { return std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, n)); }

// The optional weight and bias (length n) of a layer norm, at arguments i and i + 1.
struct Affine {
  const float* w;
  const float* b;
};

Affine affineArgs(napi::CallArgs& a, size_t i, int64_t n, const char* op) {
  Buffer* wb = a.bufferOrNull(i);
  Buffer* bb = a.bufferOrNull(i + 1);
  return {wb ? f32In(op, wb, n) : nullptr, bb ? f32In(op, bb, n) : nullptr};
}

TESSERA_FN(softmax) {
  const int64_t rows = a.integer(1), n = a.integer(2);
  const bool log = a.boolean(3);
  const float* x = f32In("softmax", a.buffer(0), rows * n);
  Buffer* out = allocBuffer(DType::F32, rows * n, false);
  float* y = out->as<float>();
  const VecOps& v = vecOps();
  parallelFor(rows, rowGrain(n), [&](int64_t r0, int64_t r1, int) {
    for (int64_t r = r0; r < r1; r++) v.softmaxRow(x + r * n, y + r * n, n, log);
  });
  return napi::wrap(a.env, out);
}

TESSERA_FN(softmaxBackward) {
  const int64_t rows = a.integer(2), n = a.integer(3);
  const bool log = a.boolean(4);
  const float* y = f32In("softmaxBackward", a.buffer(0), rows * n);
  const float* dy = f32In("softmaxBackward", a.buffer(1), rows * n);
  Buffer* out = allocBuffer(DType::F32, rows * n, false);
  float* dx = out->as<float>();
  const VecOps& v = vecOps();
  parallelFor(rows, rowGrain(n), [&](int64_t r0, int64_t r1, int) {
    for (int64_t r = r0; r < r1; r++) v.softmaxBackwardRow(y + r * n, dy + r * n, dx + r * n, n, log);
  });
  return napi::wrap(a.env, out);
}

// addLayerNorm(x, residual, weight|null, bias|null, rows, n, eps) -> y = layerNorm(x + residual), for
// inference: the sum lives one row at a time in a scratch row, never in memory as a whole tensor.
TESSERA_FN(addLayerNorm) {
  const int64_t rows = a.integer(4), n = a.integer(5);
  const float eps = static_cast<float>(a.number(6));
  const float* x = f32In("addLayerNorm", a.buffer(0), rows * n);
  const float* res = f32In("addLayerNorm", a.buffer(1), rows * n);
  const auto [w, b] = affineArgs(a, 2, n, "addLayerNorm");
  Buffer* yb = allocBuffer(DType::F32, rows * n, false);
  float* y = yb->as<float>();
  const VecOps& v = vecOps();
  parallelFor(rows, rowGrain(n), [&](int64_t r0, int64_t r1, int) {
    std::vector<float> sum(static_cast<size_t>(n));
    float mean, rstd;
    for (int64_t r = r0; r < r1; r++) {
      std::memcpy(sum.data(), x + r * n, sizeof(float) * n);
      v.axpy(1.f, res + r * n, sum.data(), n);
      v.layerNormRow(sum.data(), w, b, y + r * n, n, eps, &mean, &rstd);
    }
  });
  return napi::wrap(a.env, yb);
}

// layerNorm(x, weight|null, bias|null, rows, n, eps) -> [y, mean, rstd]
TESSERA_FN(layerNorm) {
  const int64_t rows = a.integer(3), n = a.integer(4);
  const float eps = static_cast<float>(a.number(5));
  const float* x = f32In("layerNorm", a.buffer(0), rows * n);
  const auto [w, b] = affineArgs(a, 1, n, "layerNorm");
  Buffer* yb = allocBuffer(DType::F32, rows * n, false);
  Buffer* mb = allocBuffer(DType::F32, rows, false);
  Buffer* rb = allocBuffer(DType::F32, rows, false);
  float *y = yb->as<float>(), *mean = mb->as<float>(), *rstd = rb->as<float>();
  const VecOps& v = vecOps();
  parallelFor(rows, rowGrain(n), [&](int64_t r0, int64_t r1, int) {
    for (int64_t r = r0; r < r1; r++) v.layerNormRow(x + r * n, w, b, y + r * n, n, eps, mean + r, rstd + r);
  });
  napi_value arr;
  napi_create_array_with_length(a.env, 3, &arr);
  napi_set_element(a.env, arr, 0, napi::wrap(a.env, yb));
  napi_set_element(a.env, arr, 1, napi::wrap(a.env, mb));
  napi_set_element(a.env, arr, 2, napi::wrap(a.env, rb));
  return arr;
}

// layerNormBackward(dy, x, weight|null, mean, rstd, rows, n) -> [dx, dweight|null, dbias]
TESSERA_FN(layerNormBackward) {
  const int64_t rows = a.integer(5), n = a.integer(6);
  const float* dy = f32In("layerNormBackward", a.buffer(0), rows * n);
  const float* x = f32In("layerNormBackward", a.buffer(1), rows * n);
  Buffer* wb = a.bufferOrNull(2);
  const float* w = wb ? f32In("layerNormBackward", wb, n) : nullptr;
  const float* mean = f32In("layerNormBackward", a.buffer(3), rows);
  const float* rstd = f32In("layerNormBackward", a.buffer(4), rows);
  Buffer* dxb = allocBuffer(DType::F32, rows * n, false);
  float* dx = dxb->as<float>();
  const int threads = numThreads();
  std::vector<double> dwAcc(w ? static_cast<size_t>(threads) * n : 0, 0.0), dbAcc(static_cast<size_t>(threads) * n, 0.0);
  const VecOps& v = vecOps();
  parallelFor(rows, rowGrain(n), [&](int64_t r0, int64_t r1, int t) {
    double* dw = w ? dwAcc.data() + static_cast<size_t>(t) * n : nullptr;
    double* db = dbAcc.data() + static_cast<size_t>(t) * n;
    for (int64_t r = r0; r < r1; r++) v.layerNormBackwardRow(dy + r * n, x + r * n, w, mean[r], rstd[r], dx + r * n, n, dw, db);
  });
  Buffer* dwb = w ? allocBuffer(DType::F32, n, false) : nullptr;
  Buffer* dbb = allocBuffer(DType::F32, n, false);
  for (int64_t j = 0; j < n; j++) {
    double sw = 0, sb = 0;
    for (int t = 0; t < threads; t++) {
      if (w) sw += dwAcc[static_cast<size_t>(t) * n + j];
      sb += dbAcc[static_cast<size_t>(t) * n + j];
    }
    if (dwb) dwb->as<float>()[j] = static_cast<float>(sw);
    dbb->as<float>()[j] = static_cast<float>(sb);
  }
  napi_value arr, nul;
  napi_get_null(a.env, &nul);
  napi_create_array_with_length(a.env, 3, &arr);
  napi_set_element(a.env, arr, 0, napi::wrap(a.env, dxb));
  napi_set_element(a.env, arr, 1, dwb ? napi::wrap(a.env, dwb) : nul);
  napi_set_element(a.env, arr, 2, napi::wrap(a.env, dbb));
  return arr;
}

std::vector<int64_t> readTargets(const char* op, const Buffer* t, int64_t rows, int64_t n, int64_t ignoreIndex) {
  if (t->released) throw OpError(std::string(op) + ": storage was released and cannot be used");
  if (t->dtype != DType::I32 && t->dtype != DType::I64) throw OpError(std::string(op) + ": targets must be int32 or int64, got " + dtypeName(t->dtype));
  if (t->length < rows) throw OpError(std::string(op) + ": " + std::to_string(t->length) + " targets for " + std::to_string(rows) + " rows");
  std::vector<int64_t> out(rows);
  for (int64_t r = 0; r < rows; r++) {
    const int64_t v = t->dtype == DType::I32 ? t->as<int32_t>()[r] : t->as<int64_t>()[r];
    if (v != ignoreIndex && (v < 0 || v >= n))
      throw OpError("crossEntropy: target " + std::to_string(v) + " is out of range for " + std::to_string(n) + " classes");
    out[r] = v;
  }
  return out;
}

// crossEntropy(logits, targets, rows, n, ignoreIndex, smoothing) -> [losses, lse]
TESSERA_FN(crossEntropy) {
  const int64_t rows = a.integer(2), n = a.integer(3), ignore = a.integer(4);
  const double s = a.number(5);
  const float* x = f32In("crossEntropy", a.buffer(0), rows * n);
  const std::vector<int64_t> t = readTargets("crossEntropy", a.buffer(1), rows, n, ignore);
  Buffer* lb = allocBuffer(DType::F32, rows, true);
  Buffer* eb = allocBuffer(DType::F32, rows, false);
  float *losses = lb->as<float>(), *lse = eb->as<float>();
  const VecOps& v = vecOps();
  parallelFor(rows, rowGrain(n), [&](int64_t r0, int64_t r1, int) {
    std::vector<float> tmp(n);
    for (int64_t r = r0; r < r1; r++) {
      const float* row = x + r * n;
      const float max = v.extremum(row, n, true);
      v.map(kAddScalar, row, 1, tmp.data(), n, -max, 0);
      v.map(kExp, tmp.data(), 1, tmp.data(), n, 0, 0);
      const double l = static_cast<double>(max) + std::log(v.sum(tmp.data(), n));
      lse[r] = static_cast<float>(l);
      if (t[r] == ignore) continue;
      const double nll = l - row[t[r]];
      losses[r] = static_cast<float>(s > 0 ? (1 - s) * nll + s * (l - v.sum(row, n) / static_cast<double>(n)) : nll);
    }
  });
  napi_value arr;
  napi_create_array_with_length(a.env, 2, &arr);
  napi_set_element(a.env, arr, 0, napi::wrap(a.env, lb));
  napi_set_element(a.env, arr, 1, napi::wrap(a.env, eb));
  return arr;
}

// crossEntropyBackward(logits, targets, lse, dlosses, rows, n, ignoreIndex, smoothing) -> dlogits
TESSERA_FN(crossEntropyBackward) {
  const int64_t rows = a.integer(4), n = a.integer(5), ignore = a.integer(6);
  const float s = static_cast<float>(a.number(7));
  const float* x = f32In("crossEntropyBackward", a.buffer(0), rows * n);
  const std::vector<int64_t> t = readTargets("crossEntropyBackward", a.buffer(1), rows, n, ignore);
  const float* lse = f32In("crossEntropyBackward", a.buffer(2), rows);
  const float* dl = f32In("crossEntropyBackward", a.buffer(3), rows);
  Buffer* out = allocBuffer(DType::F32, rows * n, true);
  float* dx = out->as<float>();
  const VecOps& v = vecOps();
  const float u = s / static_cast<float>(n);
  parallelFor(rows, rowGrain(n), [&](int64_t r0, int64_t r1, int) {
    for (int64_t r = r0; r < r1; r++) {
      if (t[r] == ignore) continue;
      float* d = dx + r * n;
      const float g = dl[r];
      v.map(kAddScalar, x + r * n, 1, d, n, -lse[r], 0);
      v.map(kExp, d, 1, d, n, 0, 0);
      v.map(kAddScalar, d, 1, d, n, -u, 0);
      v.map(kMulScalar, d, 1, d, n, g, 0);
      d[t[r]] -= g * (1 - s);
    }
  });
  return napi::wrap(a.env, out);
}

}  // namespace

void initNormOps(napi_env env, napi_value exports) {
  napi::exportFunction(env, exports, "softmax", softmax);
  napi::exportFunction(env, exports, "softmaxBackward", softmaxBackward);
  napi::exportFunction(env, exports, "layerNorm", layerNorm);
  napi::exportFunction(env, exports, "addLayerNorm", addLayerNorm);
  napi::exportFunction(env, exports, "layerNormBackward", layerNormBackward);
  napi::exportFunction(env, exports, "crossEntropy", crossEntropy);
  napi::exportFunction(env, exports, "crossEntropyBackward", crossEntropyBackward);
}

}  // namespace tessera
