// Fused pointwise steps: AdamW (in place over param, m, v) and the LSTM cell (gates in PyTorch's i, f, g, o
// order), forward and backward.
#include <cmath>

#include "fused_common.h"
#include "napi_util.h"
#include "ops.h"
#include "vec.h"
#include "vmath.h"

namespace tessera {
namespace {

// adamw(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, step)
TESSERA_FN(adamw) {
  Buffer* pb = a.buffer(0);
  const int64_t n = pb->length;
  float* p = f32Mut("adamw", pb, n);
  const float* g = f32In("adamw", a.buffer(1), n);
  float* m = f32Mut("adamw", a.buffer(2), n);
  float* v = f32Mut("adamw", a.buffer(3), n);
  const double lr = a.number(4), beta1 = a.number(5), beta2 = a.number(6), eps = a.number(7), wd = a.number(8), step = a.number(9);
  const double bc1 = 1 - std::pow(beta1, step), bc2 = 1 - std::pow(beta2, step);
  const float stepSize = static_cast<float>(lr / bc1), sqrtBc2 = static_cast<float>(std::sqrt(bc2));
  const float decay = static_cast<float>(1 - lr * wd);
  const VecOps& vo = vecOps();
  parallelFor(n, kParallelGrain, [&](int64_t i0, int64_t i1, int) {
    vo.adamw(p + i0, g + i0, m + i0, v + i0, i1 - i0, static_cast<float>(beta1), static_cast<float>(beta2), stepSize, sqrtBc2,
             static_cast<float>(eps), decay);
  });
  return napi::undefinedValue(a.env);
}

// lstmCell(gates, cPrev, B, H) -> [h, c]
TESSERA_FN(lstmCell) {
  const int64_t B = a.integer(2), H = a.integer(3);
  const float* gates = f32In("lstmCell", a.buffer(0), B * 4 * H);
  const float* cPrev = f32In("lstmCell", a.buffer(1), B * H);
  Buffer* hb = allocBuffer(DType::F32, B * H, false);
  Buffer* cb = allocBuffer(DType::F32, B * H, false);
  float *h = hb->as<float>(), *c = cb->as<float>();
  parallelFor(B, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, 4 * H)), [&](int64_t b0, int64_t b1, int) {
    for (int64_t b = b0; b < b1; b++) {
      const float* gi = gates + b * 4 * H;
      for (int64_t j = 0; j < H; j++) {
        const float ig = vm::sigmoidf(gi[j]), fg = vm::sigmoidf(gi[H + j]);
        const float gg = vm::tanhf(gi[2 * H + j]), og = vm::sigmoidf(gi[3 * H + j]);
        const float cj = fg * cPrev[b * H + j] + ig * gg;
        c[b * H + j] = cj;
        h[b * H + j] = og * vm::tanhf(cj);
      }
    }
  });
  napi_value arr;
  napi_create_array_with_length(a.env, 2, &arr);
  napi_set_element(a.env, arr, 0, napi::wrap(a.env, hb));
  napi_set_element(a.env, arr, 1, napi::wrap(a.env, cb));
  return arr;
}

// lstmCellBackward(gates, cPrev, c, dh, dc, B, H) -> [dgates, dcPrev]
TESSERA_FN(lstmCellBackward) {
  const int64_t B = a.integer(5), H = a.integer(6);
  const float* gates = f32In("lstmCellBackward", a.buffer(0), B * 4 * H);
  const float* cPrev = f32In("lstmCellBackward", a.buffer(1), B * H);
  const float* c = f32In("lstmCellBackward", a.buffer(2), B * H);
  const float* dh = f32In("lstmCellBackward", a.buffer(3), B * H);
  const float* dc = f32In("lstmCellBackward", a.buffer(4), B * H);
  Buffer* gb = allocBuffer(DType::F32, B * 4 * H, false);
  Buffer* pb = allocBuffer(DType::F32, B * H, false);
  float *dg = gb->as<float>(), *dcp = pb->as<float>();
  parallelFor(B, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, 4 * H)), [&](int64_t b0, int64_t b1, int) {
    for (int64_t b = b0; b < b1; b++) {
      const float* gi = gates + b * 4 * H;
      float* d = dg + b * 4 * H;
      for (int64_t j = 0; j < H; j++) {
        const int64_t e = b * H + j;
        const float ig = vm::sigmoidf(gi[j]), fg = vm::sigmoidf(gi[H + j]);
        const float gg = vm::tanhf(gi[2 * H + j]), og = vm::sigmoidf(gi[3 * H + j]);
        const float tc = vm::tanhf(c[e]);
        const float dct = dc[e] + dh[e] * og * (1 - tc * tc);
        d[j] = dct * gg * ig * (1 - ig);
        d[H + j] = dct * cPrev[e] * fg * (1 - fg);
        d[2 * H + j] = dct * ig * (1 - gg * gg);
        d[3 * H + j] = dh[e] * tc * og * (1 - og);
        dcp[e] = dct * fg;
      }
    }
  });
  napi_value arr;
  napi_create_array_with_length(a.env, 2, &arr);
  napi_set_element(a.env, arr, 0, napi::wrap(a.env, gb));
  napi_set_element(a.env, arr, 1, napi::wrap(a.env, pb));
  return arr;
}

}  // namespace

void initStepOps(napi_env env, napi_value exports) {
  napi::exportFunction(env, exports, "adamw", adamw);
  napi::exportFunction(env, exports, "lstmCell", lstmCell);
  napi::exportFunction(env, exports, "lstmCellBackward", lstmCellBackward);
}

}  // namespace tessera
